/**
 * What a state dict says about itself, in its safetensors `__metadata__`: the model's registry
 * name and options, the class names and the input normalisation, so that `senet eval`,
 * `senet predict`, `--init`, `--resume` and the demo rebuild the right model. A state dict
 * without them (as PyTorch writes it) is the seed `senet` unless the user names the model.
 */
import type { ModelOptions } from '../nn/models/index.js';
import { RESIZE_MODES, type ResizeMode } from '../data/resize.js';
import { parseSafetensors } from './safetensors.js';

export interface ModelMetadata {
  model: string;
  modelOptions: ModelOptions;
  /** The class names, index by index, when known. */
  classes?: string[];
  /** How pixels become inputs: bytes times `scale`, then `(x - mean) / std` per channel. */
  normalization: Normalization;
  /** The input images' height and width the model was trained on. */
  imageSize?: [number, number];
  /** How images were resized to imageSize (see resizeImage), for an image folder. */
  resize?: ResizeMode;
}

export interface Normalization {
  scale: number;
  mean: number[];
  std: number[];
}

/** The seed recipe's input: pixels / 255, not normalised further. */
export const PIXELS_01: Normalization = { scale: 1 / 255, mean: [0, 0, 0], std: [1, 1, 1] };

export function metadataEntries(m: ModelMetadata): Record<string, string> {
  return {
    model: m.model,
    model_options: JSON.stringify(m.modelOptions),
    normalization: JSON.stringify(m.normalization),
    ...(m.classes ? { classes: JSON.stringify(m.classes) } : {}),
    ...(m.imageSize ? { image_size: JSON.stringify(m.imageSize) } : {}),
    ...(m.resize ? { resize: m.resize } : {}),
  };
}

/** The model metadata of a state dict, or undefined where it has none; malformed entries are errors naming `source`. */
export function readMetadata(metadata: Record<string, string>, source: string): ModelMetadata | undefined {
  if (metadata.model === undefined) return undefined;
  const parse = <T>(key: string, fallback: T): T => {
    const text = metadata[key];
    if (text === undefined) return fallback;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new Error(`${source}: metadata '${key}' is not JSON: ${text.slice(0, 80)}`);
    }
  };
  const classes = parse<string[] | undefined>('classes', undefined);
  if (classes !== undefined && !(Array.isArray(classes) && classes.every((c) => typeof c === 'string'))) {
    throw new Error(`${source}: metadata 'classes' must be a list of names`);
  }
  const imageSize = parse<[number, number] | undefined>('image_size', undefined);
  if (imageSize !== undefined && !(Array.isArray(imageSize) && imageSize.length === 2 && imageSize.every((n) => Number.isInteger(n) && n > 0))) {
    throw new Error(`${source}: metadata 'image_size' must be [height, width], got ${metadata.image_size}`);
  }
  const resize = metadata.resize as ResizeMode | undefined;
  if (resize !== undefined && !RESIZE_MODES.includes(resize)) {
    throw new Error(`${source}: metadata 'resize' must be one of ${RESIZE_MODES.join(', ')}, got '${resize}'`);
  }
  return {
    model: metadata.model, modelOptions: parse<ModelOptions>('model_options', {}), classes, normalization: parse('normalization', PIXELS_01),
    ...(imageSize ? { imageSize } : {}), ...(resize ? { resize } : {}),
  };
}

/**
 * The model to build: the one asked for, else the one the file names, else the seed `senet`. A
 * file that names another model than the one asked for is an error naming both.
 */
export function resolveModelName(asked: string | undefined, fromFile: string | undefined, source: string): string {
  if (asked !== undefined && fromFile !== undefined && asked !== fromFile) {
    throw new Error(`${source} holds a ${fromFile} state dict, not ${asked}`);
  }
  return asked ?? fromFile ?? 'senet';
}

/** The model metadata recorded in safetensors bytes (e.g. a weights file a page was given), if any. */
export function stateDictMetadata(bytes: Uint8Array, source: string): ModelMetadata | undefined {
  return readMetadata(parseSafetensors(bytes, source).metadata, source);
}
