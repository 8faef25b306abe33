import type { Engine } from '../../engine/engine.js';
import type { Tensor } from '../../engine/tensor.js';
import type { Pool2dOptions } from '../../engine/ops/pooling.js';
import { adaptiveAvgPool2d, flatten, maxPool2d } from '../../autograd/functional.js';
import { Module } from '../module.js';

/** nn.MaxPool2d(kernelSize, stride = kernelSize, padding = 0). */
export class MaxPool2d extends Module {
  private readonly options: Pool2dOptions;

  constructor(engine: Engine, kernelSize: number, stride = kernelSize, padding = 0) {
    super(engine);
    this.options = { kernel: kernelSize, stride, padding };
  }

  forward(input: Tensor): Tensor {
    return maxPool2d(this.engine, input, this.options);
  }
}

/** nn.AdaptiveAvgPool2d(1): the mean of each plane. */
export class AdaptiveAvgPool2d extends Module {
  forward(input: Tensor): Tensor {
    return adaptiveAvgPool2d(this.engine, input);
  }
}

/** torch.flatten(x, 1): `[N, ...]` -> `[N, rest]`, a view in both directions (no copy). */
export class Flatten extends Module {
  forward(input: Tensor): Tensor {
    return flatten(this.engine, input);
  }
}
