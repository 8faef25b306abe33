/** Shared helpers for the tests: seeded data and float64 references. */

/** Deterministic uniform [-1, 1) numbers (mulberry32). */
export function randomArray(length: number, seed: number): Float32Array {
  let state = seed >>> 0;
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) / 2 ** 31 - 1;
  }
  return out;
}

/** `op(A) · op(B)` in float64, with A stored [m, k] (or [k, m] when transA) and B [k, n] (or [n, k]). */
export function referenceMatmul(
  a: Float32Array, b: Float32Array, m: number, n: number, k: number, transA: boolean, transB: boolean,
): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++) {
        sum += a[transA ? p * m + i : i * k + p]! * b[transB ? j * k + p : p * n + j]!;
      }
      out[i * n + j] = sum;
    }
  }
  return out;
}

/** Largest |got - want| / (1 + |want|). */
export function maxRelativeError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  if (got.length !== want.length) throw new Error(`length ${got.length} != ${want.length}`);
  let worst = 0;
  for (let i = 0; i < got.length; i++) {
    const err = Math.abs(got[i]! - want[i]!) / (1 + Math.abs(want[i]!));
    if (!(err <= worst)) worst = Number.isNaN(err) ? Infinity : err;
  }
  return worst;
}

/**
 * Largest error of `got` against `want`, relative to each value's magnitude with a floor at the
 * tensor's mean magnitude (so near-zero entries of a tensor do not demand absolute precision).
 */
export function relativeError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  if (got.length !== want.length) throw new Error(`length ${got.length} != ${want.length}`);
  let scale = 0;
  for (let i = 0; i < want.length; i++) scale += Math.abs(want[i]!);
  scale = scale / Math.max(1, want.length) || 1;
  let worst = 0;
  for (let i = 0; i < got.length; i++) {
    const err = Math.abs(got[i]! - want[i]!) / (Math.abs(want[i]!) + scale);
    if (!(err <= worst)) worst = Number.isNaN(err) ? Infinity : err;
  }
  return worst;
}

/** `||got - want|| / ||want||` (Euclidean norms): a whole-tensor error, robust to a few outliers. */
export function normRelativeError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  if (got.length !== want.length) throw new Error(`length ${got.length} != ${want.length}`);
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < got.length; i++) {
    diff += (got[i]! - want[i]!) ** 2;
    norm += want[i]! ** 2;
  }
  return norm === 0 ? Math.sqrt(diff) : Math.sqrt(diff / norm);
}
