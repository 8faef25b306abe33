import type { Tensor } from '../../engine/tensor.js';
import { batchNorm2d } from '../../autograd/functional.js';
import { Module, type BuildContext } from '../module.js';
import type { Parameter } from '../parameters.js';

export interface BatchNorm2dOptions {
  /** Running-statistics momentum. Default 0.1 (PyTorch's). */
  momentum?: number;
  /** Added to the variance. Default 1e-5. */
  eps?: number;
  /** Apply the ReLU that follows in the same kernel, forward and backward (the model asks for it). */
  relu?: boolean;
}

/** nn.BatchNorm2d(channels): affine, with running statistics; optionally fused with the ReLU after it. */
export class BatchNorm2d extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter;
  readonly runningMean: Tensor;
  readonly runningVar: Tensor;
  readonly momentum: number;
  readonly eps: number;
  readonly relu: boolean;
  numBatchesTracked = 0n;

  constructor(ctx: BuildContext, readonly channels: number, options: BatchNorm2dOptions = {}) {
    super(ctx.engine);
    this.momentum = options.momentum ?? 0.1;
    this.eps = options.eps ?? 1e-5;
    this.relu = options.relu ?? false;
    this.weight = this.addParameter('weight', [channels], new Float32Array(channels).fill(1));
    this.bias = this.addParameter('bias', [channels], new Float32Array(channels));
    this.runningMean = this.addBuffer('running_mean', this.engine.tensor([channels]));
    this.runningVar = this.addBuffer('running_var', this.engine.tensor([channels], new Float32Array(channels).fill(1)));
  }

  override get kind(): string {
    return this.relu ? 'BatchNorm2d+ReLU' : 'BatchNorm2d';
  }

  protected override counters(): Map<string, bigint> {
    return new Map([['num_batches_tracked', this.numBatchesTracked]]);
  }

  protected override setCounter(_name: string, value: bigint): void {
    this.numBatchesTracked = value;
  }

  forward(input: Tensor): Tensor {
    const params = { weight: this.weight.value, bias: this.bias.value, runningMean: this.runningMean, runningVar: this.runningVar };
    const output = batchNorm2d(this.engine, input, params, { training: this.training, momentum: this.momentum, eps: this.eps, relu: this.relu });
    if (this.training) this.numBatchesTracked += 1n;
    return output;
  }
}
