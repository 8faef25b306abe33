/**
 * TEMPORARY host implementations (replaced by the crate's kernels when they land): elementwise
 * add, in-place accumulate, fused add+ReLU and its backward, and scaling.
 */
import type { Engine } from '../engine.js';
import type { Tensor } from '../tensor.js';
import { expectShape } from './checks.js';

export function add(engine: Engine, a: Tensor, b: Tensor): Tensor {
  expectShape(engine, 'add', 'b', b, a.shape);
  const x = a.toArray();
  const y = b.toArray();
  for (let i = 0; i < x.length; i++) x[i]! += y[i]!;
  return engine.tensor(a.shape, x);
}

export function addInto(engine: Engine, target: Tensor, source: Tensor): void {
  expectShape(engine, 'add_into', 'source', source, target.shape);
  const x = target.toArray();
  const y = source.toArray();
  for (let i = 0; i < x.length; i++) x[i]! += y[i]!;
  target.set(x);
}

export function addRelu(engine: Engine, a: Tensor, b: Tensor): Tensor {
  expectShape(engine, 'add_relu', 'b', b, a.shape);
  const x = a.toArray();
  const y = b.toArray();
  for (let i = 0; i < x.length; i++) x[i] = Math.max(0, x[i]! + y[i]!);
  return engine.tensor(a.shape, x);
}

export function addReluBackward(engine: Engine, gradOutput: Tensor, output: Tensor): Tensor {
  expectShape(engine, 'add_relu_backward', 'grad_output', gradOutput, output.shape);
  const g = gradOutput.toArray();
  const o = output.toArray();
  for (let i = 0; i < g.length; i++) if (!(o[i]! > 0)) g[i] = 0;
  return engine.tensor(output.shape, g);
}

export function scale(engine: Engine, input: Tensor, factor: number): Tensor {
  engine.check('scale', input);
  return engine.tensor(input.shape, input.toArray().map((v) => v * factor));
}

function erf(x: number): number {
  // Abramowitz-Stegun 7.1.26 is too coarse; use a series/continued fraction in f64.
  const t = Math.abs(x);
  if (t < 2.5) {
    let sum = t;
    let term = t;
    for (let n = 1; n < 60; n++) {
      term *= (-t * t) / n;
      sum += term / (2 * n + 1);
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  let f = 0;
  for (let n = 60; n >= 1; n--) f = n / 2 / (t + f);
  return Math.sign(x) * (1 - Math.exp(-t * t) / Math.sqrt(Math.PI) / (t + f));
}

export function geluForward(engine: Engine, input: Tensor): Tensor {
  engine.check('gelu_forward', input);
  return engine.tensor(input.shape, input.toArray().map((x) => 0.5 * x * (1 + erf(x / Math.SQRT2))));
}

export function geluBackward(engine: Engine, gradOutput: Tensor, input: Tensor): Tensor {
  expectShape(engine, 'gelu_backward', 'grad_output', gradOutput, input.shape);
  const x = input.toArray();
  const g = gradOutput.toArray();
  return engine.tensor(input.shape, x.map((v, i) => g[i]! * (0.5 * (1 + erf(v / Math.SQRT2)) + (v * Math.exp(-0.5 * v * v)) / Math.sqrt(2 * Math.PI))));
}
