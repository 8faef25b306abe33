/**
 * The library pieces of the fast recipe (issue 14), each against PyTorch where PyTorch has the
 * same thing: the whitening init (and the Jacobi eigensolver under it), the piecewise-linear
 * schedule, SGD with per-group learning rates and decays, the alternating flip + reflect
 * translation, the lookahead and flip TTA.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataLoader, Engine, ImageDataset, Parameter, ParameterBuffer, SGD, createModel } from '../src/index.js';
import { learningRate, piecewiseLinear } from '../src/optim/schedules.js';
import { Lookahead, lookaheadDecay } from '../src/optim/lookahead.js';
import { evaluate, mirror } from '../src/train/step.js';
import { syntheticImages } from '../src/data/synthetic.js';
import { symmetricEigen } from '../src/nn/eigen.js';
import { initWhitening, patchSecondMoment, whiteningFilters } from '../src/nn/whitening.js';
import type { FastSENet } from '../src/nn/models/fast-senet.js';
import { describeWithFixture } from './fixtures.js';
import { maxRelativeError, randomArray } from './helpers.js';

let engine: Engine;
beforeAll(async () => {
  engine = await Engine.create({ threads: 2 });
});
afterAll(() => engine.close());

describe('symmetricEigen (Jacobi)', () => {
  it('decomposes a random symmetric matrix: A v = lambda v, orthonormal vectors, eigenvalues descending', () => {
    const n = 9;
    const r = randomArray(n * n, 5);
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a[i * n + j] = r[i * n + j]! + r[j * n + i]!;
    const { values, vectors } = symmetricEigen(a, n);
    for (let i = 1; i < n; i++) expect(values[i]!).toBeLessThanOrEqual(values[i - 1]!);
    for (let e = 0; e < n; e++) {
      const v = vectors.subarray(e * n, (e + 1) * n);
      for (let i = 0; i < n; i++) {
        let av = 0;
        for (let j = 0; j < n; j++) av += a[i * n + j]! * v[j]!;
        expect(Math.abs(av - values[e]! * v[i]!)).toBeLessThan(1e-12);
      }
      for (let f = 0; f < n; f++) {
        let dot = 0;
        for (let i = 0; i < n; i++) dot += v[i]! * vectors[f * n + i]!;
        expect(Math.abs(dot - (e === f ? 1 : 0))).toBeLessThan(1e-12);
      }
    }
  });

  it('refuses what is not a square matrix of finite numbers', () => {
    expect(() => symmetricEigen([1, 2, 3], 2)).toThrow('symmetricEigen: 3 values is not an n x n matrix with n = 2');
    expect(() => symmetricEigen([1, NaN, NaN, 1], 2)).toThrow('symmetricEigen: entry (0, 1) is NaN');
  });
});

describeWithFixture('whitening', 'the whitening init matches torch.linalg.eigh on PyTorch\'s patch moment', (fixture) => {
  const load = () => {
    const f = fixture();
    const images = f.file.tensors.get('images')!;
    const [n, c, h, w] = images.shape as [number, number, number, number];
    const set = new ImageDataset(images.data as Uint8Array, new Uint8Array(n), ['x'], h, w, c);
    return { f, set, normalize: { mean: f.meta<number[]>('mean'), std: f.meta<number[]>('std') } };
  };

  /** The largest difference of each filter from PyTorch's, after flipping it to PyTorch's sign (eigenvector signs are arbitrary). */
  const filterError = (filters: Float32Array, want: Float32Array) => {
    let worst = 0;
    for (let row = 0; row < 24; row++) {
      const got = filters.subarray(row * 12, (row + 1) * 12);
      const expected = want.subarray(row * 12, (row + 1) * 12);
      const sign = Math.sign(got.reduce((s, g, i) => s + g * expected[i]!, 0));
      worst = Math.max(worst, maxRelativeError(got.map((g) => g * sign), expected));
    }
    return worst;
  };

  it('the uncentred second moment of the 2x2x3 patches (float32 products, other chunks than PyTorch\'s)', () => {
    const { f, set, normalize } = load();
    const moment = patchSecondMoment(engine, set, [2, 2], { normalize });
    const want = f.file.tensors.get('moment')!.data as Float64Array;
    expect(maxRelativeError(moment, want)).toBeLessThan(3e-5);
  });

  it('the filters of PyTorch\'s moment: eigenvectors, largest eigenvalue first, scaled by 1/sqrt(eig + 5e-4), then their negatives', () => {
    const { f } = load();
    const filters = whiteningFilters(f.file.tensors.get('moment')!.data as Float64Array, 12, f.meta<number>('eps'));
    expect(filterError(filters, f.f32('weight').data)).toBeLessThan(1e-5);
    for (let row = 0; row < 12; row++) {
      for (let k = 0; k < 12; k++) expect(filters[(12 + row) * 12 + k]).toBe(-filters[row * 12 + k]!);
    }
  });

  it('initWhitening sets the conv weight from the images and keeps its bias', () => {
    const { f, set, normalize } = load();
    const model = createModel(engine, 'fast_senet') as FastSENet;
    const bias = model.whiten.bias!.value.toArray();
    const filters = initWhitening(engine, model.whiten, set, { normalize, eps: f.meta<number>('eps') });
    expect(model.whiten.weight.value.toArray()).toEqual(filters);
    expect(model.whiten.bias!.value.toArray()).toEqual(bias);
    // The moment's float32 rounding (3e-5 apart from PyTorch's) moves eigenvectors of close
    // eigenvalues by more.
    expect(filterError(filters, f.f32('weight').data)).toBeLessThan(1e-2);
    model.free();
  });

  it('refuses a conv that is not a whitening conv of the images', () => {
    const { set } = load();
    const model = createModel(engine, 'se_resnet20');
    const conv1 = model.children().find(([name]) => name === 'conv1')![1];
    expect(() => initWhitening(engine, conv1 as never, set)).toThrow(
      'initWhitening: a whitening conv of 3x3 patches of 3-channel images has weight [54, 3, 3, 3], got [16, 3, 3, 3]',
    );
    model.free();
  });
});

describe('piecewiseLinear (np.interp)', () => {
  it('interpolates between the knots and holds the end values outside them', () => {
    const [xs, ys] = [[0, 224, 975], [0.2, 1, 0.07]];
    expect(piecewiseLinear(0, xs, ys)).toBe(0.2);
    expect(piecewiseLinear(112, xs, ys)).toBeCloseTo(0.6, 12);
    expect(piecewiseLinear(224, xs, ys)).toBe(1);
    expect(piecewiseLinear(224 + (975 - 224) / 2, xs, ys)).toBeCloseTo(0.535, 12);
    expect(piecewiseLinear(975, xs, ys)).toBeCloseTo(0.07, 12);
    expect(piecewiseLinear(-3, xs, ys)).toBe(0.2);
    expect(piecewiseLinear(2000, xs, ys)).toBe(0.07);
    expect(() => piecewiseLinear(1, [0, 2, 1], [1, 2, 3])).toThrow('piecewiseLinear: the knots must increase, got 0, 2, 1');
  });

  it('is the triangle schedule: int(0.23 total) steps up from 0.2 lr to lr, then down to 0.07 lr at the last step', () => {
    const ctx = { lr: 2, stepsPerEpoch: 390, epochs: 2.5 };
    expect(learningRate('triangle', 0, ctx)).toBeCloseTo(0.4, 12);
    expect(learningRate('triangle', 224, ctx)).toBe(2);
    expect(learningRate('triangle', 975, ctx)).toBeCloseTo(0.14, 12);
    expect(learningRate('triangle', 100, ctx)).toBeCloseTo(2 * (0.2 + (0.8 * 100) / 224), 12);
  });
});

describeWithFixture('sgd_groups', 'SGD with per-group learning rates and coupled decays matches PyTorch under a schedule', (fixture) => {
  it('8 Nesterov steps of two groups (lr, 64 lr; weight_decay wd / each lr), LambdaLR(np.interp)', () => {
    const f = fixture();
    const [lr, lrB, wd] = [f.meta<number>('lr'), f.meta<number>('lr_b'), f.meta<number>('wd')];
    const [xs, ys] = [f.meta<number[]>('schedule_x'), f.meta<number[]>('schedule_y')];
    const a = new Parameter([37], f.f32('param_before.a').data);
    const b = new Parameter([11], f.f32('param_before.b').data);
    const buffer = ParameterBuffer.allocate(engine, [['a', a], ['b', b]]);
    const optimizer = new SGD(buffer, {
      lr, momentum: f.meta<number>('momentum'), nesterov: true, weightDecay: wd / lr,
      groups: [{ params: [b], lrScale: lrB / lr, weightDecay: wd / lrB }],
    });
    for (let step = 1; step <= f.meta<number>('steps'); step++) {
      optimizer.lr = lr * piecewiseLinear(step - 1, xs, ys);
      expect(optimizer.lr).toBeCloseTo(f.file.tensors.get(`lr_step${step}.a`)!.data[0] as number, 15);
      a.grad.set(f.f32(`grad_step${step}.a`).data);
      b.grad.set(f.f32(`grad_step${step}.b`).data);
      optimizer.step();
      expect(maxRelativeError(a.value.toArray(), f.f32(`param_after_step${step}.a`).data), `a after step ${step}`).toBeLessThan(1e-6);
      expect(maxRelativeError(b.value.toArray(), f.f32(`param_after_step${step}.b`).data), `b after step ${step}`).toBeLessThan(1e-6);
    }
    optimizer.free();
    buffer.free();
  });
});

describe('the flip-translate augmentation', () => {
  // 40 one-channel 6x7 images, every pixel of an image distinct: each output image has one placement.
  const [h, w, count] = [6, 7, 40];
  const images = new Uint8Array(count * h * w);
  for (let r = 0; r < count; r++) for (let i = 0; i < h * w; i++) images[r * h * w + i] = (i * 5 + r) % 256;
  const set = new ImageDataset(images, Uint8Array.from({ length: count }, (_, i) => i % 10), [...'0123456789'], h, w, 1);

  /** PyTorch's F.pad(row, (2, 2), 'reflect') of [0, 1, 2, 3, 4]: the edge pixel is not repeated. */
  it('reflects without repeating the edge, as PyTorch\'s reflect padding', () => {
    // Five equal rows, so that vertical shifts leave the rows alone.
    const line = new ImageDataset(Uint8Array.from({ length: 25 }, (_, i) => i % 5), Uint8Array.of(0), ['x'], 5, 5, 1);
    const seen = new Set<string>();
    for (let epoch = 0; epoch < 60; epoch++) {
      const loader = new DataLoader(line, { batchSize: 1, augment: 'flip-translate', seed: epoch });
      const [batch] = [...loader.batches(epoch)];
      const row = Array.from(batch!.images.subarray(0, 5), (v) => Math.round(v * 255));
      seen.add(row.join(''));
    }
    // F.pad(torch.arange(5.).view(1, 1, 1, 5), (2, 2, 0, 0), 'reflect') = [2, 1, 0, 1, 2, 3, 4, 3, 2]: every
    // 5-window of it (a shift of -2..2), and its mirror.
    const padded = [2, 1, 0, 1, 2, 3, 4, 3, 2];
    const windows = [0, 1, 2, 3, 4].map((start) => padded.slice(start, start + 5));
    const allowed = new Set([...windows, ...windows.map((row) => [...row].reverse())].map((row) => row.join('')));
    for (const row of seen) expect(allowed.has(row), row).toBe(true);
    expect(seen.size).toBeGreaterThanOrEqual(8);
  });

  /** The shift and flip that give `out` from record `r`, found by trying all 50. */
  function placementOf(out: Float32Array, r: number): { dy: number; dx: number; flip: boolean } {
    const reflect = (i: number, size: number) => (i < 0 ? -i : i >= size ? 2 * (size - 1) - i : i);
    const found = [];
    for (const flip of [false, true]) {
      for (let dy = -2; dy <= 2; dy++) {
        for (let dx = -2; dx <= 2; dx++) {
          let same = true;
          for (let y = 0; y < h && same; y++) {
            for (let x = 0; x < w && same; x++) {
              const [sy, sx] = [reflect(y + dy, h), reflect((flip ? w - 1 - x : x) + dx, w)];
              same = Math.round(out[y * w + x]! * 255) === images[r * h * w + sy * w + sx];
            }
          }
          if (same) found.push({ dy, dx, flip });
        }
      }
    }
    expect(found, `record ${r}`).toHaveLength(1);
    return found[0]!;
  }

  it('a flip mask fixed for the run, its complement in odd epochs; shifts in [-2, 2] per image and epoch; the last partial batch dropped', () => {
    const loader = new DataLoader(set, { batchSize: 16, shuffle: true, seed: 7, augment: 'flip-translate', dropLast: true });
    expect(loader.batchesPerEpoch).toBe(2);
    const shifts = new Set<string>();
    const flips: boolean[][] = [[], [], []];
    for (let epoch = 0; epoch < 3; epoch++) {
      const batches = [...loader.batches(epoch)];
      expect(batches.map((b) => b.size)).toEqual([16, 16]);
      for (const batch of batches) {
        batch.indices.forEach((r, n) => {
          const p = placementOf(batch.images.subarray(n * h * w, (n + 1) * h * w), r);
          expect(p.flip).toBe(loader.flipped(r, epoch));
          flips[epoch]![r] = p.flip;
          shifts.add(`${p.dy},${p.dx}`);
        });
      }
    }
    for (let r = 0; r < count; r++) {
      if (flips[0]![r] !== undefined && flips[1]![r] !== undefined) expect(flips[1]![r]).toBe(!flips[0]![r]);
      if (flips[0]![r] !== undefined && flips[2]![r] !== undefined) expect(flips[2]![r]).toBe(flips[0]![r]);
    }
    expect(shifts.size).toBeGreaterThan(15);
    const mask = Array.from({ length: count }, (_, r) => loader.flipped(r, 0));
    expect(mask.filter(Boolean).length).toBeGreaterThan(8);
    expect(mask.filter(Boolean).length).toBeLessThan(32);
    // The same seed gives the same mask and shifts; a resumed epoch (from batch 1) the same batch.
    const again = new DataLoader(set, { batchSize: 16, shuffle: true, seed: 7, augment: 'flip-translate', dropLast: true });
    expect([...again.batches(1, 1)][0]!.images).toEqual([...loader.batches(1)][1]!.images);
  });

  it('normalises after the placement', () => {
    const normalize = { mean: [0.5], std: [0.25] };
    const loader = new DataLoader(set, { batchSize: 40, augment: 'flip-translate', normalize });
    const plain = new DataLoader(set, { batchSize: 40, augment: 'flip-translate' });
    const [a, b] = [[...loader.batches(0)][0]!.images, [...plain.batches(0)][0]!.images];
    a.forEach((v, i) => expect(v).toBeCloseTo((b[i]! - 0.5) / 0.25, 5));
  });
});

describe('the lookahead', () => {
  it('moves every float state entry (frozen parameters and running statistics too) towards the model and gives the model the average', () => {
    const model = createModel(engine, 'fast_senet', { widths: [16, 16, 16] });
    const lookahead = new Lookahead(model);
    const start = model.stateDict();
    // Change every float entry and one counter.
    const changed = new Map(start);
    for (const [key, value] of start) {
      if (value.dtype === 'F32') changed.set(key, { ...value, data: value.data.map((v, i) => v + 1 + (i % 3)) });
      else changed.set(key, { ...value, data: BigInt64Array.of(7n) });
    }
    model.loadStateDict(changed);
    const decay = 0.25;
    lookahead.update(model, decay);
    const after = model.stateDict();
    for (const [key, value] of after) {
      if (value.dtype === 'I64') {
        expect(value.data[0], key).toBe(7n);
        continue;
      }
      const [s0, s1] = [start.get(key)!.data as Float32Array, changed.get(key)!.data as Float32Array];
      const want = s0.map((v, i) => v + (1 - decay) * (s1[i]! - v));
      expect(maxRelativeError(value.data as Float32Array, want), key).toBeLessThan(1e-6);
    }
    expect([...lookahead.stateDict().keys()]).toEqual([...after].filter(([, v]) => v.dtype === 'F32').map(([k]) => k));
    // Decay 1: the model goes back to the average, which does not move.
    model.loadStateDict(changed);
    lookahead.update(model, 1);
    for (const [key, value] of model.stateDict()) if (value.dtype === 'F32') expect(value.data, key).toEqual(after.get(key)!.data);
    // A saved average loads into another lookahead; one of another model is refused.
    const other = new Lookahead(model);
    other.loadStateDict(lookahead.stateDict());
    expect(other.stateDict()).toEqual(lookahead.stateDict());
    const bigger = createModel(engine, 'fast_senet');
    expect(() => new Lookahead(bigger).loadStateDict(lookahead.stateDict())).toThrow(/^lookahead state: whiten.weight holds 24 F32 values|^lookahead state: g1/);
    bigger.free();
    model.free();
  });

  it('updates every 5 steps with decay 0.95^5 (step / total)^3', () => {
    expect(lookaheadDecay(4, 975)).toBeUndefined();
    expect(lookaheadDecay(5, 975)).toBeCloseTo(0.95 ** 5 * (5 / 975) ** 3, 15);
    expect(lookaheadDecay(975, 975)).toBeCloseTo(0.95 ** 5, 15);
  });
});

describe('flip TTA in evaluate', () => {
  it('scores the mean of the logits of each image and its mirror, beside the plain scores', () => {
    const model = createModel(engine, 'fast_senet', { widths: [16, 16, 16], seed: 2 });
    const set = syntheticImages(40, 3);
    const loader = new DataLoader(set, { batchSize: 16 });
    const result = evaluate(engine, model, loader, { tta: true });
    model.eval();
    const [plain, both] = [new Tally(), new Tally()];
    for (const batch of loader.batches(0)) {
      const run = (images: Float32Array) => engine.noGrad(() => engine.scope(() => model.call(engine.tensor(batch.shape, images)).toArray()));
      const [a, b] = [run(batch.images), run(mirror(batch.images, batch.shape))];
      plain.add(a, batch.labels);
      both.add(a.map((v, i) => (v + b[i]!) / 2), batch.labels);
    }
    expect(result.accuracy).toBe(plain.accuracy());
    expect(result.tta!.accuracy).toBe(both.accuracy());
    expect(result.tta!.count).toBe(40);
    expect(result.tta!.confusion.flat().reduce((x, y) => x + y, 0)).toBe(40);
    expect(evaluate(engine, model, loader).tta).toBeUndefined();
    model.free();
  });

  it('mirror flips the last axis', () => {
    expect(Array.from(mirror(Float32Array.of(1, 2, 3, 4, 5, 6), [1, 1, 2, 3]))).toEqual([3, 2, 1, 6, 5, 4]);
  });
});

class Tally {
  private correct = 0;
  private count = 0;

  add(logits: Float32Array, labels: Uint32Array): void {
    const classes = logits.length / labels.length;
    labels.forEach((label, i) => {
      const row = Array.from(logits.subarray(i * classes, (i + 1) * classes));
      if (row.indexOf(Math.max(...row)) === label) this.correct++;
      this.count++;
    });
  }

  accuracy(): number {
    return this.correct / this.count;
  }
}
