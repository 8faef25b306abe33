/**
 * batch_norm2d over NCHW input, PyTorch's nn.BatchNorm2d: training mode normalises with the
 * batch mean and biased variance and updates the running stats in place (unbiased variance);
 * eval mode uses the running stats. `relu` fuses the ReLU that follows every BN of the
 * reference model.
 */
import type { Engine } from '../engine.js';
import type { Tensor } from '../tensor.js';
import { buf, dims, expectShape, optionalBuf, outputTensor, runKernel } from './checks.js';

export interface BatchNormParams {
  weight: Tensor;
  bias: Tensor;
  runningMean: Tensor;
  runningVar: Tensor;
}

export interface BatchNormOptions {
  /** Running-stat momentum (PyTorch: 0.1). */
  momentum?: number;
  /** Added to the variance (PyTorch: 1e-5). */
  eps?: number;
  /** Apply ReLU to the output. */
  relu?: boolean;
}

/** What the training forward keeps for the backward. */
export interface BatchNormSaved {
  /** Batch mean per channel `[C]`. */
  mean: Tensor;
  /** `1 / sqrt(var + eps)` per channel `[C]`. */
  invstd: Tensor;
}

function shapeOf(engine: Engine, op: string, input: Tensor, p: BatchNormParams): [number, number, number, number] {
  const shape = dims(engine, op, 'input', input, 4) as [number, number, number, number];
  const channels = shape[1];
  expectShape(engine, op, 'weight', p.weight, [channels]);
  expectShape(engine, op, 'bias', p.bias, [channels]);
  expectShape(engine, op, 'running_mean', p.runningMean, [channels]);
  expectShape(engine, op, 'running_var', p.runningVar, [channels]);
  return shape;
}

export function batchNormForwardTrain(
  engine: Engine, input: Tensor, p: BatchNormParams, options: BatchNormOptions = {},
): { output: Tensor; saved: BatchNormSaved } {
  const op = 'batch_norm2d_forward_train';
  const { momentum = 0.1, eps = 1e-5, relu = false } = options;
  const [n, c, h, w] = shapeOf(engine, op, input, p);
  const saved = { mean: engine.tensor([c]), invstd: engine.tensor([c]) };
  const output = engine.tensor(input.shape);
  runKernel(op, () =>
    engine.kernels.batch_norm2d_forward_train(
      ...buf(input), ...buf(p.weight), ...buf(p.bias), ...buf(p.runningMean), ...buf(p.runningVar),
      ...buf(saved.mean), ...buf(saved.invstd), ...buf(output), n, c, h, w, momentum, eps, relu,
    ),
  );
  return { output, saved };
}

export function batchNormForwardEval(engine: Engine, input: Tensor, p: BatchNormParams, options: BatchNormOptions = {}): Tensor {
  const op = 'batch_norm2d_forward_eval';
  const { eps = 1e-5, relu = false } = options;
  const [n, c, h, w] = shapeOf(engine, op, input, p);
  const output = engine.tensor(input.shape);
  runKernel(op, () =>
    engine.kernels.batch_norm2d_forward_eval(
      ...buf(input), ...buf(p.weight), ...buf(p.bias), ...buf(p.runningMean), ...buf(p.runningVar), ...buf(output),
      n, c, h, w, eps, relu,
    ),
  );
  return output;
}

/**
 * Training-mode gradients. With `relu`, `output` must be the fused forward's output (it masks
 * the gradient). Parameter gradients go into `into` when given.
 */
export function batchNormBackward(
  engine: Engine, gradOutput: Tensor, input: Tensor, output: Tensor | undefined, weight: Tensor, saved: BatchNormSaved, relu: boolean,
  into: { gradWeight?: Tensor; gradBias?: Tensor } = {},
): { gradInput: Tensor; gradWeight: Tensor; gradBias: Tensor } {
  const op = 'batch_norm2d_backward';
  const [n, c, h, w] = dims(engine, op, 'input', input, 4) as [number, number, number, number];
  expectShape(engine, op, 'grad_output', gradOutput, input.shape);
  expectShape(engine, op, 'weight', weight, [c]);
  if (relu) {
    if (!output) throw new Error(`${op}: the fused ReLU backward needs the forward's output`);
    expectShape(engine, op, 'output', output, input.shape);
  }
  const gradInput = engine.tensor(input.shape);
  const gradWeight = outputTensor(engine, op, 'grad_weight', into.gradWeight, [c]);
  const gradBias = outputTensor(engine, op, 'grad_bias', into.gradBias, [c]);
  runKernel(op, () =>
    engine.kernels.batch_norm2d_backward(
      ...buf(gradOutput), ...buf(input), ...optionalBuf(relu && output), ...buf(weight),
      ...buf(saved.mean), ...buf(saved.invstd), ...buf(gradInput), ...buf(gradWeight), ...buf(gradBias),
      n, c, h, w, relu,
    ),
  );
  return { gradInput, gradWeight, gradBias };
}
