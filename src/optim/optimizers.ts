/**
 * Optimizers over a model's flat parameter buffer (ParameterBuffer): each parameter group is one
 * contiguous range of it, so one kernel call updates a whole group. Semantics and defaults are
 * torch.optim's, `param_groups` included: a group has its own learning-rate multiplier (applied
 * to the scheduled rate) and weight decay; frozen parameters (requiresGrad false) lie outside
 * every group and are never updated. The loop lives here, the state in WebAssembly memory.
 */
import type { Engine } from '../engine/engine.js';
import { adamStep, sgdStep } from '../engine/ops/optim.js';
import type { Tensor } from '../engine/tensor.js';
import type { StateValue } from '../nn/module.js';
import type { ParameterBuffer, ParameterGroupSpec, ParameterRange } from '../nn/parameters.js';

export abstract class Optimizer {
  /** Learning rate of the next step (schedules set it); a group's is this times its lrScale. */
  lr: number;
  /** Steps taken. */
  stepCount = 0;
  protected readonly engine: Engine;
  private readonly stateTensors = new Map<string, Tensor>();
  private readonly layoutVersion: number;

  constructor(
    protected readonly parameters: ParameterBuffer,
    lr: number,
    groups: readonly ParameterGroupSpec[] = [],
  ) {
    if (!(lr >= 0)) throw new RangeError(`learning rate must be >= 0, got ${lr}`);
    this.lr = lr;
    this.engine = parameters.engine;
    parameters.arrange(groups);
    this.layoutVersion = parameters.layoutVersion;
  }

  /** Parameters (numbers) this optimizer updates. */
  get parameterCount(): number {
    return this.parameters.ranges.reduce((sum, g) => sum + g.size, 0);
  }

  /** The groups, as laid out in the flat buffer. */
  get groups(): readonly ParameterRange[] {
    return this.parameters.ranges;
  }

  /** Applies one update from the gradients backward accumulated. */
  step(): void {
    if (this.parameters.layoutVersion !== this.layoutVersion || !this.parameters.matchesFreezing()) {
      throw new Error('optimizer.step: the parameters were regrouped or (un)frozen after this optimizer was made; make a new optimizer');
    }
    this.stepCount++;
    for (const group of this.parameters.ranges) this.update(group, this.lr * group.lrScale);
  }

  /** Updates one group's range with learning rate `lr`. */
  protected abstract update(group: ParameterRange, lr: number): void;

  /** `tensor`'s elements of `group`'s range. */
  protected slice(tensor: Tensor, group: ParameterRange): Tensor {
    return tensor.view([group.size], group.offset);
  }

  /** A zeroed state buffer the size of all parameters (exp_avg, momentum_buffer, ...). */
  protected state(name: string): Tensor {
    let t = this.stateTensors.get(name);
    if (!t) {
      t = this.engine.keep(this.engine.tensor([this.parameters.count]));
      this.stateTensors.set(name, t);
    }
    return t;
  }

  /**
   * State for a checkpoint: each buffer flat, the step count, and the layout the buffers follow
   * (`param_sizes`: each parameter's size in buffer order; `group_sizes`: each group's).
   */
  stateDict(): Map<string, StateValue> {
    const out = new Map<string, StateValue>();
    for (const [name, t] of this.stateTensors) out.set(name, { dtype: 'F32', shape: [...t.shape], data: t.toArray() });
    out.set('step', { dtype: 'I64', shape: [], data: BigInt64Array.of(BigInt(this.stepCount)) });
    const { parameterSizes, groupSizes } = this.parameters.layout;
    out.set('param_sizes', { dtype: 'I64', shape: [parameterSizes.length], data: BigInt64Array.from(parameterSizes, BigInt) });
    out.set('group_sizes', { dtype: 'I64', shape: [groupSizes.length], data: BigInt64Array.from(groupSizes, BigInt) });
    return out;
  }

  /** Loads a stateDict(); one made for another layout (other groups, other frozen parameters) is refused and nothing changes. */
  loadStateDict(state: ReadonlyMap<string, StateValue>): void {
    const count = this.parameters.count;
    const layout = this.parameters.layout;
    for (const [key, mine] of [['param_sizes', layout.parameterSizes], ['group_sizes', layout.groupSizes]] as const) {
      const saved = state.get(key);
      if (saved && Array.from(saved.data as BigInt64Array, Number).join() !== mine.join()) {
        throw new Error(`optimizer state: its ${key} do not match this optimizer's (other parameter groups or frozen parameters)`);
      }
    }
    for (const [name, value] of state) {
      if (name === 'step' || name === 'param_sizes' || name === 'group_sizes') continue;
      if (!(value.dtype === 'F32' && value.data.length === count)) {
        throw new Error(`optimizer state '${name}' has ${value.data.length} values, the model has ${count} parameters`);
      }
    }
    for (const [name, value] of state) {
      if (name === 'step') this.stepCount = Number((value.data as BigInt64Array)[0]);
      else if (value.dtype === 'F32') this.state(name).set(value.data);
    }
  }

  free(): void {
    for (const t of this.stateTensors.values()) t.free();
    this.stateTensors.clear();
  }
}

export interface AdamOptions {
  lr?: number;
  /** Parameter groups (PyTorch's param_groups); parameters in none form the default group. */
  groups?: readonly ParameterGroupSpec[];
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
}

/** torch.optim.Adam: lr 1e-3, betas (0.9, 0.999), eps 1e-8, L2 weight decay 0. */
export class Adam extends Optimizer {
  readonly betas: [number, number];
  readonly eps: number;
  readonly weightDecay: number;
  protected readonly decoupled: boolean = false;

  constructor(parameters: ParameterBuffer, options: AdamOptions = {}) {
    super(parameters, options.lr ?? 1e-3, options.groups);
    this.betas = options.betas ?? [0.9, 0.999];
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0;
  }

  protected update(group: ParameterRange, lr: number): void {
    const p = this.parameters;
    adamStep(
      this.engine, this.slice(p.values, group), this.slice(p.grads, group),
      this.slice(this.state('exp_avg'), group), this.slice(this.state('exp_avg_sq'), group), this.stepCount,
      { lr, beta1: this.betas[0], beta2: this.betas[1], eps: this.eps, weightDecay: group.weightDecay ?? this.weightDecay, decoupled: this.decoupled },
    );
  }
}

/** torch.optim.AdamW: Adam with decoupled weight decay (default 0.01). */
export class AdamW extends Adam {
  protected override readonly decoupled = true;

  constructor(parameters: ParameterBuffer, options: AdamOptions = {}) {
    super(parameters, { weightDecay: 0.01, ...options });
  }
}

export interface SgdOptions {
  lr: number;
  /** Parameter groups (PyTorch's param_groups); parameters in none form the default group. */
  groups?: readonly ParameterGroupSpec[];
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

/** torch.optim.SGD with momentum, dampening, weight decay and Nesterov. */
export class SGD extends Optimizer {
  readonly momentum: number;
  readonly dampening: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;

  constructor(parameters: ParameterBuffer, options: SgdOptions) {
    super(parameters, options.lr, options.groups);
    this.momentum = options.momentum ?? 0;
    this.dampening = options.dampening ?? 0;
    this.weightDecay = options.weightDecay ?? 0;
    this.nesterov = options.nesterov ?? false;
  }

  protected update(group: ParameterRange, lr: number): void {
    const p = this.parameters;
    const buffer = this.momentum !== 0 ? this.slice(this.state('momentum_buffer'), group) : undefined;
    sgdStep(this.engine, this.slice(p.values, group), this.slice(p.grads, group), buffer, this.stepCount, {
      lr, momentum: this.momentum, dampening: this.dampening, weightDecay: group.weightDecay ?? this.weightDecay, nesterov: this.nesterov,
    });
  }
}
