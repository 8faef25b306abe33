/**
 * Seeded random numbers and PyTorch's default initialisation. The generator is xoshiro128**
 * (small, fast, 128-bit state that a checkpoint can save); it does not reproduce PyTorch's own
 * stream, only its distributions.
 */
export class Rng {
  private s: Uint32Array;

  constructor(seed: number | Uint32Array) {
    if (typeof seed !== 'number') {
      this.s = Uint32Array.from(seed);
      return;
    }
    // splitmix32 spreads the seed over the state, which must not be all zero.
    let x = seed >>> 0;
    const next = () => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s = Uint32Array.of(next(), next(), next(), next() | 1);
  }

  /** The state, to save and restore with `new Rng(state)`. */
  get state(): Uint32Array {
    return this.s.slice();
  }

  /** A uniform 32-bit integer. */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1]!, 5), 7), 9) >>> 0;
    const t = s[1]! << 9;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    return this.nextUint32() / 2 ** 32;
  }

  /** `size` values uniform in [-bound, bound). */
  uniformArray(size: number, bound: number): Float32Array {
    const out = new Float32Array(size);
    for (let i = 0; i < size; i++) out[i] = (2 * this.uniform() - 1) * bound;
    return out;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/**
 * PyTorch's default for Conv2d and Linear weights, kaiming_uniform_(a = sqrt(5)): uniform in
 * +-1/sqrt(fan_in). Biases use the same bound.
 */
export function defaultInit(rng: Rng, fanIn: number): (size: number) => Float32Array {
  return (size) => rng.uniformArray(size, 1 / Math.sqrt(fanIn));
}

export const constantInit =
  (value: number) =>
  (size: number): Float32Array =>
    new Float32Array(size).fill(value);

/**
 * nn.init.dirac_ on the first `filters` filters of a conv weight `[out, in, kh, kw]` (in place):
 * filter `i` becomes the identity on input channel `i` (1 at the kernel's centre, 0 elsewhere).
 * As `torch.nn.init.dirac_(w[:filters])`, so `filters` may not exceed `in` or `out`; the other
 * filters keep their values.
 */
export function diracInit(weight: Float32Array, shape: readonly number[], filters: number): Float32Array {
  const [out, inChannels, kh, kw] = shape as [number, number, number, number];
  if (shape.length !== 4 || weight.length !== out * inChannels * kh * kw) throw new RangeError(`diracInit: weight of ${weight.length} values is not [${shape.join(', ')}]`);
  if (!(filters <= out && filters <= inChannels)) throw new RangeError(`diracInit: ${filters} filters, but the weight is [${shape.join(', ')}]`);
  const perFilter = inChannels * kh * kw;
  weight.fill(0, 0, filters * perFilter);
  for (let i = 0; i < filters; i++) weight[i * perFilter + i * kh * kw + Math.floor(kh / 2) * kw + Math.floor(kw / 2)] = 1;
  return weight;
}
