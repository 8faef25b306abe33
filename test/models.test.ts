/**
 * Every registry model against its PyTorch definition (test/fixtures/make_fixtures.py): the same
 * state-dict keys, shapes and parameter count; PyTorch's state dict loads and gives PyTorch's
 * eval-mode logits; ours loads into PyTorch with load_state_dict(strict=True). And se_resnet20
 * at batch 4: logits, loss, every gradient, and the state after one Adam and one SGD step.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Adam, Engine, MODELS, SGD, createModel, modelEntry, type StateValue } from '../src/index.js';
import { crossEntropy } from '../src/autograd/functional.js';
import { stateDictToBytes } from '../src/train/checkpoint.js';
import { serializeSafetensors } from '../src/train/safetensors.js';
import { Fixture, describeWithFixture, itWithFixture } from './fixtures.js';
import { relativeError } from './helpers.js';

const TOL = 1e-3;

let engine: Engine;
beforeAll(async () => {
  engine = await Engine.create({ threads: 2, variant: 'simd-threads' });
});
afterAll(() => engine.close());

describe('the registry', () => {
  it('names every model; an unknown name lists them and suggests the nearest', () => {
    expect(MODELS.map((m) => m.name)).toEqual([
      'senet', 'fast_senet', 'se_resnet20', 'se_resnet32', 'se_resnet56', 'se_resnet110', 'resnet20', 'resnet32', 'resnet56', 'resnet110',
    ]);
    expect(() => modelEntry('se_resnet21')).toThrow("unknown model 'se_resnet21' (did you mean 'se_resnet20'?); the models are: senet, fast_senet, se_resnet20");
  });

  it.each(MODELS.map((m) => [m.name]))('%s has the parameter count it declares', (name) => {
    const model = createModel(engine, name);
    expect(model.parameters.count).toBe(modelEntry(name).parameters);
    model.free();
  });
});

for (const entry of MODELS) {
  itWithFixture(`model_${entry.name}`, `${entry.name}: PyTorch's state dict loads (same keys, shapes and count) and gives its eval logits`, (fixture) => {
    const model = createModel(engine, entry.name);
    const state = fixture.state('state.');
    expect([...model.stateDict().keys()].sort()).toEqual([...state.keys()].sort());
    expect(model.parameters.count).toBe(fixture.meta<number>('parameters'));
    model.loadStateDict(state);
    model.eval();
    const input = fixture.f32('input');
    const logits = engine.noGrad(() => engine.scope(() => model.call(engine.tensor(input.shape, input.data)).toArray()));
    expect(relativeError(logits, fixture.f32('logits').data)).toBeLessThan(TOL);
    model.free();
  });
}

const PYTHON = '/usr/bin/python3';
const hasTorch = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
if (!hasTorch) console.warn(`models.test.ts: the PyTorch round trips are skipped: ${PYTHON} cannot import torch (apt-get install python3-torch)`);

describe.skipIf(!hasTorch)('our state dicts in PyTorch', () => {
  it.each(MODELS.filter((m) => m.name !== 'senet').map((m) => [m.name]))('%s loads strictly and gives our eval logits', (name) => {
    const model = createModel(engine, name, { seed: 4 });
    // A few training steps, so running statistics and num_batches_tracked are not the defaults.
    const optimizer = new SGD(model.parameters, { lr: 0.05, momentum: 0.9 });
    const images = Float32Array.from({ length: 8 * 3 * 32 * 32 }, (_, i) => ((i * 7919) % 251) / 251);
    for (let step = 0; step < 2; step++) {
      engine.scope(() => {
        model.zeroGrad();
        crossEntropy(engine, model.call(engine.tensor([8, 3, 32, 32], images)), engine.indices([8], [0, 1, 2, 3, 4, 5, 6, 7])).backward();
        optimizer.step();
      });
    }
    model.eval();
    const input = images.subarray(0, 2 * 3 * 32 * 32);
    const logits = engine.noGrad(() => engine.scope(() => model.call(engine.tensor([2, 3, 32, 32], input)).toArray()));
    const dir = mkdtempSync(join(tmpdir(), 'senet-torch-'));
    writeFileSync(join(dir, 'state.safetensors'), stateDictToBytes(model.stateDict()));
    writeFileSync(join(dir, 'io.safetensors'), serializeSafetensors({
      input: { dtype: 'F32', shape: [2, 3, 32, 32], data: input },
      logits: { dtype: 'F32', shape: [2, 10], data: logits },
    }));
    optimizer.free();
    model.free();
    const script = fileURLToPath(new URL('./fixtures/load_in_pytorch.py', import.meta.url));
    const run = spawnSync(PYTHON, [script, '--model', name, join(dir, 'state.safetensors'), join(dir, 'io.safetensors')], { encoding: 'utf8', timeout: 120_000 });
    expect(run.status, run.stderr).toBe(0);
    const { max_abs_diff: diff, max_abs_logit: scale } = JSON.parse(run.stdout);
    expect(diff).toBeLessThan(1e-4 * Math.max(1, scale));
  });
});

describeWithFixture('se_resnet20_b4', 'se_resnet20 at batch 4 matches PyTorch', (fixture) => {
  /** Loads the fixture's start state, runs one train-mode forward and backward, then `step`. */
  function trainingStep(makeOptimizer: (model: ReturnType<typeof createModel>) => Adam | SGD) {
    const f = fixture();
    const model = createModel(engine, 'se_resnet20');
    model.loadStateDict(f.state());
    const optimizer = makeOptimizer(model);
    const input = f.f32('input');
    const result = engine.scope(() => {
      model.zeroGrad();
      const logits = model.call(engine.tensor(input.shape, input.data));
      const loss = crossEntropy(engine, logits, engine.indices([input.shape[0]!], f.i64('labels').data));
      const values = { logits: logits.toArray(), loss: loss.item() };
      loss.backward();
      optimizer.step();
      return values;
    });
    const grads = new Map(model.namedParameters().map(([name, p]) => [name, p.grad.toArray()]));
    const after = model.stateDict();
    optimizer.free();
    model.free();
    return { ...result, grads, after };
  }

  /**
   * Adam's first step is `lr * g / (|g| + eps)`, about +-lr whatever |g|: where PyTorch's gradient
   * is within float noise of zero (|g| < 1e-4 of its tensor's largest) the sign of the step is
   * undetermined, so there the parameter need only stay within 2 lr of PyTorch's.
   */
  function expectAfter(after: Map<string, StateValue>, prefix: string, lr?: number): void {
    const f = fixture();
    const want = f.state(prefix);
    expect([...after.keys()].sort()).toEqual([...want.keys()].sort());
    for (const [key, value] of after) {
      const expected = want.get(key)!;
      if (value.dtype === 'I64') {
        expect(value.data[0], key).toBe((expected.data as BigInt64Array)[0]);
        continue;
      }
      const got = Float32Array.from(value.data as Float32Array);
      const grad = lr !== undefined && f.file.tensors.has(`grad.${key}`) ? f.f32(`grad.${key}`).data : undefined;
      if (grad) {
        const largest = grad.reduce((m, g) => Math.max(m, Math.abs(g)), 0);
        grad.forEach((g, i) => {
          if (Math.abs(g) >= 1e-4 * largest) return;
          expect(Math.abs(got[i]! - (expected.data as Float32Array)[i]!), `${prefix}${key}[${i}]`).toBeLessThanOrEqual(2 * lr!);
          got[i] = (expected.data as Float32Array)[i]!;
        });
      }
      expect(relativeError(got, expected.data as Float32Array), `${prefix}${key}`).toBeLessThan(TOL);
    }
  }

  it('logits, loss, every gradient, and the state after one Adam step', () => {
    const step = trainingStep((model) => new Adam(model.parameters, { lr: 1e-3 }));
    const f = fixture();
    expect(relativeError(step.logits, f.f32('logits').data), 'logits').toBeLessThan(TOL);
    expect(Math.abs(step.loss - f.f32('loss').data[0]!)).toBeLessThan(TOL * f.f32('loss').data[0]!);
    for (const [name, grad] of step.grads) expect(relativeError(grad, f.f32(`grad.${name}`).data), `grad.${name}`).toBeLessThan(TOL);
    expectAfter(step.after, 'after.', 1e-3);
  });

  it('the state after one SGD step (momentum 0.9, Nesterov, weight decay 5e-4)', () => {
    const step = trainingStep((model) => new SGD(model.parameters, { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 5e-4 }));
    expectAfter(step.after, 'after_sgd.');
  });
});

describe('fast_senet', () => {
  it('has 297,024 trainable parameters: the whitening conv and the BatchNorm weights are frozen', () => {
    const model = createModel(engine, 'fast_senet');
    expect(model.parameters.trainableCount).toBe(297_024);
    const frozen = model.namedParameters().filter(([, p]) => !p.requiresGrad).map(([name]) => name);
    expect(frozen).toEqual(['whiten.weight', 'whiten.bias', ...[1, 2, 3].flatMap((g) => [`g${g}.norm1.weight`, `g${g}.norm2.weight`])]);
    model.free();
  });

  it('starts with every conv2 the identity and the first C_in filters of every conv1 too (nn.init.dirac_)', () => {
    const model = createModel(engine, 'fast_senet', { seed: 3 });
    const state = model.stateDict();
    for (const key of ['g1.conv1.weight', 'g1.conv2.weight', 'g2.conv1.weight', 'g3.conv2.weight']) {
      const { shape, data } = state.get(key)! as { shape: number[]; data: Float32Array };
      const [out, cin] = shape as [number, number];
      for (let o = 0; o < cin; o++) {
        for (let i = 0; i < cin * 9; i++) expect(data[o * cin * 9 + i], `${key}[${o}]`).toBe(i === o * 9 + 4 ? 1 : 0);
      }
      // The other filters keep PyTorch's default init: uniform in +-1/sqrt(fan_in), not zero.
      const rest = data.subarray(cin * cin * 9);
      expect(rest.length).toBe((out - cin) * cin * 9);
      if (rest.length) expect(Math.max(...rest.map(Math.abs))).toBeGreaterThan(0.5 / Math.sqrt(cin * 9));
    }
    model.free();
  });

  it('takes widths (other models refuse them)', () => {
    const model = createModel(engine, 'fast_senet', { widths: [16, 32, 64] });
    expect(model.stateDict().get('head.weight')!.shape).toEqual([10, 64]);
    expect(model.stateDict().get('g2.se.fc1.weight')!.shape).toEqual([2, 32, 1, 1]);
    model.free();
    expect(() => createModel(engine, 'se_resnet20', { widths: [1, 2, 3] })).toThrow("model 'se_resnet20' takes no widths option (the models that do: fast_senet)");
    expect(() => createModel(engine, 'fast_senet', { widths: [16, 32] })).toThrow('fast_senet: widths must be three positive integers, got [16, 32]');
  });
});
