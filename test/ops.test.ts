/**
 * Every op against PyTorch: the fixtures in test/fixtures/ (make_fixtures.py), within 1e-4
 * relative, on 1 and 2 threads.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine, type Tensor } from '../src/index.js';
import {
  adamStep, adaptiveAvgPool2dBackward, add, addInto, addRelu, addReluBackward, conv2dBackward, conv2dForward, adaptiveAvgPool2dForward, argmaxRows,
  batchNormBackward, batchNormForwardEval, batchNormForwardTrain, crossEntropyBackward, crossEntropyForward, geluBackward, geluForward,
  linearBackward, linearForward, maxPool2dBackward, maxPool2dForward, reluBackward, reluForward, scale, seBackward, seForward, sgdStep,
  sigmoidBackward, sigmoidForward,
} from '../src/engine/ops/index.js';
import { Fixture } from './fixtures.js';
import { randomArray, relativeError } from './helpers.js';

const TOL = 1e-4;

describe.each([1, 2])('ops match PyTorch on %i thread(s)', (threads) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await Engine.create({ threads });
  });
  afterAll(() => engine.close());

  /** Uploads a fixture tensor. */
  const load = (f: Fixture, name: string): Tensor => {
    const t = f.f32(name);
    return engine.tensor(t.shape, t.data);
  };
  /** Checks a result against a fixture tensor, shape and values. */
  const expectMatches = (f: Fixture, got: Tensor, name: string, tol = TOL) => {
    const want = f.f32(name);
    expect(got.shape, `${f.name}.${name} shape`).toEqual(want.shape);
    expect(relativeError(got.toArray(), want.data), `${f.name}.${name}`).toBeLessThan(tol);
  };

  it.each(['relu', 'sigmoid'] as const)('%s forward and backward', (kind) => {
    const f = Fixture.load(kind);
    const [forward, backward] = kind === 'relu' ? [reluForward, reluBackward] : [sigmoidForward, sigmoidBackward];
    const output = forward(engine, load(f, 'input'));
    expectMatches(f, output, 'output');
    expectMatches(f, backward(engine, load(f, 'grad_output'), output), 'grad_input');
    const inPlace = load(f, 'input');
    expect(forward(engine, inPlace, true)).toBe(inPlace);
    expectMatches(f, inPlace, 'output');
  });

  it('gelu forward and backward (exact erf form)', () => {
    const f = Fixture.load('gelu');
    expect(f.file.metadata.approximate).toBe('none');
    const input = load(f, 'input');
    expectMatches(f, geluForward(engine, input), 'output');
    expectMatches(f, geluBackward(engine, load(f, 'grad_output'), input), 'grad_input');
    const inPlace = load(f, 'input');
    expect(geluForward(engine, inPlace, true)).toBe(inPlace);
    expectMatches(f, inPlace, 'output');
  });

  it('add_relu forward and backward, the same gradient for both inputs', () => {
    const f = Fixture.load('add_relu');
    const [a, b] = [load(f, 'a'), load(f, 'b')];
    const output = addRelu(engine, a, b);
    expectMatches(f, output, 'output');
    const gradInput = addReluBackward(engine, load(f, 'grad_output'), output);
    expectMatches(f, gradInput, 'grad_a');
    expectMatches(f, gradInput, 'grad_b');
    expect(addRelu(engine, a, b, true)).toBe(a);
    expectMatches(f, a, 'output');
  });

  // Past 16384 elements (one chunk) the kernels run on the pool; below, on the calling thread.
  it.each([[7], [5000], [40_003]])('add, addInto and scale round like float32 arithmetic (%i elements)', (n) => {
    /** The first element where `got` differs from `want` (bit for bit), or 'equal'. */
    const compare = (got: Tensor, want: Float32Array) => {
      const values = got.toArray();
      const i = values.findIndex((v, i) => !Object.is(v, want[i]));
      return values.length !== want.length ? `length ${values.length}` : i < 0 ? 'equal' : `[${i}]: ${values[i]} != ${want[i]}`;
    };
    const [x, y] = [randomArray(n, 1), randomArray(n, 2).map((v) => v * 1e-3)];
    const [a, b] = [engine.tensor([n], x), engine.tensor([n], y)];
    // A float64 sum or product of two float32s, rounded to float32, is the float32 result.
    const sum = Float32Array.from(x, (v, i) => v + y[i]!);
    expect(compare(add(engine, a, b), sum)).toBe('equal');
    expect(compare(addRelu(engine, a, b), sum.map((v) => Math.max(v, 0)))).toBe('equal');
    expect(compare(scale(engine, a, -0.3), Float32Array.from(x, (v) => v * Math.fround(-0.3)))).toBe('equal');
    expect(addInto(engine, a, b)).toBe(a);
    expect(compare(a, sum)).toBe('equal');
    expect(compare(add(engine, b, b), y.map((v) => 2 * v))).toBe('equal');
    expect(add(engine, a, b, true)).toBe(a);
    expect(compare(a, Float32Array.from(sum, (v, i) => v + y[i]!))).toBe('equal');
    expect(scale(engine, b, 4, true)).toBe(b);
    expect(compare(b, y.map((v) => 4 * v))).toBe('equal');
  });

  it('element-wise ops name the op and both shapes on bad calls', () => {
    const [a, b] = [engine.tensor([2, 3]), engine.tensor([3, 2])];
    expect(() => add(engine, a, b)).toThrow('add: b is [3, 2], expected [2, 3]');
    expect(() => addRelu(engine, a, b)).toThrow('add_relu: b is [3, 2], expected [2, 3]');
    expect(() => addInto(engine, a, b)).toThrow('add_into: src is [3, 2], expected [2, 3]');
    expect(() => addInto(engine, a, a)).toThrow('add_into: src must not be dst');
    expect(() => add(engine, a, a, true)).toThrow('add: in place needs two different tensors: a is b');
    expect(() => addReluBackward(engine, b, a)).toThrow('add_relu_backward: grad_output is [3, 2], expected [2, 3]');
    expect(() => geluBackward(engine, b, a)).toThrow('gelu_backward: grad_output is [3, 2], expected [2, 3]');
  });

  it.each(['max_pool2d_2x2', 'max_pool2d_general'])('%s forward, indices and backward', (name) => {
    const f = Fixture.load(name);
    const options = { kernel: f.meta<number[]>('kernel_size') as [number, number], stride: f.meta<number[]>('stride') as [number, number], padding: f.meta<number[]>('padding') as [number, number] };
    const input = load(f, 'input');
    const { output, indices } = maxPool2dForward(engine, input, options);
    expectMatches(f, output, 'output');
    expect(Array.from(indices.toArray())).toEqual(f.i64('indices').data);
    expectMatches(f, maxPool2dBackward(engine, load(f, 'grad_output'), indices, input.shape, options), 'grad_input');
  });

  it('adaptive_avg_pool2d forward and backward', () => {
    const f = Fixture.load('adaptive_avg_pool2d');
    const input = load(f, 'input');
    expectMatches(f, adaptiveAvgPool2dForward(engine, input), 'output');
    expectMatches(f, adaptiveAvgPool2dBackward(engine, load(f, 'grad_output'), input.shape), 'grad_input');
  });

  it.each([['batch_norm2d_train', false], ['batch_norm2d_relu_train', true]] as const)(
    '%s: output, running stats and gradients',
    (name, relu) => {
      const f = Fixture.load(name);
      const params = {
        weight: load(f, 'weight'), bias: load(f, 'bias'),
        runningMean: load(f, 'running_mean_before'), runningVar: load(f, 'running_var_before'),
      };
      const input = load(f, 'input');
      const options = { momentum: f.meta<number>('momentum'), eps: f.meta<number>('eps'), relu };
      const { output, saved } = batchNormForwardTrain(engine, input, params, options);
      expectMatches(f, output, 'output');
      expectMatches(f, params.runningMean, 'running_mean_after');
      expectMatches(f, params.runningVar, 'running_var_after');
      const grads = batchNormBackward(engine, load(f, 'grad_output'), input, output, params.weight, saved, relu);
      expectMatches(f, grads.gradInput, 'grad_input');
      expectMatches(f, grads.gradWeight, 'grad_weight');
      expectMatches(f, grads.gradBias, 'grad_bias');
    },
  );

  it('batch_norm2d eval forward', () => {
    const f = Fixture.load('batch_norm2d_eval');
    const params = { weight: load(f, 'weight'), bias: load(f, 'bias'), runningMean: load(f, 'running_mean'), runningVar: load(f, 'running_var') };
    expectMatches(f, batchNormForwardEval(engine, load(f, 'input'), params), 'output');
  });

  it('SE block forward and backward', () => {
    const f = Fixture.load('se_block');
    const [input, fc1, fc2] = [load(f, 'input'), load(f, 'fc1.weight'), load(f, 'fc2.weight')];
    const { output, saved } = seForward(engine, input, fc1, fc2);
    expectMatches(f, output, 'output');
    const grads = seBackward(engine, load(f, 'grad_output'), input, fc1, fc2, saved);
    expectMatches(f, grads.gradInput, 'grad_input');
    expectMatches(f, grads.gradFc1, 'grad_fc1.weight');
    expectMatches(f, grads.gradFc2, 'grad_fc2.weight');
  });

  it('linear forward and backward', () => {
    const f = Fixture.load('linear');
    const [input, weight, bias] = [load(f, 'input'), load(f, 'weight'), load(f, 'bias')];
    expectMatches(f, linearForward(engine, input, weight, bias), 'output');
    const grads = linearBackward(engine, load(f, 'grad_output'), input, weight, true);
    expectMatches(f, grads.gradInput, 'grad_input');
    expectMatches(f, grads.gradWeight, 'grad_weight');
    expectMatches(f, grads.gradBias!, 'grad_bias');
  });

  it('cross-entropy loss, gradient and arg-max', () => {
    const f = Fixture.load('cross_entropy');
    const logits = load(f, 'logits');
    const labels = engine.indices([logits.shape[0]!], f.i64('labels').data);
    const { loss, probs } = crossEntropyForward(engine, logits, labels);
    expect(Math.abs(loss - f.f32('loss').data[0]!) / Math.abs(f.f32('loss').data[0]!)).toBeLessThan(TOL);
    expectMatches(f, crossEntropyBackward(engine, probs, labels), 'grad_logits');
    const want = f.f32('logits');
    const rows = Array.from({ length: want.shape[0]! }, (_, i) => {
      const row = Array.from(want.data.subarray(i * want.shape[1]!, (i + 1) * want.shape[1]!));
      return row.indexOf(Math.max(...row));
    });
    expect(Array.from(argmaxRows(engine, logits).toArray())).toEqual(rows);
    const bad = engine.indices([logits.shape[0]!], f.i64('labels').data.map((v, i) => (i === 3 ? 12 : v)));
    expect(() => crossEntropyForward(engine, logits, bad)).toThrow('cross_entropy_forward: label 12 at index 3 is out of range for 10 classes');
  });

  it.each(['sum', 'mean'] as const)('cross-entropy with label smoothing 0.2, reduced by the %s, and its gradient times grad_output', (reduction) => {
    const f = Fixture.load('cross_entropy_smoothed');
    const logits = load(f, 'logits');
    const labels = engine.indices([logits.shape[0]!], f.i64('labels').data);
    const options = { reduction, labelSmoothing: 0.2 };
    const { loss, probs } = crossEntropyForward(engine, logits, labels, options);
    const want = f.f32(`loss_${reduction}`).data[0]!;
    expect(Math.abs(loss - want) / Math.abs(want)).toBeLessThan(TOL);
    expectMatches(f, crossEntropyBackward(engine, probs, labels, options), `grad_logits_${reduction}`);
    const half = crossEntropyBackward(engine, probs, labels, options, 0.5).toArray();
    const full = f.f32(`grad_logits_${reduction}`).data;
    half.forEach((g, i) => expect(g).toBeCloseTo(full[i]! / 2, 6));
    expect(() => crossEntropyForward(engine, logits, labels, { labelSmoothing: 1.5 })).toThrow('cross_entropy_forward: label_smoothing must be in [0, 1], got 1.5');
  });

  it.each(['adam', 'adamw'])('%s: three steps and the final state', (name) => {
    const f = Fixture.load(name);
    const params = load(f, 'param_before');
    const [expAvg, expAvgSq] = [engine.tensor(params.shape), engine.tensor(params.shape)];
    const betas = f.meta<[number, number]>('betas');
    const hyper = {
      lr: f.meta<number>('lr'), beta1: betas[0], beta2: betas[1], eps: f.meta<number>('eps'),
      weightDecay: f.meta<number>('weight_decay'), decoupled: name === 'adamw',
    };
    for (let step = 1; step <= 3; step++) {
      adamStep(engine, params, load(f, `grad_step${step}`), expAvg, expAvgSq, step, hyper);
      expectMatches(f, params, `param_after_step${step}`);
    }
    expectMatches(f, expAvg, 'exp_avg');
    expectMatches(f, expAvgSq, 'exp_avg_sq');
  });

  it.each(['sgd_momentum', 'sgd_nesterov'])('%s: three steps and the momentum buffer', (name) => {
    const f = Fixture.load(name);
    const params = load(f, 'param_before');
    const buffer = engine.tensor(params.shape);
    const hyper = {
      lr: f.meta<number>('lr'), momentum: f.meta<number>('momentum'), dampening: f.meta<number>('dampening'),
      weightDecay: f.meta<number>('weight_decay'), nesterov: f.meta<boolean>('nesterov'),
    };
    for (let step = 1; step <= 3; step++) {
      sgdStep(engine, params, load(f, `grad_step${step}`), buffer, step, hyper);
      expectMatches(f, params, `param_after_step${step}`);
    }
    expectMatches(f, buffer, 'momentum_buffer');
  });
});

describe.each([1, 2])('conv2d matches PyTorch on %i thread(s)', (threads) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await Engine.create({ threads });
  });
  afterAll(() => engine.close());

  it.each(['conv2d_3x3', 'conv2d_general', 'conv2d_1x1', 'conv2d_1x1_stride2', 'conv2d_3x3_stride2'])('%s forward and gradients', (name) => {
    const f = Fixture.load(name);
    const load = (n: string) => {
      const t = f.f32(n);
      return engine.tensor(t.shape, t.data);
    };
    const hasBias = f.meta<boolean>('bias');
    const options = { stride: f.meta<[number, number]>('stride'), padding: f.meta<[number, number]>('padding') };
    const [input, weight] = [load('input'), load('weight')];
    const output = conv2dForward(engine, input, weight, hasBias ? load('bias') : undefined, options);
    const check = (got: Tensor, n: string) => {
      expect(got.shape).toEqual(f.f32(n).shape);
      expect(relativeError(got.toArray(), f.f32(n).data), `${name}.${n}`).toBeLessThan(TOL);
    };
    check(output, 'output');
    const grads = conv2dBackward(engine, load('grad_output'), input, weight, hasBias, options);
    check(grads.gradInput, 'grad_input');
    check(grads.gradWeight, 'grad_weight');
    if (hasBias) check(grads.gradBias!, 'grad_bias');
  });

  it('names the op and both shapes on bad calls', () => {
    const input = engine.tensor([2, 3, 5, 6]);
    expect(() => conv2dForward(engine, input, engine.tensor([4, 2, 3, 3]), undefined)).toThrow(
      'conv2d_forward: weight [4, 2, 3, 3] expects 2 input channels, input [2, 3, 5, 6] has 3',
    );
    expect(() => conv2dForward(engine, input, engine.tensor([4, 3, 7, 7]), undefined)).toThrow(
      'conv2d_forward: input [2, 3, 5, 6] is smaller than the kernel 7x7 with padding 0x0',
    );
    expect(() => conv2dForward(engine, input, engine.tensor([4, 3, 3, 3]), engine.tensor([5]))).toThrow(
      'conv2d_forward: bias is [5], expected [4]',
    );
  });
});
