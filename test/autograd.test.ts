/**
 * The recorded backward: gradcheck of every module (and of se_resnet20 at a small size) against
 * central differences; gradients that add (a tensor used twice, a module called twice, two
 * backwards); frozen parameters and parameter groups; memory scopes and the leak check.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AdaptiveAvgPool2d, Add, BatchNorm2d, Conv2d, createModel, Engine, Flatten, GELU, Identity, Linear, MaxPool2d, Module, ReLU,
  Residual, SEBasicBlock, SEBlock, SGD, Adam, Sequential, Sigmoid, WasmMemoryError, buildContext, type ParameterRange, type Tensor,
} from '../src/index.js';
import { gradcheck } from '../src/autograd/gradcheck.js';
import { crossEntropy } from '../src/autograd/functional.js';
import { randomArray } from './helpers.js';

let engine: Engine;
beforeAll(async () => {
  engine = await Engine.create({ threads: 2, variant: 'simd-threads' });
});
afterAll(() => engine.close());

function input(shape: number[], seed: number, scale = 1): Tensor {
  return engine.keep(engine.tensor(shape, randomArray(shape.reduce((a, b) => a * b), seed).map((v) => scale * v)));
}

function allocated<M extends Module>(module: M): M {
  module.allocateParameters();
  return module;
}

/** A module that runs `inner` twice on its input and adds the results (shared weights, a tensor used twice). */
class Twice extends Module {
  constructor(readonly inner: Module) {
    super(inner.engine);
    this.addChild('inner', inner);
  }

  forward(x: Tensor): Tensor {
    return new Add(this.engine).call(this.inner.call(x), this.inner.call(x));
  }
}

describe('gradcheck of every module against central differences', () => {
  const ctx = () => buildContext(engine, 7);
  const cases: [string, () => Module, number[]][] = [
    ['Conv2d 3x3 with bias', () => new Conv2d(ctx(), 3, 4, 3, { padding: 1 }), [2, 3, 6, 5]],
    ['Conv2d 3x3 stride 2', () => new Conv2d(ctx(), 4, 6, 3, { stride: 2, padding: 1, bias: false }), [2, 4, 8, 8]],
    ['Conv2d 1x1 stride 2', () => new Conv2d(ctx(), 4, 6, 1, { stride: 2, bias: false }), [2, 4, 8, 8]],
    ['Linear', () => new Linear(ctx(), 7, 5), [3, 7]],
    ['BatchNorm2d', () => new BatchNorm2d(ctx(), 4), [3, 4, 3, 3]],
    ['BatchNorm2d+ReLU', () => new BatchNorm2d(ctx(), 4, { relu: true }), [3, 4, 3, 3]],
    ['ReLU', () => new ReLU(engine), [2, 3, 4, 4]],
    ['Sigmoid', () => new Sigmoid(engine), [2, 3, 4, 4]],
    ['GELU', () => new GELU(engine), [2, 3, 4, 4]],
    ['MaxPool2d', () => new MaxPool2d(engine, 2), [2, 3, 6, 6]],
    ['AdaptiveAvgPool2d', () => new AdaptiveAvgPool2d(engine), [2, 3, 5, 4]],
    ['Flatten + Linear', () => new Sequential(engine, [new Flatten(engine), new Linear(ctx(), 12, 3)]), [2, 3, 2, 2]],
    ['SEBlock', () => new SEBlock(ctx(), 32, 16), [2, 32, 3, 3]],
    ['Residual (identity shortcut, ReLU join)', () => new Residual(engine, new Conv2d(ctx(), 4, 4, 3, { padding: 1 }), undefined, { relu: true }), [2, 4, 5, 5]],
    ['SEBasicBlock, stride 1', () => new SEBasicBlock(ctx(), 16, 16), [2, 16, 6, 6]],
    ['SEBasicBlock, stride 2 with projection', () => new SEBasicBlock(ctx(), 16, 32, { stride: 2 }), [2, 16, 8, 8]],
    ['a module called twice', () => new Twice(new Conv2d(ctx(), 3, 3, 3, { padding: 1 })), [2, 3, 5, 5]],
    ['Identity inside Sequential', () => new Sequential(engine, [new Identity(engine), new Linear(ctx(), 4, 2)]), [3, 4]],
  ];
  it.each(cases)('%s', (_name, make, shape) => {
    const module = allocated(make());
    const x = input(shape, 3, 2);
    const result = gradcheck(module, [x]);
    expect(result.ok, JSON.stringify(result.checks)).toBe(true);
    module.free();
    x.free();
  });

  /**
   * A deep ReLU network has kinks everywhere: at 8x8 and batch 2 a step of 1e-4 of each tensor's
   * RMS crosses few of them (larger inputs or steps cross hundreds, and central differences in
   * float32 then say little). Exactness against PyTorch is se_resnet20_b4's job (models.test.ts).
   */
  it('se_resnet20 at 8x8, batch 2', () => {
    const model = createModel(engine, 'se_resnet20', { seed: 1 });
    const x = engine.keep(engine.tensor([2, 3, 8, 8], Array.from({ length: 2 * 3 * 64 }, (_, i) => Math.sin(i * 12.9898) * 2)));
    const result = gradcheck(model, [x], { directions: 8, eps: 1e-4, tolerance: 2e-2 });
    expect(result.ok, JSON.stringify(result.checks)).toBe(true);
    model.free();
    x.free();
  });

  it('fails on a wrong backward (the check can fail)', () => {
    const module = allocated(new Conv2d(buildContext(engine, 1), 3, 4, 3, { padding: 1 }));
    const x = input([2, 3, 5, 5], 9);
    // A second, unrelated use of the weight whose value is discarded adds nothing to the output,
    // so it must add nothing to the gradient; recording a wrong backward must be caught.
    const original = module.forward.bind(module);
    module.forward = (t: Tensor) => {
      const y = original(t);
      engine.tape.record('wrong', [module.weight.value], y, (c) => c.give(0, engine.tensor(module.weight.value.shape, new Float32Array(module.weight.size).fill(1))));
      return y;
    };
    expect(gradcheck(module, [x]).ok).toBe(false);
    module.free();
    x.free();
  });
});

describe('gradients add, as in PyTorch', () => {
  it('two backwards without zeroGrad give twice the gradient; zeroGrad clears it', () => {
    const model = allocated(new Conv2d(buildContext(engine, 2), 3, 4, 3, { padding: 1 }));
    const x = input([2, 3, 5, 5], 4);
    const labels = engine.keep(engine.indices([2], [1, 3]));
    const loss = () => engine.scope(() => crossEntropy(engine, new Flatten(engine).call(new AdaptiveAvgPool2d(engine).call(model.call(x))), labels).backward());
    model.zeroGrad();
    loss();
    const once = model.weight.grad.toArray();
    loss();
    const twice = model.weight.grad.toArray();
    once.forEach((g, i) => expect(twice[i]).toBeCloseTo(2 * g, 6));
    model.zeroGrad();
    expect(model.weight.grad.toArray().every((g) => g === 0)).toBe(true);
    model.free();
  });

  it('a frozen parameter gets no gradient and is not updated; other groups honour lrScale and weightDecay', () => {
    const model = allocated(new Sequential(engine, [new Conv2d(buildContext(engine, 3), 3, 4, 3, { padding: 1 }), new Flatten(engine), new Linear(buildContext(engine, 4), 4 * 25, 2)]));
    const [conv, , fc] = model.layers as [Conv2d, Flatten, Linear];
    conv.bias!.requiresGrad = false;
    const groups = [{ params: [fc.weight, fc.bias!], lrScale: 0.5, weightDecay: 0.1 }];
    const optimizer = new SGD(model.parameters, { lr: 0.1, momentum: 0.9, weightDecay: 0.01, groups });
    const before = new Map(model.namedParameters().map(([n, p]) => [n, p.value.toArray()]));
    const x = input([2, 3, 5, 5], 8);
    const labels = engine.keep(engine.indices([2], [0, 1]));
    model.zeroGrad();
    engine.scope(() => crossEntropy(engine, model.call(x), labels).backward());
    const grads = new Map(model.namedParameters().map(([n, p]) => [n, p.grad.toArray()]));
    optimizer.step();
    expect(grads.get('0.bias')!.every((g) => g === 0)).toBe(true);
    expect(model.namedParameters().find(([n]) => n === '0.bias')![1].value.toArray()).toEqual(before.get('0.bias'));
    // The first SGD step with momentum is p -= lr * (g + wd * p).
    for (const [name, lr, wd] of [['0.weight', 0.1, 0.01], ['2.weight', 0.05, 0.1], ['2.bias', 0.05, 0.1]] as const) {
      const p0 = before.get(name)!;
      const g = grads.get(name)!;
      const p1 = model.namedParameters().find(([n]) => n === name)![1].value.toArray();
      p1.forEach((v, i) => expect(v).toBeCloseTo(p0[i]! - lr * (g[i]! + wd * p0[i]!), 6));
    }
    conv.bias!.requiresGrad = true;
    expect(() => optimizer.step()).toThrow(/\(un\)frozen after this optimizer was made/);
    optimizer.free();
    model.free();
  });

  it('Adam honours a group\'s lrScale: the first step moves each element by lr * lrScale * g / (|g| + eps)', () => {
    const model = allocated(new Sequential(engine, [new Linear(buildContext(engine, 5), 6, 4), new ReLU(engine), new Linear(buildContext(engine, 6), 4, 3)]));
    const x = input([5, 6], 10);
    const labels = engine.keep(engine.indices([5], [0, 1, 2, 0, 1]));
    const optimizer = new Adam(model.parameters, { lr: 1e-2, groups: [{ params: (name) => name.startsWith('2.'), lrScale: 3 }] });
    const before = model.namedParameters().map(([n, p]) => [n, p.value.toArray()] as const);
    model.zeroGrad();
    engine.scope(() => crossEntropy(engine, model.call(x), labels).backward());
    const grads = model.namedParameters().map(([, p]) => p.grad.toArray());
    optimizer.step();
    model.namedParameters().forEach(([name, p], k) => {
      const lr = name.startsWith('2.') ? 3e-2 : 1e-2;
      const [, p0] = before[k]!;
      p.value.toArray().forEach((v, i) => expect(v).toBeCloseTo(p0[i]! - (lr * grads[k]![i]!) / (Math.abs(grads[k]![i]!) + 1e-8), 5));
    });
    optimizer.free();
    model.free();
  });
});

describe('run options', () => {
  it('--no-decay-norm-bias puts every 1-D parameter in a group without weight decay', async () => {
    const { makeOptimizer, SEED_RECIPE } = await import('../src/train/run.js');
    const model = createModel(engine, 'se_resnet20');
    const optimizer = makeOptimizer(model.parameters, { ...SEED_RECIPE, optimizer: 'sgd', weightDecay: 5e-4, nesterov: true, noDecayNormBias: true });
    const [noDecay, rest] = optimizer.groups as [ParameterRange, ParameterRange];
    expect(optimizer.groups).toHaveLength(2);
    expect(noDecay.weightDecay).toBe(0);
    expect(rest.weightDecay).toBeUndefined();
    const names = new Map(model.namedParameters().map(([n, p]) => [p, n]));
    expect(noDecay.parameters.map((p) => names.get(p)).every((n) => /\.(bn\d|downsample\.1|bias)|^bn1|fc\.bias/.test(n!))).toBe(true);
    expect(rest.parameters.every((p) => p.shape.length > 1)).toBe(true);
    expect(noDecay.size + rest.size).toBe(model.parameters.count);
    optimizer.free();
    model.free();
  });
});

describe('memory scopes', () => {
  it('free everything made inside except what is returned or kept', () => {
    const outer = engine.scope(() => {
      const kept = engine.keep(engine.tensor([4]));
      const temp = engine.tensor([4]);
      const returned = engine.scope(() => {
        engine.tensor([8]);
        return engine.tensor([2]);
      });
      return { kept, temp, returned, inner: returned };
    });
    expect(outer.kept.freed).toBe(false);
    expect(outer.temp.freed).toBe(false);
    expect(outer.returned.freed).toBe(false);
    const dropped = engine.scope(() => {
      const t = engine.tensor([3]);
      return [t.size];
    });
    expect(dropped).toEqual([3]);
    for (const t of [outer.kept, outer.temp, outer.returned]) t.free();
  });

  it('a scope that returns a recorded tensor keeps what its backward needs; two losses backward one after the other', () => {
    const model = allocated(new Sequential(engine, [new Conv2d(buildContext(engine, 6), 3, 4, 3, { padding: 1 }), new BatchNorm2d(buildContext(engine, 6), 4, { relu: true })]));
    const x = input([2, 3, 5, 5], 12);
    const head = (t: Tensor) => new Flatten(engine).call(new AdaptiveAvgPool2d(engine).call(t));
    const labels = engine.keep(engine.indices([2], [1, 2]));
    const gradOf = (work: () => void) => {
      model.zeroGrad();
      engine.scope(work);
      return model.namedParameters().map(([, p]) => p.grad.toArray());
    };
    const inside = gradOf(() => crossEntropy(engine, head(model.call(x)), labels).backward());
    const after = gradOf(() => {
      const y = engine.scope(() => model.call(x)); // its saved batch statistics must survive the inner scope
      crossEntropy(engine, head(y), labels).backward();
    });
    after.forEach((g, i) => expect(Array.from(g)).toEqual(Array.from(inside[i]!)));
    const twice = gradOf(() => {
      const l1 = crossEntropy(engine, head(model.call(x)), labels);
      const l2 = crossEntropy(engine, head(model.call(x)), labels);
      l1.backward();
      l2.backward();
    });
    twice.forEach((g, i) => g.forEach((v, j) => expect(v).toBeCloseTo(2 * inside[i]![j]!, 6)));
    model.free();
  });

  it('Sequential without grad frees its intermediates but never the caller\'s input, even behind a view', () => {
    const model = allocated(new Sequential(engine, [new Flatten(engine), new Linear(buildContext(engine, 1), 12, 3), new ReLU(engine)]));
    engine.noGrad(() => engine.scope(() => {
      const x = engine.tensor([2, 3, 2, 2], randomArray(24, 2));
      model.call(x);
      expect(x.freed).toBe(false);
      expect(x.toArray()).toHaveLength(24);
    }));
    model.free();
  });

  it('a frozen parameter\'s gradient stays zero even where one kernel computes all gradients (BatchNorm)', () => {
    const model = allocated(new BatchNorm2d(buildContext(engine, 1), 3));
    model.weight.requiresGrad = false;
    const x = input([2, 3, 2, 2], 3);
    x.requiresGrad = true;
    model.zeroGrad();
    engine.scope(() => crossEntropy(engine, new Flatten(engine).call(new AdaptiveAvgPool2d(engine).call(model.call(x))), engine.indices([2], [0, 1])).backward());
    expect(model.weight.grad.toArray().every((g) => g === 0)).toBe(true);
    expect(model.bias.grad.toArray().some((g) => g !== 0)).toBe(true);
    model.free();
  });

  it('optimizer state made for other parameter groups is refused, and nothing is loaded', () => {
    const model = createModel(engine, 'resnet20');
    const grouped = new SGD(model.parameters, { lr: 0.1, momentum: 0.9, groups: [{ params: (_n, p) => p.shape.length === 1, weightDecay: 0 }] });
    const saved = grouped.stateDict();
    grouped.free();
    const plain = new SGD(model.parameters, { lr: 0.1, momentum: 0.9 });
    expect(() => plain.loadStateDict(saved)).toThrow('optimizer state: its param_sizes do not match');
    expect(plain.stepCount).toBe(0);
    plain.free();
    model.free();
  });

  it('backward through eval-mode batch norm is a clear error; noGrad records nothing', () => {
    const model = allocated(new BatchNorm2d(buildContext(engine, 1), 3));
    const x = input([2, 3, 2, 2], 1);
    x.requiresGrad = true;
    model.eval();
    expect(() => engine.scope(() => crossEntropy(engine, new Flatten(engine).call(new AdaptiveAvgPool2d(engine).call(model.call(x))), engine.indices([2], [0, 1])).backward())).toThrow(
      /no backward through a batch norm in eval mode/,
    );
    const before = engine.tape.length;
    engine.noGrad(() => engine.scope(() => model.call(x)));
    expect(engine.tape.length).toBe(before);
    expect(() => engine.scope(() => engine.tensor([1]).backward())).toThrow(/not computed by recorded ops/);
    model.free();
  });

  it('an out-of-memory error names the innermost layer that ran', () => {
    const model = createModel(engine, 'senet');
    const x = engine.keep(engine.tensor([8192, 3, 32, 32]));
    // conv1's output at batch 8192 is 2 GiB, more than one allocation may take.
    expect(() => engine.noGrad(() => engine.scope(() => model.call(x)))).toThrow(/out of WebAssembly memory in features\.0 \(Conv2d\)/);
    x.free();
    model.free();
  });

  it('an out-of-memory error in the backward names the layer whose backward ran', () => {
    const model = createModel(engine, 'se_resnet20');
    const x = engine.keep(engine.tensor([2, 3, 32, 32]));
    const labels = engine.keep(engine.indices([2], [0, 1]));
    // During the backward, fail the allocation of fc's input gradient [2, 64] as a full memory
    // would; everything else is real.
    const allocate = engine.tensor.bind(engine);
    let failing = false;
    engine.tensor = ((shape: readonly number[], values?: ArrayLike<number>) => {
      if (failing && shape.join() === '2,64') throw new WasmMemoryError('tensor', [...shape], 4 * shape.reduce((a, b) => a * b, 1), engine.memory.buffer.byteLength);
      return allocate(shape, values);
    }) as typeof engine.tensor;
    try {
      expect(() => engine.scope(() => {
        const loss = crossEntropy(engine, model.call(x), labels);
        failing = true;
        loss.backward();
      })).toThrow(/out of WebAssembly memory in fc \(Linear\) backward/);
    } finally {
      engine.tensor = allocate;
    }
    expect(engine.tape.length).toBe(0);
    x.free();
    labels.free();
    model.free();
  });

  it('200 training steps of se_resnet20 at batch 32 end with the memory they had after step 10', async () => {
    const { trainStep } = await import('../src/train/step.js');
    const model = createModel(engine, 'se_resnet20', { seed: 2 });
    const optimizer = new SGD(model.parameters, { lr: 0.05, momentum: 0.9 });
    const images = new Float32Array(32 * 3 * 32 * 32).map((_, i) => ((i * 7919) % 255) / 255);
    const batch = { images, labels: Uint32Array.from({ length: 32 }, (_, i) => i % 10), size: 32, shape: [32, 3, 32, 32] as [number, number, number, number], indices: new Uint32Array(32) };
    let after10 = 0;
    for (let step = 1; step <= 200; step++) {
      trainStep(engine, model, optimizer, batch);
      if (step === 10) after10 = engine.memory.buffer.byteLength;
    }
    expect(engine.memory.buffer.byteLength).toBe(after10);
    expect(engine.tape.length).toBe(0);
    optimizer.free();
    model.free();
  }, 240_000);
});
