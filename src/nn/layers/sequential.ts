import type { Engine } from '../../engine/engine.js';
import type { Tensor } from '../../engine/tensor.js';
import { Module } from '../module.js';
import { ReLU } from './activation.js';
import { BatchNorm2d } from './batchnorm.js';

/**
 * nn.Sequential: children named "0", "1", ... (or given names), run in order. It owns the
 * intermediate activations and gradients: in eval mode each is freed as soon as the next layer
 * has used it; in training mode activations live until backward. A BatchNorm2d followed by a
 * ReLU runs as one fused kernel (the ReLU is then skipped; results are identical).
 */
export class Sequential extends Module {
  private readonly layers: Module[];
  /** Layers skipped because the one before does their work (a ReLU fused into BatchNorm2d). */
  private readonly fused = new Set<Module>();
  private activations: Tensor[] = [];
  private output: Tensor | undefined;

  constructor(engine: Engine, layers: Module[] | [string, Module][]) {
    super(engine);
    const named: [string, Module][] = layers.map((entry, i) => (Array.isArray(entry) ? entry : [String(i), entry]));
    for (const [name, layer] of named) this.addChild(name, layer);
    this.layers = named.map(([, layer]) => layer);
    this.layers.forEach((layer, i) => {
      const next = this.layers[i + 1];
      if (layer instanceof BatchNorm2d && next instanceof ReLU) {
        layer.fusedRelu = true;
        this.fused.add(next);
      }
    });
  }

  forward(input: Tensor): Tensor {
    this.releaseActivations();
    let x = input;
    for (const layer of this.layers) {
      if (this.fused.has(layer)) continue;
      const y = this.timed(layer, 'forward', x, () => layer.forward(x));
      if (x !== input) {
        if (this.training) this.activations.push(x);
        else if (y.owner !== x.owner) x.owner.free();
      }
      x = y;
    }
    this.output = x;
    return x;
  }

  backward(gradOutput: Tensor): Tensor {
    let g = gradOutput;
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const layer = this.layers[i]!;
      if (this.fused.has(layer)) continue;
      const next = this.timed(layer, 'backward', g, () => layer.backward(g));
      if (g !== gradOutput && next.owner !== g.owner) g.owner.free();
      g = next;
    }
    this.releaseActivations();
    return g;
  }

  /** Runs a layer's pass, timed when profiling (containers are not: their layers are). */
  private timed(layer: Module, pass: 'forward' | 'backward', input: Tensor, work: () => Tensor): Tensor {
    const profiling = layer.profiling;
    if (!profiling || layer instanceof Sequential) return work();
    const op = layer instanceof BatchNorm2d && layer.fusedRelu ? 'BatchNorm2d+ReLU' : layer.constructor.name;
    return profiling.profiler.time(profiling.path, op, pass, input.shape, work);
  }

  /** Frees the kept activations, except memory the returned output still uses. */
  private releaseActivations(): void {
    const keep = this.output?.owner;
    for (const t of this.activations) {
      if (t.owner !== keep && !t.owner.freed) t.owner.free();
    }
    this.activations = [];
    this.output = undefined;
  }
}
