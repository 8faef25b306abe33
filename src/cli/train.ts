/** `senet train`: the seed recipe by default (Adam 1e-3, batch 128, 10 epochs, no augmentation). */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Engine } from '../engine/engine.js';
import { AUGMENTS, DataLoader } from '../data/loader.js';
import { SENet } from '../nn/models/senet.js';
import { Adam, AdamW, SGD, type Optimizer } from '../optim/optimizers.js';
import { SCHEDULES } from '../optim/schedules.js';
import { restoreTrainingCheckpoint, stateDictFromBytes, stateDictToBytes, trainingCheckpoint, type TrainingProgress } from '../train/checkpoint.js';
import { writeFileAtomic } from '../train/files.js';
import { fit } from '../train/fit.js';
import { formatBatch, formatEpoch } from '../train/progress.js';
import { loadData } from './data.js';
import { nonNegativeNumber, oneOf, positiveInt, UsageError } from './usage.js';

export const TRAIN_HELP = `senet train [options]: train the reference SENet

Defaults are the seed recipe: CIFAR-10, pixels in [0, 1], batch 128, shuffled, Adam lr 1e-3,
cross-entropy, 10 epochs, then test accuracy.

  --data DIR|FILE|synthetic  CIFAR-10 binary folder or cifar-10-binary.tar.gz; 'synthetic' for the
                             built-in generated set. Default: ./data, downloading the archive if absent
  --model senet              the model (only the reference SENet so far)
  --epochs N                 default 10
  --batch-size N             default 128
  --optimizer adam|adamw|sgd default adam (sgd uses momentum 0.9)
  --lr X                     default 1e-3
  --weight-decay X           default 0 (adamw: 0.01)
  --schedule constant|step|cosine|one-cycle   default constant
  --augment none|crop-flip   default none
  --threads N                default: one per core
  --seed S                   initialisation, shuffling and augmentation seed, default 0
  --out DIR                  checkpoint.safetensors after each epoch and log.jsonl; default runs/senet
  --resume                   continue from DIR/checkpoint.safetensors
  --init W.safetensors       start from a state dict (PyTorch keys)
  --steps N                  stop after N optimizer steps
  --no-shuffle               take training records in file order (data_batch_1 first)
  --limit N                  use only the first N training and N test records
  --save W.safetensors       write the final state dict (loads in PyTorch with safetensors)`;

export const TRAIN_OPTIONS = {
  data: { type: 'string' }, model: { type: 'string' }, epochs: { type: 'string' }, 'batch-size': { type: 'string' },
  optimizer: { type: 'string' }, lr: { type: 'string' }, 'weight-decay': { type: 'string' }, schedule: { type: 'string' },
  augment: { type: 'string' }, threads: { type: 'string' }, seed: { type: 'string' }, out: { type: 'string' },
  resume: { type: 'boolean' }, init: { type: 'string' }, steps: { type: 'string' }, 'no-shuffle': { type: 'boolean' },
  limit: { type: 'string' }, save: { type: 'string' },
} as const;

/** The options that define a run; a resumed run must use the same ones. */
interface RunOptions {
  epochs: number;
  batchSize: number;
  optimizer: 'adam' | 'adamw' | 'sgd';
  lr: number;
  weightDecay: number | undefined;
  schedule: (typeof SCHEDULES)[number];
  augment: (typeof AUGMENTS)[number];
  seed: number;
  shuffle: boolean;
  limit: number | undefined;
}

function parseRun(v: Record<string, unknown>): RunOptions {
  oneOf('model', v.model, ['senet'] as const, 'senet');
  const seed = v.seed === undefined ? 0 : Number(v.seed);
  if (!Number.isInteger(seed) || seed < 0) throw new UsageError(`--seed needs an integer >= 0, got '${String(v.seed)}'`);
  return {
    epochs: positiveInt('epochs', v.epochs, 10),
    batchSize: positiveInt('batch-size', v['batch-size'], 128),
    optimizer: oneOf('optimizer', v.optimizer, ['adam', 'adamw', 'sgd'] as const, 'adam'),
    lr: nonNegativeNumber('lr', v.lr, 1e-3),
    weightDecay: v['weight-decay'] === undefined ? undefined : nonNegativeNumber('weight-decay', v['weight-decay'], 0),
    schedule: oneOf('schedule', v.schedule, SCHEDULES, 'constant'),
    augment: oneOf('augment', v.augment, AUGMENTS, 'none'),
    seed,
    shuffle: !v['no-shuffle'],
    limit: v.limit === undefined ? undefined : positiveInt('limit', v.limit),
  };
}

function makeOptimizer(model: SENet, run: RunOptions): Optimizer {
  const weightDecay = run.weightDecay;
  switch (run.optimizer) {
    case 'adam':
      return new Adam(model.parameters, { lr: run.lr, weightDecay: weightDecay ?? 0 });
    case 'adamw':
      return new AdamW(model.parameters, { lr: run.lr, ...(weightDecay === undefined ? {} : { weightDecay }) });
    case 'sgd':
      return new SGD(model.parameters, { lr: run.lr, momentum: 0.9, weightDecay: weightDecay ?? 0 });
  }
}

export async function runTrain(v: Record<string, unknown>): Promise<void> {
  const run = parseRun(v);
  const threads = v.threads === undefined ? undefined : positiveInt('threads', v.threads);
  const maxSteps = v.steps === undefined ? undefined : positiveInt('steps', v.steps);
  const out = (v.out as string | undefined) ?? join('runs', 'senet');
  const checkpointPath = join(out, 'checkpoint.safetensors');
  if (v.resume && v.init) throw new UsageError('--resume and --init exclude each other');
  if (v.resume && !existsSync(checkpointPath)) throw new UsageError(`--resume: no checkpoint at ${checkpointPath}`);

  const { train, test, source } = await loadData(v.data as string | undefined, run.limit);
  const engine = await Engine.create({ threads });
  try {
    const model = SENet.create(engine, { numClasses: train.classes.length, seed: run.seed });
    const optimizer = makeOptimizer(model, run);
    let start: TrainingProgress | undefined;
    if (v.resume) {
      const restored = restoreTrainingCheckpoint(readFileSync(checkpointPath), checkpointPath, model, optimizer);
      const saved = restored.options as Partial<RunOptions>;
      for (const key of ['batchSize', 'optimizer', 'seed', 'shuffle', 'augment', 'limit', 'schedule', 'lr'] as const) {
        if (JSON.stringify(saved[key]) !== JSON.stringify(run[key])) {
          throw new UsageError(`--resume: the checkpoint was made with ${key} ${JSON.stringify(saved[key])}, this run has ${JSON.stringify(run[key])}`);
        }
      }
      start = restored.progress;
      console.error(`resuming from ${checkpointPath}: epoch ${start.epoch}, step ${start.step}`);
    } else if (v.init) {
      const path = v.init as string;
      model.loadStateDict(stateDictFromBytes(readFileSync(path), path).state);
    }
    mkdirSync(out, { recursive: true });
    const log = (entry: object) => appendFileSync(join(out, 'log.jsonl'), JSON.stringify(entry) + '\n');
    const save = (progress: TrainingProgress) => writeFileAtomic(checkpointPath, trainingCheckpoint(model, optimizer, progress, { ...run }));
    console.error(
      `training SENet (${model.parameters.count.toLocaleString('en')} parameters) on ${source}: ${train.length} train / ${test.length} test images, ` +
        `${engine.threads} thread(s), senet-${engine.variant.name}`,
    );
    const trainLoader = new DataLoader(train, { batchSize: run.batchSize, shuffle: run.shuffle, seed: run.seed, augment: run.augment });
    const testLoader = new DataLoader(test, { batchSize: 256 });
    const tty = process.stderr.isTTY;
    let lastLine = 0;
    const result = await fit(engine, model, optimizer, trainLoader, {
      epochs: run.epochs, lr: run.lr, schedule: run.schedule, maxSteps, start, testLoader,
      onBatch: (r) => {
        const now = Date.now();
        if (tty) process.stderr.write(`\r${formatBatch(r, run.epochs)}\x1b[K`);
        else if (now - lastLine > 30_000 || r.batch === r.batches) {
          process.stderr.write(`${formatBatch(r, run.epochs)}\n`);
          lastLine = now;
        }
        if (r.batch % 50 === 0) log({ type: 'batch', ...r });
      },
      onEpoch: (r) => {
        if (tty) process.stderr.write('\n');
        console.log(formatEpoch(r, run.epochs));
        save(r.progress);
        const { test: t, ...rest } = r;
        log({ type: 'epoch', ...rest, test: t && { loss: t.loss, accuracy: t.accuracy, perClass: t.perClass } });
      },
      onStop: (progress) => {
        if (tty) process.stderr.write('\n');
        save(progress);
        console.error(`stopped after ${progress.step} steps; checkpoint in ${checkpointPath}`);
      },
    });
    log({ type: 'end', reason: result.reason, progress: result.progress });
    if (v.save) {
      writeFileAtomic(v.save as string, stateDictToBytes(model.stateDict()));
      console.error(`state dict written to ${String(v.save)}`);
    }
  } finally {
    await engine.close();
  }
}
