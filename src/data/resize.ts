/**
 * Resizing a decoded image to a model's input, as torchvision's transforms do on PIL images:
 *
 * - `crop` (default): `Resize(N)` then `CenterCrop(N)`: the shorter side becomes N (the longer
 *   one `floor(N * long / short)`), then the centre N x N is cut out (the offset rounded half to
 *   even, as Python's round does).
 * - `stretch`: `Resize((N, N))`: both sides become N, the aspect ratio is not kept.
 *
 * Interpolation is PIL's bilinear resampling, which is antialiased: a triangle filter whose
 * support widens with the downscale factor (each output pixel weighs every source pixel under
 * it), computed as PIL does it, separably, the horizontal pass first with its result rounded to
 * bytes, in 22-bit fixed point; so the bytes are PIL's (torchvision's `antialias=True`).
 * Platform-neutral.
 */
import type { DecodedImage } from './image-format.js';

export type ResizeMode = 'crop' | 'stretch';
export const RESIZE_MODES: readonly ResizeMode[] = ['crop', 'stretch'];

const PRECISION_BITS = 32 - 8 - 2;
const ONE = 2 ** PRECISION_BITS;
const HALF = 2 ** (PRECISION_BITS - 1);

/** Per output pixel: the first source pixel and the fixed-point weights of the ones it uses. */
interface Taps {
  first: Int32Array;
  count: Int32Array;
  /** `size` rows of `stride` weights. */
  weights: Float64Array;
  stride: number;
}

function taps(inSize: number, outSize: number): Taps {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filterScale; // the bilinear (triangle) filter's support is 1
  const stride = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float64Array(outSize * stride);
  for (let o = 0; o < outSize; o++) {
    const center = (o + 0.5) * scale;
    const lo = Math.max(0, Math.trunc(center - support + 0.5));
    const hi = Math.min(inSize, Math.trunc(center + support + 0.5));
    let total = 0;
    const w = new Float64Array(Math.max(0, hi - lo));
    for (let i = 0; i < w.length; i++) {
      const x = Math.abs((i + lo - center + 0.5) / filterScale);
      w[i] = x < 1 ? 1 - x : 0;
      total += w[i]!;
    }
    for (let i = 0; i < w.length; i++) weights[o * stride + i] = Math.trunc((total === 0 ? w[i]! : w[i]! / total) * ONE + 0.5);
    first[o] = lo;
    count[o] = w.length;
  }
  return { first, count, weights, stride };
}

const clip8 = (sum: number) => Math.min(255, Math.max(0, Math.floor(sum / ONE)));

/** One plane `[h, w]` resampled to `[h, outW]` (rows) . */
function horizontal(src: Uint8Array, h: number, w: number, outW: number): Uint8Array {
  if (outW === w) return src;
  const t = taps(w, outW);
  const out = new Uint8Array(h * outW);
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let o = 0; o < outW; o++) {
      let sum = HALF;
      const base = o * t.stride;
      const x0 = row + t.first[o]!;
      for (let i = 0; i < t.count[o]!; i++) sum += src[x0 + i]! * t.weights[base + i]!;
      out[y * outW + o] = clip8(sum);
    }
  }
  return out;
}

/** One plane `[h, w]` resampled to `[outH, w]` (columns). */
function vertical(src: Uint8Array, h: number, w: number, outH: number): Uint8Array {
  if (outH === h) return src;
  const t = taps(h, outH);
  const out = new Uint8Array(outH * w);
  for (let o = 0; o < outH; o++) {
    const base = o * t.stride;
    const y0 = t.first[o]!;
    for (let x = 0; x < w; x++) {
      let sum = HALF;
      for (let i = 0; i < t.count[o]!; i++) sum += src[(y0 + i) * w + x]! * t.weights[base + i]!;
      out[o * w + x] = clip8(sum);
    }
  }
  return out;
}

/** The image resized to `width` x `height` with PIL's bilinear filter: CHW, 3 planes. */
export function resizeBilinear(image: DecodedImage, width: number, height: number): Uint8Array {
  const { width: w, height: h, pixels } = image;
  const plane = w * h;
  const out = new Uint8Array(3 * width * height);
  for (let c = 0; c < 3; c++) {
    const src = pixels.subarray(c * plane, (c + 1) * plane);
    out.set(vertical(horizontal(src, h, w, width), h, width, height), c * width * height);
  }
  return out;
}

/** Python's round(): half to even. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** The image as the model's `[3, size, size]` uint8 input (see the file's comment for `mode`). */
export function resizeImage(image: DecodedImage, size: number, mode: ResizeMode = 'crop'): Uint8Array {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`resizeImage: size must be a positive integer, got ${size}`);
  if (mode === 'stretch') return resizeBilinear(image, size, size);
  if (mode !== 'crop') throw new RangeError(`resizeImage: mode must be one of ${RESIZE_MODES.join(', ')}, got '${String(mode)}'`);
  const { width: w, height: h } = image;
  const [short, long] = w <= h ? [w, h] : [h, w];
  const longSide = Math.floor((size * long) / short);
  const [rw, rh] = w <= h ? [size, longSide] : [longSide, size];
  const resized = resizeBilinear(image, rw, rh);
  const top = roundHalfEven((rh - size) / 2);
  const left = roundHalfEven((rw - size) / 2);
  const out = new Uint8Array(3 * size * size);
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < size; y++) {
      const from = c * rw * rh + (top + y) * rw + left;
      out.set(resized.subarray(from, from + size), (c * size + y) * size);
    }
  }
  return out;
}
