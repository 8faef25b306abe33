#!/usr/bin/env node
/**
 * The `senet` command: train, eval, predict, models and info. Exit codes: 0 success, 1 failure,
 * 2 bad usage, 141 when the reader of its output went away (`senet info | head -1`), as for a
 * program that SIGPIPE ends.
 */
import { constants } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { detectFeatures } from '../engine/features.js';
import { UsageError } from './usage.js';
import { runTrain, TRAIN_HELP, TRAIN_OPTIONS } from './train.js';
import { runEval, EVAL_HELP, EVAL_OPTIONS } from './eval.js';
import { runInfo, INFO_HELP, INFO_OPTIONS } from './info.js';
import { runPredict, PREDICT_HELP, PREDICT_OPTIONS } from './predict.js';
import { runModels, MODELS_HELP, MODELS_OPTIONS } from './models.js';

const HELP = `senet: train and run SENet on the CPU with WebAssembly (SIMD + threads)

Usage:
  senet train [options]   train a model (default: the seed SENet and recipe on CIFAR-10)
  senet eval --weights W  test loss, accuracy, per-class accuracy and confusion matrix
  senet predict --weights W image.png ...   top-3 classes of PNG or JPEG images
  senet models            the models --model can name, with their parameter counts
  senet info              the WebAssembly build, SIMD features and threads of this host

Run 'senet <command> --help' for a command's options.`;

interface Command {
  help: string;
  options: NonNullable<ParseArgsConfig['options']>;
  /** Takes positional arguments (files). */
  positionals?: boolean;
  run: (values: Record<string, unknown>, positionals: string[]) => Promise<void>;
}

const COMMANDS: Record<string, Command> = {
  train: { help: TRAIN_HELP, options: TRAIN_OPTIONS, run: runTrain },
  eval: { help: EVAL_HELP, options: EVAL_OPTIONS, run: runEval },
  info: { help: INFO_HELP, options: INFO_OPTIONS, run: runInfo },
  predict: { help: PREDICT_HELP, options: PREDICT_OPTIONS, positionals: true, run: runPredict },
  models: { help: MODELS_HELP, options: MODELS_OPTIONS, run: runModels },
};

/**
 * Node 20's V8 compiles relaxed SIMD (fused multiply-add, about +15% on convolutions) only
 * behind a flag that is on by default from Node 22. The flag is read when a module compiles,
 * so the command (an application, unlike the library) turns it on before loading the engine.
 */
async function enableRelaxedSimd(): Promise<void> {
  if (!(await detectFeatures()).relaxedSimd) setFlagsFromString('--experimental-wasm-relaxed-simd');
}

/**
 * A write to a pipe whose reader has gone (`senet info | head -1`) fails with EPIPE, since Node
 * ignores SIGPIPE; unhandled, that is a stack trace. Stop at once instead, and quietly, with the
 * status of a program SIGPIPE ended: nobody reads the rest.
 */
function exitQuietlyWhenTheReaderCloses(stream: NodeJS.WriteStream): void {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(128 + constants.signals.SIGPIPE);
    throw error;
  });
}

async function main(argv: string[]): Promise<void> {
  exitQuietlyWhenTheReaderCloses(process.stdout);
  exitQuietlyWhenTheReaderCloses(process.stderr);
  await enableRelaxedSimd();
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(HELP);
    return;
  }
  const command = COMMANDS[name];
  if (!command) throw new UsageError(`unknown command '${name}' (try senet --help)`);
  let values: Record<string, unknown>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: rest, options: { ...command.options, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: command.positionals ?? false,
    }));
  } catch (error) {
    throw new UsageError(`${name}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (values.help) {
    console.log(command.help);
    return;
  }
  await command.run(values, positionals);
}

main(process.argv.slice(2)).then(
  () => {
    process.exitCode ??= 0; // a command may have set its own (senet train: 130 after Ctrl-C)
  },
  (error: unknown) => {
    console.error(`senet: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = error instanceof UsageError ? 2 : 1;
  },
);
