import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine, OpError, matmul, type VariantName } from '../src/index.js';
import { maxRelativeError, randomArray, referenceMatmul } from './helpers.js';

const SIZES = [1, 7, 33, 257];
const SHAPES: [number, number, number][] = [
  ...SIZES.map((s): [number, number, number] => [s, s, s]),
  [7, 33, 257], [257, 7, 33], [33, 257, 1], [130, 13, 300], [5, 1600, 3], [1, 1000, 9],
];
const TRANSPOSES = [[false, false], [true, false], [false, true], [true, true]] as const;

const CASES: { variant: VariantName; threads: number }[] = [
  { variant: 'simd-threads', threads: 1 },
  { variant: 'simd-threads', threads: 2 },
  { variant: 'relaxed-threads', threads: 1 },
  { variant: 'relaxed-threads', threads: 2 },
  { variant: 'simd', threads: 1 },
];

describe.each(CASES)('matmul on $variant with $threads thread(s)', ({ variant, threads }) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await Engine.create({ variant, threads });
  });
  afterAll(async () => {
    expect(await engine.close()).toBe(0); // every pool worker exited by itself
  });

  it('runs on the requested build and thread count', () => {
    expect(engine.variant.name).toBe(variant);
    expect(engine.threads).toBe(threads);
    expect(engine.kernels.simd_flavour()).toBe(engine.variant.relaxedSimd ? 'relaxed-simd' : 'simd');
  });

  it.each(SHAPES)('matches a float64 reference for m=%i n=%i k=%i, every transpose', (m, n, k) => {
    for (const [transA, transB] of TRANSPOSES) {
      const a = randomArray(m * k, m + 3 * n + 7 * k);
      const b = randomArray(k * n, 11 * m + n + k);
      const ta = engine.tensor(transA ? [k, m] : [m, k], a);
      const tb = engine.tensor(transB ? [n, k] : [k, n], b);
      const out = matmul(engine, ta, tb, { transA, transB });
      expect(out.shape).toEqual([m, n]);
      const err = maxRelativeError(out.toArray(), referenceMatmul(a, b, m, n, k, transA, transB));
      expect(err, `transA=${transA} transB=${transB}`).toBeLessThan(1e-5 * Math.sqrt(k) + 1e-6);
      for (const t of [ta, tb, out]) t.free();
    }
  });

  it('accumulates into out when asked, and overwrites otherwise', () => {
    const [m, n, k] = [9, 14, 300];
    const a = randomArray(m * k, 1), b = randomArray(k * n, 2), c0 = randomArray(m * n, 3);
    const ta = engine.tensor([m, k], a), tb = engine.tensor([k, n], b), out = engine.tensor([m, n], c0);
    matmul(engine, ta, tb, { out, accumulate: true });
    const product = referenceMatmul(a, b, m, n, k, false, false);
    expect(maxRelativeError(out.toArray(), product.map((v, i) => v + c0[i]!))).toBeLessThan(1e-4);
    matmul(engine, ta, tb, { out });
    expect(maxRelativeError(out.toArray(), product)).toBeLessThan(1e-4);
    for (const t of [ta, tb, out]) t.free();
  });

  it('gives the same bits as a single thread', async () => {
    const [m, n, k] = [301, 95, 700];
    const a = randomArray(m * k, 5), b = randomArray(k * n, 6);
    const product = (e: Engine) => matmul(e, e.tensor([m, k], a), e.tensor([k, n], b)).toArray();
    const single = await Engine.create({ variant, threads: 1 });
    try {
      expect(product(engine)).toEqual(product(single));
    } finally {
      await single.close();
    }
  });
});

describe('matmul errors name the op and the shapes', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await Engine.create({ threads: 2 });
  });
  afterAll(() => engine.close());

  it('rejects mismatched inner dimensions', () => {
    const a = engine.tensor([2, 3]), b = engine.tensor([4, 5]);
    expect(() => matmul(engine, a, b)).toThrow(new OpError('matmul', 'inner dimensions differ: A is [2, 3], B is [4, 5]'));
    expect(() => matmul(engine, a, b, { transA: true })).toThrow('A^T is [3, 2], B is [4, 5]');
  });

  it('rejects a wrongly shaped or overlapping out, and accumulate without out', () => {
    const a = engine.tensor([2, 3]), b = engine.tensor([3, 2]);
    expect(() => matmul(engine, a, b, { out: engine.tensor([2, 3]) })).toThrow('matmul: out is [2, 3], expected [2, 2]');
    const square = engine.tensor([2, 2]);
    expect(() => matmul(engine, square, square, { out: square })).toThrow('matmul: out overlaps A');
    expect(() => matmul(engine, a, b, { accumulate: true })).toThrow('accumulate needs an out tensor');
  });

  it('rejects non-matrices, freed tensors and tensors of another engine', async () => {
    const v = engine.tensor([6]), b = engine.tensor([3, 2]);
    expect(() => matmul(engine, v, b)).toThrow('matmul: A must be 2-D, got [6]');
    const freed = engine.tensor([2, 3]);
    freed.free();
    expect(() => matmul(engine, freed, b)).toThrow('matmul: tensor [2, 3] was already freed');
    expect(() => freed.free()).toThrow('free: tensor [2, 3] was already freed');
    const other = await Engine.create({ threads: 1 });
    expect(() => matmul(engine, other.tensor([2, 3]), b)).toThrow('matmul: tensor [2, 3] belongs to another engine');
    await other.close();
  });

  it('rejects data of the wrong length and bad shapes', () => {
    expect(() => engine.tensor([2, 2], [1, 2, 3])).toThrow('set: tensor [2, 2] holds 4 values, got 3');
    expect(() => engine.tensor([2, -1])).toThrow('tensor: bad shape [2, -1]');
  });

  it('the kernel itself refuses storage too small for the shape', () => {
    const a = engine.tensor([2, 3]);
    const c = engine.tensor([2, 2]);
    // Bypass the TypeScript checks: claim A is 2x4.
    expect(() => engine.kernels.gemm(false, false, 2, 2, 4, a.addr, a.size, 4, a.addr, a.size, 2, c.addr, c.size, 2, false))
      .toThrow('gemm: A is stored as [2, 4] with leading dimension 4, which needs 8 elements, but has 6');
  });
});
