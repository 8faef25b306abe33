/** `senet predict`: the top-3 classes of PNG or JPEG images, with probabilities. */
import { readFileSync } from 'node:fs';
import { CIFAR10_CLASSES } from '../data/cifar10.js';
import { decodeImage, toChw } from '../data/image.js';
import { createTrainer } from '../worker/client.js';
import { positiveInt, UsageError } from './usage.js';
import { chooseModel, trainerModelOptions } from './model.js';

export const PREDICT_HELP = `senet predict --weights W.safetensors image.png [image.jpg ...]: the top-3 classes

Images are decoded (PNG or JPEG), resized to 32x32 and scaled to [0, 1] as in training. Class
names are those the state dict records (else CIFAR-10's).
  --weights W.safetensors    the state dict (PyTorch keys)
  --model NAME               the model, when the file does not record it; default: the file's, else senet
  --threads N                default: one per core`;

export const PREDICT_OPTIONS = { weights: { type: 'string' }, model: { type: 'string' }, threads: { type: 'string' } } as const;

export async function runPredict(v: Record<string, unknown>, files: string[]): Promise<void> {
  if (typeof v.weights !== 'string') throw new UsageError('senet predict needs --weights W.safetensors');
  if (files.length === 0) throw new UsageError('senet predict needs at least one image file');
  const threads = v.threads === undefined ? undefined : positiveInt('threads', v.threads);
  const pixels = new Uint8Array(files.length * 3072);
  files.forEach((file, i) => pixels.set(toChw(decodeImage(readFileSync(file), file)), i * 3072));
  const weights = readFileSync(v.weights);
  const model = chooseModel(v.model, { bytes: weights, source: v.weights });
  const classes = model.recorded?.classes ?? CIFAR10_CLASSES;
  const trainer = await createTrainer({ numClasses: classes.length, ...trainerModelOptions(model), ...(threads === undefined ? {} : { threads }) });
  try {
    for (const warning of trainer.info.warnings) console.error(`senet-wasm: ${warning}`);
    await trainer.loadStateDict(weights, v.weights);
    const { probabilities } = await trainer.predict(pixels, files.length);
    files.forEach((file, i) => {
      const top = probabilities[i]!.map((p, c) => ({ c, p })).sort((a, b) => b.p - a.p).slice(0, 3);
      console.log(`${file}: ${top.map(({ c, p }) => `${classes[c] ?? `class ${c}`} ${(100 * p).toFixed(1)}%`).join(', ')}`);
    });
  } finally {
    await trainer.close();
  }
}
