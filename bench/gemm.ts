/**
 * GEMM throughput: GFLOP/s of senet-wasm's matmul on 1 and 2 threads, plain and relaxed SIMD,
 * for 512^3 and for the forward GEMM of every convolution of the reference SENet at batch 128
 * (m = batch x height x width, n = output channels, k = input channels x 9; the weights are
 * [n, k], so B is used transposed, exactly as the convolution uses it).
 *
 *   npm run bench:gemm            (prints a markdown table, writes bench/results/gemm.json)
 *
 * Run on a quiet machine: each figure is the median of several timed runs after a warm-up
 * (the first calls run in V8's baseline tier, several times slower).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Engine, matmul, type VariantName } from '../src/index.js';
import { machineInfo, markdownTable, median } from './machine.js';

interface Shape {
  name: string;
  m: number;
  n: number;
  k: number;
  transB: boolean;
}

const SHAPES: Shape[] = [
  { name: '512^3', m: 512, n: 512, k: 512, transB: false },
  { name: 'conv1 3->64 @32x32', m: 128 * 32 * 32, n: 64, k: 3 * 9, transB: true },
  { name: 'conv2 64->128 @16x16', m: 128 * 16 * 16, n: 128, k: 64 * 9, transB: true },
  { name: 'conv3 128->256 @8x8', m: 128 * 8 * 8, n: 256, k: 128 * 9, transB: true },
  { name: 'conv4 256->512 @8x8', m: 128 * 8 * 8, n: 512, k: 256 * 9, transB: true },
  { name: 'conv5 512->1024 @4x4', m: 128 * 4 * 4, n: 1024, k: 512 * 9, transB: true },
];
const CONFIGS: { variant: VariantName; threads: number }[] = [
  { variant: 'simd-threads', threads: 1 },
  { variant: 'simd-threads', threads: 2 },
  { variant: 'relaxed-threads', threads: 1 },
  { variant: 'relaxed-threads', threads: 2 },
];
const SAMPLES = 5;
const MIN_SAMPLE_SECONDS = 0.3;

function measure(engine: Engine, shape: Shape): number {
  const { m, n, k, transB } = shape;
  const fill = (size: number) => Float32Array.from({ length: size }, (_, i) => ((i * 7919) % 1000) / 1000 - 0.5);
  const a = engine.tensor([m, k], fill(m * k));
  const b = engine.tensor(transB ? [n, k] : [k, n], fill(k * n));
  const out = engine.tensor([m, n]);
  const run = () => matmul(engine, a, b, { transB, out });
  const flops = 2 * m * n * k;
  // Warm up until V8 has tiered up, and size a sample to last MIN_SAMPLE_SECONDS.
  let reps = 1;
  for (let i = 0; i < 3; i++) run();
  const start = performance.now();
  run();
  const once = (performance.now() - start) / 1000;
  reps = Math.max(1, Math.ceil(MIN_SAMPLE_SECONDS / once));
  const rates: number[] = [];
  for (let s = 0; s < SAMPLES; s++) {
    const t0 = performance.now();
    for (let r = 0; r < reps; r++) run();
    rates.push((flops * reps) / ((performance.now() - t0) / 1000) / 1e9);
  }
  for (const t of [a, b, out]) t.free();
  return median(rates);
}

const results: { variant: VariantName; threads: number; shape: string; m: number; n: number; k: number; gflops: number }[] = [];
for (const { variant, threads } of CONFIGS) {
  const engine = await Engine.create({ variant, threads });
  for (const shape of SHAPES) {
    const gflops = measure(engine, shape);
    results.push({ variant, threads, shape: shape.name, m: shape.m, n: shape.n, k: shape.k, gflops });
    console.error(`${variant} x${threads} ${shape.name}: ${gflops.toFixed(1)} GFLOP/s`);
  }
  await engine.close();
}

const rate = (variant: VariantName, threads: number, shape: string) =>
  results.find((r) => r.variant === variant && r.threads === threads && r.shape === shape)!.gflops;
const rows = SHAPES.map(({ name, m, n, k }) => {
  const cells: (string | number)[] = [name, `${m}x${n}x${k}`];
  for (const variant of ['simd-threads', 'relaxed-threads'] as const) {
    const [one, two] = [rate(variant, 1, name), rate(variant, 2, name)];
    cells.push(one.toFixed(1), two.toFixed(1), `${(two / one).toFixed(2)}x`);
  }
  return cells;
});
const machine = machineInfo();
const table = markdownTable(
  ['shape', 'm x n x k', 'SIMD 1T', 'SIMD 2T', '2T/1T', 'relaxed 1T', 'relaxed 2T', '2T/1T'],
  rows,
);
console.log(`GEMM GFLOP/s, ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, ${machine.date}\n\n${table}`);
const dir = new URL('./results/', import.meta.url);
mkdirSync(dir, { recursive: true });
writeFileSync(new URL('gemm.json', dir), JSON.stringify({ machine, results }, null, 2) + '\n');
