/** `senet predict`: the top-3 classes of PNG or JPEG images, with probabilities. */
import { readFileSync } from 'node:fs';
import { Engine } from '../engine/engine.js';
import { CIFAR10_CLASSES } from '../data/cifar10.js';
import { decodeImage, toChw } from '../data/image.js';
import { SENet } from '../nn/models/senet.js';
import { stateDictFromBytes } from '../train/checkpoint.js';
import { positiveInt, UsageError } from './usage.js';

export const PREDICT_HELP = `senet predict --weights W.safetensors image.png [image.jpg ...]: top-3 CIFAR-10 classes

Images are decoded (PNG or JPEG), resized to 32x32 and scaled to [0, 1] as in training.
  --weights W.safetensors    the state dict (PyTorch keys)
  --threads N                default: one per core`;

export const PREDICT_OPTIONS = { weights: { type: 'string' }, threads: { type: 'string' } } as const;

export async function runPredict(v: Record<string, unknown>, files: string[]): Promise<void> {
  if (typeof v.weights !== 'string') throw new UsageError('senet predict needs --weights W.safetensors');
  if (files.length === 0) throw new UsageError('senet predict needs at least one image file');
  const threads = v.threads === undefined ? undefined : positiveInt('threads', v.threads);
  const images = files.map((file) => toChw(decodeImage(readFileSync(file), file)));
  const { state } = stateDictFromBytes(readFileSync(v.weights), v.weights);
  const engine = await Engine.create({ threads });
  try {
    const model = SENet.create(engine, { numClasses: CIFAR10_CLASSES.length });
    model.loadStateDict(state);
    model.eval();
    const pixels = new Float32Array(images.length * 3072);
    images.forEach((image, i) => image.forEach((v, j) => (pixels[i * 3072 + j] = v / 255)));
    const logits = model.forward(engine.tensor([images.length, 3, 32, 32], pixels)).toArray();
    files.forEach((file, i) => {
      const row = Array.from(logits.subarray(i * 10, (i + 1) * 10));
      const max = Math.max(...row);
      const exp = row.map((l) => Math.exp(l - max));
      const total = exp.reduce((a, b) => a + b, 0);
      const top = exp.map((e, c) => ({ c, p: e / total })).sort((a, b) => b.p - a.p).slice(0, 3);
      console.log(`${file}: ${top.map(({ c, p }) => `${CIFAR10_CLASSES[c]} ${(100 * p).toFixed(1)}%`).join(', ')}`);
    });
  } finally {
    await engine.close();
  }
}
