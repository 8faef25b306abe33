/** Max pooling with arg-max (PyTorch's indices) and adaptive average pooling to 1x1, NCHW. */
import type { Engine } from '../engine.js';
import { OpError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { buf, dims, expectShape, runKernel } from './checks.js';

export interface Pool2dOptions {
  kernel: number | [number, number];
  /** Default: the kernel size, as in PyTorch. */
  stride?: number | [number, number];
  padding?: number | [number, number];
}

type Geometry = [kh: number, kw: number, sh: number, sw: number, ph: number, pw: number];

function geometry(options: Pool2dOptions): Geometry {
  const pair = (v: number | [number, number]): [number, number] => (typeof v === 'number' ? [v, v] : v);
  const [kh, kw] = pair(options.kernel);
  const [sh, sw] = pair(options.stride ?? options.kernel);
  const [ph, pw] = pair(options.padding ?? 0);
  return [kh, kw, sh, sw, ph, pw];
}

/** Output size along one axis (floor mode): `(size + 2 * pad - kernel) / stride + 1`. */
function outSize(op: string, size: number, kernel: number, stride: number, pad: number): number {
  const out = Math.floor((size + 2 * pad - kernel) / stride) + 1;
  if (!(stride >= 1) || !(out >= 1)) throw new OpError(op, `input size ${size} is too small for kernel ${kernel}, stride ${stride}, padding ${pad}`);
  return out;
}

/** Output `[N, C, OH, OW]` and the arg-max of each window (u32, `h * W + w` in its plane). */
export function maxPool2dForward(engine: Engine, input: Tensor, options: Pool2dOptions): { output: Tensor; indices: Tensor<'u32'> } {
  const op = 'max_pool2d_forward';
  const [n, c, h, w] = dims(engine, op, 'input', input, 4) as [number, number, number, number];
  const g = geometry(options);
  const shape = [n, c, outSize(op, h, g[0], g[2], g[4]), outSize(op, w, g[1], g[3], g[5])];
  const output = engine.tensor(shape);
  const indices = engine.indices(shape);
  runKernel(op, () => engine.kernels.max_pool2d_forward(...buf(input), ...buf(output), ...buf(indices), n, c, h, w, ...g));
  return { output, indices };
}

/** Sends each output gradient to its window's arg-max. */
export function maxPool2dBackward(
  engine: Engine, gradOutput: Tensor, indices: Tensor<'u32'>, inputShape: readonly number[], options: Pool2dOptions,
): Tensor {
  const op = 'max_pool2d_backward';
  const [n, c, h, w] = inputShape as [number, number, number, number];
  const g = geometry(options);
  const shape = [n, c, outSize(op, h, g[0], g[2], g[4]), outSize(op, w, g[1], g[3], g[5])];
  expectShape(engine, op, 'grad_output', gradOutput, shape);
  expectShape(engine, op, 'indices', indices, shape, 'u32');
  const gradInput = engine.tensor(inputShape);
  runKernel(op, () => engine.kernels.max_pool2d_backward(...buf(gradOutput), ...buf(indices), ...buf(gradInput), n, c, h, w, ...g));
  return gradInput;
}

/** Mean of each plane: `[N, C, H, W]` -> `[N, C, 1, 1]`. */
export function adaptiveAvgPool2dForward(engine: Engine, input: Tensor): Tensor {
  const op = 'adaptive_avg_pool2d_forward';
  const [n, c, h, w] = dims(engine, op, 'input', input, 4) as [number, number, number, number];
  const output = engine.tensor([n, c, 1, 1]);
  runKernel(op, () => engine.kernels.adaptive_avg_pool2d_forward(...buf(input), ...buf(output), n, c, h, w));
  return output;
}

export function adaptiveAvgPool2dBackward(engine: Engine, gradOutput: Tensor, inputShape: readonly number[]): Tensor {
  const op = 'adaptive_avg_pool2d_backward';
  const [n, c, h, w] = inputShape as [number, number, number, number];
  expectShape(engine, op, 'grad_output', gradOutput, [n, c, 1, 1]);
  const gradInput = engine.tensor(inputShape);
  runKernel(op, () => engine.kernels.adaptive_avg_pool2d_backward(...buf(gradOutput), ...buf(gradInput), n, c, h, w));
  return gradInput;
}
