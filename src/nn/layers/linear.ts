import type { Tensor } from '../../engine/tensor.js';
import { linear } from '../../autograd/functional.js';
import { defaultInit } from '../init.js';
import { Module, type BuildContext } from '../module.js';
import type { Parameter } from '../parameters.js';

/** nn.Linear(inFeatures, outFeatures, bias), PyTorch's default initialisation. */
export class Linear extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter | undefined;

  constructor(ctx: BuildContext, inFeatures: number, outFeatures: number, bias = true) {
    super(ctx.engine);
    this.weight = this.addParameter('weight', [outFeatures, inFeatures], defaultInit(ctx.rng, inFeatures)(outFeatures * inFeatures));
    this.bias = bias ? this.addParameter('bias', [outFeatures], defaultInit(ctx.rng, inFeatures)(outFeatures)) : undefined;
  }

  forward(input: Tensor): Tensor {
    return linear(this.engine, input, this.weight.value, this.bias?.value);
  }
}
