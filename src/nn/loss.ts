/**
 * nn.CrossEntropyLoss (no class weights): `reduction` 'mean' (the default) or 'sum', and
 * `labelSmoothing` as PyTorch's `label_smoothing`. `call(logits, labels)` gives the loss as a
 * one-element tensor; `loss.backward()` differentiates it.
 */
import type { Engine } from '../engine/engine.js';
import type { Tensor } from '../engine/tensor.js';
import { crossEntropy } from '../autograd/functional.js';
import type { CrossEntropyOptions } from '../engine/ops/loss.js';

export type { CrossEntropyOptions };

export class CrossEntropyLoss {
  constructor(readonly engine: Engine, readonly options: CrossEntropyOptions = {}) {}

  /** The reduced loss of `logits` `[N, K]` against `labels` `[N]` (u32 class indices). */
  call(logits: Tensor, labels: Tensor<'u32'>): Tensor {
    return crossEntropy(this.engine, logits, labels, this.options);
  }
}
