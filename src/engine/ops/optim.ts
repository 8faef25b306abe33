/**
 * Optimizer updates over all parameters in one call. Parameters, gradients and each state live
 * in one flat tensor each (every parameter a slice of it), so a step is a single kernel call.
 * Semantics are PyTorch's (torch.optim.Adam / AdamW / SGD).
 */
import type { Engine } from '../engine.js';
import type { Tensor } from '../tensor.js';
import { buf, expectShape, optionalBuf, runKernel } from './checks.js';

export interface AdamHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** AdamW: decoupled weight decay (`param *= 1 - lr * weightDecay`) instead of L2 in the gradient. */
  decoupled: boolean;
}

/** One Adam/AdamW step; `step` counts from 1. Updates params, expAvg and expAvgSq in place. */
export function adamStep(
  engine: Engine, params: Tensor, grads: Tensor, expAvg: Tensor, expAvgSq: Tensor, step: number, h: AdamHyper,
): void {
  const op = 'adam_step';
  for (const [name, t] of [['grads', grads], ['exp_avg', expAvg], ['exp_avg_sq', expAvgSq]] as const) {
    expectShape(engine, op, name, t, [params.size]);
  }
  expectShape(engine, op, 'params', params, [params.size]);
  runKernel(op, () =>
    engine.kernels.adam_step(
      ...buf(params), ...buf(grads), ...buf(expAvg), ...buf(expAvgSq), step, h.lr, h.beta1, h.beta2, h.eps, h.weightDecay, h.decoupled,
    ),
  );
}

export interface SgdHyper {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
}

/** One SGD step; `step` counts from 1. `momentumBuffer` is needed when momentum is not 0. */
export function sgdStep(
  engine: Engine, params: Tensor, grads: Tensor, momentumBuffer: Tensor | undefined, step: number, h: SgdHyper,
): void {
  const op = 'sgd_step';
  expectShape(engine, op, 'params', params, [params.size]);
  expectShape(engine, op, 'grads', grads, [params.size]);
  if (momentumBuffer) expectShape(engine, op, 'momentum_buffer', momentumBuffer, [params.size]);
  runKernel(op, () =>
    engine.kernels.sgd_step(
      ...buf(params), ...buf(grads), ...optionalBuf(momentumBuffer),
      step, h.lr, h.momentum, h.dampening, h.weightDecay, h.nesterov,
    ),
  );
}
