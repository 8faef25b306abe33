/**
 * The registry of models: a name, a PyTorch-identical definition and its options. The trainer,
 * the CLI (`--model`, `senet models`), the demo and the checkpoints' metadata all use these names.
 */
import type { Engine } from '../../engine/engine.js';
import type { Module } from '../module.js';
import { FAST_SENET_WIDTHS, FastSENet } from './fast-senet.js';
import { CifarResNet } from './resnet.js';
import { SENet } from './senet.js';

export interface ModelOptions {
  numClasses?: number;
  /** Seed of the default initialisation. Default 0. */
  seed?: number;
  /** Channels of each stage, for the models that take them (fast_senet: three groups, default 32/64/128). */
  widths?: readonly number[];
}

/** A model built by the registry: a module with its class count. */
export type Model = Module & { readonly numClasses: number };

export interface ModelEntry {
  readonly name: string;
  readonly description: string;
  /** Parameters with 10 classes (checked against the built model and PyTorch in the tests). */
  readonly parameters: number;
  /** Input size the model is made for: channels, height, width. */
  readonly input: readonly [number, number, number];
  /** The default widths, for a model that takes the `widths` option. */
  readonly widths?: readonly number[];
  create(engine: Engine, options?: ModelOptions): Model;
}

const cifarResNet = (depth: number, reduction: number, parameters: number): ModelEntry => ({
  name: `${reduction > 0 ? 'se_' : ''}resnet${depth}`,
  description: `He et al.'s CIFAR ResNet-${depth}${reduction > 0 ? ' with an SE block (reduction 16) in every basic block' : ''}`,
  parameters,
  input: [3, 32, 32],
  create: (engine, options = {}) => CifarResNet.create(engine, { depth, reduction, ...options }),
});

export const MODELS: readonly ModelEntry[] = [
  {
    name: 'senet',
    description: 'the seed SENet: five 3x3 conv-BN-ReLU stages, an SE block on the last, a linear classifier',
    parameters: 6_415_882,
    input: [3, 32, 32],
    create: (engine, options = {}) => SENet.create(engine, options),
  },
  {
    name: 'fast_senet',
    description: 'the fast recipe\'s network: a frozen 2x2 whitening conv, three conv-pool-BN-GELU-conv-BN-GELU-SE groups (widths 32/64/128), a linear head',
    parameters: 297_784,
    input: [3, 32, 32],
    widths: FAST_SENET_WIDTHS,
    create: (engine, options = {}) => FastSENet.create(engine, options),
  },
  cifarResNet(20, 16, 274_490),
  cifarResNet(32, 16, 470_266),
  cifarResNet(56, 16, 861_818),
  cifarResNet(110, 16, 1_742_810),
  cifarResNet(20, 0, 272_474),
  cifarResNet(32, 0, 466_906),
  cifarResNet(56, 0, 855_770),
  cifarResNet(110, 0, 1_730_714),
];

export const MODEL_NAMES: readonly string[] = MODELS.map((m) => m.name);

/** The model of that name, or an error listing the names with the nearest one suggested. */
export function modelEntry(name: string): ModelEntry {
  const entry = MODELS.find((m) => m.name === name);
  if (entry) return entry;
  const nearest = [...MODEL_NAMES].sort((a, b) => editDistance(name, a) - editDistance(name, b))[0]!;
  throw new RangeError(`unknown model '${name}' (did you mean '${nearest}'?); the models are: ${MODEL_NAMES.join(', ')}`);
}

/** Builds the named model with PyTorch's default initialisation, its parameters allocated, in training mode. */
export function createModel(engine: Engine, name: string, options: ModelOptions = {}): Model {
  const entry = modelEntry(name);
  if (options.widths !== undefined && entry.widths === undefined) {
    throw new RangeError(`model '${name}' takes no widths option (the models that do: ${MODELS.filter((m) => m.widths).map((m) => m.name).join(', ')})`);
  }
  return entry.create(engine, options);
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row.push(Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    previous = row;
  }
  return previous[b.length]!;
}
