import type { Engine } from '../../engine/engine.js';
import type { Tensor } from '../../engine/tensor.js';
import { add, addRelu } from '../../autograd/functional.js';
import { Module, type BuildContext } from '../module.js';
import { BatchNorm2d } from './batchnorm.js';
import { Conv2d } from './conv.js';
import { SEBlock } from './se.js';
import { Sequential } from './sequential.js';

/** `a + b` as a module (then ReLU in the same pass with `relu`): the join of two branches. */
export class Add extends Module {
  constructor(engine: Engine, readonly relu = false) {
    super(engine);
  }

  override get kind(): string {
    return this.relu ? 'Add+ReLU' : 'Add';
  }

  forward(a: Tensor, b: Tensor): Tensor {
    return this.relu ? addRelu(this.engine, a, b) : add(this.engine, a, b);
  }
}

/** `join(branch(x), shortcut(x))`, the shortcut the identity when not given: a residual connection. */
export class Residual extends Module {
  constructor(
    engine: Engine,
    readonly branch: Module,
    readonly shortcut: Module | undefined,
    options: { relu?: boolean } = {},
  ) {
    super(engine);
    this.addChild('branch', branch);
    if (shortcut) this.addChild('shortcut', shortcut);
    this.join = new Add(engine, options.relu ?? false);
  }

  private readonly join: Add;

  forward(input: Tensor): Tensor {
    const identity = this.shortcut ? this.shortcut.call(input) : input;
    return this.join.call(this.branch.call(input), identity);
  }
}

export interface SEBasicBlockOptions {
  stride?: number;
  /** Squeeze-and-Excitation reduction; 0 for a plain basic block. Default 16. */
  reduction?: number;
}

/**
 * The basic block of He et al.'s CIFAR ResNet with the SE paper's SE-ResNet module: conv3x3
 * (stride) - BN - ReLU - conv3x3 - BN - SE on the residual branch, added to the shortcut, then
 * ReLU. The shortcut is a 1x1 strided conv + BN projection (`downsample.0`, `downsample.1`) where
 * the shape changes, else the identity. Keys as torchvision's BasicBlock (`conv1`, `bn1`,
 * `conv2`, `bn2`, `se.fc1`, `se.fc2`, `downsample.*`); SE hidden units max(1, floor(C/16)).
 */
export class SEBasicBlock extends Module {
  private readonly conv1: Conv2d;
  private readonly bn1: BatchNorm2d;
  private readonly conv2: Conv2d;
  private readonly bn2: BatchNorm2d;
  private readonly se: SEBlock | undefined;
  private readonly downsample: Sequential | undefined;
  private readonly join: Add;

  constructor(ctx: BuildContext, inChannels: number, channels: number, options: SEBasicBlockOptions = {}) {
    super(ctx.engine);
    const { stride = 1, reduction = 16 } = options;
    this.conv1 = this.addChild('conv1', new Conv2d(ctx, inChannels, channels, 3, { stride, padding: 1, bias: false }));
    this.bn1 = this.addChild('bn1', new BatchNorm2d(ctx, channels, { relu: true }));
    this.conv2 = this.addChild('conv2', new Conv2d(ctx, channels, channels, 3, { padding: 1, bias: false }));
    this.bn2 = this.addChild('bn2', new BatchNorm2d(ctx, channels));
    this.se = reduction > 0 ? this.addChild('se', new SEBlock(ctx, channels, reduction, 1)) : undefined;
    if (stride !== 1 || inChannels !== channels) {
      this.downsample = this.addChild('downsample', new Sequential(ctx.engine, [
        new Conv2d(ctx, inChannels, channels, 1, { stride, bias: false }),
        new BatchNorm2d(ctx, channels),
      ]));
    }
    this.join = new Add(ctx.engine, true);
  }

  forward(input: Tensor): Tensor {
    let out = this.bn2.call(this.conv2.call(this.bn1.call(this.conv1.call(input))));
    if (this.se) out = this.se.call(out);
    const identity = this.downsample ? this.downsample.call(input) : input;
    return this.join.call(out, identity);
  }
}
