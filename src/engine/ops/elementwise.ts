/**
 * Element-wise arithmetic on tensors of one shape: the residual join (`add`, the fused
 * `addRelu`), gradient accumulation (`addInto`) and `scale`. Backward passes: `add`'s gradient is
 * grad_output itself for both inputs; `addRelu`'s is `addReluBackward` (ReLU's backward on the
 * output), the same for both inputs; `scale`'s is `scale` of grad_output by the same factor.
 */
import type { Engine } from '../engine.js';
import { OpError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { buf, expectShape, runKernel } from './checks.js';

type Binary = 'add' | 'add_relu';

function binary(op: Binary, engine: Engine, a: Tensor, b: Tensor, inPlace: boolean): Tensor {
  engine.check(op, a);
  expectShape(engine, op, 'b', b, a.shape);
  if (inPlace && a === b) throw new OpError(op, 'in place needs two different tensors: a is b');
  const output = inPlace ? a : engine.tensor(a.shape);
  runKernel(op, () => engine.kernels[op](...buf(a), ...buf(b), ...buf(output)));
  return output;
}

/** `a + b` (same shape); with `inPlace` the sum is written over `a`, which is returned. */
export const add = (engine: Engine, a: Tensor, b: Tensor, inPlace = false): Tensor => binary('add', engine, a, b, inPlace);

/**
 * `max(a + b, 0)`, the residual join (same shape); with `inPlace` written over `a`, which is
 * returned. Its backward needs only the output: `addReluBackward`.
 */
export const addRelu = (engine: Engine, a: Tensor, b: Tensor, inPlace = false): Tensor =>
  binary('add_relu', engine, a, b, inPlace);

/** Gradient of `addRelu` for each of its two inputs (the same tensor), given its output. */
export function addReluBackward(engine: Engine, gradOutput: Tensor, output: Tensor): Tensor {
  const op = 'add_relu_backward';
  engine.check(op, output);
  expectShape(engine, op, 'grad_output', gradOutput, output.shape);
  const gradInput = engine.tensor(output.shape);
  // The same mask as ReLU's backward: grad_output where the output is > 0.
  runKernel(op, () => engine.kernels.relu_backward(...buf(gradOutput), ...buf(output), ...buf(gradInput)));
  return gradInput;
}

/** `dst += src` (same shape, different tensors), how gradients accumulate; returns `dst`. */
export function addInto(engine: Engine, dst: Tensor, src: Tensor): Tensor {
  const op = 'add_into';
  engine.check(op, dst);
  expectShape(engine, op, 'src', src, dst.shape);
  if (dst === src) throw new OpError(op, 'src must not be dst');
  runKernel(op, () => engine.kernels.add_into(...buf(dst), ...buf(src)));
  return dst;
}

/** `input * factor`; with `inPlace` the input is overwritten and returned. */
export function scale(engine: Engine, input: Tensor, factor: number, inPlace = false): Tensor {
  const op = 'scale';
  engine.check(op, input);
  if (typeof factor !== 'number') throw new OpError(op, `factor must be a number, got ${typeof factor}`);
  const output = inPlace ? input : engine.tensor(input.shape);
  runKernel(op, () => engine.kernels.scale(...buf(input), ...buf(output), factor));
  return output;
}
