/**
 * The README's "Your own networks" example, run as a user would run it (it imports 'senet-wasm',
 * resolved to this package), and type-checked against the built declarations: the docs stay true.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

it('the README example composes a residual network, trains three steps and type-checks', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### Your own networks'));
  const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  expect(code, 'no ts block under "### Your own networks"').toBeDefined();
  const dir = join(ROOT, 'test', 'artifacts');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'readme-example.mts');
  writeFileSync(file, code!);
  const output = execFileSync(process.execPath, ['--import', 'tsx', file], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  expect(output.trim().split('\n')).toHaveLength(3);
  expect(output).toMatch(/^step 2: loss \d+\.\d{4}$/m);
  execFileSync(process.execPath, [
    join(ROOT, 'node_modules/typescript/bin/tsc'), '--noEmit', '--strict', '--module', 'nodenext', '--target', 'es2022', '--skipLibCheck', file,
  ], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
}, 180_000);
