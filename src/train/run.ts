/**
 * A training run's options (the seed recipe by default), the optimizer they make, and the check
 * that a checkpoint may be resumed with them. Shared by the trainer (and so the CLI and the demo).
 */
import type { Augment } from '../data/loader.js';
import type { ParameterBuffer, ParameterGroupSpec } from '../nn/parameters.js';
import { Adam, AdamW, SGD, type Optimizer } from '../optim/optimizers.js';
import type { ScheduleName } from '../optim/schedules.js';
import type { RecipeName } from './fast.js';

export type OptimizerName = 'adam' | 'adamw' | 'sgd';
export const OPTIMIZERS: readonly OptimizerName[] = ['adam', 'adamw', 'sgd'];

export interface RunOptions {
  /** A recipe that sets every other option and adds its own pieces (src/train/fast.ts). */
  recipe?: RecipeName;
  /** May be fractional (the fast recipe's 2.5). */
  epochs: number;
  batchSize: number;
  optimizer: OptimizerName;
  lr: number;
  /** Undefined: the optimizer's default (0; AdamW 0.01). */
  weightDecay?: number;
  /** No weight decay on one-dimensional parameters (BatchNorm weights and biases, every bias), as timm does. */
  noDecayNormBias?: boolean;
  /** SGD's momentum. Default 0.9. */
  momentum?: number;
  /** SGD with Nesterov momentum. */
  nesterov?: boolean;
  schedule: ScheduleName;
  augment: Augment;
  /** Seeds the shuffling and augmentation (the model's initialisation has its own seed). */
  seed: number;
  shuffle: boolean;
}

/** The seed recipe: batch 128, shuffled, Adam lr 1e-3, 10 epochs, no augmentation. */
export const SEED_RECIPE: RunOptions = {
  epochs: 10, batchSize: 128, optimizer: 'adam', lr: 1e-3, schedule: 'constant', augment: 'none', seed: 0, shuffle: true,
};

export function makeOptimizer(parameters: ParameterBuffer, run: RunOptions): Optimizer {
  const { lr, weightDecay } = run;
  const groups: ParameterGroupSpec[] = run.noDecayNormBias ? [{ params: (_name, p) => p.shape.length <= 1, weightDecay: 0 }] : [];
  switch (run.optimizer) {
    case 'adam':
      return new Adam(parameters, { lr, weightDecay: weightDecay ?? 0, groups });
    case 'adamw':
      return new AdamW(parameters, { lr, ...(weightDecay === undefined ? {} : { weightDecay }), groups });
    case 'sgd':
      return new SGD(parameters, { lr, momentum: run.momentum ?? 0.9, nesterov: run.nesterov ?? false, weightDecay: weightDecay ?? 0, groups });
  }
}

/** The options a resumed run must share with the checkpoint it resumes (epochs may grow). */
const SAME_ON_RESUME = [
  'recipe', 'batchSize', 'optimizer', 'lr', 'weightDecay', 'noDecayNormBias', 'momentum', 'nesterov', 'schedule', 'augment', 'seed', 'shuffle',
] as const;

/** Throws, naming the option and both values, unless `saved` (a checkpoint's) can continue as `run`. */
export function checkResumable(saved: Partial<RunOptions>, run: RunOptions, source: string): void {
  for (const key of SAME_ON_RESUME) {
    if (JSON.stringify(saved[key]) !== JSON.stringify(run[key])) {
      throw new Error(`${source} was made with ${key} ${JSON.stringify(saved[key])}; this run has ${JSON.stringify(run[key])}`);
    }
  }
}
