/**
 * vitest globalSetup: makes the large PyTorch fixtures (test/fixtures/generated/, git-ignored)
 * before any test runs, with `/usr/bin/python3 test/fixtures/make_fixtures.py --generated`,
 * unless the stamp file there shows each was made by the current make_fixtures.py and torch.
 * Where /usr/bin/python3 cannot import torch it says so once, and the tests that need a
 * missing fixture skip (test/fixtures.ts: describeWithFixture, itWithFixture).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { GENERATE_COMMAND, GENERATED_DIR } from './fixtures.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./fixtures/make_fixtures.py', import.meta.url));
const STAMP = `${GENERATED_DIR}stamp.json`;

interface Stamp {
  /** Every generated fixture's name, as the script that wrote the stamp lists them. */
  generated?: string[];
  /** Per fixture written: the make_fixtures.py and torch that made it. */
  fixtures?: Record<string, { source_sha256: string; torch: string }>;
}

function readStamp(): Stamp {
  return existsSync(STAMP) ? (JSON.parse(readFileSync(STAMP, 'utf8')) as Stamp) : {};
}

/** The generated fixtures not made by this make_fixtures.py and torch (all of them if unknown). */
function staleFixtures(stamp: Stamp, torch: string | undefined): string[] | 'unknown' {
  if (stamp.generated === undefined) return 'unknown';
  const source = createHash('sha256').update(readFileSync(SCRIPT)).digest('hex');
  return stamp.generated.filter((name) => {
    const madeBy = stamp.fixtures?.[name];
    return !existsSync(`${GENERATED_DIR}${name}.safetensors`) || madeBy?.source_sha256 !== source ||
      (torch !== undefined && madeBy.torch !== torch);
  });
}

export default function setup(): void {
  const probe = spawnSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    const stale = staleFixtures(readStamp(), undefined);
    const which = stale === 'unknown' ? 'the large fixtures (test/fixtures/generated/) are not there'
      : stale.length === 0 ? 'the large fixtures in test/fixtures/generated/ are there and used as they are'
      : `${stale.length} large fixtures are missing or out of date (${stale.join(', ')})`;
    console.warn(`[fixtures] ${PYTHON} cannot import torch (apt-get install python3-torch), so \`${GENERATE_COMMAND}\` ` +
      `cannot run: ${which}; tests that need an absent fixture are skipped.`);
    return;
  }
  const stale = staleFixtures(readStamp(), probe.stdout.trim());
  if (stale !== 'unknown' && stale.length === 0) return;
  console.warn(`[fixtures] making the large PyTorch fixtures: ${GENERATE_COMMAND}`);
  const run = spawnSync(PYTHON, [SCRIPT, '--generated'], { stdio: 'inherit' });
  if (run.status !== 0) {
    throw new Error(`[fixtures] \`${GENERATE_COMMAND}\` failed (exit ${run.status ?? run.signal}); see its output above`);
  }
}
