/**
 * The differentiable ops, torch.nn.functional's counterparts: each runs one kernel of
 * src/engine/ops forward and, when grad is enabled and an input requires grad, records its
 * backward beside it on the engine's tape (src/autograd/tape.ts), saving what the backward needs
 * (the input, the output, batch statistics, arg-max indices). Backwards compute only the
 * gradients that some input needs, and write a parameter's gradient straight into its buffer.
 * The tensors they return and save belong to the enclosing memory scope.
 */
import type { Engine } from '../engine/engine.js';
import { OpError, formatShape } from '../engine/errors.js';
import type { Tensor } from '../engine/tensor.js';
import { geluBackward, geluForward, reluBackward, reluForward, sigmoidBackward, sigmoidForward } from '../engine/ops/activation.js';
import { batchNormBackward, batchNormForwardEval, batchNormForwardTrain, type BatchNormParams } from '../engine/ops/batchnorm.js';
import { conv2dForward, conv2dGradBias, conv2dGradInput, conv2dGradWeight, type Conv2dOptions } from '../engine/ops/conv.js';
import { add as addOp, addRelu as addReluOp, addReluBackward, scale } from '../engine/ops/elementwise.js';
import { linearForward, linearGradInput, linearGradParams } from '../engine/ops/linear.js';
import { crossEntropyBackward, crossEntropyForward, type CrossEntropyOptions } from '../engine/ops/loss.js';
import {
  adaptiveAvgPool2dBackward, adaptiveAvgPool2dForward, maxPool2dBackward, maxPool2dForward, type Pool2dOptions,
} from '../engine/ops/pooling.js';
import { seBackward, seForward } from '../engine/ops/se.js';
import type { BackwardContext } from './tape.js';
import { noteOp } from './profile.js';

/** Records `backward` for `output` when the tape wants it; returns `output`. */
function recorded(
  engine: Engine, op: string, inputs: readonly (Tensor | undefined)[], output: Tensor, backward: (ctx: BackwardContext) => void,
): Tensor {
  noteOp();
  if (engine.tape.wants(inputs)) engine.tape.record(op, inputs, output, backward);
  return output;
}

/** Gives input `i` the gradient `grad` computes, if it needs one. */
function giveIfNeeded(ctx: BackwardContext, i: number, grad: () => Tensor): void {
  if (ctx.needs(i)) ctx.give(i, grad());
}

export function conv2d(engine: Engine, input: Tensor, weight: Tensor, bias: Tensor | undefined, options: Conv2dOptions = {}): Tensor {
  const output = conv2dForward(engine, input, weight, bias, options);
  return recorded(engine, 'conv2d', [input, weight, bias], output, (ctx) => {
    const g = ctx.gradOutput;
    giveIfNeeded(ctx, 0, () => conv2dGradInput(engine, g, input.shape, weight, options));
    giveIfNeeded(ctx, 1, () => conv2dGradWeight(engine, g, input, weight, options, ctx.into(1)));
    if (bias) giveIfNeeded(ctx, 2, () => conv2dGradBias(engine, g, ctx.into(2)));
  });
}

export function linear(engine: Engine, input: Tensor, weight: Tensor, bias?: Tensor): Tensor {
  const output = linearForward(engine, input, weight, bias);
  return recorded(engine, 'linear', [input, weight, bias], output, (ctx) => {
    const g = ctx.gradOutput;
    giveIfNeeded(ctx, 0, () => linearGradInput(engine, g, weight));
    if (ctx.needs(1) || (bias && ctx.needs(2))) {
      // One kernel gives both; a frozen one is computed into a temporary and dropped.
      const grads = linearGradParams(engine, g, input, weight, bias !== undefined, { gradWeight: ctx.into(1), gradBias: bias && ctx.into(2) });
      if (ctx.needs(1)) ctx.give(1, grads.gradWeight);
      if (bias && ctx.needs(2)) ctx.give(2, grads.gradBias!);
    }
  });
}

export interface BatchNormCall {
  /** Normalise with the batch statistics and update the running ones (train mode), or use the running ones. */
  training: boolean;
  momentum: number;
  eps: number;
  /** Apply ReLU to the output in the same pass. */
  relu: boolean;
}

/** nn.functional.batch_norm (then ReLU with `relu`); in training mode the running stats update in place. */
export function batchNorm2d(engine: Engine, input: Tensor, params: BatchNormParams, call: BatchNormCall): Tensor {
  const inputs = [input, params.weight, params.bias];
  if (!call.training) {
    const output = batchNormForwardEval(engine, input, params, call);
    return recorded(engine, 'batch_norm2d', inputs, output, () => {
      throw new OpError('batch_norm2d', 'no backward through a batch norm in eval mode (running statistics): call model.train() first');
    });
  }
  const { output, saved } = batchNormForwardTrain(engine, input, params, call);
  return recorded(engine, call.relu ? 'batch_norm2d_relu' : 'batch_norm2d', inputs, output, (ctx) => {
    const grads = batchNormBackward(engine, ctx.gradOutput, input, output, params.weight, saved, call.relu, {
      gradWeight: ctx.into(1), gradBias: ctx.into(2),
    });
    [grads.gradInput, grads.gradWeight, grads.gradBias].forEach((grad, i) => (ctx.needs(i) ? ctx.give(i, grad) : engine.release(grad)));
  });
}

export function relu(engine: Engine, input: Tensor): Tensor {
  const output = reluForward(engine, input);
  return recorded(engine, 'relu', [input], output, (ctx) => ctx.give(0, reluBackward(engine, ctx.gradOutput, output)));
}

export function sigmoid(engine: Engine, input: Tensor): Tensor {
  const output = sigmoidForward(engine, input);
  return recorded(engine, 'sigmoid', [input], output, (ctx) => ctx.give(0, sigmoidBackward(engine, ctx.gradOutput, output)));
}

/** GELU, exact (erf) form: nn.GELU(). */
export function gelu(engine: Engine, input: Tensor): Tensor {
  const output = geluForward(engine, input);
  return recorded(engine, 'gelu', [input], output, (ctx) => ctx.give(0, geluBackward(engine, ctx.gradOutput, input)));
}

export function maxPool2d(engine: Engine, input: Tensor, options: Pool2dOptions): Tensor {
  const { output, indices } = maxPool2dForward(engine, input, options);
  return recorded(engine, 'max_pool2d', [input], output, (ctx) =>
    ctx.give(0, maxPool2dBackward(engine, ctx.gradOutput, indices, input.shape, options)),
  );
}

/** The mean of each plane: `[N, C, H, W]` -> `[N, C, 1, 1]`. */
export function adaptiveAvgPool2d(engine: Engine, input: Tensor): Tensor {
  const output = adaptiveAvgPool2dForward(engine, input);
  return recorded(engine, 'adaptive_avg_pool2d', [input], output, (ctx) =>
    ctx.give(0, adaptiveAvgPool2dBackward(engine, ctx.gradOutput, input.shape)),
  );
}

/** The same data seen with another shape (a view, no copy), as torch.reshape on a contiguous tensor. */
export function reshape(engine: Engine, input: Tensor, shape: readonly number[]): Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  if (size !== input.size) throw new OpError('reshape', `cannot view ${formatShape(input.shape)} as ${formatShape(shape)}`);
  const output = input.view(shape);
  return recorded(engine, 'reshape', [input], output, (ctx) => ctx.give(0, ctx.gradOutput.view(input.shape)));
}

/** torch.flatten(x, 1): `[N, ...]` -> `[N, rest]`. */
export function flatten(engine: Engine, input: Tensor): Tensor {
  const batch = input.shape[0] ?? 1;
  return reshape(engine, input, [batch, batch === 0 ? 0 : input.size / batch]);
}

/** `input * factor` for a constant `factor` (torch.mul(x, factor)): the gradient is scaled by the same factor. */
export function mulScalar(engine: Engine, input: Tensor, factor: number): Tensor {
  const output = scale(engine, input, factor);
  return recorded(engine, 'mul_scalar', [input], output, (ctx) => ctx.give(0, scale(engine, ctx.gradOutput, factor)));
}

/** `a + b` (same shapes): both inputs get the output's gradient. */
export function add(engine: Engine, a: Tensor, b: Tensor): Tensor {
  const output = addOp(engine, a, b);
  return recorded(engine, 'add', [a, b], output, (ctx) => {
    giveIfNeeded(ctx, 0, () => ctx.gradOutput);
    giveIfNeeded(ctx, 1, () => ctx.gradOutput);
  });
}

/** `relu(a + b)` in one pass: the residual join. */
export function addRelu(engine: Engine, a: Tensor, b: Tensor): Tensor {
  const output = addReluOp(engine, a, b);
  return recorded(engine, 'add_relu', [a, b], output, (ctx) => {
    const grad = addReluBackward(engine, ctx.gradOutput, output);
    giveIfNeeded(ctx, 0, () => grad);
    giveIfNeeded(ctx, 1, () => grad);
  });
}

/**
 * The Squeeze-and-Excitation block in one fused kernel: `x * sigmoid(fc2(relu(fc1(mean(x)))))`,
 * with 1x1-conv weights fc1 `[C/r, C, 1, 1]` and fc2 `[C, C/r, 1, 1]`.
 */
export function squeezeExcitation(engine: Engine, input: Tensor, fc1: Tensor, fc2: Tensor): Tensor {
  const { output, saved } = seForward(engine, input, fc1, fc2);
  return recorded(engine, 'squeeze_excitation', [input, fc1, fc2], output, (ctx) => {
    const grads = seBackward(engine, ctx.gradOutput, input, fc1, fc2, saved, { gradFc1: ctx.into(1), gradFc2: ctx.into(2) });
    [grads.gradInput, grads.gradFc1, grads.gradFc2].forEach((grad, i) => (ctx.needs(i) ? ctx.give(i, grad) : engine.release(grad)));
  });
}

/**
 * nn.functional.cross_entropy (mean over the batch unless `reduction: 'sum'`; `labelSmoothing`
 * as PyTorch's `label_smoothing`): a one-element tensor (`loss.item()`, `loss.backward()`).
 */
export function crossEntropy(engine: Engine, logits: Tensor, labels: Tensor<'u32'>, options: CrossEntropyOptions = {}): Tensor {
  const { loss, probs } = crossEntropyForward(engine, logits, labels, options);
  const output = engine.tensor([], [loss]);
  return recorded(engine, 'cross_entropy', [logits], output, (ctx) => {
    ctx.give(0, crossEntropyBackward(engine, probs, labels, options, ctx.gradOutput.item()));
  });
}
