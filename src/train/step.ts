/**
 * One training step and evaluation over a loader: the model graph in TypeScript, the math in the
 * kernels. Tensors made here are freed here.
 */
import type { Engine } from '../engine/engine.js';
import { argmaxRows, crossEntropyForward } from '../engine/ops/loss.js';
import { CrossEntropyLoss } from '../nn/loss.js';
import type { Batch, DataLoader } from '../data/loader.js';
import type { Module } from '../nn/module.js';
import type { Optimizer } from '../optim/optimizers.js';
import type { Tensor } from '../engine/tensor.js';
import type { Pass, Profiler } from '../nn/profile.js';

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
 * Forward, loss, backward and one optimizer update on `batch` (none if the loss is not finite).
 * With a `profiler` (and `model.profile(profiler)` for the layers) the loss and the update are timed.
 */
export function trainStep(engine: Engine, model: Module, optimizer: Optimizer, batch: Batch, profiler?: Profiler): StepResult {
  const timed = <T>(name: string, pass: Pass, shape: readonly number[], work: () => T): T =>
    profiler ? profiler.time(name, name, pass, shape, work) : work();
  const input = engine.tensor(batch.shape, batch.images);
  const labels = engine.indices([batch.size], batch.labels);
  const criterion = new CrossEntropyLoss(engine);
  const logits = model.forward(input);
  try {
    const loss = timed('loss', 'forward', logits.shape, () => criterion.forward(logits, labels));
    if (!Number.isFinite(loss)) throw new NonFiniteLossError(loss);
    const correct = countCorrect(engine, logits, batch.labels);
    const gradLogits = timed('loss', 'backward', logits.shape, () => criterion.backward());
    model.backward(gradLogits).owner.free();
    gradLogits.free();
    timed('optimizer', 'update', [optimizer.parameterCount], () => optimizer.step());
    return { loss, correct, size: batch.size };
  } finally {
    criterion.release();
    for (const t of [input, labels, logits]) t.owner.free();
  }
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
    for (const batch of loader.batches(0)) {
      const input = engine.tensor(batch.shape, batch.images);
      const labels = engine.indices([batch.size], batch.labels);
      const logits = model.forward(input);
      const { loss, probs } = crossEntropyForward(engine, logits, labels);
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
      for (const t of [input, labels, logits, probs, predicted]) t.owner.free();
      options.onBatch?.(count);
    }
  } finally {
    model.train(wasTraining);
    model.profile(profiling?.profiler, profiling?.path);
  }
  const correct = confusion.reduce((sum, row, i) => sum + row[i]!, 0);
  const perClass = confusion.map((row, i) => row[i]! / row.reduce((a, b) => a + b, 0));
  return { loss: lossSum / count, accuracy: correct / count, count, perClass, confusion, ...(options.keepPredictions ? { predictions } : {}) };
}

function countCorrect(engine: Engine, logits: Tensor, labels: Uint32Array): number {
  const predicted = argmaxRows(engine, logits);
  const pred = predicted.toArray();
  predicted.free();
  let correct = 0;
  for (let i = 0; i < labels.length; i++) if (pred[i] === labels[i]) correct++;
  return correct;
}
