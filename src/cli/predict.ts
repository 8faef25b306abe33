/** `senet predict`: the top classes of PNG or JPEG images, with probabilities; or, with --json, every class's probability and logit. */
import { readFileSync } from 'node:fs';
import { CIFAR10_CLASSES } from '../data/cifar10.js';
import { decodeImage } from '../data/image.js';
import { resizeImage } from '../data/resize.js';
import { modelEntry } from '../nn/models/index.js';
import { createTrainer } from '../worker/client.js';
import { positiveInt, UsageError } from './usage.js';
import { chooseModel, trainerModelOptions } from './model.js';

export const PREDICT_HELP = `senet predict --weights W.safetensors image.png [image.jpg ...]: the top classes of images

Images are decoded (PNG or JPEG, converted to RGB as PIL does), resized as the state dict records
(its image size, shorter side then the centre by default; else the model's input, 32x32) and
scaled to [0, 1] as in training. Class names are those the state dict records (an image
folder's, CIFAR-10's, ...), else CIFAR-10's.
  --weights W.safetensors    the state dict (PyTorch keys)
  --model NAME               the model, when the file does not record it; default: the file's, else senet
  --top K                    how many classes to print per image, default 3
  --json                     one JSON object a line per image: file, the top K classes with their
                             probabilities, and every class's name, probability and logit
  --threads N                default: one per core`;

export const PREDICT_OPTIONS = {
  weights: { type: 'string' }, model: { type: 'string' }, threads: { type: 'string' }, top: { type: 'string' }, json: { type: 'boolean' },
} as const;

export async function runPredict(v: Record<string, unknown>, files: string[]): Promise<void> {
  if (typeof v.weights !== 'string') throw new UsageError('senet predict needs --weights W.safetensors');
  if (files.length === 0) throw new UsageError('senet predict needs at least one image file');
  const threads = v.threads === undefined ? undefined : positiveInt('threads', v.threads);
  const top = positiveInt('top', v.top, 3);
  const weights = readFileSync(v.weights);
  const model = chooseModel(v.model, { bytes: weights, source: v.weights });
  const recorded = model.recorded;
  const classes: readonly string[] = recorded?.classes ?? CIFAR10_CLASSES;
  const numClasses = recorded?.modelOptions.numClasses ?? classes.length;
  const size = recorded?.imageSize?.[0] ?? modelEntry(model.name).input[1];
  const bytes = 3 * size * size;
  const pixels = new Uint8Array(files.length * bytes);
  files.forEach((file, i) => pixels.set(resizeImage(decodeImage(readFileSync(file), file), size, recorded?.resize ?? 'crop'), i * bytes));
  const trainer = await createTrainer({ ...trainerModelOptions(model), numClasses, ...(threads === undefined ? {} : { threads }) });
  try {
    for (const warning of trainer.info.warnings) console.error(`senet-wasm: ${warning}`);
    await trainer.loadStateDict(weights, v.weights);
    const { probabilities, logits } = await trainer.predict(pixels, files.length);
    const name = (c: number) => classes[c] ?? `class ${c}`;
    files.forEach((file, i) => {
      const best = probabilities[i]!.map((p, c) => ({ c, p })).sort((a, b) => b.p - a.p).slice(0, top);
      if (v.json) {
        console.log(JSON.stringify({
          file,
          top: best.map(({ c, p }) => ({ class: name(c), index: c, probability: p })),
          classes: probabilities[i]!.map((_, c) => name(c)),
          probabilities: probabilities[i],
          logits: logits[i],
        }));
      } else {
        console.log(`${file}: ${best.map(({ c, p }) => `${name(c)} ${(100 * p).toFixed(1)}%`).join(', ')}`);
      }
    });
  } finally {
    await trainer.close();
  }
}
