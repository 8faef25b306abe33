/**
 * A generated 10-class image set for demos, tests and offline use (`--data synthetic`): each
 * class is a colour with a stripe pattern (orientation and frequency), drawn with a random
 * phase, brightness and pixel noise. The reference SENet learns it within a few dozen steps,
 * which makes it a quick end-to-end check, not a benchmark of accuracy.
 */
import { Rng } from '../nn/init.js';
import { datasetBytes, ImageDataset } from './cifar10.js';

export const SYNTHETIC_CLASSES = ['red-h', 'green-v', 'blue-d', 'yellow-h2', 'cyan-v2', 'magenta-d2', 'white-h', 'orange-v', 'purple-d', 'gray-x'] as const;

const COLORS: [number, number, number][] = [
  [220, 40, 40], [40, 200, 60], [50, 70, 230], [230, 220, 40], [40, 210, 220],
  [220, 50, 210], [235, 235, 235], [240, 140, 30], [130, 50, 200], [128, 128, 128],
];

/** `count` generated images (labels cycle through the 10 classes) as an ImageDataset. */
export function syntheticImages(count: number, seed = 0): ImageDataset {
  const rng = new Rng(seed);
  const images = datasetBytes(count * 3072);
  const labels = datasetBytes(count);
  for (let i = 0; i < count; i++) {
    labels[i] = i % 10;
    draw(i % 10, rng, images.subarray(i * 3072, (i + 1) * 3072));
  }
  return new ImageDataset(images, labels, SYNTHETIC_CLASSES);
}

function draw(label: number, rng: Rng, out: Uint8Array): void {
  const color = COLORS[label]!;
  const frequency = (label % 6 < 3 ? 2 : 4) * (Math.PI / 16);
  const direction = label === 9 ? 3 : label % 3; // 0 horizontal, 1 vertical, 2 diagonal, 3 crossed
  const phase = rng.uniform() * 2 * Math.PI;
  const brightness = 0.6 + 0.4 * rng.uniform();
  for (let y = 0; y < 32; y++) {
    for (let x = 0; x < 32; x++) {
      const t = direction === 0 ? y : direction === 1 ? x : direction === 2 ? x + y : 0;
      const stripe = direction === 3 ? 0.5 + 0.25 * (Math.sin(frequency * x + phase) + Math.sin(frequency * y + phase)) : 0.5 + 0.5 * Math.sin(frequency * t + phase);
      for (let c = 0; c < 3; c++) {
        const noise = (rng.uniform() - 0.5) * 60;
        const v = color[c]! * brightness * (0.35 + 0.65 * stripe) + noise;
        out[c * 1024 + y * 32 + x] = Math.max(0, Math.min(255, Math.round(v)));
      }
    }
  }
}
