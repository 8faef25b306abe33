/**
 * Batches of images for training and evaluation: seeded shuffling per epoch (the same seed and
 * epoch give the same order, which makes resumed runs equal uninterrupted ones), the last
 * partial batch kept (or dropped, `dropLast`), pixels scaled to [0, 1] as torchvision's ToTensor,
 * optional normalisation, and one of two augmentations:
 *
 * - `crop-flip`, the standard CIFAR one: a random crop with 4 pixels of zero padding and a
 *   horizontal flip with probability 1/2, drawn per image and epoch;
 * - `flip-translate`, the fast recipe's (airbench's): a Bernoulli(1/2) flip mask over the data
 *   set drawn once from the seed, applied in even epochs and its complement in odd ones (so every
 *   image is seen both ways round in two epochs), and integer shifts dx, dy uniform in [-2, 2]
 *   per image and epoch, with reflect padding that does not repeat the edge pixel (PyTorch's
 *   'reflect'); the flip is applied after the shift.
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

export type Augment = 'none' | 'crop-flip' | 'flip-translate';
export const AUGMENTS: readonly Augment[] = ['none', 'crop-flip', 'flip-translate'];

/** The largest shift of `flip-translate`, in pixels. */
export const TRANSLATE_PIXELS = 2;

export interface LoaderOptions {
  batchSize: number;
  shuffle?: boolean;
  seed?: number;
  augment?: Augment;
  /** Drop the last batch of an epoch when it is smaller than batchSize (PyTorch's drop_last). */
  dropLast?: boolean;
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
  /** `flip-translate`'s flip mask, one per record, fixed for the run (drawn from the seed). */
  private readonly flipMask: Uint8Array | undefined;

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
    if (this.augment === 'flip-translate') {
      const rng = new Rng(mix(this.seed, -1, 0xf11b));
      this.flipMask = Uint8Array.from({ length: dataset.length }, () => (rng.uniform() < 0.5 ? 1 : 0));
    }
  }

  get batchesPerEpoch(): number {
    const batches = this.dataset.length / this.batchSize;
    return this.options.dropLast ? Math.floor(batches) : Math.ceil(batches);
  }

  /** Whether record `index` is seen mirrored in `epoch` (0-based) under `flip-translate`: the mask in even epochs, its complement in odd ones. */
  flipped(index: number, epoch: number): boolean {
    if (!this.flipMask) throw new Error(`DataLoader.flipped: the loader's augmentation is '${this.augment}', not 'flip-translate'`);
    return (this.flipMask[index] === 1) !== (epoch % 2 === 1);
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
    for (let b = 0; b < this.batchesPerEpoch; b++) {
      const indices = order.subarray(b * this.batchSize, Math.min(order.length, (b + 1) * this.batchSize));
      if (b >= first) yield this.makeBatch(indices, epoch, augmentRng);
      // Draw the augmentation of skipped batches too, so a resumed epoch sees the same crops.
      else for (const index of indices) this.placement(index, epoch, augmentRng);
    }
  }

  /** Where record `index` is read from in `epoch`: a shift (the output pixel (y, x) reads (y + dy, x + dx)) and a mirror after it. */
  private placement(index: number, epoch: number, rng: Rng): [dy: number, dx: number, flip: boolean] {
    switch (this.augment) {
      case 'none':
        return [0, 0, false];
      case 'crop-flip':
        return [randInt(rng, 9) - 4, randInt(rng, 9) - 4, rng.uniform() < 0.5];
      case 'flip-translate': {
        const span = 2 * TRANSLATE_PIXELS + 1;
        return [randInt(rng, span) - TRANSLATE_PIXELS, randInt(rng, span) - TRANSLATE_PIXELS, this.flipped(index, epoch)];
      }
    }
  }

  private makeBatch(indices: Uint32Array, epoch: number, rng: Rng): Batch {
    const { channels: c, height: h, width: w } = this.dataset;
    const plane = h * w;
    const images = new Float32Array(indices.length * c * plane);
    const labels = new Uint32Array(indices.length);
    const { mean, std } = this.options.normalize ?? { mean: [], std: [] };
    indices.forEach((index, n) => {
      labels[n] = this.dataset.label(index);
      const pixels = this.dataset.image(index);
      const [dy, dx, flip] = this.placement(index, epoch, rng);
      // crop-flip pads with zeros, flip-translate reflects (-1 reads 1, w reads w - 2).
      const reflect = this.augment === 'flip-translate';
      for (let ch = 0; ch < c; ch++) {
        const m = mean[ch] ?? 0;
        const s = std[ch] ?? 1;
        const src = ch * plane;
        const dst = (n * c + ch) * plane;
        for (let y = 0; y < h; y++) {
          const sy = reflect ? reflectIndex(y + dy, h) : y + dy;
          for (let x = 0; x < w; x++) {
            const sx = reflect ? reflectIndex((flip ? w - 1 - x : x) + dx, w) : (flip ? w - 1 - x : x) + dx;
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

/** `i` reflected into [0, size) without repeating the edge (PyTorch's 'reflect' padding, for |overhang| < size). */
function reflectIndex(i: number, size: number): number {
  return i < 0 ? -i : i >= size ? 2 * (size - 1) - i : i;
}

function randInt(rng: Rng, n: number): number {
  return Math.floor(rng.uniform() * n);
}

/** A 32-bit seed from a run seed, an epoch and a purpose. */
function mix(seed: number, epoch: number, purpose: number): number {
  return (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(epoch + 1, 0x85ebca6b) ^ purpose) >>> 0;
}
