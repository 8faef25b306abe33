import type { Tensor } from '../../engine/tensor.js';
import { gelu, relu, sigmoid } from '../../autograd/functional.js';
import { Module } from '../module.js';

/** nn.ReLU (out of place: the input stays intact for whatever else uses it). */
export class ReLU extends Module {
  forward(input: Tensor): Tensor {
    return relu(this.engine, input);
  }
}

/** nn.Sigmoid. */
export class Sigmoid extends Module {
  forward(input: Tensor): Tensor {
    return sigmoid(this.engine, input);
  }
}

/** nn.GELU() (the exact erf form, PyTorch's default `approximate='none'`). */
export class GELU extends Module {
  forward(input: Tensor): Tensor {
    return gelu(this.engine, input);
  }
}

/**
 * nn.Identity: returns its input. Also the placeholder that keeps a Sequential's indices (and so
 * its state-dict keys) where a layer's work moved into the one before it (a ReLU fused into the
 * preceding BatchNorm2d).
 */
export class Identity extends Module {
  forward(input: Tensor): Tensor {
    return input;
  }
}
