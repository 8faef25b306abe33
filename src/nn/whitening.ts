/**
 * The whitening initialisation of a patch convolution (airbench's): from the uncentred second
 * moment of every kh x kw x C patch of some training images (`X^T X / N`, no mean subtracted), its
 * eigenvectors in descending order of eigenvalue, each scaled by `1 / sqrt(eigenvalue + eps)`,
 * become the first C*kh*kw filters, and their negatives the next C*kh*kw. So the layer's output is
 * the patches in the moment's eigenbasis, each direction scaled to unit second moment, in both
 * signs (the GELU after it sees both halves). Eigenvector signs are arbitrary.
 *
 * The moment is summed over chunks of images: each chunk's patch matrix (float32, normalised
 * pixels) goes through the GEMM kernel (`X^T X` in float32, as a float32 matmul in PyTorch), and
 * the chunks' products are added in float64. The eigen-decomposition is src/nn/eigen.ts's.
 */
import type { Engine } from '../engine/engine.js';
import { matmul } from '../engine/ops/gemm.js';
import type { LabeledImages } from '../data/loader.js';
import { symmetricEigen } from './eigen.js';
import type { Conv2d } from './layers/conv.js';

export interface WhiteningOptions {
  /** The first `count` images of the set are used. Default 5000. */
  count?: number;
  /** Added to each eigenvalue before the inverse square root. Default 5e-4. */
  eps?: number;
  /** Per-channel mean and std subtracted and divided after scaling the bytes to [0, 1] (as the training inputs are). */
  normalize?: { mean: readonly number[]; std: readonly number[] };
}

const IMAGES_PER_CHUNK = 200;

/**
 * `X^T X / N` over every `kh x kw` patch (stride 1, no padding) of the first `count` images:
 * `[d, d]` with `d = C * kh * kw`, a patch flattened as the conv weight's `[C, kh, kw]`.
 */
export function patchSecondMoment(
  engine: Engine, images: LabeledImages, kernel: [number, number], options: Pick<WhiteningOptions, 'count' | 'normalize'> = {},
): Float64Array {
  const { channels: c, height: h, width: w } = images;
  const [kh, kw] = kernel;
  const count = Math.min(options.count ?? 5000, images.length);
  if (count < 1) throw new RangeError('patchSecondMoment: the image set is empty');
  if (kh > h || kw > w) throw new RangeError(`patchSecondMoment: a ${kh}x${kw} patch does not fit in ${h}x${w} images`);
  const d = c * kh * kw;
  const [oh, ow] = [h - kh + 1, w - kw + 1];
  const perImage = oh * ow;
  const { mean = [], std = [] } = options.normalize ?? {};
  const moment = new Float64Array(d * d);
  const normalised = new Float32Array(c * h * w);
  for (let first = 0; first < count; first += IMAGES_PER_CHUNK) {
    const chunk = Math.min(IMAGES_PER_CHUNK, count - first);
    const patches = new Float32Array(chunk * perImage * d);
    for (let n = 0; n < chunk; n++) {
      const pixels = images.image(first + n);
      for (let ch = 0; ch < c; ch++) {
        const [m, s] = [mean[ch] ?? 0, std[ch] ?? 1];
        for (let i = ch * h * w; i < (ch + 1) * h * w; i++) normalised[i] = (pixels[i]! / 255 - m) / s;
      }
      let row = n * perImage * d;
      for (let y = 0; y < oh; y++) {
        for (let x = 0; x < ow; x++, row += d) {
          let k = row;
          for (let ch = 0; ch < c; ch++) {
            for (let dy = 0; dy < kh; dy++) {
              const src = ch * h * w + (y + dy) * w + x;
              for (let dx = 0; dx < kw; dx++) patches[k++] = normalised[src + dx]!;
            }
          }
        }
      }
    }
    const product = engine.scope(() => {
      const x = engine.tensor([chunk * perImage, d], patches);
      return matmul(engine, x, x, { transA: true }).toArray();
    });
    for (let i = 0; i < d * d; i++) moment[i]! += product[i]!;
  }
  const total = count * perImage;
  for (let i = 0; i < d * d; i++) moment[i]! /= total;
  return moment;
}

/**
 * The whitening filters of a second moment `[d, d]`: `[2d, d]` (conv weight `[2d, C, kh, kw]`
 * flattened), the eigenvectors largest eigenvalue first, scaled by `1 / sqrt(eigenvalue + eps)`,
 * then their negatives.
 */
export function whiteningFilters(moment: ArrayLike<number>, d: number, eps = 5e-4): Float32Array {
  const { values, vectors } = symmetricEigen(moment, d);
  const filters = new Float32Array(2 * d * d);
  for (let i = 0; i < d; i++) {
    const scale = 1 / Math.sqrt(values[i]! + eps);
    if (!Number.isFinite(scale)) throw new RangeError(`whiteningFilters: eigenvalue ${values[i]} + eps ${eps} is not positive`);
    for (let k = 0; k < d; k++) {
      filters[i * d + k] = vectors[i * d + k]! * scale;
      filters[(d + i) * d + k] = -vectors[i * d + k]! * scale;
    }
  }
  return filters;
}

/**
 * Sets `conv`'s weight (`[2 C kh kw, C, kh, kw]`) to the whitening filters of `images`' patches;
 * the bias is left as it is. Returns the filters.
 */
export function initWhitening(engine: Engine, conv: Conv2d, images: LabeledImages, options: WhiteningOptions = {}): Float32Array {
  const [out, c, kh, kw] = conv.weight.shape as [number, number, number, number];
  const d = c * kh * kw;
  if (out !== 2 * d || c !== images.channels) {
    throw new RangeError(
      `initWhitening: a whitening conv of ${kh}x${kw} patches of ${images.channels}-channel images has weight [${2 * images.channels * kh * kw}, ${images.channels}, ${kh}, ${kw}], got [${conv.weight.shape.join(', ')}]`,
    );
  }
  const filters = whiteningFilters(patchSecondMoment(engine, images, [kh, kw], options), d, options.eps);
  conv.weight.value.set(filters);
  return filters;
}
