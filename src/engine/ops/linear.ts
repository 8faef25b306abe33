/** Fully connected layer: `output = input · weight^T + bias`, PyTorch's nn.Linear layout. */
import type { Engine } from '../engine.js';
import type { Tensor } from '../tensor.js';
import { buf, dims, expectShape, optionalBuf, outputTensor, runKernel } from './checks.js';

/** input `[N, in]`, weight `[out, in]`, bias `[out]` (optional) -> output `[N, out]`. */
export function linearForward(engine: Engine, input: Tensor, weight: Tensor, bias?: Tensor): Tensor {
  const op = 'linear_forward';
  const [batch, inFeatures] = dims(engine, op, 'input', input, 2) as [number, number];
  const [outFeatures] = dims(engine, op, 'weight', weight, 2) as [number, number];
  expectShape(engine, op, 'weight', weight, [outFeatures, inFeatures]);
  if (bias) expectShape(engine, op, 'bias', bias, [outFeatures]);
  const output = engine.tensor([batch, outFeatures]);
  runKernel(op, () =>
    engine.kernels.linear_forward(...buf(input), ...buf(weight), ...optionalBuf(bias), ...buf(output), batch, inFeatures, outFeatures),
  );
  return output;
}

export interface LinearGrads {
  gradInput: Tensor;
  gradWeight: Tensor;
  gradBias?: Tensor;
}

/** Gradient with respect to the input `[N, in]`, given grad_output `[N, out]`. */
export function linearGradInput(engine: Engine, gradOutput: Tensor, weight: Tensor): Tensor {
  const op = 'linear_grad_input';
  const [outFeatures, inFeatures] = dims(engine, op, 'weight', weight, 2) as [number, number];
  const [batch] = dims(engine, op, 'grad_output', gradOutput, 2) as [number, number];
  expectShape(engine, op, 'grad_output', gradOutput, [batch, outFeatures]);
  const gradInput = engine.tensor([batch, inFeatures]);
  runKernel(op, () => engine.kernels.linear_grad_input(...buf(gradOutput), ...buf(weight), ...buf(gradInput), batch, inFeatures, outFeatures));
  return gradInput;
}

/** Gradients with respect to the weight and (when `hasBias`) the bias, written into `into` when given. */
export function linearGradParams(
  engine: Engine, gradOutput: Tensor, input: Tensor, weight: Tensor, hasBias: boolean, into: Partial<Omit<LinearGrads, 'gradInput'>> = {},
): { gradWeight: Tensor; gradBias?: Tensor } {
  const op = 'linear_grad_weight';
  const [batch, inFeatures] = dims(engine, op, 'input', input, 2) as [number, number];
  const [outFeatures] = dims(engine, op, 'weight', weight, 2) as [number, number];
  expectShape(engine, op, 'grad_output', gradOutput, [batch, outFeatures]);
  const gradWeight = outputTensor(engine, op, 'grad_weight', into.gradWeight, [outFeatures, inFeatures]);
  const gradBias = hasBias ? outputTensor(engine, op, 'grad_bias', into.gradBias, [outFeatures]) : undefined;
  runKernel(op, () =>
    engine.kernels.linear_grad_weight(
      ...buf(gradOutput), ...buf(input), ...buf(gradWeight), ...optionalBuf(gradBias), batch, inFeatures, outFeatures,
    ),
  );
  return { gradWeight, gradBias };
}

/** Gradients of `linearForward` given grad_output `[N, out]`; parameter gradients go into `into` when given. */
export function linearBackward(
  engine: Engine, gradOutput: Tensor, input: Tensor, weight: Tensor, hasBias: boolean, into: Partial<Omit<LinearGrads, 'gradInput'>> = {},
): LinearGrads {
  return { gradInput: linearGradInput(engine, gradOutput, weight), ...linearGradParams(engine, gradOutput, input, weight, hasBias, into) };
}
