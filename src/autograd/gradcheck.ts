/**
 * gradcheck: the gradients backward gives a module, against central differences. The check is
 * on the scalar `f = sum(output * w)` for a fixed random `w`, accumulated in float64 on the host:
 * the analytic directional derivative `grad(f) . delta` (from one backward) against
 * `(f(x + delta) - f(x - delta)) / 2` along random directions `delta` over every trainable
 * parameter and every input at once (each element moved by `eps` times its tensor's RMS). A
 * direction that crosses a kink (a ReLU or max-pool switching) shows as two step sizes
 * disagreeing; it is reported and not counted. The verdict is statistical (see `tolerance`);
 * exactness against PyTorch is the fixtures' job. The module's state is restored afterwards.
 */
import type { Tensor } from '../engine/tensor.js';
import { Rng } from '../nn/init.js';
import type { Module } from '../nn/module.js';

export interface GradcheckOptions {
  /** Random directions to check. Default 8. */
  directions?: number;
  /** Step, relative to each tensor's RMS. Default 1e-3. */
  eps?: number;
  /**
   * Largest median relative difference over the directions accepted (float32 forwards and the
   * ReLUs of a deep network make single directions noisy: the worst may be 5x this). Default 1e-2.
   */
  tolerance?: number;
  seed?: number;
}

export interface DirectionCheck {
  analytic: number;
  numeric: number;
  /** |numeric - analytic| / max(|numeric|, |analytic|). */
  error: number;
  /** The two step sizes disagreed: the direction crosses a kink, so it is not counted. */
  kink: boolean;
}

export interface GradcheckResult {
  ok: boolean;
  checks: DirectionCheck[];
  /** The largest and the median error over the counted directions. */
  worst: number;
  median: number;
}

/** Checks `module`'s backward on `inputs` (which get requiresGrad for the check). */
export function gradcheck(module: Module, inputs: Tensor[], options: GradcheckOptions = {}): GradcheckResult {
  const { directions = 8, eps = 1e-3, tolerance = 1e-2, seed = 0 } = options;
  const engine = module.engine;
  const rng = new Rng(seed);
  const state = module.stateDict();
  const leaves: Tensor[] = [...module.parameters.named.filter(([, p]) => p.requiresGrad).map(([, p]) => p.value), ...inputs];
  const original = leaves.map((t) => t.toArray());
  const scales = original.map((v) => Math.max(Math.sqrt(v.reduce((s, x) => s + x * x, 0) / Math.max(1, v.length)), 1e-3));
  const wasRequiring = inputs.map((t) => t.requiresGrad);
  try {
    return engine.scope(() => {
      const outputShape = engine.noGrad(() => module.call(...inputs).shape);
      const weights = gaussian(rng, outputShape.reduce((a, b) => a * b, 1));
      const objective = () => engine.noGrad(() => engine.scope(() => dot(module.call(...inputs).toArray(), weights)));

      inputs.forEach((t) => {
        t.requiresGrad = true;
        t.grad = undefined;
      });
      module.zeroGrad();
      module.call(...inputs).backward(engine.tensor(outputShape, weights));
      const grads = leaves.map((t) => t.grad?.toArray() ?? new Float32Array(t.size));

      const checks: DirectionCheck[] = [];
      for (let k = 0; k < directions; k++) {
        const delta = leaves.map((t, i) => gaussian(rng, t.size).map((d) => d * scales[i]!));
        const analytic = grads.reduce((sum, g, i) => sum + eps * dot(g, delta[i]!), 0);
        const central = (step: number) => {
          leaves.forEach((t, i) => t.set(original[i]!.map((x, j) => x + step * delta[i]![j]!)));
          const plus = objective();
          leaves.forEach((t, i) => t.set(original[i]!.map((x, j) => x - step * delta[i]![j]!)));
          const minus = objective();
          leaves.forEach((t, i) => t.set(original[i]!));
          return (plus - minus) / 2;
        };
        const numeric = central(eps);
        const half = 2 * central(eps / 2);
        const scale = Math.max(Math.abs(numeric), Math.abs(analytic), 1e-12);
        checks.push({ analytic, numeric, error: Math.abs(numeric - analytic) / scale, kink: Math.abs(numeric - half) / scale > tolerance });
      }
      const errors = checks.filter((c) => !c.kink).map((c) => c.error).sort((a, b) => a - b);
      const worst = errors.at(-1) ?? Infinity;
      const median = errors[Math.floor(errors.length / 2)] ?? Infinity;
      const ok = errors.length >= Math.ceil(directions / 2) && median <= tolerance && worst <= 5 * tolerance;
      return { ok, checks, worst, median };
    });
  } finally {
    leaves.forEach((t, i) => t.set(original[i]!));
    inputs.forEach((t, i) => {
      t.requiresGrad = wasRequiring[i]!;
      if (t.grad) {
        t.grad.free();
        t.grad = undefined;
      }
    });
    module.loadStateDict(state);
    module.zeroGrad();
  }
}

function gaussian(rng: Rng, size: number): Float64Array {
  const out = new Float64Array(size);
  for (let i = 0; i < size; i++) out[i] = Math.sqrt(-2 * Math.log(1 - rng.uniform())) * Math.cos(2 * Math.PI * rng.uniform());
  return out;
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}
