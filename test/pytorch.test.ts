/**
 * Interchange with PyTorch in the other direction: a state dict senet-wasm writes (after some
 * training, so running statistics and num_batches_tracked are not the defaults) loads into the
 * reference PyTorch SENet with load_state_dict(strict=True) and gives our logits. Needs
 * Debian's python3-torch for /usr/bin/python3; skipped with a message where it is missing.
 * (PyTorch -> senet-wasm is covered by senet.test.ts, which loads PyTorch's state dict.)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Engine } from '../src/index.js';
import { DataLoader } from '../src/data/loader.js';
import { syntheticImages } from '../src/data/synthetic.js';
import { SENet } from '../src/nn/models/senet.js';
import { Adam } from '../src/optim/optimizers.js';
import { stateDictToBytes } from '../src/train/checkpoint.js';
import { fit } from '../src/train/fit.js';
import { serializeSafetensors } from '../src/train/safetensors.js';

const PYTHON = '/usr/bin/python3';
const hasTorch = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
if (!hasTorch) console.warn(`pytorch.test.ts skipped: ${PYTHON} cannot import torch (apt-get install python3-torch)`);

describe.skipIf(!hasTorch)('a senet-wasm state dict in PyTorch', () => {
  it('loads strictly and gives the same eval-mode logits', async () => {
    const engine = await Engine.create({ threads: 2 });
    const model = SENet.create(engine, { seed: 12 });
    await fit(engine, model, new Adam(model.parameters), new DataLoader(syntheticImages(64, 3), { batchSize: 32 }), { epochs: 1, lr: 1e-3 });
    model.eval();
    const batch = [...new DataLoader(syntheticImages(4, 4), { batchSize: 4 }).batches(0)][0]!;
    const logits = model.forward(engine.tensor(batch.shape, batch.images)).toArray();
    const dir = mkdtempSync(join(tmpdir(), 'senet-torch-'));
    writeFileSync(join(dir, 'state.safetensors'), stateDictToBytes(model.stateDict()));
    writeFileSync(join(dir, 'io.safetensors'), serializeSafetensors({
      input: { dtype: 'F32', shape: batch.shape, data: batch.images },
      logits: { dtype: 'F32', shape: [4, 10], data: logits },
    }));
    await engine.close();
    const script = fileURLToPath(new URL('./fixtures/load_in_pytorch.py', import.meta.url));
    const run = spawnSync(PYTHON, [script, join(dir, 'state.safetensors'), join(dir, 'io.safetensors')], { encoding: 'utf8', timeout: 120_000 });
    expect(run.status, run.stderr).toBe(0);
    const { max_abs_diff: diff, max_abs_logit: scale } = JSON.parse(run.stdout);
    expect(diff).toBeLessThan(1e-4 * Math.max(1, scale));
  });
});
