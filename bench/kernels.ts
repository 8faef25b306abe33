/**
 * Layer-kernel throughput on 1 and 2 threads, plain and relaxed SIMD, at the shapes of the
 * reference SENet and of fast_senet (the fast recipe's network) at batch 128:
 *
 * - every convolution of the reference SENet (3x3, stride 1, padding 1, with bias) and of
 *   fast_senet (its 2x2 whitening conv, forward only since it is frozen; each group's two 3x3
 *   convolutions without bias, from 24 channels at 31x31 to 128 at 3x3): forward, grad-input and
 *   grad-weight in GFLOP/s; fast_senet's beside PyTorch's same layers and passes
 *   (bench/recipe/conv_layers_pytorch.py: channels_last, 1 and 2 threads), where /usr/bin/python3
 *   has torch. Each pass is counted as the direct convolution's 2 * N * Cout * OH * OW * Cin *
 *   kh * kw FLOPs (the three passes do the same number of multiply-adds), whatever the kernel
 *   does internally (im2col + GEMM, transposes, scratch copies are not counted);
 * - the memory-bound kernels, in GB/s: batch norm (training, fused ReLU) forward and backward at
 *   conv1's output [128,64,32,32] and conv4's [128,512,8,8], 2x2 max-pool forward and backward at
 *   [128,64,32,32], and the fused SE block forward and backward at [128,1024,4,4] with 64 hidden
 *   channels.
 *
 *   npm run bench:kernels             (prints markdown tables, writes bench/results/kernels.json)
 *   npm run bench:kernels -- --quick  (one call of warm-up and one timed call each, ~30 s: only
 *                                      checks that the script runs; writes nothing)
 *
 * The kernels are called directly (engine.kernels, with (addr, len) pairs) on tensors allocated
 * once per shape, so that no allocation, shape check or copy is timed, and so that grad-input and
 * grad-weight, which the conv2dBackward op runs together, are timed apart. Each figure is the
 * median of several samples (~0.25 s each, or one call when a call takes longer) after a warm-up:
 * the first calls run in V8's baseline tier, several times slower. Run on a quiet machine; the
 * default run takes about 3-4 minutes on 2 cores.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Engine, type Tensor, type VariantName } from '../src/index.js';
import { buf, optionalBuf } from '../src/engine/ops/checks.js';
import { machineInfo, markdownTable, median } from './machine.js';

const QUICK = process.argv.includes('--quick');
/** Warm-up: at least this many calls and seconds, until a call is no slower than the one before. */
const WARMUP_MIN_CALLS = QUICK ? 1 : 2;
const WARMUP_SECONDS = QUICK ? 0 : 0.3;
/** Stop warming up after this long even if the timings have not settled (a busy machine). */
const WARMUP_MAX_SECONDS = QUICK ? 0 : 2;
/** A sample repeats the call for at least this long (one call if a call takes longer). */
const SAMPLE_SECONDS = QUICK ? 0 : 0.25;
/** Samples per figure; fewer when one call already fills a sample, to bound the run time. */
const SAMPLES = QUICK ? 1 : 5;
const SAMPLES_LONG_CALLS = QUICK ? 1 : 3;

const CONFIGS: { variant: VariantName; threads: number }[] = [
  { variant: 'simd-threads', threads: 1 },
  { variant: 'simd-threads', threads: 2 },
  { variant: 'relaxed-threads', threads: 1 },
  { variant: 'relaxed-threads', threads: 2 },
];
const VARIANTS = ['simd-threads', 'relaxed-threads'] as const;
const BATCH = 128;

/** One timed kernel call: `work` is its FLOPs (conv) or bytes moved (memory-bound). */
interface Pass {
  pass: string;
  work: number;
  run: () => void;
}

/** A kernel at one shape: its tensors, allocated once, and the passes that use them. */
interface Case {
  name: string;
  shape: string;
  passes: Pass[];
  free: () => void;
}

interface CaseSpec {
  name: string;
  shape: string;
  setup: (engine: Engine) => Case;
}

/** A float32 tensor filled with a deterministic pattern in [-scale/2, scale/2). */
function filled(engine: Engine, shape: number[], scale = 1): Tensor {
  const tensor = engine.tensor(shape);
  const values = new Float32Array(tensor.size);
  for (let i = 0; i < values.length; i++) values[i] = (((i * 7919) % 1000) / 1000 - 0.5) * scale;
  return tensor.set(values);
}

const freeAll = (tensors: { free(): void }[]) => () => tensors.forEach((t) => t.free());

// ---- Convolutions -------------------------------------------------------------------------

interface ConvLayer {
  name: string;
  cin: number;
  cout: number;
  size: number;
  /** Default 3 (square kernels). */
  kernel?: number;
  /** Default 1. */
  padding?: number;
  /** Default true. */
  bias?: boolean;
  /** Only the forward pass (a frozen layer on the input: training runs no backward through it). */
  forwardOnly?: boolean;
}

const CONV_LAYERS: ConvLayer[] = [
  { name: 'conv1 3->64 @32x32', cin: 3, cout: 64, size: 32 },
  { name: 'conv2 64->128 @16x16', cin: 64, cout: 128, size: 16 },
  { name: 'conv3 128->256 @8x8', cin: 128, cout: 256, size: 8 },
  { name: 'conv4 256->512 @8x8', cin: 256, cout: 512, size: 8 },
  { name: 'conv5 512->1024 @4x4', cin: 512, cout: 1024, size: 4 },
];

/** fast_senet's convolutions at the default widths 32/64/128 (each group's conv1 runs before its max-pool). */
const FAST_CONV_LAYERS: ConvLayer[] = [
  { name: 'whiten 3->24 2x2 @32x32', cin: 3, cout: 24, size: 32, kernel: 2, padding: 0, bias: true, forwardOnly: true },
  { name: 'g1.conv1 24->32 @31x31', cin: 24, cout: 32, size: 31, bias: false },
  { name: 'g1.conv2 32->32 @15x15', cin: 32, cout: 32, size: 15, bias: false },
  { name: 'g2.conv1 32->64 @15x15', cin: 32, cout: 64, size: 15, bias: false },
  { name: 'g2.conv2 64->64 @7x7', cin: 64, cout: 64, size: 7, bias: false },
  { name: 'g3.conv1 64->128 @7x7', cin: 64, cout: 128, size: 7, bias: false },
  { name: 'g3.conv2 128->128 @3x3', cin: 128, cout: 128, size: 3, bias: false },
];

function convCase({ name, cin, cout, size, kernel = 3, padding = 1, bias: withBias = true, forwardOnly = false }: ConvLayer): CaseSpec {
  const [kh, kw, stride, pad] = [kernel, kernel, 1, padding];
  const out = Math.floor((size + 2 * pad - kh) / stride) + 1;
  // The kernels' shape arguments, in src/engine/ops/conv.ts's order:
  // batch, in_channels, height, width, out_channels, kh, kw, sh, sw, ph, pw.
  const args = [BATCH, cin, size, size, cout, kh, kw, stride, stride, pad, pad] as const;
  const flops = 2 * BATCH * cout * out * out * cin * kh * kw;
  return {
    name,
    shape: `[${BATCH},${cin},${size},${size}]`,
    setup(engine) {
      const k = engine.kernels;
      const input = filled(engine, [BATCH, cin, size, size]);
      const weight = filled(engine, [cout, cin, kh, kw], 0.1);
      const bias = withBias ? filled(engine, [cout]) : undefined;
      const output = engine.tensor([BATCH, cout, out, out]);
      const gradOutput = filled(engine, [BATCH, cout, out, out]);
      const gradInput = engine.tensor(input.shape);
      const gradWeight = engine.tensor(weight.shape);
      return {
        name,
        shape: `[${BATCH},${cin},${size},${size}]`,
        passes: [
          { pass: 'forward', work: flops, run: () => k.conv2d_forward(...buf(input), ...buf(weight), ...optionalBuf(bias), ...buf(output), ...args) },
          { pass: 'grad-input', work: flops, run: () => k.conv2d_grad_input(...buf(gradOutput), ...buf(weight), ...buf(gradInput), ...args) },
          { pass: 'grad-weight', work: flops, run: () => k.conv2d_grad_weight(...buf(input), ...buf(gradOutput), ...buf(gradWeight), ...args) },
        ].slice(0, forwardOnly ? 1 : 3),
        free: freeAll([input, weight, ...(bias ? [bias] : []), output, gradOutput, gradInput, gradWeight]),
      };
    },
  };
}

// ---- Memory-bound kernels -----------------------------------------------------------------
//
// Bytes per call = 4 x the elements of every buffer the kernel takes, each counted once per pass
// however often the kernel actually goes over it: e.g. BN forward reads x twice (statistics, then
// normalisation) but counts as reading x once and writing y, 2 * size * 4 bytes. So the figures
// are effective bandwidth, what a single-sweep kernel would need. In detail (size = N*C*H*W):
//   BN forward:     x, y, and the [C] vectors (weight, bias, running stats, saved mean/invstd)
//                   -> ~2 * size * 4 (the [C] vectors are < 0.1%).
//   BN backward:    dy, x, y (the fused ReLU's mask), dx, and [C] vectors -> ~4 * size * 4.
//   max-pool fwd:   x; y and the u32 arg-max, each size/4            -> 1.5 * size * 4.
//   max-pool bwd:   dy and arg-max, each size/4; dx                   -> 1.5 * size * 4.
//   SE forward:     x, fc1, fc2 read; squeeze, hidden, gate, y written.
//   SE backward:    dy, x, fc1, fc2, squeeze, hidden, gate read; dx, dfc1, dfc2 written.

const bytesOf = (tensors: Tensor<'f32' | 'u32'>[]) => 4 * tensors.reduce((sum, t) => sum + t.size, 0);
const shapeName = (shape: number[]) => `[${shape.join(',')}]`;

function batchNormCase(shape: [number, number, number, number]): CaseSpec {
  const name = 'batch norm + ReLU';
  return {
    name,
    shape: shapeName(shape),
    setup(engine) {
      const k = engine.kernels;
      const [n, c, h, w] = shape;
      const x = filled(engine, shape);
      const weight = filled(engine, [c]);
      const bias = filled(engine, [c]);
      const runningMean = engine.tensor([c]);
      const runningVar = engine.tensor([c], new Float32Array(c).fill(1));
      const mean = engine.tensor([c]);
      const invstd = engine.tensor([c]);
      const y = engine.tensor(shape);
      const dy = filled(engine, shape);
      const dx = engine.tensor(shape);
      const dWeight = engine.tensor([c]);
      const dBias = engine.tensor([c]);
      const forward = () =>
        k.batch_norm2d_forward_train(
          ...buf(x), ...buf(weight), ...buf(bias), ...buf(runningMean), ...buf(runningVar),
          ...buf(mean), ...buf(invstd), ...buf(y), n, c, h, w, 0.1, 1e-5, true,
        );
      const backward = () =>
        k.batch_norm2d_backward(
          ...buf(dy), ...buf(x), ...buf(y), ...buf(weight), ...buf(mean), ...buf(invstd),
          ...buf(dx), ...buf(dWeight), ...buf(dBias), n, c, h, w, true,
        );
      forward(); // the backward needs the saved statistics and the ReLU'd output
      return {
        name,
        shape: shapeName(shape),
        passes: [
          { pass: 'forward', work: bytesOf([x, weight, bias, runningMean, runningVar, mean, invstd, y]), run: forward },
          { pass: 'backward', work: bytesOf([dy, x, y, weight, mean, invstd, dx, dWeight, dBias]), run: backward },
        ],
        free: freeAll([x, weight, bias, runningMean, runningVar, mean, invstd, y, dy, dx, dWeight, dBias]),
      };
    },
  };
}

function maxPoolCase(shape: [number, number, number, number]): CaseSpec {
  const name = 'max-pool 2x2';
  return {
    name,
    shape: shapeName(shape),
    setup(engine) {
      const k = engine.kernels;
      const [n, c, h, w] = shape;
      const window = [2, 2, 2, 2, 0, 0] as const; // kh, kw, sh, sw, ph, pw
      const outShape = [n, c, h / 2, w / 2];
      const x = filled(engine, shape);
      const y = engine.tensor(outShape);
      const indices = engine.indices(outShape);
      const dy = filled(engine, outShape);
      const dx = engine.tensor(shape);
      const forward = () => k.max_pool2d_forward(...buf(x), ...buf(y), ...buf(indices), n, c, h, w, ...window);
      const backward = () => k.max_pool2d_backward(...buf(dy), ...buf(indices), ...buf(dx), n, c, h, w, ...window);
      forward(); // the backward needs valid arg-max indices
      return {
        name,
        shape: shapeName(shape),
        passes: [
          { pass: 'forward', work: bytesOf([x, y, indices]), run: forward },
          { pass: 'backward', work: bytesOf([dy, indices, dx]), run: backward },
        ],
        free: freeAll([x, y, indices, dy, dx]),
      };
    },
  };
}

function seCase(shape: [number, number, number, number], hidden: number): CaseSpec {
  const name = `SE (hidden ${hidden})`;
  return {
    name,
    shape: shapeName(shape),
    setup(engine) {
      const k = engine.kernels;
      const [n, c, h, w] = shape;
      const x = filled(engine, shape);
      const fc1 = filled(engine, [hidden, c, 1, 1], 0.1);
      const fc2 = filled(engine, [c, hidden, 1, 1], 0.1);
      const squeeze = engine.tensor([n, c]);
      const hid = engine.tensor([n, hidden]);
      const gate = engine.tensor([n, c]);
      const y = engine.tensor(shape);
      const dy = filled(engine, shape);
      const dx = engine.tensor(shape);
      const dFc1 = engine.tensor(fc1.shape);
      const dFc2 = engine.tensor(fc2.shape);
      const forward = () =>
        k.se_forward(...buf(x), ...buf(fc1), ...buf(fc2), ...buf(squeeze), ...buf(hid), ...buf(gate), ...buf(y), n, c, hidden, h, w);
      const backward = () =>
        k.se_backward(
          ...buf(dy), ...buf(x), ...buf(fc1), ...buf(fc2), ...buf(squeeze), ...buf(hid), ...buf(gate),
          ...buf(dx), ...buf(dFc1), ...buf(dFc2), n, c, hidden, h, w,
        );
      forward(); // the backward needs the saved squeeze, hidden and gate
      return {
        name,
        shape: shapeName(shape),
        passes: [
          { pass: 'forward', work: bytesOf([x, fc1, fc2, squeeze, hid, gate, y]), run: forward },
          { pass: 'backward', work: bytesOf([dy, x, fc1, fc2, squeeze, hid, gate, dx, dFc1, dFc2]), run: backward },
        ],
        free: freeAll([x, fc1, fc2, squeeze, hid, gate, y, dy, dx, dFc1, dFc2]),
      };
    },
  };
}

const CONV_CASES = CONV_LAYERS.map(convCase);
const FAST_CONV_CASES = FAST_CONV_LAYERS.map(convCase);
const MEMORY_CASES = [
  batchNormCase([BATCH, 64, 32, 32]),
  batchNormCase([BATCH, 512, 8, 8]),
  maxPoolCase([BATCH, 64, 32, 32]),
  seCase([BATCH, 1024, 4, 4], 64),
];

// ---- Timing -------------------------------------------------------------------------------

/** Median seconds per call of `run`, after a warm-up. */
function secondsPerCall(run: () => void): number {
  // Warm up until V8 has tiered the kernel up: enough calls and time, and the last call no slower
  // than the one before (within 10%).
  const start = performance.now();
  let [calls, last, previous] = [0, Infinity, Infinity];
  for (;;) {
    const t0 = performance.now();
    run();
    const t1 = performance.now();
    [previous, last] = [last, (t1 - t0) / 1000];
    calls++;
    const elapsed = (t1 - start) / 1000;
    if (calls >= WARMUP_MIN_CALLS && elapsed >= WARMUP_SECONDS && (last <= previous * 1.1 || elapsed >= WARMUP_MAX_SECONDS)) break;
  }
  const reps = Math.max(1, Math.ceil(SAMPLE_SECONDS / last));
  const samples = reps === 1 ? SAMPLES_LONG_CALLS : SAMPLES;
  const perCall: number[] = [];
  for (let s = 0; s < samples; s++) {
    const t0 = performance.now();
    for (let r = 0; r < reps; r++) run();
    perCall.push((performance.now() - t0) / 1000 / reps);
  }
  return median(perCall);
}

interface Result {
  variant: VariantName;
  threads: number;
  kernel: string;
  shape: string;
  pass: string;
  /** FLOPs (conv) or bytes (memory-bound) per call. */
  work: number;
  /** Median seconds per call. */
  seconds: number;
  /** GFLOP/s (conv) or GB/s (memory-bound): work / seconds / 1e9. */
  rate: number;
}

function measure(engine: Engine, variant: VariantName, specs: CaseSpec[], unit: string): Result[] {
  const results: Result[] = [];
  for (const spec of specs) {
    const c = spec.setup(engine);
    try {
      for (const { pass, work, run } of c.passes) {
        const seconds = secondsPerCall(run);
        const rate = work / seconds / 1e9;
        results.push({ variant, threads: engine.threads, kernel: c.name, shape: c.shape, pass, work, seconds, rate });
        console.error(`${variant} x${engine.threads} ${c.name} ${c.shape} ${pass}: ${rate.toFixed(1)} ${unit} (${(seconds * 1e3).toFixed(2)} ms)`);
      }
    } finally {
      c.free();
    }
  }
  return results;
}

const began = performance.now();
const conv: Result[] = [];
const fastConv: Result[] = [];
const memory: Result[] = [];
for (const { variant, threads } of CONFIGS) {
  const engine = await Engine.create({ variant, threads });
  if (engine.threads !== threads) throw new Error(`${variant}: asked for ${threads} threads, the engine runs ${engine.threads}`);
  try {
    conv.push(...measure(engine, variant, CONV_CASES, 'GFLOP/s'));
    fastConv.push(...measure(engine, variant, FAST_CONV_CASES, 'GFLOP/s'));
    memory.push(...measure(engine, variant, MEMORY_CASES, 'GB/s'));
  } finally {
    await engine.close();
  }
}

/** Table rows: one per (kernel, shape, pass), with 1T, 2T and the speed-up for each variant. */
function rows(results: Result[], first: (r: Result) => (string | number)[]): (string | number)[][] {
  const keys = results.filter((r) => r.variant === CONFIGS[0]!.variant && r.threads === CONFIGS[0]!.threads);
  return keys.map((key) => {
    const rate = (variant: VariantName, threads: number) =>
      results.find((r) => r.variant === variant && r.threads === threads && r.kernel === key.kernel && r.shape === key.shape && r.pass === key.pass)!.rate;
    const cells = first(key);
    for (const variant of VARIANTS) {
      const [one, two] = [rate(variant, 1), rate(variant, 2)];
      cells.push(one.toFixed(1), two.toFixed(1), `${(two / one).toFixed(2)}x`);
    }
    return cells;
  });
}

/** PyTorch's GFLOP/s for fast_senet's layers (same FLOP count), by `threads,layer,pass`; empty without torch. */
function pytorchRates(): Map<string, number> {
  const rates = new Map<string, number>();
  const python = '/usr/bin/python3';
  if (spawnSync(python, ['-c', 'import torch']).status !== 0) {
    console.error(`bench:kernels: no PyTorch columns: ${python} cannot import torch`);
    return rates;
  }
  const layers = FAST_CONV_LAYERS.map(({ name, cin, cout, size, kernel = 3, padding = 1, bias = true, forwardOnly }) => ({
    name, batch: BATCH, cin, cout, size, kernel, padding, bias, ...(forwardOnly ? { passes: ['forward'] } : {}),
  }));
  for (const threads of [1, 2]) {
    const args = ['bench/recipe/conv_layers_pytorch.py', '--threads', String(threads), '--layers', JSON.stringify(layers),
      ...(QUICK ? ['--samples', '1', '--sample-seconds', '0'] : [])];
    const child = spawnSync(python, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    const line = child.stdout.split('\n').find((l) => l.startsWith('RESULT '));
    if (child.status !== 0 || !line) throw new Error(`${python} ${args[0]}: exit ${child.status}`);
    for (const r of JSON.parse(line.slice(7)) as { name: string; pass: string; seconds: number }[]) {
      const flops = fastConv.find((f) => f.kernel === r.name && f.pass === r.pass)!.work;
      rates.set(`${threads},${r.name},${r.pass}`, flops / r.seconds / 1e9);
      console.error(`pytorch x${threads} ${r.name} ${r.pass}: ${(flops / r.seconds / 1e9).toFixed(1)} GFLOP/s (${(r.seconds * 1e3).toFixed(2)} ms)`);
    }
  }
  return rates;
}
const torchRates = pytorchRates();

const rateColumns = ['SIMD 1T', 'SIMD 2T', '2T/1T', 'relaxed 1T', 'relaxed 2T', '2T/1T'];
const machine = machineInfo();
const convTable = markdownTable(['layer', 'pass', ...rateColumns], rows(conv, (r) => [r.kernel, r.pass]));
const withTorch = (r: Result, cells: (string | number)[]) => {
  const [one, two] = [1, 2].map((t) => torchRates.get(`${t},${r.kernel},${r.pass}`));
  const ours = fastConv.find((f) => f.variant === 'relaxed-threads' && f.threads === 2 && f.kernel === r.kernel && f.pass === r.pass)!.rate;
  return one === undefined || two === undefined ? cells : [...cells, one.toFixed(1), two.toFixed(1), `${(ours / two).toFixed(2)}x`];
};
const fastConvTable = markdownTable(
  ['layer', 'pass', ...rateColumns, ...(torchRates.size ? ['PyTorch 1T', 'PyTorch 2T', 'relaxed 2T / PyTorch 2T'] : [])],
  rows(fastConv, (r) => [r.kernel, r.pass]).map((cells, i) => withTorch(fastConv[i]!, cells)),
);
const memoryTable = markdownTable(['kernel', 'shape', 'pass', ...rateColumns], rows(memory, (r) => [r.kernel, r.shape, r.pass]));
console.log(
  `Layer kernels, batch ${BATCH}, ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, ${machine.date}` +
    (QUICK ? ' (--quick: one sample each, not a measurement)' : '') +
    `\n\nConvolutions (3x3, stride 1, padding 1), GFLOP/s counting direct-convolution FLOPs:\n\n${convTable}` +
    `\n\nfast_senet's convolutions (no bias but the whitening conv's), GFLOP/s counting the direct convolution's multiply-adds (2 FLOPs each); ` +
    `training runs g1.conv1's forward and grad-weight only (its input needs no gradient):\n\n${fastConvTable}` +
    `\n\nMemory-bound kernels, GB/s (each buffer counted once per call):\n\n${memoryTable}`,
);
const json = JSON.stringify(
  {
    machine,
    conv: conv.map(({ work, rate, ...r }) => ({ ...r, flops: work, gflops: rate })),
    fastSenetConv: fastConv.map(({ work, rate, ...r }) => ({ ...r, flops: work, gflops: rate })),
    fastSenetConvPytorch: [...torchRates].map(([key, gflops]) => {
      const [threads, kernel, pass] = key.split(',');
      return { threads: Number(threads), kernel, pass, gflops };
    }),
    memory: memory.map(({ work, rate, ...r }) => ({ ...r, bytes: work, gbps: rate })),
  },
  null,
  2,
);
if (QUICK) {
  console.error(`--quick: not writing bench/results/kernels.json (${json.length} characters); took ${((performance.now() - began) / 1000).toFixed(0)} s`);
} else {
  const dir = new URL('./results/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  writeFileSync(new URL('kernels.json', dir), json + '\n');
  console.error(`took ${((performance.now() - began) / 1000).toFixed(0)} s`);
}
