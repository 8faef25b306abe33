/**
 * One training step and evaluation over a loader: the model graph in TypeScript, the math in the
 * kernels. Each step runs in one memory scope, which frees every tensor it made.
 */
import type { Engine } from '../engine/engine.js';
import { argmaxRows, crossEntropyForward } from '../engine/ops/loss.js';
import { crossEntropy } from '../autograd/functional.js';
import type { Batch, DataLoader } from '../data/loader.js';
import type { Module } from '../nn/module.js';
import type { Optimizer } from '../optim/optimizers.js';
import type { Tensor } from '../engine/tensor.js';
import type { Profiler } from '../autograd/profile.js';

/** The loss became NaN or infinite: training stops before the update, keeping the last good checkpoint. */
export class NonFiniteLossError extends Error {
  override name = 'NonFiniteLossError';
  constructor(readonly loss: number) {
    super(`the training loss became ${loss}; stopped before updating the weights (lower the learning rate?)`);
  }
}

export interface StepResult {
  loss: number;
  correct: number;
  size: number;
}

/**
 * Zeroes the gradients, then forward, loss, backward and one optimizer update on `batch` (no
 * update if the loss is not finite). With a `profiler` (and `model.profile(profiler)` for the
 * layers) the loss and the update are timed too.
 */
export function trainStep(engine: Engine, model: Module, optimizer: Optimizer, batch: Batch, profiler?: Profiler): StepResult {
  return engine.scope(() => {
    const input = engine.tensor(batch.shape, batch.images);
    const labels = engine.indices([batch.size], batch.labels);
    model.zeroGrad();
    const logits = model.call(input);
    const criterion = () => crossEntropy(engine, logits, labels);
    const loss = profiler ? profiler.frame('loss', 'loss', logits.shape, criterion) : criterion();
    const value = loss.item();
    if (!Number.isFinite(value)) throw new NonFiniteLossError(value);
    const correct = countCorrect(engine, logits, batch.labels);
    loss.backward();
    const update = () => optimizer.step();
    if (profiler) profiler.time('optimizer', 'optimizer', 'update', [optimizer.parameterCount], update);
    else update();
    return { loss: value, correct, size: batch.size };
  });
}

export interface Evaluation {
  /** Mean cross-entropy over all records. */
  loss: number;
  accuracy: number;
  count: number;
  /** Accuracy of each true class (NaN for a class with no records). */
  perClass: number[];
  /** confusion[true][predicted] counts. */
  confusion: number[][];
  /** Per record, in loader order, when asked for. */
  predictions?: { index: number; label: number; predicted: number; logits: number[] }[];
}

/** Evaluates in eval mode (running statistics), restoring the previous mode afterwards. */
export function evaluate(
  engine: Engine, model: Module, loader: DataLoader, options: { keepPredictions?: boolean; onBatch?: (done: number) => void } = {},
): Evaluation {
  const classes = loader.dataset.classes.length;
  const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  const predictions: NonNullable<Evaluation['predictions']> = [];
  let lossSum = 0;
  let count = 0;
  const wasTraining = model.training;
  // Evaluation is not part of a training step's profile.
  const profiling = model.profiling;
  model.profile(undefined);
  model.eval();
  try {
    for (const batch of loader.batches(0)) engine.noGrad(() => engine.scope(() => {
      const input = engine.tensor(batch.shape, batch.images);
      const labels = engine.indices([batch.size], batch.labels);
      const logits = model.call(input);
      const { loss } = crossEntropyForward(engine, logits, labels);
      const predicted = argmaxRows(engine, logits);
      const pred = predicted.toArray();
      const logitValues = options.keepPredictions ? logits.toArray() : undefined;
      for (let i = 0; i < batch.size; i++) {
        confusion[batch.labels[i]!]![pred[i]!]!++;
        if (logitValues) {
          const row = Array.from(logitValues.subarray(i * classes, (i + 1) * classes));
          predictions.push({ index: batch.indices[i]!, label: batch.labels[i]!, predicted: pred[i]!, logits: row });
        }
      }
      lossSum += loss * batch.size;
      count += batch.size;
      options.onBatch?.(count);
    }));
  } finally {
    model.train(wasTraining);
    model.profile(profiling?.profiler, profiling?.path);
  }
  const correct = confusion.reduce((sum, row, i) => sum + row[i]!, 0);
  const perClass = confusion.map((row, i) => row[i]! / row.reduce((a, b) => a + b, 0));
  return { loss: lossSum / count, accuracy: correct / count, count, perClass, confusion, ...(options.keepPredictions ? { predictions } : {}) };
}

function countCorrect(engine: Engine, logits: Tensor, labels: Uint32Array): number {
  const pred = argmaxRows(engine, logits).toArray();
  let correct = 0;
  for (let i = 0; i < labels.length; i++) if (pred[i] === labels[i]) correct++;
  return correct;
}
