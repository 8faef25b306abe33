/** Operations on tensors, each a thin checked call into one kernel. */
import type { Engine } from '../engine.js';
import { OpError, formatShape } from '../errors.js';
import type { Tensor } from '../tensor.js';

export interface MatmulOptions {
  /** Use A transposed (A is stored as [k, m]). */
  transA?: boolean;
  /** Use B transposed (B is stored as [n, k]). */
  transB?: boolean;
  /** Write into this [m, n] tensor instead of a new one. */
  out?: Tensor;
  /** Add the product to `out` instead of overwriting it. */
  accumulate?: boolean;
}

/** `op(A) · op(B)` for 2-D tensors, where op transposes when asked. */
export function matmul(engine: Engine, a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
  const { transA = false, transB = false, accumulate = false } = options;
  for (const t of [a, b]) engine.check('matmul', t);
  const [m, k] = matrixShape('A', a, transA);
  const [kb, n] = matrixShape('B', b, transB);
  if (k !== kb) {
    throw new OpError(
      'matmul',
      `inner dimensions differ: A${transA ? '^T' : ''} is ${formatShape([m, k])}, B${transB ? '^T' : ''} is ${formatShape([kb, n])}`,
    );
  }
  let out = options.out;
  if (out === undefined) {
    if (accumulate) throw new OpError('matmul', 'accumulate needs an out tensor');
    out = engine.tensor([m, n]);
  } else {
    engine.check('matmul', out);
    if (out.shape.length !== 2 || out.shape[0] !== m || out.shape[1] !== n) {
      throw new OpError('matmul', `out is ${formatShape(out.shape)}, expected ${formatShape([m, n])}`);
    }
    for (const [name, t] of [['A', a], ['B', b]] as const) {
      if (overlaps(out, t)) throw new OpError('matmul', `out overlaps ${name}; write the product to another tensor`);
    }
  }
  engine.kernels.gemm(
    transA, transB, m, n, k,
    a.addr, a.size, a.shape[1]!,
    b.addr, b.size, b.shape[1]!,
    out.addr, out.size, n,
    accumulate,
  );
  return out;
}

function matrixShape(name: string, t: Tensor, transposed: boolean): [number, number] {
  if (t.shape.length !== 2) throw new OpError('matmul', `${name} must be 2-D, got ${formatShape(t.shape)}`);
  const [rows, cols] = t.shape as [number, number];
  return transposed ? [cols, rows] : [rows, cols];
}

function overlaps(x: Tensor, y: Tensor): boolean {
  return x.size > 0 && y.size > 0 && x.addr < y.addr + 4 * y.size && y.addr < x.addr + 4 * x.size;
}
