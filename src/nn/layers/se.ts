import type { Tensor } from '../../engine/tensor.js';
import { seBackward, seForward, type SeSaved } from '../../engine/ops/se.js';
import { defaultInit } from '../init.js';
import { Module, savedInput } from '../module.js';
import type { Parameter, ParameterStore } from '../parameters.js';

/**
 * The Squeeze-and-Excitation block (Hu et al. 2017), as the reference PyTorch SEBlock:
 * AdaptiveAvgPool2d(1) -> Conv2d(C, C/r, 1, bias=False) -> ReLU -> Conv2d(C/r, C, 1, bias=False)
 * -> Sigmoid, then `x * y`. One fused kernel; parameters `fc1.weight`, `fc2.weight`.
 */
export class SEBlock extends Module {
  readonly fc1: Parameter;
  readonly fc2: Parameter;
  private saved: { input: Tensor; tensors: SeSaved } | undefined;

  constructor(store: ParameterStore, channels: number, reduction = 16) {
    super(store.engine);
    const hidden = Math.floor(channels / reduction);
    if (hidden < 1) throw new RangeError(`SEBlock: ${channels} channels / reduction ${reduction} leaves no hidden channel`);
    this.fc1 = this.addParameter('fc1.weight', store.parameter([hidden, channels, 1, 1], defaultInit(store.rng, channels)));
    this.fc2 = this.addParameter('fc2.weight', store.parameter([channels, hidden, 1, 1], defaultInit(store.rng, hidden)));
  }

  forward(input: Tensor): Tensor {
    this.release();
    const { output, saved } = seForward(this.engine, input, this.fc1.value, this.fc2.value);
    if (this.training) this.saved = { input, tensors: saved };
    else for (const t of Object.values(saved)) t.free();
    return output;
  }

  backward(gradOutput: Tensor): Tensor {
    const { input, tensors } = savedInput(this.saved, 'SEBlock');
    const grads = seBackward(this.engine, gradOutput, input, this.fc1.value, this.fc2.value, tensors, {
      gradFc1: this.fc1.grad,
      gradFc2: this.fc2.grad,
    });
    this.release();
    return grads.gradInput;
  }

  private release(): void {
    if (this.saved) for (const t of Object.values(this.saved.tensors)) t.free();
    this.saved = undefined;
  }
}
