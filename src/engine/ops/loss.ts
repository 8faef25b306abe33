/** Softmax cross-entropy (mean over the batch, PyTorch's nn.CrossEntropyLoss default) and arg-max. */
import type { Engine } from '../engine.js';
import type { Tensor } from '../tensor.js';
import { buf, dims, expectShape, runKernel } from './checks.js';

/** logits `[N, K]`, labels `[N]` (u32) -> the mean loss and the softmax `[N, K]` for the backward. */
export function crossEntropyForward(engine: Engine, logits: Tensor, labels: Tensor<'u32'>): { loss: number; probs: Tensor } {
  const op = 'cross_entropy_forward';
  const [batch, classes] = dims(engine, op, 'logits', logits, 2) as [number, number];
  expectShape(engine, op, 'labels', labels, [batch], 'u32');
  const probs = engine.tensor([batch, classes]);
  const loss = runKernel(op, () => engine.kernels.cross_entropy_forward(...buf(logits), ...buf(labels), ...buf(probs), batch, classes));
  return { loss, probs };
}

/** Gradient of the mean loss with respect to the logits: `(probs - onehot) / N`. */
export function crossEntropyBackward(engine: Engine, probs: Tensor, labels: Tensor<'u32'>): Tensor {
  const op = 'cross_entropy_backward';
  const [batch, classes] = dims(engine, op, 'probs', probs, 2) as [number, number];
  expectShape(engine, op, 'labels', labels, [batch], 'u32');
  const gradLogits = engine.tensor([batch, classes]);
  runKernel(op, () => engine.kernels.cross_entropy_backward(...buf(probs), ...buf(labels), ...buf(gradLogits), batch, classes));
  return gradLogits;
}

/** Index of the largest value of each row of `[rows, cols]` (first on ties), as u32 `[rows]`. */
export function argmaxRows(engine: Engine, input: Tensor): Tensor<'u32'> {
  const op = 'argmax_rows';
  const [rows, cols] = dims(engine, op, 'input', input, 2) as [number, number];
  const indices = engine.indices([rows]);
  runKernel(op, () => engine.kernels.argmax_rows(...buf(input), ...buf(indices), rows, cols));
  return indices;
}
