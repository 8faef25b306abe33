import type { Tensor } from '../../engine/tensor.js';
import { conv2dBackward, conv2dForward } from '../../engine/ops/conv.js';
import { defaultInit } from '../init.js';
import { Module, savedInput } from '../module.js';
import type { Parameter, ParameterStore } from '../parameters.js';

export interface Conv2dOptions {
  stride?: number;
  padding?: number;
  bias?: boolean;
}

/** nn.Conv2d(inChannels, outChannels, kernelSize, stride, padding, bias), NCHW. */
export class Conv2d extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter | undefined;
  private readonly options: { stride: number; padding: number };
  private input: Tensor | undefined;

  constructor(store: ParameterStore, inChannels: number, outChannels: number, kernelSize: number, options: Conv2dOptions = {}) {
    super(store.engine);
    const { stride = 1, padding = 0, bias = true } = options;
    this.options = { stride, padding };
    const fanIn = inChannels * kernelSize * kernelSize;
    this.weight = this.addParameter('weight', store.parameter([outChannels, inChannels, kernelSize, kernelSize], defaultInit(store.rng, fanIn)));
    this.bias = bias ? this.addParameter('bias', store.parameter([outChannels], defaultInit(store.rng, fanIn))) : undefined;
  }

  forward(input: Tensor): Tensor {
    this.input = this.training ? input : undefined;
    return conv2dForward(this.engine, input, this.weight.value, this.bias?.value, this.options);
  }

  backward(gradOutput: Tensor): Tensor {
    const input = savedInput(this.input, 'Conv2d');
    this.input = undefined;
    const grads = conv2dBackward(this.engine, gradOutput, input, this.weight.value, this.bias !== undefined, this.options, {
      gradWeight: this.weight.grad,
      gradBias: this.bias?.grad,
    });
    return grads.gradInput;
  }
}
