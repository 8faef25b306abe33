/** Element-wise activations. Both backwards take the forward's output, as PyTorch's do. */
import type { Engine } from '../engine.js';
import type { Tensor } from '../tensor.js';
import { buf, expectShape, runKernel } from './checks.js';

type Kind = 'relu' | 'sigmoid';

function forward(kind: Kind, engine: Engine, input: Tensor, inPlace: boolean): Tensor {
  const op = `${kind}_forward`;
  engine.check(op, input);
  const output = inPlace ? input : engine.tensor(input.shape);
  runKernel(op, () => engine.kernels[`${kind}_forward`](...buf(input), ...buf(output)));
  return output;
}

function backward(kind: Kind, engine: Engine, gradOutput: Tensor, output: Tensor): Tensor {
  const op = `${kind}_backward`;
  engine.check(op, output);
  expectShape(engine, op, 'grad_output', gradOutput, output.shape);
  const gradInput = engine.tensor(output.shape);
  runKernel(op, () => engine.kernels[`${kind}_backward`](...buf(gradOutput), ...buf(output), ...buf(gradInput)));
  return gradInput;
}

/** `max(x, 0)`; with `inPlace` the input is overwritten and returned. */
export const reluForward = (engine: Engine, input: Tensor, inPlace = false) => forward('relu', engine, input, inPlace);
/** Gradient of ReLU given its output. */
export const reluBackward = (engine: Engine, gradOutput: Tensor, output: Tensor) => backward('relu', engine, gradOutput, output);
/** `1 / (1 + exp(-x))`; with `inPlace` the input is overwritten and returned. */
export const sigmoidForward = (engine: Engine, input: Tensor, inPlace = false) => forward('sigmoid', engine, input, inPlace);
/** Gradient of sigmoid given its output. */
export const sigmoidBackward = (engine: Engine, gradOutput: Tensor, output: Tensor) => backward('sigmoid', engine, gradOutput, output);
