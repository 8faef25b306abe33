/**
 * The fast recipe (issue 14): `fast_senet` to about 80% on CIFAR-10 in 2.5 epochs, airbench94's
 * training with an SE block in every group. Its pieces are the library's; this module holds the
 * numbers and puts them together:
 *
 * - inputs normalised with CIFAR-10's channel mean and std; the whitening conv initialised from
 *   the first 5,000 training images (src/nn/whitening.ts), eps 5e-4;
 * - SGD, Nesterov, momentum 0.85, in airbench's units lr 15 and weight decay 0.0153: with
 *   kilostep = 1024 (1 + 1 / (1 - momentum)), the rate is 15 / kilostep, 64 times that for the
 *   BatchNorm biases, the decay wd = 0.0153 x 128 / kilostep, and each group's PyTorch (coupled)
 *   weight_decay wd / its base rate; frozen parameters are in no group. The schedule (`triangle`)
 *   scales the rates only, so the effective decay follows it and goes through the momentum;
 * - cross-entropy with label smoothing 0.2, summed over the batch;
 * - batch 128, shuffled, the last partial batch dropped (390 steps an epoch), 2.5 epochs (975 steps);
 * - the flip-translate augmentation (src/data/loader.ts) from the run's seed;
 * - the lookahead (src/optim/lookahead.ts) every 5 steps with decay 0.95^5 (step / total)^3,
 *   and the average taken after the last step;
 * - evaluation plain and with flip TTA after epochs 1 and 2 and at the end.
 */
import type { LabeledImages } from '../data/loader.js';
import type { Engine } from '../engine/engine.js';
import type { CrossEntropyOptions } from '../engine/ops/loss.js';
import type { FastSENet } from '../nn/models/fast-senet.js';
import { BatchNorm2d } from '../nn/layers/batchnorm.js';
import type { Module } from '../nn/module.js';
import type { Parameter } from '../nn/parameters.js';
import { initWhitening } from '../nn/whitening.js';
import { Lookahead, lookaheadDecay } from '../optim/lookahead.js';
import { SGD } from '../optim/optimizers.js';
import type { Normalization } from './metadata.js';
import type { RunOptions } from './run.js';

export type RecipeName = 'fast';
export const RECIPES: readonly RecipeName[] = ['fast'];

/** The network the fast recipe trains. */
export const FAST_MODEL = 'fast_senet';

/** CIFAR-10's channel mean and std (0-255 scale: 125.307, 122.950, 113.865 and 62.993, 62.089, 66.705), on the [0, 1] scale. */
export const CIFAR10_NORMALIZATION: Normalization = {
  scale: 1 / 255,
  mean: [125.307 / 255, 122.95 / 255, 113.865 / 255],
  std: [62.993 / 255, 62.089 / 255, 66.705 / 255],
};

/** The fast recipe as run options: `lr` and `weightDecay` in airbench's units (see fastOptimizer). */
export const FAST_RECIPE: RunOptions = {
  recipe: 'fast', epochs: 2.5, batchSize: 128, optimizer: 'sgd', lr: 15, weightDecay: 0.0153, momentum: 0.85, nesterov: true,
  schedule: 'triangle', augment: 'flip-translate', seed: 0, shuffle: true,
};

/** The run options `fit` may set along with `recipe: 'fast'` (the others are the recipe's). */
export const FAST_OVERRIDES = ['epochs', 'seed'] as const;

/** The rest of the recipe. */
export const FAST = {
  /** The BatchNorm biases learn this many times faster. */
  biasLrScale: 64,
  loss: { labelSmoothing: 0.2, reduction: 'sum' } satisfies CrossEntropyOptions,
  whitening: { count: 5000, eps: 5e-4 },
  lookahead: { every: 5, base: 0.95 },
} as const;

/**
 * SGD with the fast recipe's two groups: the BatchNorm biases at 64x the rate, the other
 * trainable parameters at lr / kilostep; each group's coupled decay is wd / its own rate.
 */
export function fastOptimizer(model: Module, run: RunOptions = FAST_RECIPE): SGD {
  const momentum = run.momentum ?? 0.85;
  const kilostep = 1024 * (1 + 1 / (1 - momentum));
  const lr = run.lr / kilostep;
  const wd = ((run.weightDecay ?? 0) * run.batchSize) / kilostep;
  const biases = new Set<Parameter>();
  for (const [, module] of model.namedModules()) if (module instanceof BatchNorm2d && module.bias.requiresGrad) biases.add(module.bias);
  const biasLr = lr * FAST.biasLrScale;
  return new SGD(model.parameters, {
    lr, momentum, nesterov: run.nesterov ?? true, weightDecay: wd / lr,
    groups: [{ params: [...biases], lrScale: FAST.biasLrScale, weightDecay: wd / biasLr }],
  });
}

/** Sets the whitening conv of `model` from the first training images, normalised as the recipe's inputs. */
export function fastWhitening(engine: Engine, model: FastSENet, train: LabeledImages): void {
  const { mean, std } = CIFAR10_NORMALIZATION;
  initWhitening(engine, model.whiten, train, { ...FAST.whitening, normalize: { mean, std } });
}

/** The lookahead after step `step` of `total` (1-based): every 5 steps, and the average taken after the last. */
export function fastLookaheadStep(lookahead: Lookahead, model: Module, step: number, total: number): void {
  const decay = lookaheadDecay(step, total, FAST.lookahead.every, FAST.lookahead.base);
  if (decay !== undefined) lookahead.update(model, decay);
  if (step === total) lookahead.update(model, 1);
}
