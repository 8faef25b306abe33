/**
 * The training loop: epochs of train steps with the learning-rate schedule, progress callbacks,
 * an evaluation after each epoch, stopping after a number of steps, and resuming from saved
 * progress so that an interrupted run ends with the same weights as an uninterrupted one.
 */
import type { Engine } from '../engine/engine.js';
import type { BatchSource, DataLoader } from '../data/loader.js';
import type { Module } from '../nn/module.js';
import type { Optimizer } from '../optim/optimizers.js';
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
  /** 1-based. */
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  seconds: number;
  imagesPerSecond: number;
  test?: Evaluation;
  /** Where training stands after this epoch (what a checkpoint saves). */
  progress: TrainingProgress;
}

export interface FitOptions {
  epochs: number;
  lr: number;
  schedule?: ScheduleName;
  /** Stop after this many optimizer steps in total. */
  maxSteps?: number;
  /** Continue from saved progress. */
  start?: TrainingProgress;
  /** Evaluated after every epoch. */
  testLoader?: DataLoader;
  onBatch?: (report: BatchReport) => void;
  /** Called after each epoch (save a checkpoint here); awaited. */
  onEpoch?: (report: EpochReport) => void | Promise<void>;
  /** Called when training stops early (max steps or cancel) with the progress to save. */
  onStop?: (progress: TrainingProgress) => void | Promise<void>;
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
  const reports: EpochReport[] = [];
  model.train();
  while (progress.epoch < epochs) {
    const epoch = progress.epoch;
    const started = performance.now();
    let [lossSum, correct, seen] = [0, 0, 0];
    let waitStarted = performance.now();
    for await (const batch of loader.batches(epoch, progress.batch)) {
      options.profiler?.add('data', 'data', 'wait', batch.shape, performance.now() - waitStarted);
      if (options.shouldStop?.() || (options.maxSteps !== undefined && progress.step >= options.maxSteps)) {
        const reason = options.shouldStop?.() ? 'cancelled' : 'max-steps';
        await options.onStop?.({ ...progress });
        return { progress, reason, epochs: reports };
      }
      optimizer.lr = learningRate(schedule, progress.step, { lr: options.lr, stepsPerEpoch, epochs });
      const result = trainStep(engine, model, optimizer, batch, options.profiler);
      progress.batch++;
      progress.step++;
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
      await yieldToEventLoop();
    }
    const seconds = (performance.now() - started) / 1000;
    progress.epoch++;
    progress.batch = 0;
    const report: EpochReport = {
      epoch: progress.epoch, trainLoss: lossSum / seen, trainAccuracy: correct / seen, seconds, imagesPerSecond: seen / seconds,
      progress: { ...progress },
      ...(options.testLoader ? { test: evaluate(engine, model, options.testLoader) } : {}),
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
