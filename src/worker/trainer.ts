/**
 * The trainer: an engine, the reference model, its data and training runs behind one object
 * whose methods take and return plain data (structured-cloneable), so that it can live in a
 * worker: trainer-worker.ts exposes it with Comlink, client.ts (`createTrainer`) is the
 * caller's side. It runs the same way in Node's worker_threads and in a browser's module Web
 * Worker.
 */
import { Engine, type EngineOptions } from '../engine/engine.js';
import type { Features } from '../engine/features.js';
import type { VariantName } from '../engine/variants.js';
import { DataLoader, type BatchSource, type LoaderOptions } from '../data/loader.js';
import { ImageDataset, loadCifar10, readCifar10Archive, readCifar10Files, type Split } from '../data/cifar10.js';
import { syntheticImages } from '../data/synthetic.js';
import { createModel, modelEntry, type Model, type ModelOptions } from '../nn/models/index.js';
import type { FastSENet } from '../nn/models/fast-senet.js';
import { metadataEntries, PIXELS_01, readMetadata, resolveModelName, type ModelMetadata, type Normalization } from '../train/metadata.js';
import { fit, type BatchReport, type EpochReport, type FitResult } from '../train/fit.js';
import { evaluate, type Evaluation } from '../train/step.js';
import {
  CIFAR10_NORMALIZATION, FAST, FAST_MODEL, FAST_OVERRIDES, FAST_RECIPE, fastLookaheadStep, fastOptimizer, fastWhitening, RECIPES,
} from '../train/fast.js';
import { Lookahead } from '../optim/lookahead.js';
import type { Optimizer } from '../optim/optimizers.js';
import { restoreTrainingCheckpoint, stateDictFromBytes, stateDictToBytes, trainingCheckpoint, type TrainingProgress } from '../train/checkpoint.js';
import { checkResumable, makeOptimizer, SEED_RECIPE, type RunOptions } from '../train/run.js';
import { PrefetchingLoader } from './prefetch.js';
import { readFolderSource, type FolderSource } from './folder-source.js';
import type { ResizeMode } from '../data/resize.js';
import { Profiler, type ProfileRow } from '../autograd/profile.js';

export interface TrainerOptions {
  /** The registry name of the model (see MODELS). Default 'senet', the seed model. */
  model?: string;
  /** Threads the kernels run on. Default: the host's cores. */
  threads?: number;
  /** Force a WebAssembly build instead of choosing by feature detection. */
  variant?: VariantName;
  /** Seed of the model's initialisation. Default 0. */
  seed?: number;
  numClasses?: number;
  /** The model's widths, for a model that takes them (fast_senet). */
  widths?: number[];
  threadStackSize?: number;
}

export interface TrainerInfo {
  /** The model's registry name. */
  model: string;
  variant: VariantName;
  threads: number;
  features: Features;
  parameters: number;
  /** Why fewer threads run than asked for, and the like. */
  warnings: string[];
}

/** Where the data comes from; `limit` keeps the first N training and N test records. */
export type DataSource = {
  limit?: number;
  /** Read only the test set (for evaluating). */
  testOnly?: boolean;
} & (
  | { kind: 'synthetic'; train?: number; test?: number }
  /** A CIFAR-10 folder or archive on the file system (Node). */
  | { kind: 'path'; path: string }
  /** `cifar-10-binary.tar.gz` (or `.tar`) as a Blob, e.g. a File a user picked. */
  | { kind: 'archive'; archive: Blob; name?: string }
  /** The batch files as Files (`data_batch_1.bin` ... `test_batch.bin`, optionally `batches.meta.txt`). */
  | { kind: 'files'; files: (Blob & { name: string })[] }
  /**
   * An image folder (one folder per class; see src/data/folder.ts): `path` on the file system
   * (Node), or `files` a page was given. `limit` keeps N images of each split, round-robin over
   * the classes. The test set is its validation images.
   */
  | FolderSource
);

export interface LoadCallbacks {
  /** While images are decoded: how many of `total` are done. */
  onProgress?: (done: number, total: number) => void;
}

export interface DataInfo {
  source: string;
  train: number;
  test: number;
  classes: string[];
  /** Height and width of the images. */
  imageSize: [number, number];
  /** What was found (an image folder's layout, classes, ignored and skipped files), in words. */
  details: string[];
  /** The model's parameters: a fresh model is rebuilt for the data's class count. */
  parameters: number;
}

export interface FitRequest extends Partial<RunOptions> {
  /**
   * 'fast': the fast recipe (src/train/fast.ts) on fast_senet, from a freshly built model (the
   * trainer's seed and widths); only `epochs` (default 2.5) and `seed` may be given with it.
   */
  recipe?: RunOptions['recipe'];
  /** Stop after this many optimizer steps in total. */
  maxSteps?: number;
  /** A training checkpoint (from an `onEpoch` or `onStop` report) to continue from. */
  resume?: Uint8Array;
  /** Evaluate on the test set after every epoch. Default true. */
  evaluate?: boolean;
  /** Attach a training checkpoint to every epoch report and to the stop report. Default false. */
  checkpoints?: boolean;
  /** Prepare the next batch in a worker while the current one trains. Default true. */
  prefetch?: boolean;
  /** Time every layer's forward and backward, the loss, the update and the wait for data. */
  profile?: boolean;
}

export interface EpochUpdate extends EpochReport {
  /** With `checkpoints`: the training checkpoint after this epoch (safetensors bytes). */
  checkpoint?: Uint8Array;
}

export interface StopUpdate {
  progress: TrainingProgress;
  reason: 'max-steps' | 'cancelled';
  checkpoint?: Uint8Array;
}

export interface FitCallbacks {
  onBatch?: (report: BatchReport) => void;
  onEpoch?: (report: EpochUpdate) => void | Promise<void>;
  onStop?: (report: StopUpdate) => void | Promise<void>;
}

export interface FitSummary extends Omit<FitResult, 'epochs'> {
  run: RunOptions;
  epochs: EpochReport[];
  /** With `profile`: summed times of the steps this call ran. */
  profile?: { steps: number; rows: ProfileRow[] };
}

export interface Prediction {
  /** Class probabilities (softmax of the logits), one row per image. */
  probabilities: number[][];
  /** The model's outputs, one row per image. */
  logits: number[][];
  /** The most probable class of each image. */
  predicted: number[];
}

export interface TestImages {
  /** CHW uint8 images, one after the other. */
  images: Uint8Array;
  labels: number[];
  shape: [number, number, number];
  classes: string[];
}

export class Trainer {
  private engine: Engine | undefined;
  private model: Model | undefined;
  private modelName = 'senet';
  /** The model's build options: classes, seed, widths (a rebuild keeps them). */
  private modelOptions: ModelOptions = {};
  /** Whether the weights are still the initial ones (nothing trained or loaded): loadData may then rebuild the model. */
  private fresh = true;
  /** The size the model's inputs have (the data's, else a loaded state dict's, else the registry's), and how images were resized. */
  private input: { size: [number, number]; resize?: ResizeMode } = { size: [32, 32] };
  /** How pixels become the model's inputs: the seed recipe's [0, 1], the fast recipe's, or what a loaded state dict recorded. */
  private normalization: Normalization = PIXELS_01;
  /** The class names: the data's, else those a loaded state dict recorded. */
  private classes: string[] | undefined;
  private data: { train: ImageDataset; test: ImageDataset; limit: number | undefined } | undefined;
  private busy: { name: string; done: Promise<unknown> } | undefined;
  private cancelRequested = false;

  /** Starts the engine and builds the model (default: the seed SENet) with PyTorch's default initialisation. */
  async init(options: TrainerOptions = {}): Promise<TrainerInfo> {
    if (this.engine) throw new Error('Trainer.init: already initialised');
    const warnings: string[] = [];
    const engineOptions: EngineOptions = {
      ...(options.threads === undefined ? {} : { threads: options.threads }),
      ...(options.variant === undefined ? {} : { variant: options.variant }),
      ...(options.threadStackSize === undefined ? {} : { threadStackSize: options.threadStackSize }),
      warn: (message) => warnings.push(message),
    };
    this.modelName = options.model ?? 'senet';
    this.modelOptions = { numClasses: options.numClasses ?? 10, seed: options.seed ?? 0, ...(options.widths ? { widths: options.widths } : {}) };
    const engine = await Engine.create(engineOptions);
    try {
      const [, height, width] = modelEntry(this.modelName).input;
      this.input = { size: [height, width] };
      this.model = createModel(engine, this.modelName, this.modelOptions);
    } catch (error) {
      await engine.close();
      throw error;
    }
    this.engine = engine;
    return {
      model: this.modelName, variant: engine.variant.name, threads: engine.threads, features: engine.features,
      parameters: this.model.parameters.count, warnings,
    };
  }

  /**
   * Loads the training and test sets. A model whose weights are still the initial ones is
   * rebuilt (same seed) for the data's class count; one that was trained or loaded must match it.
   */
  async loadData(source: DataSource, callbacks: LoadCallbacks = {}): Promise<DataInfo> {
    return this.exclusive('loadData', async () => {
      const { engine, model } = this.ready();
      let train: ImageDataset, test: ImageDataset, name: string;
      let details: string[] = [];
      if (source.kind === 'folder') {
        ({ train, test, name, details } = await readFolderSource(source, {
          defaultSize: this.input.size[0], testOnly: source.testOnly ?? false, limit: source.limit,
          workers: engine.features.cores, onProgress: callbacks.onProgress,
        }));
      } else {
        [train, test, name] = await readSource(source);
      }
      const classes = train.classes.length;
      if (classes !== model.numClasses) {
        if (!this.fresh) {
          throw new Error(`${name} has ${classes} classes; the model holds weights for ${model.numClasses} (trained or loaded), so it cannot change`);
        }
        this.modelOptions = { ...this.modelOptions, numClasses: classes };
        const rebuilt = createModel(engine, this.modelName, this.modelOptions);
        model.free();
        this.model = rebuilt;
      }
      const limit = source.limit;
      const cut = (set: ImageDataset) => (limit === undefined ? set : set.subset(limit));
      this.data = { train: cut(train), test: cut(test), limit };
      this.classes = [...train.classes];
      this.input = { size: [train.height, train.width], ...(source.kind === 'folder' ? { resize: source.resize ?? 'crop' } : {}) };
      return {
        source: name, train: this.data.train.length, test: this.data.test.length, classes: [...train.classes],
        imageSize: [train.height, train.width], details, parameters: this.ready().model.parameters.count,
      };
    });
  }

  /**
   * Trains with `request`'s options (the seed recipe where not given), from the current weights
   * with a fresh optimizer, or from `request.resume`. Resolves when the run ends, is cancelled
   * or reaches `maxSteps`; rejects on a non-finite loss (`NonFiniteLossError`, weights untouched).
   */
  async fit(request: FitRequest = {}, callbacks: FitCallbacks = {}): Promise<FitSummary> {
    return this.exclusive('fit', async () => {
      const data = this.loaded();
      const run = runOptions(request);
      const fast = run.recipe === 'fast';
      // The fast recipe's clock starts here: building the model and the whitening init count.
      const setupStarted = performance.now();
      if (fast) this.rebuildForFastRecipe();
      // The other recipes feed pixels in [0, 1] (what the state dict then records).
      else this.normalization = PIXELS_01;
      const { engine, model } = this.ready();
      this.fresh = false;
      let optimizer: Optimizer | undefined;
      let loader: BatchSource | undefined;
      try {
        optimizer = fast ? fastOptimizer(model, run) : makeOptimizer(model.parameters, run);
        const opt = optimizer;
        if (fast && !request.resume) fastWhitening(engine, model as unknown as FastSENet, data.train);
        const lookahead = fast ? new Lookahead(model) : undefined;
        let elapsedBefore = (performance.now() - setupStarted) / 1000;
        const checkpointOptions = { ...run, limit: data.limit };
        let start: TrainingProgress | undefined;
        if (request.resume) {
          // Everything is checked before the checkpoint's state is loaded: a refused resume changes nothing.
          start = restoreTrainingCheckpoint(request.resume, 'the checkpoint', model, opt, (metadata, options) => {
            this.checkModel(metadata, 'the checkpoint');
            checkResumable(options as Partial<RunOptions>, run, 'the checkpoint');
            if (options.limit !== data.limit) {
              throw new Error(`the checkpoint was made with limit ${String(options.limit)}; this data has limit ${String(data.limit)}`);
            }
            // The training time continues from the checkpoint's.
            if (metadata.elapsed_seconds !== undefined) elapsedBefore = Number(metadata.elapsed_seconds);
          }, lookahead).progress;
        }
        const checkpoint = (progress: TrainingProgress, elapsedSeconds: number) =>
          request.checkpoints
            ? {
                checkpoint: trainingCheckpoint(model, opt, progress, checkpointOptions, {
                  ...metadataEntries(this.metadata()), elapsed_seconds: String(elapsedSeconds),
                }, lookahead),
              }
            : {};
        const normalize = fast ? { normalize: { mean: CIFAR10_NORMALIZATION.mean, std: CIFAR10_NORMALIZATION.std } } : {};
        const loaderOptions: LoaderOptions = {
          batchSize: run.batchSize, shuffle: run.shuffle, seed: run.seed, augment: run.augment, ...normalize, ...(fast ? { dropLast: true } : {}),
        };
        const trainLoader = new DataLoader(data.train, loaderOptions);
        loader = request.prefetch === false ? trainLoader : await PrefetchingLoader.start(trainLoader);
        this.cancelRequested = false;
        const profiler = request.profile ? new Profiler() : undefined;
        model.profile(profiler);
        const result = await fit(engine, model, opt, loader, {
          epochs: run.epochs, lr: fast ? opt.lr : run.lr, schedule: run.schedule, maxSteps: request.maxSteps, start, elapsedBefore,
          ...(fast ? {
            loss: FAST.loss, tta: true,
            afterStep: (step: number, total: number) => fastLookaheadStep(lookahead!, model, step, total),
          } : {}),
          ...(request.evaluate === false || data.test.length === 0 ? {} : { testLoader: this.testLoader(data.test, 256) }),
          shouldStop: () => this.cancelRequested,
          profiler,
          onBatch: (report) => void callbacks.onBatch?.(report),
          onEpoch: async (report) => callbacks.onEpoch?.({ ...report, ...checkpoint(report.progress, report.elapsedSeconds) }),
          onStop: async (progress, elapsedSeconds) =>
            callbacks.onStop?.({ progress, reason: this.cancelRequested ? 'cancelled' : 'max-steps', ...checkpoint(progress, elapsedSeconds) }),
        });
        const steps = result.progress.step - (start?.step ?? 0);
        return { ...result, run, ...(profiler ? { profile: { steps, rows: profiler.report() } } : {}) };
      } finally {
        model.profile(undefined);
        if (loader instanceof PrefetchingLoader) await loader.close();
        optimizer?.free();
      }
    });
  }

  /** The fast recipe starts from a new fast_senet (the trainer's seed and widths) and feeds it normalised pixels. */
  private rebuildForFastRecipe(): void {
    const { engine, model } = this.ready();
    if (this.modelName !== FAST_MODEL) {
      throw new Error(`recipe 'fast' trains ${FAST_MODEL}; this trainer was made for ${this.modelName} (createTrainer({ model: '${FAST_MODEL}' }))`);
    }
    this.model = createModel(engine, FAST_MODEL, this.modelOptions);
    model.free();
    this.normalization = CIFAR10_NORMALIZATION;
  }

  /** A loader of `set` that feeds the model as it was trained (the trainer's normalisation). */
  private testLoader(set: ImageDataset, batchSize: number): DataLoader {
    const { mean, std } = this.normalization;
    return new DataLoader(set, { batchSize, normalize: { mean, std } });
  }

  /** Asks a running `fit` to stop after the current batch (it then calls `onStop` and resolves). */
  cancel(): void {
    this.cancelRequested = true;
  }

  /** Test loss, accuracy, per-class accuracy and confusion matrix, in eval mode; with `tta`, flip TTA's scores too. */
  async evaluate(options: { limit?: number; batchSize?: number; keepPredictions?: boolean; tta?: boolean } = {}): Promise<Evaluation> {
    return this.exclusive('evaluate', async () => {
      const { engine, model } = this.ready();
      const test = this.loaded().test;
      const set = options.limit === undefined ? test : test.subset(options.limit);
      const loader = this.testLoader(set, options.batchSize ?? 256);
      return evaluate(engine, model, loader, { keepPredictions: options.keepPredictions ?? false, tta: options.tta ?? false });
    });
  }

  /** Test images `start` .. `start + count - 1` (clipped to the set), for showing them. */
  testImages(start: number, count: number): TestImages {
    const test = this.loaded().test;
    const end = Math.min(test.length, start + count);
    const bytes = test.channels * test.height * test.width;
    const images = new Uint8Array(Math.max(0, end - start) * bytes);
    const labels: number[] = [];
    for (let i = start; i < end; i++) {
      images.set(test.image(i), (i - start) * bytes);
      labels.push(test.label(i));
    }
    return { images, labels, shape: [test.channels, test.height, test.width], classes: [...test.classes] };
  }

  /** The input size `predict` takes (height, width) and how images were resized to it (see resizeImage). */
  inputSize(): { size: [number, number]; resize: ResizeMode } {
    return { size: [...this.input.size], resize: this.input.resize ?? 'crop' };
  }

  /**
   * Class probabilities of `count` CHW uint8 images of 3 x the input size (inputSize(): 32x32
   * for CIFAR-10), scaled and normalised as in training, in eval mode.
   */
  async predict(images: Uint8Array, count: number): Promise<Prediction> {
    return this.exclusive('predict', async () => {
      const { engine, model } = this.ready();
      const [h, w] = this.input.size;
      const per = 3 * h * w;
      if (!Number.isInteger(count) || count < 1 || images.length !== count * per) {
        throw new RangeError(`predict: ${images.length} bytes is not ${count} images of 3x${h}x${w} (${count * per} bytes)`);
      }
      const wasTraining = model.training;
      model.eval();
      try {
        const { scale, mean, std } = this.normalization;
        const plane = h * w;
        const inputs = Float32Array.from(images, (v, i) => {
          const channel = Math.floor(i / plane) % 3;
          return (v * scale - mean[channel]!) / std[channel]!;
        });
        const out = engine.noGrad(() => engine.scope(() => model.call(engine.tensor([count, 3, h, w], inputs)).toArray()));
        const classes = out.length / count;
        const logits = Array.from({ length: count }, (_, i) => Array.from(out.subarray(i * classes, (i + 1) * classes)));
        const probabilities = logits.map((row) => softmax(Float32Array.from(row)));
        return { probabilities, logits, predicted: probabilities.map((p) => p.indexOf(Math.max(...p))) };
      } finally {
        model.train(wasTraining);
      }
    });
  }

  /**
   * The model's state dict as safetensors bytes: PyTorch's keys (loads with safetensors.torch),
   * and in its metadata the model's name and options, the class names and the input normalisation.
   */
  stateDict(): Uint8Array {
    return stateDictToBytes(this.ready().model.stateDict(), metadataEntries(this.metadata()));
  }

  /**
   * Loads a state dict (safetensors bytes, from senet-wasm or saved from PyTorch); `source`
   * names it in errors. One that records another model than this trainer's is refused, naming
   * both. Resolves to the file's metadata, if it has any.
   */
  async loadStateDict(bytes: Uint8Array, source = 'the state dict'): Promise<ModelMetadata | undefined> {
    return this.exclusive('loadStateDict', async () => {
      const { state, metadata } = stateDictFromBytes(bytes, source);
      const recorded = this.checkModel(metadata, source);
      this.ready().model.loadStateDict(state);
      this.fresh = false;
      if (recorded?.classes && !this.data) this.classes = recorded.classes;
      if (recorded?.imageSize && !this.data) this.input = { size: recorded.imageSize, ...(recorded.resize ? { resize: recorded.resize } : {}) };
      this.normalization = recorded?.normalization ?? PIXELS_01;
      return recorded;
    });
  }

  /** The file's metadata, after checking that it names this trainer's model (or none). */
  private checkModel(metadata: Record<string, string>, source: string): ModelMetadata | undefined {
    const recorded = readMetadata(metadata, source);
    resolveModelName(this.modelName, recorded?.model, source);
    return recorded;
  }

  private metadata(): ModelMetadata {
    const model = this.ready().model;
    const widths = this.modelOptions.widths;
    return {
      model: this.modelName, modelOptions: { numClasses: model.numClasses, ...(widths ? { widths } : {}) }, classes: this.classes,
      normalization: this.normalization, imageSize: this.input.size, ...(this.input.resize ? { resize: this.input.resize } : {}),
    };
  }

  /** Cancels a running fit and waits for it, then stops the engine's threads; the trainer cannot be used afterwards. */
  async close(): Promise<void> {
    this.cancelRequested = true;
    await this.busy?.done.catch(() => undefined);
    const engine = this.engine;
    this.engine = undefined;
    this.model = undefined;
    await engine?.close();
  }

  private ready(): { engine: Engine; model: Model } {
    if (!this.engine || !this.model) throw new Error('the trainer is not initialised (call init first) or was closed');
    return { engine: this.engine, model: this.model };
  }

  private loaded(): NonNullable<Trainer['data']> {
    if (!this.data) throw new Error('no data loaded (call loadData first)');
    return this.data;
  }

  /** Runs `task` unless another call is still running (a fit yields between batches). */
  private async exclusive<T>(name: string, task: () => Promise<T>): Promise<T> {
    if (this.busy) throw new Error(`${name}: the trainer is busy with ${this.busy.name} (cancel it or wait for it)`);
    const done = task();
    this.busy = { name, done };
    try {
      return await done;
    } finally {
      this.busy = undefined;
    }
  }
}

/** Every run option but the recipe. */
const RUN_KEYS: readonly (keyof RunOptions)[] = [...(Object.keys(SEED_RECIPE) as (keyof RunOptions)[]), 'weightDecay', 'noDecayNormBias', 'momentum', 'nesterov'];

function runOptions(request: FitRequest): RunOptions {
  if (request.recipe !== undefined) {
    if (!RECIPES.includes(request.recipe)) throw new Error(`unknown recipe '${String(request.recipe)}'; the recipes are: ${RECIPES.join(', ')}`);
    const allowed: readonly string[] = FAST_OVERRIDES;
    const others = RUN_KEYS.filter((k) => !allowed.includes(k) && request[k] !== undefined);
    if (others.length) throw new Error(`recipe 'fast' sets its own ${others.join(', ')} (only ${FAST_OVERRIDES.join(' and ')} may be given with it)`);
    const run = { ...FAST_RECIPE };
    for (const key of FAST_OVERRIDES) if (request[key] !== undefined) Object.assign(run, { [key]: request[key] });
    if (!(run.epochs > 0)) throw new RangeError(`epochs must be > 0, got ${run.epochs}`);
    return run;
  }
  const run = { ...SEED_RECIPE };
  for (const key of Object.keys(SEED_RECIPE) as (keyof RunOptions)[]) {
    if (request[key] !== undefined) Object.assign(run, { [key]: request[key] });
  }
  // The options without a seed-recipe default.
  for (const key of ['weightDecay', 'noDecayNormBias', 'momentum', 'nesterov'] as const) {
    if (request[key] !== undefined) Object.assign(run, { [key]: request[key] });
  }
  return run;
}

async function readSource(source: DataSource): Promise<[ImageDataset, ImageDataset, string]> {
  const [read, name] = splitsReader(source);
  if (source.testOnly) {
    // No training set: an empty one with the test set's classes.
    const { test } = await read(['test']);
    return [new ImageDataset(new Uint8Array(0), new Uint8Array(0), test.classes), test, name];
  }
  const { train, test } = await read(['train', 'test']);
  return [train, test, name];
}

type SplitsReader = <S extends Split>(splits: readonly S[]) => Promise<Record<S, ImageDataset>>;

/** How `source` reads a list of splits (an archive in one pass), and its name for messages. */
function splitsReader(source: DataSource): [SplitsReader, string] {
  switch (source.kind) {
    case 'synthetic':
      return [each((split) => (split === 'train' ? syntheticImages(source.train ?? 5000, 1) : syntheticImages(source.test ?? 1000, 2))), 'synthetic'];
    case 'path':
      return [each((split) => loadCifar10(source.path, split)), source.path];
    case 'archive': {
      const name = source.name ?? (source.archive as Partial<File>).name ?? 'the archive';
      return [(splits) => readCifar10Archive(source.archive, splits, name), name];
    }
    case 'files':
      return [each((split) => readCifar10Files(source.files, split)), source.files.map((f) => f.name).join(', ')];
    default:
      throw new Error(`unknown data source kind '${(source as { kind: unknown }).kind as string}'`);
  }
}

/** A SplitsReader that reads the splits one after the other with `read`. */
function each(read: (split: Split) => ImageDataset | Promise<ImageDataset>): SplitsReader {
  return async <S extends Split>(splits: readonly S[]) => {
    const sets = {} as Record<S, ImageDataset>;
    for (const split of splits) sets[split] = await read(split);
    return sets;
  };
}

function softmax(logits: Float32Array): number[] {
  const max = Math.max(...logits);
  const exp = Array.from(logits, (l) => Math.exp(l - max));
  const total = exp.reduce((a, b) => a + b, 0);
  return exp.map((e) => e / total);
}
