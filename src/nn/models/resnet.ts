/**
 * He et al.'s ResNet for CIFAR (depth 6n+2: a 3x3 stem of 16 channels without max-pool, three
 * stages of n basic blocks at 16, 32 and 64 channels, stride 2 at the first block of stages 2
 * and 3 with a 1x1 stride-2 conv + BN projection shortcut, global average pool, a linear
 * classifier), optionally with the SE paper's SE-ResNet module in every block. Identical to the
 * PyTorch definition in test/fixtures/make_fixtures.py, with torchvision's keys (`conv1`, `bn1`,
 * `layer1.0.conv1`, ..., `layer2.0.downsample.0`, `fc`).
 */
import type { Engine } from '../../engine/engine.js';
import type { Tensor } from '../../engine/tensor.js';
import { BatchNorm2d } from '../layers/batchnorm.js';
import { Conv2d } from '../layers/conv.js';
import { Linear } from '../layers/linear.js';
import { AdaptiveAvgPool2d, Flatten } from '../layers/pooling.js';
import { SEBasicBlock } from '../layers/residual.js';
import { Sequential } from '../layers/sequential.js';
import { Module, buildContext, type BuildContext } from '../module.js';

export interface CifarResNetOptions {
  /** 6n+2: 20, 32, 44, 56, 110, ... */
  depth: number;
  /** SE reduction in every block; 0 for a plain ResNet. */
  reduction: number;
  numClasses?: number;
  seed?: number;
}

export class CifarResNet extends Module {
  readonly numClasses: number;
  private readonly stem: Sequential;
  private readonly stages: Sequential[];
  private readonly head: Sequential;

  private constructor(ctx: BuildContext, options: CifarResNetOptions) {
    super(ctx.engine);
    const { depth, reduction } = options;
    if (!Number.isInteger((depth - 2) / 6) || depth < 8) throw new RangeError(`CifarResNet: depth must be 6n+2 (20, 32, 56, 110, ...), got ${depth}`);
    const blocks = (depth - 2) / 6;
    this.numClasses = options.numClasses ?? 10;
    const engine = ctx.engine;
    const conv1 = this.addChild('conv1', new Conv2d(ctx, 3, 16, 3, { padding: 1, bias: false }));
    const bn1 = this.addChild('bn1', new BatchNorm2d(ctx, 16, { relu: true }));
    this.stem = new Sequential(engine, [conv1, bn1]);
    let channels = 16;
    this.stages = [16, 32, 64].map((width, stage) => {
      const layer = new Sequential(engine, Array.from({ length: blocks }, (_, i) => {
        const block = new SEBasicBlock(ctx, channels, width, { stride: stage > 0 && i === 0 ? 2 : 1, reduction });
        channels = width;
        return block;
      }));
      return this.addChild(`layer${stage + 1}`, layer);
    });
    const avgpool = this.addChild('avgpool', new AdaptiveAvgPool2d(engine));
    const flatten = this.addChild('flatten', new Flatten(engine));
    const fc = this.addChild('fc', new Linear(ctx, 64, this.numClasses));
    this.head = new Sequential(engine, [avgpool, flatten, fc]);
  }

  static create(engine: Engine, options: CifarResNetOptions): CifarResNet {
    const model = new CifarResNet(buildContext(engine, options.seed ?? 0), options);
    model.allocateParameters();
    return model;
  }

  forward(input: Tensor): Tensor {
    let x = this.stem.forward(input);
    for (const stage of this.stages) x = stage.call(x);
    return this.head.forward(x);
  }
}
