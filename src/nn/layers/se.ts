import type { Tensor } from '../../engine/tensor.js';
import { squeezeExcitation } from '../../autograd/functional.js';
import { defaultInit } from '../init.js';
import { Module, type BuildContext } from '../module.js';
import type { Parameter } from '../parameters.js';

/**
 * The Squeeze-and-Excitation block (Hu et al. 2017), as the reference PyTorch SEBlock:
 * AdaptiveAvgPool2d(1) -> Conv2d(C, hidden, 1, bias=False) -> ReLU -> Conv2d(hidden, C, 1,
 * bias=False) -> Sigmoid, then `x * y`, with `hidden = floor(C / reduction)` (at least
 * `minHidden`). One fused kernel, forward and backward; parameters `fc1.weight`, `fc2.weight`.
 */
export class SEBlock extends Module {
  readonly fc1: Parameter;
  readonly fc2: Parameter;

  constructor(ctx: BuildContext, channels: number, reduction = 16, minHidden = 0) {
    super(ctx.engine);
    const hidden = Math.max(minHidden, Math.floor(channels / reduction));
    if (hidden < 1) throw new RangeError(`SEBlock: ${channels} channels / reduction ${reduction} leaves no hidden channel`);
    this.fc1 = this.addParameter('fc1.weight', [hidden, channels, 1, 1], defaultInit(ctx.rng, channels)(hidden * channels));
    this.fc2 = this.addParameter('fc2.weight', [channels, hidden, 1, 1], defaultInit(ctx.rng, hidden)(channels * hidden));
  }

  forward(input: Tensor): Tensor {
    return squeezeExcitation(this.engine, input, this.fc1.value, this.fc2.value);
  }
}
