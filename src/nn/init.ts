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
