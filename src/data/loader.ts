/**
 * Batches of images for training and evaluation: seeded shuffling per epoch (the same seed and
 * epoch give the same order, which makes resumed runs equal uninterrupted ones), the last
 * partial batch kept, pixels scaled to [0, 1] as torchvision's ToTensor, optional normalisation
 * and the standard CIFAR augmentation (random crop with 4 pixels of zero padding, horizontal
 * flip).
 */
import { Rng } from '../nn/init.js';

/** What a loader reads: CHW uint8 images with labels. */
export interface LabeledImages {
  readonly length: number;
  readonly classes: readonly string[];
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  image(index: number): Uint8Array;
  label(index: number): number;
}

export type Augment = 'none' | 'crop-flip';
export const AUGMENTS: readonly Augment[] = ['none', 'crop-flip'];

export interface LoaderOptions {
  batchSize: number;
  shuffle?: boolean;
  seed?: number;
  augment?: Augment;
  /** Per-channel mean and std subtracted and divided after scaling to [0, 1]. */
  normalize?: { mean: readonly number[]; std: readonly number[] };
}

export interface Batch {
  /** `[size, C, H, W]` float32. */
  images: Float32Array;
  labels: Uint32Array;
  /** Dataset indices of the batch's records. */
  indices: Uint32Array;
  size: number;
  /** `[size, C, H, W]` */
  shape: [number, number, number, number];
}

/** What the training loop reads batches from: a DataLoader, or one prepared ahead in a worker. */
export interface BatchSource {
  readonly dataset: LabeledImages;
  readonly batchSize: number;
  readonly batchesPerEpoch: number;
  /** The batches of `epoch`, from batch `first` on. */
  batches(epoch: number, first?: number): Iterable<Batch> | AsyncIterable<Batch>;
}

export class DataLoader implements BatchSource {
  readonly batchSize: number;
  private readonly shuffle: boolean;
  private readonly seed: number;
  private readonly augment: Augment;

  constructor(
    readonly dataset: LabeledImages,
    readonly options: LoaderOptions,
  ) {
    if (!Number.isInteger(options.batchSize) || options.batchSize < 1) {
      throw new RangeError(`batch size must be a positive integer, got ${options.batchSize}`);
    }
    this.batchSize = options.batchSize;
    this.shuffle = options.shuffle ?? false;
    this.seed = options.seed ?? 0;
    this.augment = options.augment ?? 'none';
  }

  get batchesPerEpoch(): number {
    return Math.ceil(this.dataset.length / this.batchSize);
  }

  /** The order records are visited in `epoch`. */
  order(epoch: number): Uint32Array {
    const order = Uint32Array.from({ length: this.dataset.length }, (_, i) => i);
    if (this.shuffle) {
      const rng = new Rng(mix(this.seed, epoch, 0x5eed));
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(rng.uniform() * (i + 1));
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
    }
    return order;
  }

  /** The batches of `epoch`, from batch `first` on (to resume inside an epoch). */
  *batches(epoch: number, first = 0): Generator<Batch> {
    const order = this.order(epoch);
    const augmentRng = new Rng(mix(this.seed, epoch, 0xa06));
    // Draw the augmentation of skipped batches too, so a resumed epoch sees the same crops.
    for (let b = 0; b < this.batchesPerEpoch; b++) {
      const indices = order.subarray(b * this.batchSize, Math.min(order.length, (b + 1) * this.batchSize));
      const batch = this.makeBatch(indices, augmentRng);
      if (b >= first) yield batch;
    }
  }

  private makeBatch(indices: Uint32Array, rng: Rng): Batch {
    const { channels: c, height: h, width: w } = this.dataset;
    const plane = h * w;
    const images = new Float32Array(indices.length * c * plane);
    const labels = new Uint32Array(indices.length);
    const { mean, std } = this.options.normalize ?? { mean: [], std: [] };
    indices.forEach((index, n) => {
      labels[n] = this.dataset.label(index);
      const pixels = this.dataset.image(index);
      const [dy, dx, flip] = this.augment === 'crop-flip' ? [randInt(rng, 9) - 4, randInt(rng, 9) - 4, rng.uniform() < 0.5] : [0, 0, false];
      for (let ch = 0; ch < c; ch++) {
        const m = mean[ch] ?? 0;
        const s = std[ch] ?? 1;
        const src = ch * plane;
        const dst = (n * c + ch) * plane;
        for (let y = 0; y < h; y++) {
          const sy = y + dy;
          for (let x = 0; x < w; x++) {
            const sx = (flip ? w - 1 - x : x) + dx;
            const inside = sy >= 0 && sy < h && sx >= 0 && sx < w;
            const v = inside ? pixels[src + sy * w + sx]! / 255 : 0;
            images[dst + y * w + x] = (v - m) / s;
          }
        }
      }
    });
    return { images, labels, indices: indices.slice(), size: indices.length, shape: [indices.length, c, h, w] };
  }
}

function randInt(rng: Rng, n: number): number {
  return Math.floor(rng.uniform() * n);
}

/** A 32-bit seed from a run seed, an epoch and a purpose. */
function mix(seed: number, epoch: number, purpose: number): number {
  return (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(epoch + 1, 0x85ebca6b) ^ purpose) >>> 0;
}
