import type { Tensor } from '../../engine/tensor.js';
import { conv2d } from '../../autograd/functional.js';
import { defaultInit } from '../init.js';
import { Module, type BuildContext } from '../module.js';
import type { Parameter } from '../parameters.js';

export interface Conv2dOptions {
  stride?: number;
  padding?: number;
  bias?: boolean;
}

/** nn.Conv2d(inChannels, outChannels, kernelSize, stride, padding, bias), NCHW, PyTorch's default initialisation. */
export class Conv2d extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter | undefined;
  readonly options: { stride: number; padding: number };

  constructor(ctx: BuildContext, inChannels: number, outChannels: number, kernelSize: number, options: Conv2dOptions = {}) {
    super(ctx.engine);
    const { stride = 1, padding = 0, bias = true } = options;
    this.options = { stride, padding };
    const fanIn = inChannels * kernelSize * kernelSize;
    const shape = [outChannels, inChannels, kernelSize, kernelSize];
    this.weight = this.addParameter('weight', shape, defaultInit(ctx.rng, fanIn)(outChannels * fanIn));
    this.bias = bias ? this.addParameter('bias', [outChannels], defaultInit(ctx.rng, fanIn)(outChannels)) : undefined;
  }

  forward(input: Tensor): Tensor {
    return conv2d(this.engine, input, this.weight.value, this.bias?.value, this.options);
  }
}
