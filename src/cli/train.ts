/**
 * `senet train`: the seed recipe by default (Adam 1e-3, batch 128, 10 epochs, no augmentation),
 * or `--recipe fast` (fast_senet in 2.5 epochs: src/train/fast.ts).
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AUGMENTS } from '../data/loader.js';
import { SCHEDULES } from '../optim/schedules.js';
import { writeFileAtomic } from '../train/files.js';
import { formatBatch, formatEpoch } from '../train/progress.js';
import { formatProfile } from '../autograd/profile.js';
import { OPTIMIZERS, SEED_RECIPE, type RunOptions } from '../train/run.js';
import { FAST_MODEL, FAST_RECIPE, RECIPES } from '../train/fast.js';
import { createTrainer } from '../worker/client.js';
import { FOLDER_HELP, FOLDER_OPTIONS } from './data.js';
import { loadDataFromFlags } from './load.js';
import { withBatchSizeAdvice } from './memory.js';
import { nonNegativeNumber, oneOf, positiveInt, UsageError } from './usage.js';
import { chooseModel, parseWidths, trainerModelOptions } from './model.js';
import { MODEL_NAMES, modelEntry } from '../nn/models/index.js';

export const TRAIN_HELP = `senet train [options]: train a model (default: the seed SENet)

Defaults are the seed recipe: CIFAR-10, pixels in [0, 1], batch 128, shuffled, Adam lr 1e-3,
cross-entropy, 10 epochs, then test accuracy.

  --data DIR|FILE|synthetic  CIFAR-10 binary folder or cifar-10-binary.tar.gz; an image folder (one
                             folder of PNG/JPEG images per class, or train/CLASS/ and val/CLASS/);
                             'synthetic' for the built-in generated set. Default: ./data, downloading
                             CIFAR-10 if absent
  --recipe fast              the fast recipe: ${FAST_MODEL} to about 80% in 2.5 epochs (airbench94's training:
                             whitening init, SGD-Nesterov with BN biases at 64x the rate, label smoothing 0.2,
                             alternating flip + translate, lookahead, flip TTA). It sets every hyperparameter:
                             only --epochs (default 2.5), --seed, --widths, --threads, --data, --limit, --steps,
                             --out, --resume, --save and --profile go with it
  --model NAME               default senet (or the model --init/--resume's file records); one of
                             ${MODEL_NAMES.join(', ')} (senet models lists them)
  --widths A,B,C             the widths of a model that takes them (${FAST_MODEL}: default 32,64,128)
  --epochs N                 default 10 (may be fractional: 2.5)
  --batch-size N             default 128
  --optimizer adam|adamw|sgd default adam
  --lr X                     default 1e-3
  --momentum X               sgd's momentum, default 0.9
  --nesterov                 sgd with Nesterov momentum
  --weight-decay X           default 0 (adamw: 0.01)
  --no-decay-norm-bias       no weight decay on BatchNorm weights and biases or on any bias
  --schedule constant|step|cosine|one-cycle|triangle   default constant (triangle: the fast recipe's,
                             per step: 0.2 lr up to lr over 23% of the steps, then down to 0.07 lr)
  --augment none|crop-flip|flip-translate   default none (flip-translate: the fast recipe's alternating
                             flip and reflect-padded shifts of up to 2 pixels)
  --threads N                default: one per core
  --seed S                   initialisation, shuffling and augmentation seed, default 0
  --out DIR                  checkpoint.safetensors after each epoch and log.jsonl; default runs/senet
  --resume                   continue from DIR/checkpoint.safetensors (written after every epoch,
                             and when Ctrl-C stops a run after its current batch)
  --init W.safetensors       start from a state dict (PyTorch keys)
  --steps N                  stop after N optimizer steps
  --no-shuffle               take training records in file order (data_batch_1 first)
  --limit N                  use only the first N training and N test records (image folders: N of
                             each split, round-robin over the classes)
  --save W.safetensors       write the final state dict (loads in PyTorch with safetensors)
  --profile                  print where the training steps spent their time: every layer's
                             forward and backward, the loss, the optimizer update, the data wait
${FOLDER_HELP}`;

export const TRAIN_OPTIONS = {
  data: { type: 'string' }, model: { type: 'string' }, epochs: { type: 'string' }, 'batch-size': { type: 'string' },
  optimizer: { type: 'string' }, lr: { type: 'string' }, 'weight-decay': { type: 'string' }, schedule: { type: 'string' },
  augment: { type: 'string' }, threads: { type: 'string' }, seed: { type: 'string' }, out: { type: 'string' },
  resume: { type: 'boolean' }, init: { type: 'string' }, steps: { type: 'string' }, 'no-shuffle': { type: 'boolean' },
  limit: { type: 'string' }, save: { type: 'string' }, profile: { type: 'boolean' },
  momentum: { type: 'string' }, nesterov: { type: 'boolean' }, 'no-decay-norm-bias': { type: 'boolean' },
  ...FOLDER_OPTIONS,
  recipe: { type: 'string' }, widths: { type: 'string' },
} as const;

/** The flags that set what a recipe sets itself: an error with --recipe. */
const RECIPE_SETS = ['batch-size', 'optimizer', 'lr', 'weight-decay', 'schedule', 'augment', 'momentum', 'nesterov', 'no-decay-norm-bias', 'no-shuffle', 'init'];

/** `--recipe fast`'s run: the recipe, and the epochs and seed it may be given. */
function parseRecipe(v: Record<string, unknown>): RunOptions {
  const recipe = oneOf('recipe', v.recipe, RECIPES, RECIPES[0]!);
  const given = RECIPE_SETS.filter((flag) => v[flag] !== undefined);
  if (given.length) throw new UsageError(`--recipe ${recipe} sets its own ${given.map((f) => `--${f}`).join(', ')}: drop ${given.length > 1 ? 'them' : 'it'}`);
  if (v.model !== undefined && v.model !== FAST_MODEL) throw new UsageError(`--recipe ${recipe} trains ${FAST_MODEL}, not --model ${String(v.model)}`);
  const epochs = v.epochs === undefined ? undefined : Number(v.epochs);
  if (epochs !== undefined && !(epochs > 0)) throw new UsageError(`--epochs needs a number > 0, got '${String(v.epochs)}'`);
  return { ...FAST_RECIPE, ...(epochs === undefined ? {} : { epochs }), seed: parseSeed(v) };
}

function parseSeed(v: Record<string, unknown>): number {
  const seed = v.seed === undefined ? 0 : Number(v.seed);
  if (!Number.isInteger(seed) || seed < 0) throw new UsageError(`--seed needs an integer >= 0, got '${String(v.seed)}'`);
  return seed;
}

function parseRun(v: Record<string, unknown>): RunOptions {
  if (v.recipe !== undefined) return parseRecipe(v);
  const seed = parseSeed(v);
  const optimizer = oneOf('optimizer', v.optimizer, OPTIMIZERS, SEED_RECIPE.optimizer);
  if ((v.momentum !== undefined || v.nesterov) && optimizer !== 'sgd') throw new UsageError('--momentum and --nesterov are for --optimizer sgd');
  return {
    epochs: positiveEpochs(v.epochs),
    batchSize: positiveInt('batch-size', v['batch-size'], SEED_RECIPE.batchSize),
    optimizer,
    ...(v.momentum === undefined ? {} : { momentum: nonNegativeNumber('momentum', v.momentum, 0.9) }),
    ...(v.nesterov ? { nesterov: true } : {}),
    ...(v['no-decay-norm-bias'] ? { noDecayNormBias: true } : {}),
    lr: nonNegativeNumber('lr', v.lr, SEED_RECIPE.lr),
    ...(v['weight-decay'] === undefined ? {} : { weightDecay: nonNegativeNumber('weight-decay', v['weight-decay'], 0) }),
    schedule: oneOf('schedule', v.schedule, SCHEDULES, SEED_RECIPE.schedule),
    augment: oneOf('augment', v.augment, AUGMENTS, SEED_RECIPE.augment),
    seed,
    shuffle: !v['no-shuffle'],
  };
}

/** --epochs: a positive number (fractional epochs end part-way through the last), default the seed recipe's. */
function positiveEpochs(value: unknown): number {
  if (value === undefined) return SEED_RECIPE.epochs;
  const epochs = Number(value);
  if (!(epochs > 0) || !Number.isFinite(epochs)) throw new UsageError(`--epochs needs a number > 0, got '${String(value)}'`);
  return epochs;
}

export async function runTrain(v: Record<string, unknown>): Promise<void> {
  const run = parseRun(v);
  const widths = v.widths === undefined ? undefined : parseWidths(v.widths);
  const threads = v.threads === undefined ? undefined : positiveInt('threads', v.threads);
  const maxSteps = v.steps === undefined ? undefined : positiveInt('steps', v.steps);
  const limit = v.limit === undefined ? undefined : positiveInt('limit', v.limit);
  const out = (v.out as string | undefined) ?? join('runs', 'senet');
  const checkpointPath = join(out, 'checkpoint.safetensors');
  if (v.resume && v.init) throw new UsageError('--resume and --init exclude each other');
  if (v.resume && !existsSync(checkpointPath)) throw new UsageError(`--resume: no checkpoint at ${checkpointPath}`);

  const start = v.resume ? { bytes: readFileSync(checkpointPath), source: checkpointPath } : v.init ? { bytes: readFileSync(v.init as string), source: v.init as string } : undefined;
  const chosen = chooseModel(v.model ?? (run.recipe ? FAST_MODEL : undefined), start);
  const model = chosen.name;
  if (widths && modelEntry(model).widths === undefined) throw new UsageError(`--widths: ${model} takes no widths`);
  // A checkpoint or state dict of a model with other widths than the default records them.
  const trainer = await createTrainer({ ...trainerModelOptions(chosen, widths), ...(threads === undefined ? {} : { threads }), seed: run.seed });
  let stopListening = () => {};
  try {
    for (const warning of trainer.info.warnings) console.error(`senet-wasm: ${warning}`);
    const data = await loadDataFromFlags(trainer, v, limit);
    let resume: Uint8Array | undefined;
    if (v.resume) {
      resume = start!.bytes;
      console.error(`resuming from ${checkpointPath}`);
    } else if (start) {
      await trainer.loadStateDict(start.bytes, start.source);
    }
    mkdirSync(out, { recursive: true });
    const log = (entry: object) => appendFileSync(join(out, 'log.jsonl'), JSON.stringify(entry) + '\n');
    console.error(
      `training ${model} (${trainer.info.parameters.toLocaleString('en')} parameters) on ${data.source}: ${data.train} train / ${data.test} test images, ` +
        `${trainer.info.threads} thread(s), senet-${trainer.info.variant}`,
    );
    const tty = process.stderr.isTTY;
    let lastLine = 0;
    // Ctrl-C (or SIGTERM) stops after the current batch and saves a checkpoint to --resume from;
    // a second one quits at once.
    let interrupted = false;
    const interrupt = () => {
      if (interrupted) process.exit(130);
      interrupted = true;
      process.stderr.write('\nstopping after this batch (again to quit at once)\n');
      void trainer.cancel();
    };
    process.on('SIGINT', interrupt).on('SIGTERM', interrupt);
    stopListening = () => process.off('SIGINT', interrupt).off('SIGTERM', interrupt);
    const request = run.recipe ? { recipe: run.recipe, epochs: run.epochs, seed: run.seed } : run;
    const result = await trainer.fit({ ...request, maxSteps, resume, checkpoints: true, profile: Boolean(v.profile) }, {
      onBatch: (r) => {
        const now = Date.now();
        if (tty) process.stderr.write(`\r${formatBatch(r, run.epochs)}\x1b[K`);
        else if (now - lastLine > 30_000 || r.batch === r.batches) {
          process.stderr.write(`${formatBatch(r, run.epochs)}\n`);
          lastLine = now;
        }
        if (r.batch % 50 === 0) log({ type: 'batch', ...r });
      },
      onEpoch: ({ checkpoint, ...r }) => {
        if (tty) process.stderr.write('\n');
        console.log(formatEpoch(r, run.epochs));
        if (checkpoint) writeFileAtomic(checkpointPath, checkpoint);
        const { test: t, ...rest } = r;
        log({ type: 'epoch', ...rest, test: t && { loss: t.loss, accuracy: t.accuracy, perClass: t.perClass } });
      },
      onStop: ({ checkpoint, progress }) => {
        if (tty) process.stderr.write('\n');
        if (checkpoint) writeFileAtomic(checkpointPath, checkpoint);
        console.error(`stopped after ${progress.step} steps; checkpoint in ${checkpointPath}`);
      },
    }).catch((error: unknown) => {
      throw withBatchSizeAdvice(error, run.batchSize);
    });
    log({ type: 'end', reason: result.reason, progress: result.progress });
    if (interrupted) process.exitCode = 130;
    if (result.profile) console.log(formatProfile(result.profile.rows, result.profile.steps));
    if (v.save) {
      writeFileAtomic(v.save as string, await trainer.stateDict());
      console.error(`state dict written to ${String(v.save)}`);
    }
  } finally {
    stopListening();
    await trainer.close();
  }
}
