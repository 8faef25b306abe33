/**
 * The lookahead of the fast recipe (airbench's): an exponential moving average of the model's
 * whole state dict, which the model then takes. `update(model, decay)` moves every
 * floating-point entry (parameters, frozen ones included, and the BatchNorms' running
 * statistics; not the integer `num_batches_tracked`, not the optimizer's momentum) as
 * `average = lerp(average, value, 1 - decay)` and loads the average into the model; with
 * decay 1 the model just goes back to the average. The average lives on the host (a copy of the
 * state dict), and is saved with a training checkpoint so that a resumed run continues it.
 */
import type { Module, StateValue } from '../nn/module.js';
import { StateDictError } from '../nn/module.js';

export class Lookahead {
  private readonly average = new Map<string, Float32Array>();

  /** Starts the average as a copy of the model's floating-point state. */
  constructor(model: Module) {
    for (const [key, value] of model.stateDict()) if (value.dtype === 'F32') this.average.set(key, value.data.slice());
  }

  /** `average = lerp(average, state, 1 - decay)` for every float entry, then the model takes the average. */
  update(model: Module, decay: number): void {
    if (!(decay >= 0 && decay <= 1)) throw new RangeError(`Lookahead.update: decay must be in [0, 1], got ${decay}`);
    const state = model.stateDict();
    const weight = 1 - decay;
    for (const [key, value] of state) {
      if (value.dtype !== 'F32') continue;
      const average = this.entry(key, value);
      const current = value.data;
      // torch.lerp's two forms: start + w (end - start) below w = 0.5, end - (end - start)(1 - w) above.
      if (weight < 0.5) for (let i = 0; i < average.length; i++) average[i] = average[i]! + weight * (current[i]! - average[i]!);
      else for (let i = 0; i < average.length; i++) average[i] = current[i]! - (current[i]! - average[i]!) * (1 - weight);
      state.set(key, { ...value, data: average });
    }
    model.loadStateDict(state);
  }

  /** The average, by state-dict key (for a checkpoint). */
  stateDict(): Map<string, StateValue> {
    return new Map([...this.average].map(([key, data]) => [key, { dtype: 'F32', shape: [data.length], data: data.slice() }]));
  }

  /** Checks a saved average against this one's keys and sizes (throwing, changing nothing), then loads it. */
  loadStateDict(state: ReadonlyMap<string, StateValue>): void {
    const missing = [...this.average.keys()].filter((key) => !state.has(key));
    const unexpected = [...state.keys()].filter((key) => !this.average.has(key));
    if (missing.length || unexpected.length) {
      throw new StateDictError(`lookahead state: missing keys: ${missing.join(', ') || 'none'}; unexpected keys: ${unexpected.join(', ') || 'none'}`);
    }
    for (const [key, value] of state) {
      if (value.dtype !== 'F32' || value.data.length !== this.average.get(key)!.length) {
        throw new StateDictError(`lookahead state: ${key} holds ${value.data.length} ${value.dtype} values, the model ${this.average.get(key)!.length} F32`);
      }
    }
    for (const [key, value] of state) this.average.set(key, (value.data as Float32Array).slice());
  }

  private entry(key: string, value: StateValue): Float32Array {
    const average = this.average.get(key);
    if (!average || average.length !== value.data.length) throw new StateDictError(`Lookahead.update: the model's ${key} is not the one the average was made for`);
    return average;
  }
}

/**
 * The fast recipe's lookahead schedule: after the update of step `step` (1-based) of `total`,
 * every `every` steps, the decay `base^every x (step / total)^3`; undefined between updates.
 */
export function lookaheadDecay(step: number, total: number, every = 5, base = 0.95): number | undefined {
  return step % every === 0 ? base ** every * (step / total) ** 3 : undefined;
}
