/**
 * The base of every layer, written to read like torch.nn.Module: parameters, buffers, children,
 * train()/eval(), zeroGrad(), stateDict()/loadStateDict(). A module only says its forward, with
 * the differentiable ops of src/autograd/functional.ts (or other modules); the ops record the
 * backward, so any graph of modules differentiates (`loss.backward()`), gradients add into each
 * parameter's `grad`, and the memory scope of the step frees every intermediate.
 *
 * Call a module with `call(...)`, not `forward(...)`: it is the one hook every module passes
 * through (profiling; with grad disabled, a memory scope per module, so inference frees each
 * intermediate as soon as the module that made it returns).
 */
import type { Engine } from '../engine/engine.js';
import type { Tensor } from '../engine/tensor.js';
import { WasmMemoryError, formatShape } from '../engine/errors.js';
import { Rng } from './init.js';
import { Parameter, ParameterBuffer } from './parameters.js';
import type { Profiler } from '../autograd/profile.js';
import { inLayer } from '../autograd/tape.js';

/** What modules are built with: the engine, and the generator of their initial parameter values. */
export interface BuildContext {
  readonly engine: Engine;
  readonly rng: Rng;
}

/** A BuildContext whose generator starts from `seed`. */
export function buildContext(engine: Engine, seed = 0): BuildContext {
  return { engine, rng: new Rng(seed) };
}

/** One entry of a state dict: float32 values, or an int64 counter (num_batches_tracked). */
export type StateValue = { dtype: 'F32'; shape: number[]; data: Float32Array } | { dtype: 'I64'; shape: number[]; data: BigInt64Array };

export class StateDictError extends Error {
  override name = 'StateDictError';
}

export abstract class Module {
  training = true;
  private readonly childModules = new Map<string, Module>();
  private readonly parameterSlots = new Map<string, Parameter>();
  private readonly bufferSlots = new Map<string, Tensor>();
  private parameterBuffer: ParameterBuffer | undefined;

  /** Set by `profile()`: where this module's times go, and its state-dict path. */
  profiling: { profiler: Profiler; path: string } | undefined;
  /** The module's dotted path in the model it was allocated with ('' for the model itself), for errors. */
  path: string | undefined;

  constructor(readonly engine: Engine) {}

  /** The module's computation, on the differentiable ops; run it through `call`. */
  abstract forward(...inputs: Tensor[]): Tensor;

  /**
   * Runs `forward` through the module hook: profiling, per-module memory scopes without grad, and
   * the name of the innermost layer on an out-of-memory error.
   */
  call(...inputs: Tensor[]): Tensor {
    const run = () => inLayer(this, () => (this.engine.isGradEnabled ? this.forward(...inputs) : this.engine.scope(() => this.forward(...inputs))));
    const profiling = this.profiling;
    try {
      return profiling ? profiling.profiler.frame(profiling.path, this.kind, inputs[0]?.shape ?? [], run) : run();
    } catch (error) {
      if (error instanceof WasmMemoryError && error.layer === undefined) throw error.withContext({ layer: this.label });
      throw error;
    }
  }

  /** The module's type in profiles (`Conv2d`, `BatchNorm2d+ReLU`). */
  get kind(): string {
    return this.constructor.name;
  }

  /** The module in errors: its path and type (`features.0 (Conv2d)`), or its type alone. */
  get label(): string {
    return this.path ? `${this.path} (${this.kind})` : this.kind;
  }

  protected addChild<M extends Module>(name: string, module: M): M {
    this.childModules.set(name, module);
    return module;
  }

  /** Declares a parameter with its initial values; its memory exists once the model's parameters are allocated. */
  protected addParameter(name: string, shape: readonly number[], initial: Float32Array): Parameter {
    const parameter = new Parameter(shape, initial);
    this.parameterSlots.set(name, parameter);
    return parameter;
  }

  /** Declares a buffer (state that is not a parameter, e.g. running statistics); the module owns it. */
  protected addBuffer(name: string, tensor: Tensor): Tensor {
    this.bufferSlots.set(name, this.engine.keep(tensor));
    return tensor;
  }

  /**
   * Lays out every parameter of this module tree in one flat buffer (done by the models'
   * factories; call it once on a tree you composed yourself before using it).
   */
  allocateParameters(): ParameterBuffer {
    if (this.parameterBuffer) throw new Error(`${this.kind}: parameters already allocated`);
    for (const [path, module] of this.namedModules()) module.path ??= path;
    this.parameterBuffer = ParameterBuffer.allocate(this.engine, this.namedParameters());
    return this.parameterBuffer;
  }

  /** The flat parameter buffer of this tree (see allocateParameters). */
  get parameters(): ParameterBuffer {
    if (!this.parameterBuffer) throw new Error(`${this.kind}: parameters not allocated (call allocateParameters() on the model)`);
    return this.parameterBuffer;
  }

  /** Sets every parameter's gradient to zero (PyTorch's zero_grad(set_to_none=False)). */
  zeroGrad(): void {
    this.parameters.zeroGrad();
  }

  /** Frees the parameters and buffers of the tree; the module cannot be used afterwards. */
  free(): void {
    this.parameterBuffer?.free();
    for (const [, module] of this.namedModules()) {
      for (const t of module.bufferSlots.values()) if (!t.freed) t.free();
    }
  }

  /** Integer state (PyTorch's int64 buffers such as num_batches_tracked), by name. */
  protected counters(): Map<string, bigint> {
    return new Map();
  }

  protected setCounter(_name: string, _value: bigint): void {}

  children(): [string, Module][] {
    return [...this.childModules];
  }

  /** This module and every descendant with its dotted path ('' for this one). */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [[prefix, this]];
    for (const [name, child] of this.childModules) out.push(...child.namedModules(prefix ? `${prefix}.${name}` : name));
    return out;
  }

  /** Times every layer's forward and backward into `profiler` (undefined: stop timing). */
  profile(profiler: Profiler | undefined, path = ''): void {
    this.profiling = profiler && { profiler, path };
    for (const [name, child] of this.childModules) child.profile(profiler, path ? `${path}.${name}` : name);
  }

  train(mode = true): this {
    this.training = mode;
    for (const child of this.childModules.values()) child.train(mode);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Parameters with their dotted names, in registration order (as PyTorch lists them). */
  namedParameters(prefix = ''): [string, Parameter][] {
    const out: [string, Parameter][] = [...this.parameterSlots].map(([name, p]) => [prefix + name, p]);
    for (const [name, child] of this.childModules) out.push(...child.namedParameters(`${prefix}${name}.`));
    return out;
  }

  /** Parameters, buffers and counters with PyTorch's state-dict keys, in PyTorch's order. */
  stateDict(prefix = ''): Map<string, StateValue> {
    const out = new Map<string, StateValue>();
    for (const [name, p] of this.parameterSlots) out.set(prefix + name, f32(p.value));
    for (const [name, t] of this.bufferSlots) out.set(prefix + name, f32(t));
    for (const [name, v] of this.counters()) out.set(prefix + name, { dtype: 'I64', shape: [], data: BigInt64Array.of(v) });
    for (const [name, child] of this.childModules) {
      for (const [key, value] of child.stateDict(`${prefix}${name}.`)) out.set(key, value);
    }
    return out;
  }

  /**
   * Loads a state dict with exactly this module's keys and shapes; a missing, unexpected or
   * wrongly shaped key is an error naming it (and both shapes), and nothing is changed then. As
   * in PyTorch, a missing `num_batches_tracked` (files from before PyTorch 0.4.1) loads as 0.
   */
  loadStateDict(given: ReadonlyMap<string, StateValue>): void {
    const own = this.stateDict();
    const state = new Map(given);
    for (const [key, mine] of own) {
      if (!state.has(key) && key.endsWith('num_batches_tracked')) state.set(key, { ...mine, data: BigInt64Array.of(0n) } as StateValue);
    }
    const missing = [...own.keys()].filter((k) => !state.has(k));
    const unexpected = [...state.keys()].filter((k) => !own.has(k));
    if (missing.length || unexpected.length) {
      const parts = [];
      if (missing.length) parts.push(`missing keys: ${missing.join(', ')}`);
      if (unexpected.length) parts.push(`unexpected keys: ${unexpected.join(', ')}`);
      throw new StateDictError(`loadStateDict: ${parts.join('; ')}`);
    }
    for (const [key, mine] of own) {
      const theirs = state.get(key)!;
      if (theirs.dtype !== mine.dtype || formatShape(theirs.shape) !== formatShape(mine.shape)) {
        throw new StateDictError(
          `loadStateDict: ${key} is ${theirs.dtype} ${formatShape(theirs.shape)} in the state dict, the model expects ${mine.dtype} ${formatShape(mine.shape)}`,
        );
      }
    }
    this.assign(state, '');
  }

  private assign(state: ReadonlyMap<string, StateValue>, prefix: string): void {
    for (const [name, p] of this.parameterSlots) p.value.set(state.get(prefix + name)!.data as Float32Array);
    for (const [name, t] of this.bufferSlots) t.set(state.get(prefix + name)!.data as Float32Array);
    for (const name of this.counters().keys()) this.setCounter(name, (state.get(prefix + name)!.data as BigInt64Array)[0]!);
    for (const [name, child] of this.childModules) child.assign(state, `${prefix}${name}.`);
  }
}

function f32(t: Tensor): StateValue {
  return { dtype: 'F32', shape: [...t.shape], data: t.toArray() };
}
