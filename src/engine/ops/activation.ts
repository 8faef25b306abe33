/**
 * Element-wise activations. ReLU's and sigmoid's backwards take the forward's output, GELU's its
 * input, as PyTorch's do.
 */
import type { Engine } from '../engine.js';
import type { Tensor } from '../tensor.js';
import { buf, expectShape, runKernel } from './checks.js';

type Kind = 'relu' | 'sigmoid' | 'gelu';

function forward(kind: Kind, engine: Engine, input: Tensor, inPlace: boolean): Tensor {
  const op = `${kind}_forward`;
  engine.check(op, input);
  const output = inPlace ? input : engine.tensor(input.shape);
  runKernel(op, () => engine.kernels[`${kind}_forward`](...buf(input), ...buf(output)));
  return output;
}

/** `saved` is what the backward needs: the forward's output (ReLU, sigmoid) or input (GELU). */
function backward(kind: Kind, engine: Engine, gradOutput: Tensor, saved: Tensor): Tensor {
  const op = `${kind}_backward`;
  engine.check(op, saved);
  expectShape(engine, op, 'grad_output', gradOutput, saved.shape);
  const gradInput = engine.tensor(saved.shape);
  runKernel(op, () => engine.kernels[`${kind}_backward`](...buf(gradOutput), ...buf(saved), ...buf(gradInput)));
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
/**
 * GELU, exact (erf) form as `nn.GELU()`: `x·Φ(x)`, Φ the standard normal CDF. With `inPlace`
 * the input is overwritten and returned (inference only: the backward needs the input).
 */
export const geluForward = (engine: Engine, input: Tensor, inPlace = false) => forward('gelu', engine, input, inPlace);
/** Gradient of GELU given its *input*: `grad_output·(Φ(x) + x·φ(x))`. */
export const geluBackward = (engine: Engine, gradOutput: Tensor, input: Tensor) => backward('gelu', engine, gradOutput, input);
