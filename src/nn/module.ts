/**
 * The base of every layer, written to read like torch.nn.Module: parameters, buffers, children,
 * train()/eval(), stateDict()/loadStateDict(). A module's forward keeps what its backward needs;
 * backward(gradOutput) writes the parameter gradients (overwriting them) and returns the
 * gradient with respect to the input.
 *
 * Ownership: forward returns a new tensor the caller owns; the module may keep a reference to
 * its input and output until backward. Tensors a module makes for itself (saved statistics,
 * indices) it frees itself.
 */
import type { Engine } from '../engine/engine.js';
import type { Tensor } from '../engine/tensor.js';
import { formatShape } from '../engine/errors.js';
import type { Parameter } from './parameters.js';
import type { Profiler } from './profile.js';

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

  /** Set by `profile()`: where this module's times go, and its state-dict path. */
  profiling: { profiler: Profiler; path: string } | undefined;

  constructor(readonly engine: Engine) {}

  abstract forward(input: Tensor): Tensor;
  abstract backward(gradOutput: Tensor): Tensor;

  protected addChild<M extends Module>(name: string, module: M): M {
    this.childModules.set(name, module);
    return module;
  }

  protected addParameter(name: string, parameter: Parameter): Parameter {
    this.parameterSlots.set(name, parameter);
    return parameter;
  }

  protected addBuffer(name: string, tensor: Tensor): Tensor {
    this.bufferSlots.set(name, tensor);
    return tensor;
  }

  /** Integer state (PyTorch's int64 buffers such as num_batches_tracked), by name. */
  protected counters(): Map<string, bigint> {
    return new Map();
  }

  protected setCounter(_name: string, _value: bigint): void {}

  children(): [string, Module][] {
    return [...this.childModules];
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
   * wrongly shaped key is an error naming it (and both shapes), and nothing is changed then.
   */
  loadStateDict(state: ReadonlyMap<string, StateValue>): void {
    const own = this.stateDict();
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

/** The tensor a forward kept for the backward, or a clear error if backward came first. */
export function savedInput<T>(saved: T | undefined, layer: string): T {
  if (saved === undefined) throw new Error(`${layer}.backward: no training-mode forward to differentiate`);
  return saved;
}
