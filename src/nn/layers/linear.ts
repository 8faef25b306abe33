import type { Tensor } from '../../engine/tensor.js';
import { linearBackward, linearForward } from '../../engine/ops/linear.js';
import { defaultInit } from '../init.js';
import { Module, savedInput } from '../module.js';
import type { Parameter, ParameterStore } from '../parameters.js';

/** nn.Linear(inFeatures, outFeatures, bias). */
export class Linear extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter | undefined;
  private input: Tensor | undefined;

  constructor(store: ParameterStore, inFeatures: number, outFeatures: number, bias = true) {
    super(store.engine);
    this.weight = this.addParameter('weight', store.parameter([outFeatures, inFeatures], defaultInit(store.rng, inFeatures)));
    this.bias = bias ? this.addParameter('bias', store.parameter([outFeatures], defaultInit(store.rng, inFeatures))) : undefined;
  }

  forward(input: Tensor): Tensor {
    this.input = this.training ? input : undefined;
    return linearForward(this.engine, input, this.weight.value, this.bias?.value);
  }

  backward(gradOutput: Tensor): Tensor {
    const input = savedInput(this.input, 'Linear');
    this.input = undefined;
    return linearBackward(this.engine, gradOutput, input, this.weight.value, this.bias !== undefined, {
      gradWeight: this.weight.grad,
      gradBias: this.bias?.grad,
    }).gradInput;
  }
}
