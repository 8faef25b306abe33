/**
 * The reference model, identical to the seed's PyTorch SENet (same layers, same state-dict keys,
 * 6,415,882 parameters with 10 classes).
 */
import type { Engine } from '../../engine/engine.js';
import { ReLU } from '../layers/activation.js';
import { BatchNorm2d } from '../layers/batchnorm.js';
import { Conv2d } from '../layers/conv.js';
import { Linear } from '../layers/linear.js';
import { AdaptiveAvgPool2d, Flatten, MaxPool2d } from '../layers/pooling.js';
import { SEBlock } from '../layers/se.js';
import { Sequential } from '../layers/sequential.js';
import { ParameterStore } from '../parameters.js';

export interface SENetOptions {
  numClasses?: number;
  /** Seed of the default initialisation. */
  seed?: number;
}

export class SENet extends Sequential {
  private constructor(
    engine: Engine,
    readonly parameters: ParameterStore,
    readonly numClasses: number,
  ) {
    const s = parameters;
    const conv = (i: number, o: number) => new Conv2d(s, i, o, 3, { padding: 1 });
    const bn = (c: number) => new BatchNorm2d(s, c);
    const relu = () => new ReLU(engine);
    const pool = () => new MaxPool2d(engine, 2);
    const features = new Sequential(engine, [
      conv(3, 64), bn(64), relu(), pool(),
      conv(64, 128), bn(128), relu(), pool(),
      conv(128, 256), bn(256), relu(),
      conv(256, 512), bn(512), relu(), pool(),
      conv(512, 1024), new SEBlock(s, 1024), bn(1024), relu(), pool(),
    ]);
    super(engine, [
      ['features', features],
      ['avgpool', new AdaptiveAvgPool2d(engine)],
      ['flatten', new Flatten(engine)],
      ['classifier', new Sequential(engine, [new Linear(s, 1024, numClasses)])],
    ]);
  }

  /** Builds the model with PyTorch's default initialisation from `seed`, in training mode. */
  static create(engine: Engine, options: SENetOptions = {}): SENet {
    const store = new ParameterStore(engine, options.seed ?? 0);
    const model = new SENet(engine, store, options.numClasses ?? 10);
    store.allocate();
    return model;
  }

  /** Frees the parameters and buffers. */
  free(): void {
    this.parameters.free();
  }
}
