/**
 * Parameters live in one flat buffer per model (and their gradients in another), so that an
 * optimizer updates every parameter with a single kernel call. A module declares its
 * parameters on a ParameterStore while the model is built; `allocate()` then lays them out.
 */
import type { Engine } from '../engine/engine.js';
import type { Tensor } from '../engine/tensor.js';
import { Rng } from './init.js';

export class Parameter {
  private bound: { value: Tensor; grad: Tensor } | undefined;

  constructor(
    readonly shape: readonly number[],
    /** Fills the value at allocation (PyTorch's default initialisation for the layer). */
    readonly init: (size: number) => Float32Array,
  ) {}

  get size(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }

  /** The value: a view into the store's flat parameter buffer. */
  get value(): Tensor {
    return this.slot().value;
  }

  /** The gradient, written by the module's backward: a view into the flat gradient buffer. */
  get grad(): Tensor {
    return this.slot().grad;
  }

  bind(value: Tensor, grad: Tensor): void {
    this.bound = { value, grad };
  }

  private slot(): { value: Tensor; grad: Tensor } {
    if (!this.bound) throw new Error('parameter used before its ParameterStore was allocated');
    return this.bound;
  }
}

export class ParameterStore {
  private readonly pending: Parameter[] = [];
  private flat: { values: Tensor; grads: Tensor } | undefined;

  /** The generator of the parameters' initial values. */
  readonly rng: Rng;

  constructor(
    readonly engine: Engine,
    seed = 0,
  ) {
    this.rng = new Rng(seed);
  }

  /** Declares a parameter; its memory exists after `allocate()`. */
  parameter(shape: readonly number[], init: (size: number) => Float32Array): Parameter {
    if (this.flat) throw new Error('ParameterStore: cannot add parameters after allocate()');
    const parameter = new Parameter(shape, init);
    this.pending.push(parameter);
    return parameter;
  }

  /** Lays every declared parameter out in one value and one gradient buffer and initialises it. */
  allocate(): void {
    if (this.flat) return;
    const total = this.pending.reduce((sum, p) => sum + p.size, 0);
    const values = this.engine.tensor([total]);
    const grads = this.engine.tensor([total]);
    let offset = 0;
    for (const p of this.pending) {
      p.bind(values.view(p.shape, offset), grads.view(p.shape, offset));
      p.value.set(p.init(p.size));
      offset += p.size;
    }
    this.flat = { values, grads };
  }

  /** Every parameter's value, end to end (what an optimizer updates). */
  get values(): Tensor {
    return this.allocated().values;
  }

  /** Every parameter's gradient, in the same layout. */
  get grads(): Tensor {
    return this.allocated().grads;
  }

  get count(): number {
    return this.pending.reduce((sum, p) => sum + p.size, 0);
  }

  free(): void {
    if (!this.flat) return;
    this.flat.values.free();
    this.flat.grads.free();
    this.flat = undefined;
  }

  private allocated(): { values: Tensor; grads: Tensor } {
    if (!this.flat) throw new Error('ParameterStore: call allocate() first');
    return this.flat;
  }
}
