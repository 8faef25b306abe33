/**
 * Parameters belong to the modules that declare them; a model's parameters then live end to end
 * in one flat value buffer (and their gradients in another), so that an optimizer updates a
 * whole parameter group with a single kernel call. `ParameterBuffer.allocate(model)` lays out
 * every parameter of a module tree; `arrange(groups)` lays them out again so that each
 * optimizer group is one contiguous range (frozen parameters last, in no range).
 */
import type { Engine } from '../engine/engine.js';
import { formatShape } from '../engine/errors.js';
import type { Tensor } from '../engine/tensor.js';

export class Parameter {
  private bound: { value: Tensor; grad: Tensor } | undefined;
  private frozen = false;
  /** The initial values until the parameter is laid out (drawn when the module was built). */
  private initial: Float32Array | undefined;

  constructor(
    readonly shape: readonly number[],
    initial: Float32Array,
  ) {
    const size = shape.reduce((a, b) => a * b, 1);
    if (initial.length !== size) throw new RangeError(`Parameter ${formatShape(shape)}: ${initial.length} initial values, expected ${size}`);
    this.initial = initial;
  }

  get size(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }

  /** The value: a view into the model's flat parameter buffer. */
  get value(): Tensor {
    return this.slot().value;
  }

  /** The gradient, accumulated by backward (zeroGrad() clears it): a view into the flat gradient buffer. */
  get grad(): Tensor {
    return this.slot().grad;
  }

  /** Whether backward computes this parameter's gradient and optimizers update it (PyTorch's requires_grad). */
  get requiresGrad(): boolean {
    return !this.frozen;
  }

  set requiresGrad(value: boolean) {
    this.frozen = !value;
    if (this.bound) this.bound.value.requiresGrad = value;
  }

  get allocated(): boolean {
    return this.bound !== undefined;
  }

  /** Places the parameter at `value`/`grad` (copying its current values there) and returns what it held before. */
  bind(value: Tensor, grad: Tensor): void {
    if (this.bound) {
      value.copyFrom(this.bound.value);
      grad.copyFrom(this.bound.grad);
      value.gradEmpty = this.bound.value.gradEmpty;
    } else {
      value.set(this.initial!);
      this.initial = undefined;
      grad.zero();
    }
    value.requiresGrad = !this.frozen;
    value.grad = grad;
    this.bound = { value, grad };
  }

  private slot(): { value: Tensor; grad: Tensor } {
    if (!this.bound) throw new Error(`parameter ${formatShape(this.shape)} used before its model's parameters were allocated`);
    return this.bound;
  }
}

/** An optimizer's group: which parameters, and how their update differs from the optimizer's defaults. */
export interface ParameterGroupSpec {
  /** The parameters of the group, or a test on each parameter's name. */
  params: readonly Parameter[] | ((name: string, parameter: Parameter) => boolean);
  /** Multiplies the optimizer's learning rate (and so its schedule) for this group. Default 1. */
  lrScale?: number;
  /** This group's weight decay instead of the optimizer's. */
  weightDecay?: number;
}

/** A contiguous range of the flat buffers holding one group's parameters. */
export interface ParameterRange {
  offset: number;
  size: number;
  parameters: Parameter[];
  lrScale: number;
  weightDecay: number | undefined;
}

export class ParameterBuffer {
  private flat: { values: Tensor; grads: Tensor } | undefined;
  private groups: ParameterRange[] = [];
  private order: Parameter[] = [];
  /** Bumped by every new layout: optimizer state made for another layout is refused. */
  layoutVersion = 0;

  private constructor(
    readonly engine: Engine,
    /** Every parameter with its dotted name, in registration order. */
    readonly named: readonly [string, Parameter][],
  ) {}

  /** Lays out the parameters of `named` (distinct ones, in order) in one flat value and gradient buffer each. */
  static allocate(engine: Engine, named: readonly [string, Parameter][]): ParameterBuffer {
    const seen = new Set<Parameter>();
    const distinct = named.filter(([, p]) => !seen.has(p) && (seen.add(p), true));
    const buffer = new ParameterBuffer(engine, distinct);
    buffer.arrange([]);
    return buffer;
  }

  /** Every parameter's value, end to end. */
  get values(): Tensor {
    return this.allocated().values;
  }

  /** Every parameter's gradient, in the same layout. */
  get grads(): Tensor {
    return this.allocated().grads;
  }

  get count(): number {
    return this.named.reduce((sum, [, p]) => sum + p.size, 0);
  }

  /** Numbers in parameters that require grad. */
  get trainableCount(): number {
    return this.named.reduce((sum, [, p]) => sum + (p.requiresGrad ? p.size : 0), 0);
  }

  /** The groups of the current layout (trainable parameters only). */
  get ranges(): readonly ParameterRange[] {
    return this.groups;
  }

  /**
   * Lays the parameters out again: each spec's parameters (the first spec that claims a
   * parameter wins), then the rest as a default group, each a contiguous range; frozen
   * parameters go last, outside every range. Values and gradients are kept.
   */
  arrange(specs: readonly ParameterGroupSpec[]): void {
    const claimed = new Set<Parameter>();
    const members = specs.map((spec) => {
      const matches = typeof spec.params === 'function' ? spec.params : (_: string, p: Parameter) => (spec.params as Parameter[]).includes(p);
      return this.named.filter(([name, p]) => p.requiresGrad && !claimed.has(p) && matches(name, p) && (claimed.add(p), true)).map(([, p]) => p);
    });
    const rest = this.named.filter(([, p]) => p.requiresGrad && !claimed.has(p)).map(([, p]) => p);
    const frozen = this.named.filter(([, p]) => !p.requiresGrad).map(([, p]) => p);
    const layout: Omit<ParameterRange, 'offset' | 'size'>[] = [
      ...specs.map((spec, i) => ({ parameters: members[i]!, lrScale: spec.lrScale ?? 1, weightDecay: spec.weightDecay })),
      { parameters: rest, lrScale: 1, weightDecay: undefined },
    ];
    const total = this.count;
    const values = this.engine.keep(this.engine.tensor([total]));
    const grads = this.engine.keep(this.engine.tensor([total]));
    let offset = 0;
    const place = (p: Parameter) => {
      p.bind(values.view(p.shape, offset), grads.view(p.shape, offset));
      offset += p.size;
    };
    const ranges: ParameterRange[] = [];
    for (const group of layout) {
      const start = offset;
      group.parameters.forEach(place);
      if (group.parameters.length > 0) ranges.push({ ...group, offset: start, size: offset - start });
    }
    frozen.forEach(place);
    this.free();
    this.flat = { values, grads };
    this.groups = ranges;
    this.order = [...layout.flatMap((g) => g.parameters), ...frozen];
    this.layoutVersion++;
  }

  /** Each parameter's size in the order of the flat buffer, then each group's size: what optimizer state depends on. */
  get layout(): { parameterSizes: number[]; groupSizes: number[] } {
    return { parameterSizes: this.order.map((p) => p.size), groupSizes: this.groups.map((g) => g.size) };
  }

  /** Whether the layout still matches which parameters require grad. */
  matchesFreezing(): boolean {
    const inRanges = new Set(this.groups.flatMap((g) => g.parameters));
    return this.named.every(([, p]) => p.requiresGrad === inRanges.has(p));
  }

  /** Sets every gradient to zero; the next backward writes instead of adding. */
  zeroGrad(): void {
    this.grads.zero();
    for (const [, p] of this.named) p.value.gradEmpty = true;
  }

  free(): void {
    if (!this.flat) return;
    this.flat.values.free();
    this.flat.grads.free();
    this.flat = undefined;
  }

  private allocated(): { values: Tensor; grads: Tensor } {
    if (!this.flat) throw new Error('ParameterBuffer: the parameters were freed');
    return this.flat;
  }
}
