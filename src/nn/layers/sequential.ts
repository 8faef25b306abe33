import type { Engine } from '../../engine/engine.js';
import type { Tensor } from '../../engine/tensor.js';
import { Module } from '../module.js';

/**
 * nn.Sequential: children named "0", "1", ... (or given names), called in order. With grad
 * disabled (inference) each intermediate is freed as soon as the next layer has used it.
 */
export class Sequential extends Module {
  readonly layers: readonly Module[];

  constructor(engine: Engine, layers: Module[] | [string, Module][]) {
    super(engine);
    const named: [string, Module][] = layers.map((entry, i) => (Array.isArray(entry) ? entry : [String(i), entry]));
    for (const [name, layer] of named) this.addChild(name, layer);
    this.layers = named.map(([, layer]) => layer);
  }

  forward(input: Tensor): Tensor {
    let x = input;
    for (const layer of this.layers) {
      const y = layer.call(x);
      if (!this.engine.isGradEnabled && x.owner !== input.owner && y.owner !== x.owner) this.engine.release(x);
      x = y;
    }
    return x;
  }
}
