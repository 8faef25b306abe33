/**
 * nn.CrossEntropyLoss (mean over the batch, no weights, no label smoothing): `forward(logits,
 * labels)` gives the loss and keeps the softmax for `backward()`, which gives the gradient with
 * respect to the logits, `(softmax - onehot) / N`.
 */
import type { Engine } from '../engine/engine.js';
import { crossEntropyBackward, crossEntropyForward } from '../engine/ops/loss.js';
import type { Tensor } from '../engine/tensor.js';
import { savedInput } from './module.js';

export class CrossEntropyLoss {
  private saved: { probs: Tensor; labels: Tensor<'u32'> } | undefined;

  constructor(readonly engine: Engine) {}

  /** The mean loss of `logits` `[N, K]` against `labels` `[N]` (u32 class indices). */
  forward(logits: Tensor, labels: Tensor<'u32'>): number {
    this.release();
    const { loss, probs } = crossEntropyForward(this.engine, logits, labels);
    this.saved = { probs, labels };
    return loss;
  }

  /** `∂loss/∂logits` `[N, K]` of the last forward (a new tensor the caller owns). */
  backward(): Tensor {
    const { probs, labels } = savedInput(this.saved, 'CrossEntropyLoss');
    const grad = crossEntropyBackward(this.engine, probs, labels);
    this.release();
    return grad;
  }

  /** Frees what the last forward kept (the labels stay the caller's). */
  release(): void {
    this.saved?.probs.free();
    this.saved = undefined;
  }
}
