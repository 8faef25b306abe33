/**
 * conv2d over NCHW input with PyTorch's `[out, in, kh, kw]` weights: forward and the three
 * gradients. Every pass overwrites its output.
 */
import type { Engine } from '../engine.js';
import { OpError, formatShape } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { buf, dims, expectShape, optionalBuf, outputTensor, runKernel } from './checks.js';

export interface Conv2dOptions {
  stride?: number | [number, number];
  padding?: number | [number, number];
}

type Pair = [number, number];
const pair = (v: number | Pair | undefined, fallback: number): Pair => (v === undefined ? [fallback, fallback] : typeof v === 'number' ? [v, v] : v);

/** The kernel's shape arguments: batch, in_channels, height, width, out_channels, kh, kw, sh, sw, ph, pw. */
type ConvArgs = [number, number, number, number, number, number, number, number, number, number, number];

interface ConvGeometry {
  args: ConvArgs;
  outputShape: number[];
}

function geometry(engine: Engine, op: string, inputShape: readonly number[], weight: Tensor, options: Conv2dOptions): ConvGeometry {
  if (inputShape.length !== 4) throw new OpError(op, `input must have 4 dimensions, got ${formatShape(inputShape)}`);
  const [n, c, h, w] = inputShape as [number, number, number, number];
  const [o, wc, kh, kw] = dims(engine, op, 'weight', weight, 4) as [number, number, number, number];
  if (wc !== c) {
    throw new OpError(op, `weight ${formatShape(weight.shape)} expects ${wc} input channels, input ${formatShape(inputShape)} has ${c}`);
  }
  const [sh, sw] = pair(options.stride, 1);
  const [ph, pw] = pair(options.padding, 0);
  if (!(sh >= 1 && sw >= 1)) throw new OpError(op, `stride must be at least 1, got ${sh}x${sw}`);
  const outH = Math.floor((h + 2 * ph - kh) / sh) + 1;
  const outW = Math.floor((w + 2 * pw - kw) / sw) + 1;
  if (!(outH >= 1 && outW >= 1)) {
    throw new OpError(op, `input ${formatShape(inputShape)} is smaller than the kernel ${kh}x${kw} with padding ${ph}x${pw}`);
  }
  return { args: [n, c, h, w, o, kh, kw, sh, sw, ph, pw], outputShape: [n, o, outH, outW] };
}

/** input `[N, C, H, W]`, weight `[O, C, kh, kw]`, bias `[O]` (optional) -> `[N, O, OH, OW]`. */
export function conv2dForward(engine: Engine, input: Tensor, weight: Tensor, bias: Tensor | undefined, options: Conv2dOptions = {}): Tensor {
  const op = 'conv2d_forward';
  engine.check(op, input);
  const { args, outputShape } = geometry(engine, op, input.shape, weight, options);
  if (bias) expectShape(engine, op, 'bias', bias, [args[4]]);
  const output = engine.tensor(outputShape);
  runKernel(op, () => engine.kernels.conv2d_forward(...buf(input), ...buf(weight), ...optionalBuf(bias), ...buf(output), ...args));
  return output;
}

export interface Conv2dGrads {
  gradInput: Tensor;
  gradWeight: Tensor;
  gradBias?: Tensor;
}

/** Gradient with respect to the input `[N, C, H, W]`, given grad_output `[N, O, OH, OW]`. */
export function conv2dGradInput(engine: Engine, gradOutput: Tensor, inputShape: readonly number[], weight: Tensor, options: Conv2dOptions = {}): Tensor {
  const op = 'conv2d_grad_input';
  const { args, outputShape } = geometry(engine, op, inputShape, weight, options);
  expectShape(engine, op, 'grad_output', gradOutput, outputShape);
  const gradInput = engine.tensor(inputShape);
  runKernel(op, () => engine.kernels.conv2d_grad_input(...buf(gradOutput), ...buf(weight), ...buf(gradInput), ...args));
  return gradInput;
}

/** Gradient with respect to the weight, written into `into` when given. */
export function conv2dGradWeight(
  engine: Engine, gradOutput: Tensor, input: Tensor, weight: Tensor, options: Conv2dOptions = {}, into?: Tensor,
): Tensor {
  const op = 'conv2d_grad_weight';
  engine.check(op, input);
  const { args, outputShape } = geometry(engine, op, input.shape, weight, options);
  expectShape(engine, op, 'grad_output', gradOutput, outputShape);
  const gradWeight = outputTensor(engine, op, 'grad_weight', into, weight.shape);
  runKernel(op, () => engine.kernels.conv2d_grad_weight(...buf(input), ...buf(gradOutput), ...buf(gradWeight), ...args));
  return gradWeight;
}

/** Gradient with respect to the bias `[O]`: grad_output summed over batch and pixels. */
export function conv2dGradBias(engine: Engine, gradOutput: Tensor, into?: Tensor): Tensor {
  const op = 'conv2d_grad_bias';
  const [n, o, oh, ow] = dims(engine, op, 'grad_output', gradOutput, 4) as [number, number, number, number];
  const gradBias = outputTensor(engine, op, 'grad_bias', into, [o]);
  runKernel(op, () => engine.kernels.conv2d_grad_bias(...buf(gradOutput), ...buf(gradBias), n, o, oh, ow));
  return gradBias;
}

/**
 * All gradients of `conv2dForward` given grad_output `[N, O, OH, OW]`. Parameter gradients are
 * written into `into` when given, else into new tensors.
 */
export function conv2dBackward(
  engine: Engine, gradOutput: Tensor, input: Tensor, weight: Tensor, hasBias: boolean, options: Conv2dOptions = {},
  into: Partial<Omit<Conv2dGrads, 'gradInput'>> = {},
): Conv2dGrads {
  const gradInput = conv2dGradInput(engine, gradOutput, input.shape, weight, options);
  const gradWeight = conv2dGradWeight(engine, gradOutput, input, weight, options, into.gradWeight);
  const gradBias = hasBias ? conv2dGradBias(engine, gradOutput, into.gradBias) : undefined;
  return { gradInput, gradWeight, gradBias };
}
