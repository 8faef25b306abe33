/**
 * One training step and evaluation over a loader: the model graph in TypeScript, the math in the
 * kernels. Each step runs in one memory scope, which frees every tensor it made.
 */
import type { Engine } from '../engine/engine.js';
import { argmaxRows, crossEntropyForward, type CrossEntropyOptions } from '../engine/ops/loss.js';
import { add, scale } from '../engine/ops/elementwise.js';
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
 * Zeroes the gradients, then forward, loss (cross-entropy with `loss`'s reduction and label
 * smoothing; the mean by default), backward and one optimizer update on `batch` (no update if
 * the loss is not finite). With a `profiler` (and `model.profile(profiler)` for the layers) the
 * loss and the update are timed too. The result's `loss` is the loss as reduced.
 */
export function trainStep(
  engine: Engine, model: Module, optimizer: Optimizer, batch: Batch, profiler?: Profiler, loss: CrossEntropyOptions = {},
): StepResult {
  return engine.scope(() => {
    const input = engine.tensor(batch.shape, batch.images);
    const labels = engine.indices([batch.size], batch.labels);
    model.zeroGrad();
    const logits = model.call(input);
    const criterion = () => crossEntropy(engine, logits, labels, loss);
    const output = profiler ? profiler.frame('loss', 'loss', logits.shape, criterion) : criterion();
    const value = output.item();
    if (!Number.isFinite(value)) throw new NonFiniteLossError(value);
    const correct = countCorrect(engine, logits, batch.labels);
    output.backward();
    const update = () => optimizer.step();
    if (profiler) profiler.time('optimizer', 'optimizer', 'update', [optimizer.parameterCount], update);
    else update();
    return { loss: value, correct, size: batch.size };
  });
}

/** Loss and accuracy over a test set. */
export interface Scores {
  /** Mean cross-entropy over all records. */
  loss: number;
  accuracy: number;
  count: number;
  /** Accuracy of each true class (NaN for a class with no records). */
  perClass: number[];
  /** confusion[true][predicted] counts. */
  confusion: number[][];
}

export interface Evaluation extends Scores {
  /** With `tta`: the scores of flip test-time augmentation (the mean of the logits of each image and its mirror). */
  tta?: Scores;
  /** Per record, in loader order, when asked for. */
  predictions?: { index: number; label: number; predicted: number; logits: number[] }[];
}

export interface EvaluateOptions {
  /** Keep every record's prediction and logits (plain, not TTA). */
  keepPredictions?: boolean;
  /**
   * Also score flip test-time augmentation: each image and its horizontal mirror through the
   * model, the mean of the two logits (the arg-max of their sum), in `tta`.
   */
  tta?: boolean;
  onBatch?: (done: number) => void;
}

/** Evaluates in eval mode (running statistics), restoring the previous mode afterwards. */
export function evaluate(engine: Engine, model: Module, loader: DataLoader, options: EvaluateOptions = {}): Evaluation {
  const classes = loader.dataset.classes.length;
  const plain = new Tally(classes);
  const tta = options.tta ? new Tally(classes) : undefined;
  const predictions: NonNullable<Evaluation['predictions']> = [];
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
      const pred = plain.add(engine, logits, labels, batch.labels);
      if (tta) {
        const mirrored = model.call(engine.tensor(batch.shape, mirror(batch.images, batch.shape)));
        tta.add(engine, scale(engine, add(engine, logits, mirrored), 0.5, true), labels, batch.labels);
      }
      if (options.keepPredictions) {
        const logitValues = logits.toArray();
        for (let i = 0; i < batch.size; i++) {
          const row = Array.from(logitValues.subarray(i * classes, (i + 1) * classes));
          predictions.push({ index: batch.indices[i]!, label: batch.labels[i]!, predicted: pred[i]!, logits: row });
        }
      }
      count += batch.size;
      options.onBatch?.(count);
    }));
  } finally {
    model.train(wasTraining);
    model.profile(profiling?.profiler, profiling?.path);
  }
  return {
    ...plain.scores(),
    ...(tta ? { tta: tta.scores() } : {}),
    ...(options.keepPredictions ? { predictions } : {}),
  };
}

/** The running loss sum and confusion matrix of one way of predicting. */
class Tally {
  private lossSum = 0;
  private count = 0;
  private readonly confusion: number[][];

  constructor(classes: number) {
    this.confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  }

  /** Adds a batch's logits; returns the predicted classes. */
  add(engine: Engine, logits: Tensor, labels: Tensor<'u32'>, truth: Uint32Array): Uint32Array {
    const { loss } = crossEntropyForward(engine, logits, labels);
    const predicted = argmaxRows(engine, logits).toArray();
    for (let i = 0; i < truth.length; i++) this.confusion[truth[i]!]![predicted[i]!]!++;
    this.lossSum += loss * truth.length;
    this.count += truth.length;
    return predicted;
  }

  scores(): Scores {
    const { confusion, count } = this;
    const correct = confusion.reduce((sum, row, i) => sum + row[i]!, 0);
    const perClass = confusion.map((row, i) => row[i]! / row.reduce((a, b) => a + b, 0));
    return { loss: this.lossSum / count, accuracy: correct / count, count, perClass, confusion };
  }
}

/** `[N, C, H, W]` images mirrored left to right (torch.flip(x, [-1])). */
export function mirror(images: Float32Array, shape: readonly number[]): Float32Array {
  const w = shape[3]!;
  const out = new Float32Array(images.length);
  for (let row = 0; row < images.length; row += w) {
    for (let x = 0; x < w; x++) out[row + x] = images[row + w - 1 - x]!;
  }
  return out;
}

function countCorrect(engine: Engine, logits: Tensor, labels: Uint32Array): number {
  const pred = argmaxRows(engine, logits).toArray();
  let correct = 0;
  for (let i = 0; i < labels.length; i++) if (pred[i] === labels[i]) correct++;
  return correct;
}
