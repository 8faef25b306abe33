/**
 * The benchmark children keep working as the library changes (they are not run otherwise): the
 * senet-wasm child (bench/compare/senet-wasm.ts, which bench:compare and bench:ab run) and the
 * PyTorch one each time one training step and one inference of a registry model at a tiny batch,
 * and print a result line for that model. No timing is checked.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { loadCheckout } from '../bench/compare/checkout.js';
import { MARKER, type ChildResult } from '../bench/compare/protocol.js';
import { senetWasmCommand } from '../bench/compare/spawn.js';
import { modelEntry } from '../src/index.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PYTHON = '/usr/bin/python3';
const TINY = ['--batch', '2', '--warmup', '0', '--repeats', '1', '--steps', '1', '--warmup1', '0', '--sample-seconds', '0'];

function run(file: string, args: string[]): ChildResult {
  const child = spawnSync(file, args, { cwd: ROOT, encoding: 'utf8' });
  const line = child.stdout.split('\n').find((l) => l.startsWith(MARKER));
  if (child.status !== 0 || line === undefined) throw new Error(`${args.join(' ')}: exit ${child.status}\n${child.stderr}`);
  return JSON.parse(line.slice(MARKER.length)) as ChildResult;
}

const senetWasm = (args: string[]) => run(...senetWasmCommand([...args, ...TINY]));

describe('bench/compare/senet-wasm.ts', () => {
  test('trains se_resnet20 one step with this checkout\'s trainStep', () => {
    const result = senetWasm(['--model', 'se_resnet20', '--task', 'train', '--threads', '1', '--variant', 'simd-threads']);
    expect(result).toMatchObject({ framework: 'senet-wasm', model: 'se_resnet20', task: 'train', actualThreads: 1 });
    expect(result.parameters).toBe(modelEntry('se_resnet20').parameters);
    expect(result.info).toMatchObject({ api: 'autograd', build: 'simd-threads', checkout: ROOT.replace(/\/$/, '') });
    expect(Number.isFinite(result.info.lastLoss)).toBe(true);
    expect(result.train!.batch).toBe(2);
  });

  test('runs inference of the seed senet at the batch size and at batch 1', () => {
    const result = senetWasm(['--task', 'infer', '--threads', '2', '--variant', 'relaxed-threads']);
    expect(result).toMatchObject({ model: 'senet', task: 'infer', actualThreads: 2, parameters: modelEntry('senet').parameters });
    expect(result.infer!.batch).toBe(2);
    expect(result.infer1!.batch).toBe(1);
  });

  test('an unknown model fails naming the nearest', () => {
    expect(() => senetWasm(['--model', 'se_resnet21', '--task', 'infer', '--threads', '1', '--variant', 'simd-threads'])).toThrow(
      /unknown model 'se_resnet21' \(did you mean 'se_resnet20'\?\)/,
    );
  });
});

test('loadCheckout refuses a directory that is not a checkout', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'senet-not-a-checkout-'));
  try {
    await expect(loadCheckout(dir)).rejects.toThrow(`${dir}: no src/index.ts; is it a senet-wasm checkout?`);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

const hasTorch = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
if (!hasTorch) console.warn(`bench.test.ts: the PyTorch child is skipped: ${PYTHON} cannot import torch (apt-get install python3-torch)`);

describe.skipIf(!hasTorch)('bench/compare/pytorch.py', () => {
  test.each(['train', 'infer'])('%s: se_resnet56 from make_fixtures.create_model', (task) => {
    const result = run(PYTHON, ['bench/compare/pytorch.py', '--model', 'se_resnet56', '--task', task, '--threads', '1', ...TINY]);
    expect(result).toMatchObject({ framework: 'pytorch', model: 'se_resnet56', task, parameters: modelEntry('se_resnet56').parameters });
    expect(result[task === 'train' ? 'train' : 'infer']!.batch).toBe(2);
  });
});

const CIFAR = '/work/shared/data/cifar-10-batches-bin';
const hasCifar = existsSync(join(CIFAR, 'test_batch.bin'));
if (hasTorch && !hasCifar) console.warn(`bench.test.ts: bench/recipe/fast_pytorch.py is skipped: no CIFAR-10 at ${CIFAR}`);

describe.skipIf(!hasTorch || !hasCifar)('bench/recipe/fast_pytorch.py', () => {
  test('runs the fast recipe on 256 images: an evaluation point per epoch and at the end', () => {
    const child = spawnSync(PYTHON, ['bench/recipe/fast_pytorch.py', '--data', CIFAR, '--limit', '256', '--epochs', '1.5'], { cwd: ROOT, encoding: 'utf8' });
    expect(child.status, child.stderr).toBe(0);
    const points = child.stdout.split('\n').filter((l) => l.startsWith('RESULT ')).map((l) => JSON.parse(l.slice(7)));
    expect(points.map((p) => [p.epoch, p.step, p.images])).toEqual([[1, 2, 256], [1.5, 3, 384]]);
    for (const p of points) {
      expect(p.accuracy).toBeGreaterThanOrEqual(0);
      expect(p.tta).toBeLessThanOrEqual(1);
    }
    expect(child.stdout).toMatch(/^DONE \{"seconds": [\d.]+, "images": 384\}$/m);
  });
});
