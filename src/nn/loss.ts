/**
 * nn.CrossEntropyLoss (mean over the batch, no weights, no label smoothing): `call(logits,
 * labels)` gives the loss as a one-element tensor; `loss.backward()` differentiates it.
 */
import type { Engine } from '../engine/engine.js';
import type { Tensor } from '../engine/tensor.js';
import { crossEntropy } from '../autograd/functional.js';

export class CrossEntropyLoss {
  constructor(readonly engine: Engine) {}

  /** The mean loss of `logits` `[N, K]` against `labels` `[N]` (u32 class indices). */
  call(logits: Tensor, labels: Tensor<'u32'>): Tensor {
    return crossEntropy(this.engine, logits, labels);
  }
}
