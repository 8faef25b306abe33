import type { Engine } from '../../engine/engine.js';
import type { Tensor } from '../../engine/tensor.js';
import {
  adaptiveAvgPool2dBackward, adaptiveAvgPool2dForward, maxPool2dBackward, maxPool2dForward, type Pool2dOptions,
} from '../../engine/ops/pooling.js';
import { Module, savedInput } from '../module.js';

/** nn.MaxPool2d(kernelSize, stride = kernelSize, padding = 0). */
export class MaxPool2d extends Module {
  private readonly options: Pool2dOptions;
  private saved: { inputShape: readonly number[]; indices: Tensor<'u32'> } | undefined;

  constructor(engine: Engine, kernelSize: number, stride = kernelSize, padding = 0) {
    super(engine);
    this.options = { kernel: kernelSize, stride, padding };
  }

  forward(input: Tensor): Tensor {
    this.release();
    const { output, indices } = maxPool2dForward(this.engine, input, this.options);
    if (this.training) this.saved = { inputShape: input.shape, indices };
    else indices.free();
    return output;
  }

  backward(gradOutput: Tensor): Tensor {
    const { inputShape, indices } = savedInput(this.saved, 'MaxPool2d');
    const gradInput = maxPool2dBackward(this.engine, gradOutput, indices, inputShape, this.options);
    this.release();
    return gradInput;
  }

  private release(): void {
    this.saved?.indices.free();
    this.saved = undefined;
  }
}

/** nn.AdaptiveAvgPool2d(1): the mean of each plane. */
export class AdaptiveAvgPool2d extends Module {
  private inputShape: readonly number[] | undefined;

  constructor(engine: Engine) {
    super(engine);
  }

  forward(input: Tensor): Tensor {
    this.inputShape = input.shape;
    return adaptiveAvgPool2dForward(this.engine, input);
  }

  backward(gradOutput: Tensor): Tensor {
    return adaptiveAvgPool2dBackward(this.engine, gradOutput, savedInput(this.inputShape, 'AdaptiveAvgPool2d'));
  }
}

/** torch.flatten(x, 1): `[N, ...]` -> `[N, rest]`, a view in both directions (no copy). */
export class Flatten extends Module {
  private inputShape: readonly number[] | undefined;

  constructor(engine: Engine) {
    super(engine);
  }

  forward(input: Tensor): Tensor {
    this.inputShape = input.shape;
    const batch = input.shape[0] ?? 1;
    return input.view([batch, batch === 0 ? 0 : input.size / batch]);
  }

  backward(gradOutput: Tensor): Tensor {
    return gradOutput.view(savedInput(this.inputShape, 'Flatten'));
  }
}
