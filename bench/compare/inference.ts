/**
 * Eval-mode inference throughput, the loop every JavaScript runner of bench/compare.ts shares: the
 * Node children (senet-wasm.ts, tfjs.ts) and the Chromium page (chromium/worker.ts). A forward
 * reads the logits back and frees what it made; it runs at the training batch size and at batch 1.
 */
import type * as Tf from '@tensorflow/tfjs-core';
import type { Engine, Module } from '../../src/index.js';
import { IMAGE_SHAPE, randomBatch, throughput, type ChildOptions, type Rate } from './protocol.js';
import type { TfSENet } from './tfjs-senet.js';

/** One eval-mode forward of `batch` images: a call that runs it once. */
export type Forward = (batch: number, images: Float32Array) => () => void;

export interface InferenceRates {
  infer: Rate;
  infer1: Rate;
}

/** Times `forward` at `options.batch` (its warm-up and samples) and at batch 1 (`warmup1`, samples of `sampleSeconds`). */
export function measureInference(forward: Forward, options: ChildOptions): InferenceRates {
  const infer = throughput(forward(options.batch, randomBatch(options.batch).images), options.batch, options);
  const infer1 = throughput(forward(1, randomBatch(1).images), 1, { ...options, warmup: options.warmup1 }, options.sampleSeconds);
  return { infer, infer1 };
}

/**
 * senet-wasm, any model (in eval mode): as `senet eval` runs it, `model.call` without recording a
 * backward, in a memory scope that frees the input, the logits and every intermediate.
 */
export function modelForward(engine: Engine, model: Module): Forward {
  return (batch, images) => () => {
    engine.noGrad(() => engine.scope(() => {
      model.call(engine.tensor([batch, ...IMAGE_SHAPE], images)).toArray();
    }));
  };
}

/** TF.js (NHWC input; random values, so their order does not matter). */
export function tfjsForward(tf: typeof Tf, model: TfSENet): Forward {
  return (batch, images) => () => {
    const logits = tf.tidy(() => model.forward(tf.tensor4d(images, [batch, 32, 32, 3]), false));
    logits.dataSync();
    logits.dispose();
  };
}
