/**
 * The training loop: epochs of train steps with the learning-rate schedule, progress callbacks,
 * an evaluation after each epoch, stopping after a number of steps, and resuming from saved
 * progress so that an interrupted run ends with the same weights as an uninterrupted one. The
 * number of epochs may be fractional (2.5: the run ends halfway through the third epoch, with an
 * evaluation there). Training time is counted without the evaluations.
 */
import type { Engine } from '../engine/engine.js';
import type { BatchSource, DataLoader } from '../data/loader.js';
import type { Module } from '../nn/module.js';
import type { Optimizer } from '../optim/optimizers.js';
import type { CrossEntropyOptions } from '../engine/ops/loss.js';
import { learningRate, type ScheduleName } from '../optim/schedules.js';
import type { TrainingProgress } from './checkpoint.js';
import { evaluate, trainStep, type Evaluation } from './step.js';
import type { Profiler } from '../autograd/profile.js';

export interface BatchReport {
  epoch: number;
  batch: number;
  batches: number;
  /** Mean loss and accuracy of the epoch so far. */
  loss: number;
  accuracy: number;
  imagesPerSecond: number;
  /** Seconds left in the epoch at the current speed. */
  etaSeconds: number;
  lr: number;
  step: number;
}

export interface EpochReport {
  /** 1-based; fractional for the partial epoch that ends a run of fractional epochs (2.5). */
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  seconds: number;
  /** Training seconds of the run so far, `elapsedBefore` included: evaluations not counted. */
  elapsedSeconds: number;
  imagesPerSecond: number;
  test?: Evaluation;
  /** Where training stands after this epoch (what a checkpoint saves). */
  progress: TrainingProgress;
}

export interface FitOptions {
  /** May be fractional: the run is `round(epochs * batchesPerEpoch)` steps. */
  epochs: number;
  lr: number;
  schedule?: ScheduleName;
  /** The training loss's reduction and label smoothing (default: the mean, no smoothing). */
  loss?: CrossEntropyOptions;
  /** Called after each optimizer step (1-based step, total steps), inside the counted time: e.g. a lookahead. */
  afterStep?: (step: number, totalSteps: number) => void;
  /** Seconds already spent on the run before this call (set-up such as a data-dependent init, or the part before a resume), added to `elapsedSeconds`. */
  elapsedBefore?: number;
  /** Stop after this many optimizer steps in total. */
  maxSteps?: number;
  /** Continue from saved progress. */
  start?: TrainingProgress;
  /** Evaluated after every epoch. */
  testLoader?: DataLoader;
  /** Evaluate with flip test-time augmentation too (`test.tta`). */
  tta?: boolean;
  onBatch?: (report: BatchReport) => void;
  /** Called after each epoch (save a checkpoint here); awaited. */
  onEpoch?: (report: EpochReport) => void | Promise<void>;
  /** Called when training stops early (max steps or cancel) with the progress to save and the training seconds so far. */
  onStop?: (progress: TrainingProgress, elapsedSeconds: number) => void | Promise<void>;
  /** Checked between batches: return true to stop (cancel). */
  shouldStop?: () => boolean;
  /** Times every layer's passes, the loss, the update and the wait for data (call `model.profile` too). */
  profiler?: Profiler;
}

export interface FitResult {
  progress: TrainingProgress;
  /** Why the loop ended. */
  reason: 'done' | 'max-steps' | 'cancelled';
  epochs: EpochReport[];
}

export async function fit(engine: Engine, model: Module, optimizer: Optimizer, loader: BatchSource, options: FitOptions): Promise<FitResult> {
  const { epochs, schedule = 'constant' } = options;
  const progress: TrainingProgress = { ...(options.start ?? { epoch: 0, batch: 0, step: 0 }) };
  const stepsPerEpoch = loader.batchesPerEpoch;
  const totalSteps = Math.round(epochs * stepsPerEpoch);
  const reports: EpochReport[] = [];
  // Training seconds before this epoch.
  let elapsed = options.elapsedBefore ?? 0;
  model.train();
  while (progress.step < totalSteps) {
    const epoch = progress.epoch;
    const started = performance.now();
    let [lossSum, correct, seen] = [0, 0, 0];
    let waitStarted = performance.now();
    for await (const batch of loader.batches(epoch, progress.batch)) {
      options.profiler?.add('data', 'data', 'wait', batch.shape, performance.now() - waitStarted);
      if (options.shouldStop?.() || (options.maxSteps !== undefined && progress.step >= options.maxSteps)) {
        const reason = options.shouldStop?.() ? 'cancelled' : 'max-steps';
        await options.onStop?.({ ...progress }, elapsed + (performance.now() - started) / 1000);
        return { progress, reason, epochs: reports };
      }
      optimizer.lr = learningRate(schedule, progress.step, { lr: options.lr, stepsPerEpoch, epochs });
      const result = trainStep(engine, model, optimizer, batch, options.profiler, options.loss);
      progress.batch++;
      progress.step++;
      options.afterStep?.(progress.step, totalSteps);
      lossSum += result.loss * result.size;
      correct += result.correct;
      seen += result.size;
      const seconds = (performance.now() - started) / 1000;
      const rate = seen / seconds;
      options.onBatch?.({
        epoch: epoch + 1, batch: progress.batch, batches: stepsPerEpoch, loss: lossSum / seen, accuracy: correct / seen,
        imagesPerSecond: rate, etaSeconds: (loader.dataset.length - progress.batch * loader.batchSize) / rate, lr: optimizer.lr, step: progress.step,
      });
      waitStarted = performance.now();
      if (progress.step >= totalSteps) break;
      await yieldToEventLoop();
    }
    const seconds = (performance.now() - started) / 1000;
    elapsed += seconds;
    // The last epoch of a fractional run ends part-way.
    const partial = progress.batch < stepsPerEpoch;
    const epochDone = partial ? epoch + progress.batch / stepsPerEpoch : epoch + 1;
    if (!partial) {
      progress.epoch++;
      progress.batch = 0;
    }
    const report: EpochReport = {
      epoch: epochDone, trainLoss: lossSum / seen, trainAccuracy: correct / seen, seconds, elapsedSeconds: elapsed,
      imagesPerSecond: seen / seconds, progress: { ...progress },
      ...(options.testLoader ? { test: evaluate(engine, model, options.testLoader, { tta: options.tta ?? false }) } : {}),
    };
    reports.push(report);
    await options.onEpoch?.(report);
  }
  return { progress, reason: 'done', epochs: reports };
}

/** Lets timers, I/O and progress output run between batches. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
