/**
 * `fast_senet`: the small network of the fast recipe (airbench94's layout, with an SE block in
 * every group), 297,784 parameters at the default widths 32/64/128 (297,024 trainable).
 * Identical to the PyTorch definition in test/fixtures/make_fixtures.py:
 *
 * - `whiten`: Conv2d(3, 24, 2, no padding, with bias), frozen (the fast recipe sets its weights
 *   from the data: src/nn/whitening.ts), then GELU;
 * - three groups `g1..g3`: conv1 3x3 (padding 1, no bias) -> max-pool 2 -> norm1 -> GELU ->
 *   conv2 3x3 -> norm2 -> GELU -> se (reduction 16). Both convolutions start as nn.init.dirac_
 *   on their first C_in filters (conv2 is the identity) and PyTorch's default init elsewhere;
 *   the BatchNorms have eps 1e-12, momentum 0.4 and their weight frozen at 1;
 * - max-pool 3, flatten, `head` Linear(128, classes, no bias), logits times 1/9.
 *
 * At 32x32 inputs the maps are 31x31 (whiten, g1's conv1), 15x15, 7x7 and 3x3.
 */
import type { Engine } from '../../engine/engine.js';
import type { Tensor } from '../../engine/tensor.js';
import { flatten, mulScalar } from '../../autograd/functional.js';
import { GELU } from '../layers/activation.js';
import { BatchNorm2d } from '../layers/batchnorm.js';
import { Conv2d } from '../layers/conv.js';
import { Linear } from '../layers/linear.js';
import { MaxPool2d } from '../layers/pooling.js';
import { SEBlock } from '../layers/se.js';
import { diracInit } from '../init.js';
import { Module, buildContext, type BuildContext } from '../module.js';

export interface FastSENetOptions {
  /** Channels of the three groups. Default [32, 64, 128]. */
  widths?: readonly number[];
  numClasses?: number;
  /** Seed of the default initialisation. Default 0. */
  seed?: number;
}

export const FAST_SENET_WIDTHS: readonly number[] = [32, 64, 128];
/** The whitening layer's output channels: 2 x (3 channels x 2 x 2 patch). */
export const WHITEN_WIDTH = 24;
/** The BatchNorms of the network: PyTorch momentum 0.4 (airbench's 0.6 is 1 - this), eps 1e-12. */
export const FAST_BN = { momentum: 0.4, eps: 1e-12 } as const;
const LOGIT_SCALE = 1 / 9;

/** conv1 -> max-pool 2 -> norm1 -> GELU -> conv2 -> norm2 -> GELU -> SE. */
class ConvGroup extends Module {
  readonly conv1: Conv2d;
  readonly norm1: BatchNorm2d;
  readonly conv2: Conv2d;
  readonly norm2: BatchNorm2d;
  readonly se: SEBlock;
  private readonly pool: MaxPool2d;
  private readonly activation: GELU;

  constructor(ctx: BuildContext, inChannels: number, channels: number) {
    super(ctx.engine);
    this.conv1 = this.addChild('conv1', new Conv2d(ctx, inChannels, channels, 3, { padding: 1, bias: false }));
    // Stateless children (no state-dict keys), registered as PyTorch's are, so profiles name them.
    this.pool = this.addChild('pool', new MaxPool2d(ctx.engine, 2));
    this.norm1 = this.addChild('norm1', new BatchNorm2d(ctx, channels, FAST_BN));
    this.conv2 = this.addChild('conv2', new Conv2d(ctx, channels, channels, 3, { padding: 1, bias: false }));
    this.norm2 = this.addChild('norm2', new BatchNorm2d(ctx, channels, FAST_BN));
    this.se = this.addChild('se', new SEBlock(ctx, channels, 16, 1));
    this.activation = this.addChild('activ', new GELU(ctx.engine));
    for (const norm of [this.norm1, this.norm2]) norm.weight.requiresGrad = false;
  }

  forward(input: Tensor): Tensor {
    const x = this.activation.call(this.norm1.call(this.pool.call(this.conv1.call(input))));
    return this.se.call(this.activation.call(this.norm2.call(this.conv2.call(x))));
  }
}

export class FastSENet extends Module {
  readonly numClasses: number;
  readonly widths: readonly number[];
  readonly whiten: Conv2d;
  readonly groups: readonly ConvGroup[];
  readonly head: Linear;
  private readonly activation: GELU;
  private readonly pool: MaxPool2d;

  private constructor(ctx: BuildContext, options: FastSENetOptions) {
    super(ctx.engine);
    const widths = options.widths ?? FAST_SENET_WIDTHS;
    if (widths.length !== 3 || !widths.every((w) => Number.isInteger(w) && w >= 1)) {
      throw new RangeError(`fast_senet: widths must be three positive integers, got [${widths.join(', ')}]`);
    }
    this.widths = [...widths];
    this.numClasses = options.numClasses ?? 10;
    this.whiten = this.addChild('whiten', new Conv2d(ctx, 3, WHITEN_WIDTH, 2, { padding: 0, bias: true }));
    this.whiten.weight.requiresGrad = false;
    this.whiten.bias!.requiresGrad = false;
    this.activation = this.addChild('activ', new GELU(ctx.engine));
    let channels = WHITEN_WIDTH;
    this.groups = widths.map((width, i) => {
      const group = this.addChild(`g${i + 1}`, new ConvGroup(ctx, channels, width));
      channels = width;
      return group;
    });
    this.pool = this.addChild('pool', new MaxPool2d(ctx.engine, 3));
    this.head = this.addChild('head', new Linear(ctx, channels, this.numClasses, false));
  }

  /** Builds the network with its initialisation from `seed` (the whitening weights still PyTorch's default), in training mode. */
  static create(engine: Engine, options: FastSENetOptions = {}): FastSENet {
    const model = new FastSENet(buildContext(engine, options.seed ?? 0), options);
    model.allocateParameters();
    for (const group of model.groups) {
      for (const conv of [group.conv1, group.conv2]) {
        // torch.nn.init.dirac_(w[:C_in]): the slice has min(C_out, C_in) filters.
        const weight = conv.weight.value;
        weight.set(diracInit(weight.toArray(), weight.shape, Math.min(weight.shape[0]!, weight.shape[1]!)));
      }
    }
    return model;
  }

  forward(input: Tensor): Tensor {
    let x = this.activation.call(this.whiten.call(input));
    for (const group of this.groups) x = group.call(x);
    const logits = this.head.call(flatten(this.engine, this.pool.call(x)));
    return mulScalar(this.engine, logits, LOGIT_SCALE);
  }
}
