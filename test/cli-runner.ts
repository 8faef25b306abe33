/** The built `senet` command as the tests run it: `node dist/cli/main.js ...args`. */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));

/** Runs `senet args` to the end (2 minutes at most) and gives its exit code and output. */
export function senet(args: string[], cwd?: string) {
  const result = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}
