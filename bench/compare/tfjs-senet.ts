/**
 * The reference SENet written with TensorFlow.js core ops, for the comparison benchmark: the same
 * layers as src/nn/models/senet.ts and the PyTorch definition (6,415,882 parameters with 10
 * classes), in TF.js's NHWC layout.
 *
 * features: conv(3,64) bn relu pool, conv(64,128) bn relu pool, conv(128,256) bn relu,
 * conv(256,512) bn relu pool, conv(512,1024) SE(1024, r=16) bn relu pool; global average pool;
 * linear(1024, classes). Every conv is 3x3, padding 1, with bias. Batch norm in training mode
 * normalises with the batch's statistics (tf.moments, differentiated through) and updates the
 * running statistics like PyTorch (momentum 0.1, unbiased variance); in eval mode it uses them.
 * Initialisation is PyTorch's default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weights and biases.
 */
import * as tf from '@tensorflow/tfjs-core';

type Layer =
  | { kind: 'conv'; weight: tf.Variable; bias: tf.Variable }
  | { kind: 'bn'; gamma: tf.Variable<tf.Rank.R1>; beta: tf.Variable<tf.Rank.R1>; runningMean: tf.Variable<tf.Rank.R1>; runningVar: tf.Variable<tf.Rank.R1> }
  | { kind: 'relu' }
  | { kind: 'pool' }
  | { kind: 'se'; fc1: tf.Variable; fc2: tf.Variable };

const BN_EPS = 1e-5;
const BN_MOMENTUM = 0.1;

export class TfSENet {
  private readonly layers: Layer[] = [];
  private readonly fcWeight: tf.Variable;
  private readonly fcBias: tf.Variable;
  /** Batch statistics of the last training forward, for the running-statistics update. */
  private pendingStats: { layer: Extract<Layer, { kind: 'bn' }>; mean: tf.Tensor; variance: tf.Tensor; count: number }[] = [];
  private seed: number;

  constructor(numClasses = 10, seed = 0) {
    this.seed = seed;
    const conv = (cin: number, cout: number): Layer => ({
      kind: 'conv',
      weight: this.uniform([3, 3, cin, cout], cin * 9),
      bias: this.uniform([cout], cin * 9),
    });
    const bn = (c: number): Layer => ({
      kind: 'bn',
      gamma: tf.variable(tf.ones([c]) as tf.Tensor1D),
      beta: tf.variable(tf.zeros([c]) as tf.Tensor1D),
      runningMean: tf.variable(tf.zeros([c]) as tf.Tensor1D, false),
      runningVar: tf.variable(tf.ones([c]) as tf.Tensor1D, false),
    });
    const relu: Layer = { kind: 'relu' };
    const pool: Layer = { kind: 'pool' };
    const se = (c: number, r = 16): Layer => ({
      kind: 'se',
      fc1: this.uniform([c, c / r], c), // a 1x1 conv C -> C/r on the pooled vector, no bias
      fc2: this.uniform([c / r, c], c / r),
    });
    this.layers.push(
      conv(3, 64), bn(64), relu, pool,
      conv(64, 128), bn(128), relu, pool,
      conv(128, 256), bn(256), relu,
      conv(256, 512), bn(512), relu, pool,
      conv(512, 1024), se(1024), bn(1024), relu, pool,
    );
    this.fcWeight = this.uniform([1024, numClasses], 1024);
    this.fcBias = this.uniform([numClasses], 1024);
  }

  /** The trainable variables (not the running statistics). */
  get trainable(): tf.Variable[] {
    const vars: tf.Variable[] = [];
    for (const l of this.layers) {
      if (l.kind === 'conv') vars.push(l.weight, l.bias);
      else if (l.kind === 'bn') vars.push(l.gamma, l.beta);
      else if (l.kind === 'se') vars.push(l.fc1, l.fc2);
    }
    return [...vars, this.fcWeight, this.fcBias];
  }

  get parameterCount(): number {
    return this.trainable.reduce((sum, v) => sum + v.size, 0);
  }

  /** Logits [N, classes] of NHWC images [N, 32, 32, 3]. */
  forward(x: tf.Tensor4D, training: boolean): tf.Tensor2D {
    let h = x;
    for (const l of this.layers) {
      switch (l.kind) {
        case 'conv':
          h = tf.fused.conv2d({ x: h, filter: l.weight as tf.Tensor4D, bias: l.bias, strides: 1, pad: 1 });
          break;
        case 'bn':
          h = this.batchNorm(h, l, training);
          break;
        case 'relu':
          h = tf.relu(h);
          break;
        case 'pool':
          h = tf.maxPool(h, 2, 2, 'valid');
          break;
        case 'se': {
          const [n, , , c] = h.shape;
          const squeeze = tf.mean(h, [1, 2]) as tf.Tensor2D;
          const hidden = tf.relu(tf.matMul(squeeze, l.fc1 as tf.Tensor2D));
          const gate = tf.sigmoid(tf.matMul(hidden, l.fc2 as tf.Tensor2D));
          h = tf.mul(h, tf.reshape(gate, [n, 1, 1, c]));
          break;
        }
      }
    }
    const pooled = tf.mean(h, [1, 2]) as tf.Tensor2D;
    return tf.add(tf.matMul(pooled, this.fcWeight as tf.Tensor2D), this.fcBias);
  }

  /**
   * Applies the running-statistics updates of the last training forward. Call outside the
   * gradient computation (the batch statistics were kept alive for this).
   */
  updateRunningStats(): void {
    for (const { layer, mean, variance, count } of this.pendingStats) {
      tf.tidy(() => {
        const unbiased = tf.mul(variance, count / (count - 1));
        layer.runningMean.assign(tf.add(tf.mul(layer.runningMean, 1 - BN_MOMENTUM), tf.mul(mean, BN_MOMENTUM)));
        layer.runningVar.assign(tf.add(tf.mul(layer.runningVar, 1 - BN_MOMENTUM), tf.mul(unbiased, BN_MOMENTUM)));
      });
      mean.dispose();
      variance.dispose();
    }
    this.pendingStats = [];
  }

  private batchNorm(x: tf.Tensor4D, l: Extract<Layer, { kind: 'bn' }>, training: boolean): tf.Tensor4D {
    if (!training) return tf.batchNorm4d(x, l.runningMean, l.runningVar, l.beta, l.gamma, BN_EPS);
    const moments = tf.moments(x, [0, 1, 2]);
    const [mean, variance] = [moments.mean as tf.Tensor1D, moments.variance as tf.Tensor1D];
    const [n, h, w] = x.shape;
    this.pendingStats.push({ layer: l, mean: tf.keep(mean), variance: tf.keep(variance), count: n * h * w });
    return tf.batchNorm4d(x, mean, variance, l.beta, l.gamma, BN_EPS);
  }

  /** PyTorch's default init: U(-1/sqrt(fanIn), 1/sqrt(fanIn)). */
  private uniform(shape: number[], fanIn: number): tf.Variable {
    const bound = 1 / Math.sqrt(fanIn);
    return tf.variable(tf.randomUniform(shape, -bound, bound, 'float32', this.seed++));
  }
}

/** Mean softmax cross-entropy of logits against integer labels. */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  const oneHot = tf.oneHot(labels, logits.shape[1]);
  return tf.losses.softmaxCrossEntropy(oneHot, logits) as tf.Scalar;
}
