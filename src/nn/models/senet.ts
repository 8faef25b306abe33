/**
 * The seed model, identical to the seed's PyTorch SENet (same layers, same state-dict keys,
 * 6,415,882 parameters with 10 classes). Each BatchNorm2d runs the ReLU after it in the same
 * kernel; an Identity keeps the ReLU's index, so the keys stay PyTorch's.
 */
import type { Engine } from '../../engine/engine.js';
import { Identity } from '../layers/activation.js';
import { BatchNorm2d } from '../layers/batchnorm.js';
import { Conv2d } from '../layers/conv.js';
import { Linear } from '../layers/linear.js';
import { AdaptiveAvgPool2d, Flatten, MaxPool2d } from '../layers/pooling.js';
import { SEBlock } from '../layers/se.js';
import { Sequential } from '../layers/sequential.js';
import { buildContext, type BuildContext } from '../module.js';

export interface SENetOptions {
  numClasses?: number;
  /** Seed of the default initialisation. */
  seed?: number;
}

export class SENet extends Sequential {
  private constructor(
    ctx: BuildContext,
    readonly numClasses: number,
  ) {
    const engine = ctx.engine;
    const conv = (i: number, o: number) => new Conv2d(ctx, i, o, 3, { padding: 1 });
    const bnRelu = (c: number) => [new BatchNorm2d(ctx, c, { relu: true }), new Identity(engine)];
    const pool = () => new MaxPool2d(engine, 2);
    const features = new Sequential(engine, [
      conv(3, 64), ...bnRelu(64), pool(),
      conv(64, 128), ...bnRelu(128), pool(),
      conv(128, 256), ...bnRelu(256),
      conv(256, 512), ...bnRelu(512), pool(),
      conv(512, 1024), new SEBlock(ctx, 1024), ...bnRelu(1024), pool(),
    ]);
    super(engine, [
      ['features', features],
      ['avgpool', new AdaptiveAvgPool2d(engine)],
      ['flatten', new Flatten(engine)],
      ['classifier', new Sequential(engine, [new Linear(ctx, 1024, numClasses)])],
    ]);
  }

  /** Builds the model with PyTorch's default initialisation from `seed`, in training mode. */
  static create(engine: Engine, options: SENetOptions = {}): SENet {
    const model = new SENet(buildContext(engine, options.seed ?? 0), options.numClasses ?? 10);
    model.allocateParameters();
    return model;
  }
}
