import type { Engine } from '../../engine/engine.js';
import type { Tensor } from '../../engine/tensor.js';
import { reluBackward, reluForward } from '../../engine/ops/activation.js';
import { Module, savedInput } from '../module.js';

/** nn.ReLU (out of place: the input stays intact for the layer before it). */
export class ReLU extends Module {
  private output: Tensor | undefined;

  constructor(engine: Engine) {
    super(engine);
  }

  forward(input: Tensor): Tensor {
    const output = reluForward(this.engine, input);
    this.output = this.training ? output : undefined;
    return output;
  }

  backward(gradOutput: Tensor): Tensor {
    const output = savedInput(this.output, 'ReLU');
    this.output = undefined;
    return reluBackward(this.engine, gradOutput, output);
  }
}
