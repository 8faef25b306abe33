/** The nn layer: eval mode against train mode, and module bookkeeping. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CrossEntropyLoss, Engine } from '../src/index.js';
import { BatchNorm2d } from '../src/nn/layers/batchnorm.js';
import { ReLU } from '../src/nn/layers/activation.js';
import { Conv2d } from '../src/nn/layers/conv.js';
import { SEBlock } from '../src/nn/layers/se.js';
import { MaxPool2d } from '../src/nn/layers/pooling.js';
import { Sequential } from '../src/nn/layers/sequential.js';
import { buildContext, type BuildContext } from '../src/nn/module.js';
import { randomArray, relativeError } from './helpers.js';

describe('nn layers', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await Engine.create({ threads: 2 });
  });
  afterAll(() => engine.close());

  /**
   * With momentum 1 the running statistics are exactly the last batch's (variance unbiased), so
   * eval mode on that batch must equal train mode up to the M/(M-1) variance correction.
   */
  it.each([
    ['BatchNorm2d', 6, (s: BuildContext) => [new BatchNorm2d(s, 6, { momentum: 1 })]],
    ['Conv-BN-ReLU-Pool-SE-BN-ReLU', 3, (s: BuildContext) => [
      new Conv2d(s, 3, 32, 3, { padding: 1 }), new BatchNorm2d(s, 32, { momentum: 1 }), new ReLU(s.engine), new MaxPool2d(s.engine, 2),
      new Conv2d(s, 32, 32, 3, { padding: 1 }), new SEBlock(s, 32, 16), new BatchNorm2d(s, 32, { momentum: 1, relu: true }),
    ]],
  ] as const)('%s: eval mode with the batch statistics equals train mode', (_name, channels, layers) => {
    const model = new Sequential(engine, layers(buildContext(engine, 3)));
    model.allocateParameters();
    const shape = [64, channels, 8, 8];
    const x = engine.tensor(shape, randomArray(shape.reduce((a, b) => a * b), 11).map((v) => 3 * v + 1));
    const trainValues = engine.scope(() => model.call(x).toArray());
    model.eval();
    const evalValues = engine.noGrad(() => model.call(x).toArray());
    expect(relativeError(evalValues, trainValues)).toBeLessThan(5e-3);
  });

  it('CrossEntropyLoss: the mean softmax cross-entropy, and (softmax - onehot) / N as its gradient', () => {
    const [n, k] = [5, 7];
    const logits = Array.from(randomArray(n * k, 21), (v) => 4 * v);
    const labels = [0, 6, 3, 3, 1];
    const criterion = new CrossEntropyLoss(engine);
    const input = engine.tensor([n, k], logits);
    input.requiresGrad = true;
    const lossTensor = criterion.call(input, engine.indices([n], labels));
    const loss = lossTensor.item();
    let want = 0;
    const grad: number[] = [];
    for (let i = 0; i < n; i++) {
      const row = logits.slice(i * k, (i + 1) * k);
      const max = Math.max(...row);
      const sum = row.reduce((a, v) => a + Math.exp(v - max), 0);
      want += (Math.log(sum) + max - row[labels[i]!]!) / n;
      row.forEach((v, j) => grad.push((Math.exp(v - max) / sum - (j === labels[i] ? 1 : 0)) / n));
    }
    expect(loss).toBeCloseTo(want, 5);
    lossTensor.backward();
    expect(relativeError(input.grad!.toArray(), grad)).toBeLessThan(1e-5);
  });

  it("CrossEntropyLoss({ reduction: 'sum', labelSmoothing }): the summed loss against smoothed targets, backward through a scaled gradient", () => {
    const [n, k, eps] = [4, 5, 0.2];
    const logits = Array.from(randomArray(n * k, 22), (v) => 3 * v);
    const labels = [4, 0, 2, 2];
    const input = engine.tensor([n, k], logits);
    input.requiresGrad = true;
    const lossTensor = new CrossEntropyLoss(engine, { reduction: 'sum', labelSmoothing: eps }).call(input, engine.indices([n], labels));
    let want = 0;
    const grad: number[] = [];
    for (let i = 0; i < n; i++) {
      const row = logits.slice(i * k, (i + 1) * k);
      const lse = Math.log(row.reduce((a, v) => a + Math.exp(v), 0));
      const target = (j: number) => eps / k + (j === labels[i] ? 1 - eps : 0);
      row.forEach((v, j) => {
        want += target(j) * (lse - v);
        grad.push(3 * (Math.exp(v - lse) - target(j)));
      });
    }
    expect(lossTensor.item()).toBeCloseTo(want, 4);
    lossTensor.backward(engine.tensor([], [3]));
    expect(relativeError(input.grad!.toArray(), grad)).toBeLessThan(1e-5);
  });
});
