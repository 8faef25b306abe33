/**
 * The fused Squeeze-and-Excitation block: squeeze (global average pool), 1x1 conv C -> C/r, ReLU,
 * 1x1 conv C/r -> C, sigmoid, channel-wise scale. Weights in PyTorch's layout:
 * fc1 `[C/r, C, 1, 1]`, fc2 `[C, C/r, 1, 1]`.
 */
import type { Engine } from '../engine.js';
import type { Tensor } from '../tensor.js';
import { buf, dims, expectShape, outputTensor, runKernel } from './checks.js';

/** What the forward keeps for the backward. */
export interface SeSaved {
  /** Plane means `[N, C]`. */
  squeeze: Tensor;
  /** After the ReLU, `[N, C/r]`. */
  hidden: Tensor;
  /** After the sigmoid, `[N, C]`. */
  gate: Tensor;
}

export function seForward(engine: Engine, input: Tensor, fc1: Tensor, fc2: Tensor): { output: Tensor; saved: SeSaved } {
  const op = 'se_forward';
  const [batch, channels, height, width] = dims(engine, op, 'input', input, 4) as [number, number, number, number];
  const hidden = fc1.shape[0] ?? 0;
  expectShape(engine, op, 'fc1', fc1, [hidden, channels, 1, 1]);
  expectShape(engine, op, 'fc2', fc2, [channels, hidden, 1, 1]);
  const saved: SeSaved = {
    squeeze: engine.tensor([batch, channels]),
    hidden: engine.tensor([batch, hidden]),
    gate: engine.tensor([batch, channels]),
  };
  const output = engine.tensor(input.shape);
  runKernel(op, () =>
    engine.kernels.se_forward(
      ...buf(input), ...buf(fc1), ...buf(fc2), ...buf(saved.squeeze), ...buf(saved.hidden), ...buf(saved.gate), ...buf(output),
      batch, channels, hidden, height, width,
    ),
  );
  return { output, saved };
}

/** Gradients through the whole block; weight gradients go into `into` when given. */
export function seBackward(
  engine: Engine, gradOutput: Tensor, input: Tensor, fc1: Tensor, fc2: Tensor, saved: SeSaved,
  into: { gradFc1?: Tensor; gradFc2?: Tensor } = {},
): { gradInput: Tensor; gradFc1: Tensor; gradFc2: Tensor } {
  const op = 'se_backward';
  const [batch, channels, height, width] = dims(engine, op, 'input', input, 4) as [number, number, number, number];
  const hidden = fc1.shape[0] ?? 0;
  expectShape(engine, op, 'grad_output', gradOutput, input.shape);
  const gradInput = engine.tensor(input.shape);
  const gradFc1 = outputTensor(engine, op, 'grad_fc1', into.gradFc1, fc1.shape);
  const gradFc2 = outputTensor(engine, op, 'grad_fc2', into.gradFc2, fc2.shape);
  runKernel(op, () =>
    engine.kernels.se_backward(
      ...buf(gradOutput), ...buf(input), ...buf(fc1), ...buf(fc2),
      ...buf(saved.squeeze), ...buf(saved.hidden), ...buf(saved.gate),
      ...buf(gradInput), ...buf(gradFc1), ...buf(gradFc2),
      batch, channels, hidden, height, width,
    ),
  );
  return { gradInput, gradFc1, gradFc2 };
}
