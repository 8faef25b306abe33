/**
 * Checkpoints as safetensors. A state dict (`--save`, `--init`, `senet eval --weights`) holds
 * exactly PyTorch's keys, so `safetensors.torch.load_file` reads it and `model.load_state_dict`
 * takes it. A training checkpoint adds the optimizer state under `optimizer.`, a lookahead's
 * average (the fast recipe's) under `lookahead.`, and the progress (epoch, batch, step) and the
 * run's options in the metadata.
 */
import type { Module, StateValue } from '../nn/module.js';
import type { Optimizer } from '../optim/optimizers.js';
import type { Lookahead } from '../optim/lookahead.js';
import { parseSafetensors, serializeSafetensors, type TensorInput } from './safetensors.js';

export function stateDictToBytes(state: ReadonlyMap<string, StateValue>, metadata: Record<string, string> = {}): Uint8Array {
  const tensors: Record<string, TensorInput> = {};
  for (const [key, value] of state) tensors[key] = { dtype: value.dtype, shape: value.shape, data: value.data } as TensorInput;
  return serializeSafetensors(tensors, metadata);
}

/** Reads a safetensors file as a state dict (float32 and int64 tensors only). */
export function stateDictFromBytes(bytes: Uint8Array, source: string): { state: Map<string, StateValue>; metadata: Record<string, string> } {
  const file = parseSafetensors(bytes, source);
  const state = new Map<string, StateValue>();
  for (const [key, t] of file.tensors) {
    if (t.dtype === 'F32') state.set(key, { dtype: 'F32', shape: t.shape, data: t.data });
    else if (t.dtype === 'I64') state.set(key, { dtype: 'I64', shape: t.shape, data: t.data });
    else throw new Error(`${source}: tensor '${key}' is ${t.dtype}; a state dict holds F32 and I64 tensors`);
  }
  return { state, metadata: file.metadata };
}

export interface TrainingProgress {
  /** Epochs completed. */
  epoch: number;
  /** Batches done in the epoch after that (0 at an epoch boundary). */
  batch: number;
  /** Optimizer steps taken. */
  step: number;
}

const OPTIMIZER_PREFIX = 'optimizer.';
const LOOKAHEAD_PREFIX = 'lookahead.';

/** Model, optimizer (and lookahead) state with the progress; `metadata` adds entries (the model's, see metadata.ts). */
export function trainingCheckpoint(
  model: Module, optimizer: Optimizer, progress: TrainingProgress, options: Record<string, unknown>, metadata: Record<string, string> = {},
  lookahead?: Lookahead,
): Uint8Array {
  const state = new Map(model.stateDict());
  for (const [key, value] of optimizer.stateDict()) state.set(OPTIMIZER_PREFIX + key, value);
  for (const [key, value] of lookahead?.stateDict() ?? []) state.set(LOOKAHEAD_PREFIX + key, value);
  return stateDictToBytes(state, {
    ...metadata, progress: JSON.stringify(progress), options: JSON.stringify(options), format: 'senet-wasm training checkpoint 1',
  });
}

/**
 * Restores model and optimizer (and the lookahead, when the run has one) from a training
 * checkpoint; returns its progress and options. `check` sees the metadata and the run options
 * first and may refuse them (by throwing): then nothing has been loaded.
 */
export function restoreTrainingCheckpoint(
  bytes: Uint8Array, source: string, model: Module, optimizer: Optimizer,
  check: (metadata: Record<string, string>, options: Record<string, unknown>) => void = () => {},
  lookahead?: Lookahead,
): { progress: TrainingProgress; options: Record<string, unknown> } {
  const { state, metadata } = stateDictFromBytes(bytes, source);
  if (metadata.progress === undefined) throw new Error(`${source}: not a training checkpoint (no progress metadata); use --init for a state dict`);
  const options = JSON.parse(metadata.options ?? '{}') as Record<string, unknown>;
  check(metadata, options);
  const modelState = new Map<string, StateValue>();
  const optimizerState = new Map<string, StateValue>();
  const lookaheadState = new Map<string, StateValue>();
  for (const [key, value] of state) {
    if (key.startsWith(OPTIMIZER_PREFIX)) optimizerState.set(key.slice(OPTIMIZER_PREFIX.length), value);
    else if (key.startsWith(LOOKAHEAD_PREFIX)) lookaheadState.set(key.slice(LOOKAHEAD_PREFIX.length), value);
    else modelState.set(key, value);
  }
  if ((lookaheadState.size > 0) !== (lookahead !== undefined)) {
    throw new Error(`${source}: ${lookahead ? 'has no lookahead average, which this run needs' : 'holds a lookahead average, which this run does not use'}`);
  }
  // The optimizer and the lookahead first: they are new, while a refused model state must leave the model as it was.
  lookahead?.loadStateDict(lookaheadState);
  optimizer.loadStateDict(optimizerState);
  model.loadStateDict(modelState);
  return { progress: JSON.parse(metadata.progress) as TrainingProgress, options };
}
