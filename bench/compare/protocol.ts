/**
 * What bench/compare.ts and its Node children share: the command-line options a child takes, the
 * result it prints (one JSON line on stdout, after MARKER), the timing loop and the input data.
 * bench/compare/pytorch.py speaks the same protocol.
 */
import { median } from '../machine.js';

/** A child prints its result as `MARKER {json}` on one stdout line; everything else goes to stderr. */
export const MARKER = '@@compare-result';
export const NUM_CLASSES = 10;
export const IMAGE_SHAPE = [3, 32, 32] as const;

export type Task = 'train' | 'infer';

/** How a child times: `warmup` untimed calls, then `repeats` samples of `steps` calls each. */
export interface Timing {
  warmup: number;
  repeats: number;
  steps: number;
}

export interface ChildOptions extends Timing {
  /** The registry model (src/nn/models/index.ts): 'senet', 'se_resnet20', ... */
  model: string;
  task: Task;
  threads: number;
  batch: number;
  /** senet-wasm's build, or the TF.js backend ('cpu', 'wasm'). */
  variant: string;
  /** Untimed batch-1 inference calls before its samples. */
  warmup1: number;
  /** Seconds each batch-1 inference sample lasts (repeating the call). */
  sampleSeconds: number;
}

/**
 * `--model senet --task train --threads 2 --variant simd-threads --warmup 2 --repeats 5 --steps 2 --batch 128
 * --warmup1 10 --sample-seconds 0.5` (the last two for batch-1 inference). `--model` defaults to 'senet'.
 */
export function parseChildArgs(argv: string[]): ChildOptions {
  const value = (name: string, fallback?: string): string => {
    const i = argv.indexOf(`--${name}`);
    const v = i >= 0 ? argv[i + 1] : fallback;
    if (v === undefined) throw new Error(`missing --${name}`);
    return v;
  };
  const int = (name: string, fallback?: string): number => {
    const n = Number(value(name, fallback));
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer`);
    return n;
  };
  const task = value('task');
  if (task !== 'train' && task !== 'infer') throw new Error(`--task must be train or infer, got ${task}`);
  return {
    model: value('model', 'senet'),
    task,
    threads: int('threads'),
    variant: value('variant', ''),
    batch: int('batch', '128'),
    warmup: int('warmup'),
    repeats: Math.max(1, int('repeats')),
    steps: Math.max(1, int('steps')),
    warmup1: int('warmup1', '10'),
    sampleSeconds: Number(value('sample-seconds', '0.5')),
  };
}

/** A throughput: the median of the per-sample rates, and the samples. */
export interface Rate {
  imagesPerSecond: number;
  /** Images per second of each timed sample. */
  samples: number[];
  batch: number;
  /** Untimed calls before the samples. */
  warmup: number;
  /** Calls per sample. */
  callsPerSample: number;
}

export interface ChildResult {
  framework: 'senet-wasm' | 'pytorch' | 'tfjs';
  /** The build or backend: 'simd-threads', 'relaxed-threads', 'cpu', 'wasm', 'aten'. */
  variant: string;
  /** The registry model measured. */
  model: string;
  task: Task;
  /** Threads asked for. */
  threads: number;
  /** Threads the framework reports it runs on. */
  actualThreads: number;
  parameters: number;
  train?: Rate;
  /** Eval-mode forward at the training batch size, and at batch 1. */
  infer?: Rate;
  infer1?: Rate;
  /** The training step could not run: why (e.g. a missing kernel). */
  trainError?: string;
  /** Peak resident set size of the child process, KiB. */
  peakRssKiB: number;
  /** Version and feature facts worth printing beside the table. */
  info: Record<string, string | number | boolean>;
}

export function emit(result: ChildResult): void {
  process.stdout.write(`${MARKER} ${JSON.stringify(result)}\n`);
}

export function peakRssKiB(): number {
  return process.resourceUsage().maxRSS;
}

/**
 * Times `run` (one call processes `batch` images): `warmup` untimed calls, then `repeats`
 * samples of `steps` calls. With `sampleSeconds`, a sample instead repeats the call for at least
 * that long (for calls of a few milliseconds), the count fixed from the last warm-up call.
 */
export function throughput(run: () => void, batch: number, timing: Timing, sampleSeconds?: number): Rate {
  let last = Infinity;
  for (let i = 0; i < timing.warmup; i++) {
    const t0 = performance.now();
    run();
    last = (performance.now() - t0) / 1000;
  }
  const calls = sampleSeconds === undefined ? timing.steps : Math.max(timing.steps, Math.ceil(sampleSeconds / last));
  const samples: number[] = [];
  for (let s = 0; s < timing.repeats; s++) {
    const t0 = performance.now();
    for (let c = 0; c < calls; c++) run();
    samples.push((calls * batch) / ((performance.now() - t0) / 1000));
  }
  return { imagesPerSecond: median(samples), samples, batch, warmup: timing.warmup, callsPerSample: calls };
}

/** Deterministic random images in [0, 1) and labels, the same for every framework's Node child. */
export function randomBatch(batch: number, seed = 1): { images: Float32Array; labels: Uint32Array } {
  let x = seed >>> 0;
  const next = () => {
    // xorshift32: enough for benchmark inputs.
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
  const images = new Float32Array(batch * IMAGE_SHAPE[0] * IMAGE_SHAPE[1] * IMAGE_SHAPE[2]);
  for (let i = 0; i < images.length; i++) images[i] = next();
  const labels = Uint32Array.from({ length: batch }, (_, i) => i % NUM_CLASSES);
  return { images, labels };
}

/** Logs a progress line on stderr. */
export function log(message: string): void {
  process.stderr.write(`  ${message}\n`);
}
