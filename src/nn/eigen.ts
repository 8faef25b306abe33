/**
 * Eigen-decomposition of a small real symmetric matrix by the cyclic Jacobi method, in float64:
 * sweeps of plane rotations, each zeroing one off-diagonal pair, until the off-diagonal part is
 * negligible against the whole matrix (at most 64 sweeps; a 12x12 matrix needs about 6). Made for
 * the whitening layer's 12x12 patch moments (torch.linalg.eigh's job there); it costs O(n^3) per
 * sweep, so it suits matrices of up to a few hundred rows.
 */

export interface SymmetricEigen {
  /** The eigenvalues, largest first. */
  values: Float64Array;
  /** Row `i` (`vectors[i * n .. i * n + n)`) is the unit eigenvector of `values[i]`; its sign is arbitrary. */
  vectors: Float64Array;
}

const MAX_SWEEPS = 64;

/** The eigenvalues and eigenvectors of the symmetric `n x n` matrix `matrix` (row-major; only its upper triangle is read). */
export function symmetricEigen(matrix: ArrayLike<number>, n: number): SymmetricEigen {
  if (!Number.isInteger(n) || n < 1 || matrix.length !== n * n) {
    throw new RangeError(`symmetricEigen: ${matrix.length} values is not an n x n matrix with n = ${n}`);
  }
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      const value = matrix[i * n + j]!;
      if (!Number.isFinite(value)) throw new RangeError(`symmetricEigen: entry (${i}, ${j}) is ${value}`);
      a[i * n + j] = a[j * n + i] = value;
    }
  }
  // v's columns become the eigenvectors: A = V D V^T.
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  const total = Math.sqrt(a.reduce((sum, x) => sum + x * x, 0));
  for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q]! ** 2;
    if (Math.sqrt(2 * off) <= 1e-15 * total) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) rotate(a, v, n, p, q);
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => a[j * n + j]! - a[i * n + i]!);
  const values = Float64Array.from(order, (i) => a[i * n + i]!);
  const vectors = new Float64Array(n * n);
  order.forEach((column, row) => {
    for (let k = 0; k < n; k++) vectors[row * n + k] = v[k * n + column]!;
  });
  return { values, vectors };
}

/** The Jacobi rotation in the (p, q) plane that zeroes a[p][q], applied to A (both sides) and to V (right). */
function rotate(a: Float64Array, v: Float64Array, n: number, p: number, q: number): void {
  const apq = a[p * n + q]!;
  if (apq === 0) return;
  const app = a[p * n + p]!;
  const aqq = a[q * n + q]!;
  // t = tan(theta), the smaller root of t^2 + 2 t cot(2 theta) - 1 = 0 (a rotation of at most 45 degrees).
  const theta = (aqq - app) / (2 * apq);
  const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
  const c = 1 / Math.sqrt(t * t + 1);
  const s = t * c;
  for (let k = 0; k < n; k++) {
    const akp = a[k * n + p]!;
    const akq = a[k * n + q]!;
    a[k * n + p] = c * akp - s * akq;
    a[k * n + q] = s * akp + c * akq;
  }
  for (let k = 0; k < n; k++) {
    const apk = a[p * n + k]!;
    const aqk = a[q * n + k]!;
    a[p * n + k] = c * apk - s * aqk;
    a[q * n + k] = s * apk + c * aqk;
  }
  a[p * n + q] = a[q * n + p] = 0;
  for (let k = 0; k < n; k++) {
    const vkp = v[k * n + p]!;
    const vkq = v[k * n + q]!;
    v[k * n + p] = c * vkp - s * vkq;
    v[k * n + q] = s * vkp + c * vkq;
  }
}
