/**
 * Optimizers over a model's flat parameter buffer (ParameterStore): one kernel call updates
 * every parameter. Semantics and defaults are torch.optim's. The loop lives here, the state in
 * WebAssembly memory.
 */
import type { Engine } from '../engine/engine.js';
import { adamStep, sgdStep } from '../engine/ops/optim.js';
import type { Tensor } from '../engine/tensor.js';
import type { StateValue } from '../nn/module.js';
import type { ParameterStore } from '../nn/parameters.js';

export abstract class Optimizer {
  /** Learning rate of the next step (schedules set it). */
  lr: number;
  /** Steps taken. */
  stepCount = 0;
  protected readonly engine: Engine;
  private readonly stateTensors = new Map<string, Tensor>();

  constructor(
    protected readonly store: ParameterStore,
    lr: number,
  ) {
    if (!(lr >= 0)) throw new RangeError(`learning rate must be >= 0, got ${lr}`);
    this.lr = lr;
    this.engine = store.engine;
  }

  /** Parameters (numbers) this optimizer updates. */
  get parameterCount(): number {
    return this.store.count;
  }

  /** Applies one update from the gradients the model's backward wrote. */
  abstract step(): void;

  /** A zeroed state buffer the size of all parameters (exp_avg, momentum_buffer, ...). */
  protected state(name: string): Tensor {
    let t = this.stateTensors.get(name);
    if (!t) {
      t = this.engine.tensor([this.store.count]);
      this.stateTensors.set(name, t);
    }
    return t;
  }

  /** State for a checkpoint: each buffer flat, plus the step count. */
  stateDict(): Map<string, StateValue> {
    const out = new Map<string, StateValue>();
    for (const [name, t] of this.stateTensors) out.set(name, { dtype: 'F32', shape: [...t.shape], data: t.toArray() });
    out.set('step', { dtype: 'I64', shape: [], data: BigInt64Array.of(BigInt(this.stepCount)) });
    return out;
  }

  loadStateDict(state: ReadonlyMap<string, StateValue>): void {
    for (const [name, value] of state) {
      if (name === 'step') {
        this.stepCount = Number((value.data as BigInt64Array)[0]);
      } else if (value.dtype === 'F32' && value.data.length === this.store.count) {
        this.state(name).set(value.data);
      } else {
        throw new Error(`optimizer state '${name}' has ${value.data.length} values, the model has ${this.store.count} parameters`);
      }
    }
  }

  free(): void {
    for (const t of this.stateTensors.values()) t.free();
    this.stateTensors.clear();
  }
}

export interface AdamOptions {
  lr?: number;
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

  constructor(store: ParameterStore, options: AdamOptions = {}) {
    super(store, options.lr ?? 1e-3);
    this.betas = options.betas ?? [0.9, 0.999];
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0;
  }

  step(): void {
    this.stepCount++;
    adamStep(this.engine, this.store.values, this.store.grads, this.state('exp_avg'), this.state('exp_avg_sq'), this.stepCount, {
      lr: this.lr, beta1: this.betas[0], beta2: this.betas[1], eps: this.eps, weightDecay: this.weightDecay, decoupled: this.decoupled,
    });
  }
}

/** torch.optim.AdamW: Adam with decoupled weight decay (default 0.01). */
export class AdamW extends Adam {
  protected override readonly decoupled = true;

  constructor(store: ParameterStore, options: AdamOptions = {}) {
    super(store, { weightDecay: 0.01, ...options });
  }
}

export interface SgdOptions {
  lr: number;
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

  constructor(store: ParameterStore, options: SgdOptions) {
    super(store, options.lr);
    this.momentum = options.momentum ?? 0;
    this.dampening = options.dampening ?? 0;
    this.weightDecay = options.weightDecay ?? 0;
    this.nesterov = options.nesterov ?? false;
  }

  step(): void {
    this.stepCount++;
    const buffer = this.momentum !== 0 ? this.state('momentum_buffer') : undefined;
    sgdStep(this.engine, this.store.values, this.store.grads, buffer, this.stepCount, {
      lr: this.lr, momentum: this.momentum, dampening: this.dampening, weightDecay: this.weightDecay, nesterov: this.nesterov,
    });
  }
}
