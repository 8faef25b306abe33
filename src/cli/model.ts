/** Which model a command builds: `--model`, else the one its weights file records, else the seed `senet`. */
import { modelEntry } from '../nn/models/index.js';
import { stateDictFromBytes } from '../train/checkpoint.js';
import { readMetadata, resolveModelName, type ModelMetadata } from '../train/metadata.js';
import { UsageError } from './usage.js';

export interface ChosenModel {
  name: string;
  /** What the weights file records, if it has metadata. */
  recorded: ModelMetadata | undefined;
}

export function chooseModel(flag: unknown, weights?: { bytes: Uint8Array; source: string }): ChosenModel {
  if (flag !== undefined) {
    try {
      modelEntry(String(flag));
    } catch (error) {
      throw new UsageError(`--model: ${(error as Error).message}`);
    }
  }
  const recorded = weights ? readMetadata(stateDictFromBytes(weights.bytes, weights.source).metadata, weights.source) : undefined;
  try {
    return { name: resolveModelName(flag as string | undefined, recorded?.model, weights?.source ?? ''), recorded };
  } catch (error) {
    throw new UsageError(`${(error as Error).message} (drop --model, or pass --model ${recorded?.model})`);
  }
}

/** `--widths 64,256,256`: positive integers. */
export function parseWidths(value: unknown): number[] {
  const widths = String(value).split(',').map(Number);
  if (!widths.every((w) => Number.isInteger(w) && w > 0)) throw new UsageError(`--widths needs positive integers separated by commas, got '${String(value)}'`);
  return widths;
}

/** createTrainer's model options for `chosen`: its name, and the widths and classes its file records (`widths` overrides). */
export function trainerModelOptions(chosen: ChosenModel, widths?: readonly number[]): { model: string; widths?: number[]; numClasses?: number } {
  const recorded = chosen.recorded?.modelOptions;
  const w = widths ?? recorded?.widths;
  const numClasses = recorded?.numClasses ?? chosen.recorded?.classes?.length;
  return { model: chosen.name, ...(w ? { widths: [...w] } : {}), ...(numClasses ? { numClasses } : {}) };
}
