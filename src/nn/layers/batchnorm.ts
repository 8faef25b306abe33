import type { Tensor } from '../../engine/tensor.js';
import { batchNormBackward, batchNormForwardEval, batchNormForwardTrain, type BatchNormSaved } from '../../engine/ops/batchnorm.js';
import { constantInit } from '../init.js';
import { Module, savedInput } from '../module.js';
import type { Parameter, ParameterStore } from '../parameters.js';

/**
 * nn.BatchNorm2d(channels): momentum 0.1, eps 1e-5, affine, running stats. `fusedRelu` applies
 * the ReLU that follows it in one pass (Sequential fuses BatchNorm2d + ReLU this way).
 */
export class BatchNorm2d extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter;
  readonly runningMean: Tensor;
  readonly runningVar: Tensor;
  numBatchesTracked = 0n;
  fusedRelu = false;
  private saved: { input: Tensor; output: Tensor; stats: BatchNormSaved } | undefined;

  constructor(
    store: ParameterStore,
    readonly channels: number,
    readonly momentum = 0.1,
    readonly eps = 1e-5,
  ) {
    super(store.engine);
    this.weight = this.addParameter('weight', store.parameter([channels], constantInit(1)));
    this.bias = this.addParameter('bias', store.parameter([channels], constantInit(0)));
    this.runningMean = this.addBuffer('running_mean', this.engine.tensor([channels]));
    this.runningVar = this.addBuffer('running_var', this.engine.tensor([channels], new Float32Array(channels).fill(1)));
  }

  protected override counters(): Map<string, bigint> {
    return new Map([['num_batches_tracked', this.numBatchesTracked]]);
  }

  protected override setCounter(_name: string, value: bigint): void {
    this.numBatchesTracked = value;
  }

  private get params() {
    return { weight: this.weight.value, bias: this.bias.value, runningMean: this.runningMean, runningVar: this.runningVar };
  }

  forward(input: Tensor): Tensor {
    this.release();
    const options = { momentum: this.momentum, eps: this.eps, relu: this.fusedRelu };
    if (!this.training) return batchNormForwardEval(this.engine, input, this.params, options);
    const { output, saved } = batchNormForwardTrain(this.engine, input, this.params, options);
    this.numBatchesTracked += 1n;
    this.saved = { input, output, stats: saved };
    return output;
  }

  backward(gradOutput: Tensor): Tensor {
    const { input, output, stats } = savedInput(this.saved, 'BatchNorm2d');
    const grads = batchNormBackward(this.engine, gradOutput, input, output, this.weight.value, stats, this.fusedRelu, {
      gradWeight: this.weight.grad,
      gradBias: this.bias.grad,
    });
    this.release();
    return grads.gradInput;
  }

  private release(): void {
    if (!this.saved) return;
    this.saved.stats.mean.free();
    this.saved.stats.invstd.free();
    this.saved = undefined;
  }
}
