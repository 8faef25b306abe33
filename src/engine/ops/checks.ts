/** Shape checks shared by the ops: each failure names the op, the tensor and both shapes. */
import type { Engine } from '../engine.js';
import { OpError, formatShape } from '../errors.js';
import type { DType, Tensor } from '../tensor.js';

/** Checks that `tensor` is live, belongs to `engine`, has `dtype` and exactly `shape`. */
export function expectShape(
  engine: Engine, op: string, name: string, tensor: Tensor<DType>, shape: readonly number[], dtype: DType = 'f32',
): void {
  engine.check(op, tensor, dtype);
  if (tensor.shape.length !== shape.length || tensor.shape.some((d, i) => d !== shape[i])) {
    throw new OpError(op, `${name} is ${formatShape(tensor.shape)}, expected ${formatShape(shape)}`);
  }
}

/** Checks that `tensor` has `rank` dimensions and returns them. */
export function dims(engine: Engine, op: string, name: string, tensor: Tensor<DType>, rank: number, dtype: DType = 'f32'): number[] {
  engine.check(op, tensor, dtype);
  if (tensor.shape.length !== rank) {
    throw new OpError(op, `${name} must have ${rank} dimensions, got ${formatShape(tensor.shape)}`);
  }
  return [...tensor.shape];
}

/** Runs a kernel; its errors (already "op: detail") become OpErrors. */
export function runKernel<T>(op: string, kernel: () => T): T {
  try {
    return kernel();
  } catch (error) {
    if (error instanceof OpError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    const prefix = /^(\w+): /.exec(message);
    throw new OpError(prefix?.[1] ?? op, prefix ? message.slice(prefix[0].length) : message);
  }
}

/** The `(addr, len)` pair a kernel takes for a tensor (which must still be allocated). */
export function buf(tensor: Tensor<DType>): [number, number] {
  tensor.assertLive('kernel call');
  return [tensor.addr, tensor.size];
}

/** `(addr, len)` of an optional tensor: `(0, 0)` when absent. */
export function optionalBuf(tensor: Tensor<DType> | undefined | false): [number, number] {
  return tensor ? [tensor.addr, tensor.size] : [0, 0];
}

/** `into` (checked to be `shape`) or a new tensor of `shape`: where a pass writes a result. */
export function outputTensor(engine: Engine, op: string, name: string, into: Tensor | undefined, shape: readonly number[]): Tensor {
  if (into === undefined) return engine.tensor(shape);
  expectShape(engine, op, name, into, shape);
  return into;
}
