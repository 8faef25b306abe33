/**
 * Softmax cross-entropy as PyTorch's `nn.CrossEntropyLoss(reduction, label_smoothing)` (mean and
 * no smoothing by default; no class weights) and arg-max.
 */
import type { Engine } from '../engine.js';
import type { Tensor } from '../tensor.js';
import { buf, dims, expectShape, runKernel } from './checks.js';

export interface CrossEntropyOptions {
  /** How the per-image losses are reduced, as PyTorch's `reduction`. Default 'mean'. */
  reduction?: 'mean' | 'sum';
  /** PyTorch's `label_smoothing` ε in [0, 1]: the target is `(1 − ε)·onehot + ε/K`. Default 0. */
  labelSmoothing?: number;
}

/** logits `[N, K]`, labels `[N]` (u32) -> the reduced loss and the softmax `[N, K]` for the backward. */
export function crossEntropyForward(
  engine: Engine, logits: Tensor, labels: Tensor<'u32'>, options: CrossEntropyOptions = {},
): { loss: number; probs: Tensor } {
  const op = 'cross_entropy_forward';
  const [batch, classes] = dims(engine, op, 'logits', logits, 2) as [number, number];
  expectShape(engine, op, 'labels', labels, [batch], 'u32');
  const probs = engine.tensor([batch, classes]);
  const [smoothing, sum] = kernelOptions(options);
  const loss = runKernel(op, () => engine.kernels.cross_entropy_forward(...buf(logits), ...buf(labels), ...buf(probs), batch, classes, smoothing, sum));
  return { loss, probs };
}

/** Gradient of the reduced loss with respect to the logits, times `gradOutput`: `(probs − target)·gradOutput / (N for the mean)`. */
export function crossEntropyBackward(
  engine: Engine, probs: Tensor, labels: Tensor<'u32'>, options: CrossEntropyOptions = {}, gradOutput = 1,
): Tensor {
  const op = 'cross_entropy_backward';
  const [batch, classes] = dims(engine, op, 'probs', probs, 2) as [number, number];
  expectShape(engine, op, 'labels', labels, [batch], 'u32');
  const gradLogits = engine.tensor([batch, classes]);
  const [smoothing, sum] = kernelOptions(options);
  runKernel(op, () => engine.kernels.cross_entropy_backward(...buf(probs), ...buf(labels), ...buf(gradLogits), batch, classes, smoothing, sum, gradOutput));
  return gradLogits;
}

function kernelOptions({ reduction = 'mean', labelSmoothing = 0 }: CrossEntropyOptions): [number, boolean] {
  if (reduction !== 'mean' && reduction !== 'sum') throw new RangeError(`cross_entropy: reduction must be 'mean' or 'sum', got '${String(reduction)}'`);
  return [labelSmoothing, reduction === 'sum'];
}

/** Index of the largest value of each row of `[rows, cols]` (first on ties), as u32 `[rows]`. */
export function argmaxRows(engine: Engine, input: Tensor): Tensor<'u32'> {
  const op = 'argmax_rows';
  const [rows, cols] = dims(engine, op, 'input', input, 2) as [number, number];
  const indices = engine.indices([rows]);
  runKernel(op, () => engine.kernels.argmax_rows(...buf(input), ...buf(indices), rows, cols));
  return indices;
}
