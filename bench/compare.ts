/**
 * Registry models (src/nn/models/index.ts) in senet-wasm, PyTorch (CPU) and, for the seed SENet,
 * TensorFlow.js, on the same machine and thread counts: training images/s at batch 128 (forward,
 * cross-entropy, backward, Adam lr 1e-3), eval-mode inference images/s at batch 128 and at batch
 * 1, peak memory, and each figure's ratio to PyTorch's for the same model and thread count.
 *
 *   npm run bench:compare             (prints a markdown table a model, writes
 *                                      bench/results/compare.md and compare.json; the seed SENet's
 *                                      part alone takes ~10 minutes on 2 quiet cores)
 *   npm run bench:compare -- --models senet,se_resnet20
 *                                     (only these models; default senet,se_resnet20,se_resnet56;
 *                                      any registry name)
 *   npm run bench:compare -- --quick  (one warm-up and one timed step each, a few minutes: only
 *                                      checks that everything runs; writes nothing)
 *
 * Every model runs in senet-wasm and PyTorch; TensorFlow.js, and the Chromium rows (the equal-thread
 * comparison with TF.js), only for the seed `senet`, the one model bench/compare/tfjs-senet.ts has.
 *
 * Every configuration (framework x build or backend x threads x task) runs in a child process of
 * its own, so that its peak resident set size is its own: bench/compare/senet-wasm.ts,
 * bench/compare/tfjs.ts and bench/compare/pytorch.py, which print one JSON result line
 * (bench/compare/protocol.ts). Warm-up calls are not timed; each figure is the median of several
 * timed samples.
 *
 * - senet-wasm: the 'simd-threads' and 'relaxed-threads' builds on 1 and 2 threads.
 * - PyTorch: Debian's python3-torch run by /usr/bin/python3, torch.set_num_threads(1 and 2), the
 *   model built by `create_model` of test/fixtures/make_fixtures.py (the definitions the parity
 *   tests hold ours to); skipped with a message when `import torch` fails.
 * - TensorFlow.js: the same model written with tfjs-core ops (bench/compare/tfjs-senet.ts).
 *   Training on tfjs-backend-cpu (plain JavaScript, one thread), at a small batch: its
 *   Conv2DBackpropFilter is so slow that a batch-128 step takes tens of minutes. Inference on
 *   tfjs-backend-wasm (XNNPACK, SIMD), which cannot train this model (no Conv2DBackpropFilter
 *   kernel) and has no threads under Node. The packages are devDependencies; when one is missing,
 *   this script installs it with `npm install --no-save` first.
 * - Inference in Chromium too (bench/compare/chromium.ts, variants ending in '@chromium'):
 *   senet-wasm's relaxed-threads build and TF.js's wasm backend with its threaded SIMD binary,
 *   on 1 and 2 threads, in a cross-origin isolated page: the equal-thread comparison with TF.js
 *   that Node cannot give. Skipped with a message when /usr/bin/chromium is missing.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { modelEntry } from '../src/nn/models/index.js';
import { chromiumMissing } from '../test/chromium.js';
import { machineInfo, markdownTable } from './machine.js';
import { RELAXED_SIMD_FLAG } from '../scripts/v8-flags.mjs';
import { type ChildResult, type Rate, type Task, type Timing } from './compare/protocol.js';
import { ROOT, lastLine, runChild, senetWasmCommand } from './compare/spawn.js';

const QUICK = process.argv.includes('--quick');
const PYTHON = '/usr/bin/python3';
const BATCH = 128;
const THREADS = [1, 2];
/** The seed SENet: the one model TF.js runs (bench/compare/tfjs-senet.ts). */
const SENET = 'senet';

/** `--models a,b,...`: registry names (an unknown one is an error naming the nearest). */
function modelsArgument(): string[] {
  const at = process.argv.indexOf('--models');
  if (at < 0) return [SENET, 'se_resnet20', 'se_resnet56'];
  const names = (process.argv[at + 1] ?? '').split(',').map((n) => n.trim()).filter((n) => n !== '');
  if (names.length === 0) throw new Error('--models needs a comma-separated list of model names, e.g. --models senet,se_resnet20');
  for (const name of names) modelEntry(name);
  return [...new Set(names)];
}
const MODELS = modelsArgument();
const parametersOf = (model: string) => modelEntry(model).parameters;
const TFJS_PACKAGES = ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-backend-wasm'];
/** A variant name ending in this runs in Chromium (bench/compare/chromium.ts) rather than in Node. */
const CHROMIUM = '@chromium';

interface RunTiming extends Timing {
  batch: number;
  /** Batch-1 inference: untimed calls, and seconds per timed sample. */
  warmup1: number;
  sampleSeconds: number;
}

/** Training and batch-128 inference: 2 warm-up steps, then the median of 5 samples of 2 steps. */
const TIMING: RunTiming = QUICK
  ? { batch: BATCH, warmup: 1, repeats: 1, steps: 1, warmup1: 3, sampleSeconds: 0.1 }
  : { batch: BATCH, warmup: 2, repeats: 5, steps: 2, warmup1: 10, sampleSeconds: 0.5 };
/**
 * tfjs-backend-cpu training: about 0.05 images/s (a step at batch 8 took 2.5 minutes on a busy
 * 2-core machine; one at batch 128 would take most of an hour), so: batch 8, one warm-up step,
 * 2 timed samples of one step. Its per-image cost hardly depends on the batch size.
 */
const TFJS_CPU_TRAIN: RunTiming = QUICK
  ? { ...TIMING, batch: 2, warmup: 1, repeats: 1, steps: 1 }
  : { ...TIMING, batch: 8, warmup: 1, repeats: 2, steps: 1 };

type Framework = ChildResult['framework'];

interface Run {
  framework: Framework;
  variant: string;
  /** The registry model. */
  model: string;
  task: Task;
  threads: number;
  timing: RunTiming;
  result?: ChildResult;
  /** The child failed: its error. */
  error?: string;
  /** Not run, and why. */
  skipped?: string;
  /** Wall-clock seconds of the child process. */
  seconds?: number;
}

// ---- Set-up ---------------------------------------------------------------------------------

/** Installs (npm install --no-save) any TF.js package that does not resolve; returns why TF.js is unusable, if it is. */
function ensureTfjs(): string | undefined {
  const require = createRequire(import.meta.url);
  const missing = TFJS_PACKAGES.filter((name) => {
    try {
      require.resolve(name);
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length === 0) return undefined;
  const devDependencies = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { devDependencies?: Record<string, string> })
    .devDependencies ?? {};
  const specs = missing.map((name) => `${name}@${devDependencies[name] ?? '^4.22.0'}`);
  console.error(`installing ${specs.join(' ')} (npm install --no-save)`);
  const npm = spawnSync('npm', ['install', '--no-save', ...specs], { cwd: ROOT, stdio: 'inherit' });
  if (npm.status !== 0) return `npm install --no-save ${specs.join(' ')} failed (exit ${npm.status})`;
  return undefined;
}

/** Why PyTorch cannot run, if it cannot. */
function checkTorch(): string | undefined {
  const probe = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.error) return `${PYTHON} did not start (${probe.error.message})`;
  if (probe.status !== 0) return `\`import torch\` failed in ${PYTHON}: ${lastLine(probe.stderr)}`;
  return undefined;
}

// ---- Running the children -------------------------------------------------------------------

function command(run: Run): [string, string[]] {
  const t = run.timing;
  const args = [
    '--model', run.model, '--task', run.task, '--threads', String(run.threads), '--variant', run.variant, '--batch', String(t.batch),
    '--warmup', String(t.warmup), '--repeats', String(t.repeats), '--steps', String(t.steps),
    '--warmup1', String(t.warmup1), '--sample-seconds', String(t.sampleSeconds),
  ];
  if (run.variant.endsWith(CHROMIUM)) {
    const variant = run.variant.slice(0, -CHROMIUM.length);
    args[args.indexOf('--variant') + 1] = variant;
    return [process.execPath, ['--import', 'tsx', 'bench/compare/chromium.ts', '--framework', run.framework, ...args]];
  }
  switch (run.framework) {
    case 'senet-wasm':
      return senetWasmCommand(args);
    case 'tfjs':
      return [process.execPath, ['--import', 'tsx', 'bench/compare/tfjs.ts', ...args]];
    case 'pytorch':
      return [PYTHON, ['bench/compare/pytorch.py', ...args]];
  }
}

/** Runs one child, passing its progress through to stderr, and records its result or error. */
async function execute(run: Run): Promise<void> {
  const [file, args] = command(run);
  const label = `${run.framework} ${run.model} ${run.variant} x${run.threads} ${run.task}`;
  console.error(`${label} (batch ${run.timing.batch}) ...`);
  const { result, error, seconds } = await runChild(file, args);
  run.seconds = seconds;
  if (error !== undefined || result === undefined) {
    run.error = error ?? 'no result';
    console.error(`${label}: FAILED, ${run.error}`);
    return;
  }
  run.result = result;
  const expected = parametersOf(run.model);
  if (result.parameters !== expected) {
    run.error = `${run.model} has ${result.parameters} parameters, not ${expected}`;
    console.error(`${label}: ${run.error}`);
  }
}

// ---- The plan ------------------------------------------------------------------------------

const began = performance.now();
const torchProblem = checkTorch();
const tfjsProblem = ensureTfjs();
if (torchProblem) console.error(`PyTorch skipped: ${torchProblem}`);
if (tfjsProblem) console.error(`TensorFlow.js skipped: ${tfjsProblem}`);

const runs: Run[] = [];
const plan = (model: string, framework: Framework, variant: string, task: Task, threads: number, timing = TIMING, skipped?: string) => {
  const run: Run = { framework, variant, model, task, threads, timing, ...(skipped ? { skipped } : {}) };
  runs.push(run);
  return run;
};
for (const model of MODELS) {
  for (const threads of THREADS) {
    for (const task of ['train', 'infer'] as const) {
      plan(model, 'pytorch', 'aten', task, threads, TIMING, torchProblem && `skipped: ${torchProblem}`);
      plan(model, 'senet-wasm', 'simd-threads', task, threads);
      plan(model, 'senet-wasm', 'relaxed-threads', task, threads);
    }
  }
}
if (MODELS.includes(SENET)) {
  const tfjsSkip = tfjsProblem && `skipped: ${tfjsProblem}`;
  for (const threads of THREADS) {
    plan(SENET, 'tfjs', 'cpu', 'train', threads, TFJS_CPU_TRAIN, tfjsSkip ?? (threads > 1 ? 'n/a: single-threaded' : undefined));
    // The wasm backend on 2 threads only if the 1-thread run finds threads supported (not in Node).
    plan(SENET, 'tfjs', 'wasm', 'infer', threads, TIMING, tfjsSkip ?? (threads > 1 ? 'pending' : undefined));
  }

  // Inference in Chromium, where TF.js's wasm backend runs threads too.
  for (const threads of THREADS) {
    plan(SENET, 'senet-wasm', `relaxed-threads${CHROMIUM}`, 'infer', threads, TIMING, chromiumMissing && `skipped: ${chromiumMissing}`);
    plan(SENET, 'tfjs', `wasm${CHROMIUM}`, 'infer', threads, TIMING, tfjsSkip ?? (chromiumMissing && `skipped: ${chromiumMissing}`));
  }
}

for (const run of runs) {
  if (run.skipped === 'pending') {
    const single = runs.find((r) => r.framework === 'tfjs' && r.variant === 'wasm' && r.threads === 1);
    if (single?.result?.info.wasmThreadsSupported === true) delete run.skipped;
    else run.skipped = 'n/a: no threads in Node';
  }
  if (run.skipped === undefined) await execute(run);
}

// ---- The table ----------------------------------------------------------------------------

const find = (framework: Framework, variant: string, task: Task, threads: number, model = SENET) =>
  runs.find((r) => r.model === model && r.framework === framework && r.variant === variant && r.task === task && r.threads === threads);

const rateText = (ips: number) => (ips >= 100 ? ips.toFixed(0) : ips >= 10 ? ips.toFixed(1) : ips.toFixed(2));
const mib = (kib: number | undefined) => (kib === undefined ? '—' : `${(kib / 1024).toFixed(0)}`);

/** Why a training step could not run, shortened for a table cell. */
function cannotTrain(message: string): string {
  const kernel = /Kernel '(\w+)' not registered/.exec(message);
  return `cannot train: ${kernel ? `no ${kernel[1]} kernel` : message}`;
}

type Metric = 'train' | 'infer' | 'infer1';

/** The cell for one figure, and the rate when there is one. */
function figure(run: Run | undefined, metric: Metric, trainError?: string): { text: string; rate?: Rate } {
  if (run === undefined) return { text: trainError ? cannotTrain(trainError) : '—' };
  if (run.skipped) return { text: run.skipped };
  if (run.error || !run.result) return { text: `failed: ${run.error}` };
  const rate = run.result[metric];
  if (rate === undefined) return { text: '—' };
  const note = metric === 'train' && rate.batch !== BATCH ? ` (batch ${rate.batch})` : '';
  return { text: rateText(rate.imagesPerSecond) + note, rate };
}

function ratio(value: Rate | undefined, reference: Rate | undefined): string {
  if (!value || !reference) return '';
  const r = value.imagesPerSecond / reference.imagesPerSecond;
  return `${r >= 0.1 ? r.toFixed(2) : r.toPrecision(2)}x`;
}

/** The rows of a model's table, each thread count; TF.js and Chromium only for the seed SENet. */
const ROWS: { framework: Framework; variant: string; name: string; backend: string }[] = [
  { framework: 'pytorch', variant: 'aten', name: 'PyTorch', backend: 'CPU (ATen, oneDNN)' },
  { framework: 'senet-wasm', variant: 'simd-threads', name: 'senet-wasm', backend: 'simd-threads' },
  { framework: 'senet-wasm', variant: 'relaxed-threads', name: 'senet-wasm', backend: 'relaxed-threads' },
  { framework: 'tfjs', variant: 'cpu', name: 'TF.js', backend: 'tfjs-backend-cpu' },
  { framework: 'tfjs', variant: 'wasm', name: 'TF.js', backend: 'tfjs-backend-wasm (SIMD)' },
  { framework: 'senet-wasm', variant: `relaxed-threads${CHROMIUM}`, name: 'senet-wasm', backend: 'relaxed-threads, in Chromium' },
  { framework: 'tfjs', variant: `wasm${CHROMIUM}`, name: 'TF.js', backend: 'tfjs-backend-wasm (SIMD, threads), in Chromium' },
];

/** One model's table rows: every planned framework and build, on each thread count. */
function modelRows(model: string): string[][] {
  const rows: string[][] = [];
  const planned = ROWS.filter((row) => runs.some((r) => r.model === model && r.framework === row.framework && r.variant === row.variant));
  for (const threads of THREADS) {
    const reference = {
      train: find('pytorch', 'aten', 'train', threads, model)?.result?.train,
      infer: find('pytorch', 'aten', 'infer', threads, model)?.result?.infer,
      infer1: find('pytorch', 'aten', 'infer', threads, model)?.result?.infer1,
    };
    for (const row of planned) {
      const trainRun = find(row.framework, row.variant, 'train', threads, model);
      const inferRun = find(row.framework, row.variant, 'infer', threads, model);
      // A backend that cannot train says so in its inference runs (on any thread count).
      const trainError = runs.find((r) => r.model === model && r.framework === row.framework && r.variant === row.variant && r.result?.trainError)
        ?.result?.trainError;
      const cells = [row.name, row.backend, String(threads)];
      for (const metric of ['train', 'infer', 'infer1'] as const) {
        const { text, rate } = figure(metric === 'train' ? trainRun : inferRun, metric, trainError);
        cells.push(text, ratio(rate, reference[metric]));
      }
      // A Chromium run's own process only drives the browser: its RSS is not the work's.
      const rss = (run: Run | undefined) => (run?.variant.endsWith(CHROMIUM) ? undefined : run?.result?.peakRssKiB);
      cells.push(mib(rss(trainRun)), mib(rss(inferRun)));
      rows.push(cells);
    }
  }
  return rows;
}

const header = [
  'framework', 'build / backend', 'threads',
  'train img/s', 'vs PyTorch', 'infer img/s, batch 128', 'vs PyTorch', 'infer img/s, batch 1', 'vs PyTorch',
  'peak RSS train (MiB)', 'peak RSS infer (MiB)',
];

// ---- Notes --------------------------------------------------------------------------------

const machine = machineInfo();
const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;
const resultOf = (framework: Framework, variant: string) => runs.find((r) => r.framework === framework && r.variant === variant && r.result)?.result;
const parameterCounts = MODELS.map((m) => `${m} ${parametersOf(m).toLocaleString('en-US')}`).join(', ');
const torch = resultOf('pytorch', 'aten');
const tfCpu = find('tfjs', 'cpu', 'train', 1)?.result;
const tfWasm = find('tfjs', 'wasm', 'infer', 1)?.result;
const notes: string[] = [
  `Each figure: the median of ${count(TIMING.repeats, 'timed sample')} of ${count(TIMING.steps, 'step')} after ` +
    `${count(TIMING.warmup, 'untimed warm-up step')}, on a fixed random batch of ${BATCH} 32x32 RGB images; batch 1: the median of ` +
    `${count(TIMING.repeats, 'sample')} of at least ${TIMING.sampleSeconds} s after ${count(TIMING.warmup1, 'warm-up call')}. A training step is forward, cross-entropy, backward and an ` +
    'Adam (lr 1e-3) update, with batch norm in training mode; inference is the eval-mode forward, reading the logits back.',
  `Parameters (checked for every run against the model registry): ${parameterCounts}. ` +
    '"vs PyTorch" divides by PyTorch\'s figure for the same model at the same thread count.',
  'Peak RSS: the maximum resident set size of the configuration\'s own process (Node: process.resourceUsage().maxRSS; ' +
    'Python: getrusage ru_maxrss), runtime included.',
  torch
    ? `PyTorch ${torch.info.torch} (Debian python3-torch, Python ${torch.info.python}), torch.set_num_threads(n), ` +
      'each model built by create_model() of test/fixtures/make_fixtures.py (the definitions our parity tests check); ' +
      `inference under torch.no_grad() and model.eval(). BLAS loaded: ${torch.info.blas || 'none found'}. ` +
      'Its convolutions run in oneDNN at batch 128, but PyTorch 1.13 sends a 3x3 convolution of a batch-1 input of at ' +
      'most 20,480 values (every convolution of the seed SENet at batch 1) to its own im2col + BLAS path, here the system ' +
      'libblas.so.3 (the Netlib reference BLAS unless OpenBLAS or BLIS is installed): that is what its batch-1 figure measures.'
    : `PyTorch: ${torchProblem ?? 'no result'}.`,
  'senet-wasm: Engine.create({ threads, variant }), createModel(engine, name), trainStep() of src/train/step.ts; inference ' +
    'is model.call() under engine.noGrad() in a memory scope, as `senet eval` runs it; on Node 20 the relaxed-threads build ' +
    `runs with ${RELAXED_SIMD_FLAG}.`,
];
if (!MODELS.includes(SENET)) {
  notes.push('TF.js and the rows in Chromium were not run: they run only the seed SENet (bench/compare/tfjs-senet.ts), which --models left out.');
} else if (MODELS.length > 1) {
  notes.push('TF.js and the rows in Chromium run only the seed SENet (bench/compare/tfjs-senet.ts is that model written in tfjs-core ops).');
}
if (tfCpu) {
  const rate = tfCpu.train?.imagesPerSecond;
  notes.push(
    `TF.js ${tfCpu.info['tfjs-core']}, tfjs-backend-cpu: plain JavaScript on one thread, so there is no 2-thread figure. ` +
      `Trained at batch ${TFJS_CPU_TRAIN.batch} (${count(TFJS_CPU_TRAIN.warmup, 'warm-up step')}, the median of ` +
      `${count(TFJS_CPU_TRAIN.repeats, 'timed step')}), not ${BATCH}: nearly all of its time is its Conv2DBackpropFilter kernel` +
      (rate ? `, and a batch-${BATCH} step would take about ${(BATCH / rate / 60).toFixed(0)} minutes at this rate` : '') +
      `. Its peak RSS is at batch ${TFJS_CPU_TRAIN.batch}. Its inference was not measured: tfjs-backend-wasm is TF.js's fast CPU backend.`,
  );
}
if (tfWasm) {
  notes.push(
    `TF.js tfjs-backend-wasm ${tfWasm.info['tfjs-backend-wasm']} (XNNPACK), ${tfWasm.info.wasmBinary} binary: inference only, ` +
      (tfWasm.trainError ? `a training step fails with "${tfWasm.trainError}". ` : 'training was not timed. ') +
      (tfWasm.info.wasmThreadsSupported === false
        ? 'No threads under Node: tfjs 4.x sets its WASM_HAS_MULTITHREAD_SUPPORT flag false when running in Node ' +
          '(tfjs issue #3830), and forcing it true fails: its Emscripten thread pool starts workers from blob: URLs, which ' +
          "Node's worker_threads refuses (ERR_WORKER_PATH). So its 2-thread row is empty. "
        : '') +
      'In Chromium it has threads: see its rows "in Chromium".',
  );
}
const tfChromium = runs.find((r) => r.framework === 'tfjs' && r.variant === `wasm${CHROMIUM}` && r.result)?.result;
if (tfChromium) {
  notes.push(
    `In Chromium ${tfChromium.info.chromium}: bench/compare/chromium.ts builds a page with Vite (bench/compare/chromium/), serves it ` +
      'cross-origin isolated (COOP/COEP) and runs the same inference loop in a module worker: senet-wasm is src/ bundled as it is, ' +
      `TF.js runs its ${tfChromium.info.wasmBinary} binary. TF.js caps XNNPACK's thread pool at half of navigator.hardwareConcurrency ` +
      `(its backend.cc assumes two hardware threads a core), ${tfChromium.info.hardwareConcurrency} here, which would leave it 1 thread ` +
      'whatever it is asked; the page reports twice the threads asked for, so that each run has the threads of its row ' +
      '(the ratios below say so where getThreadsCount() reports other than the row\'s). Peak RSS is not measured in Chromium.',
  );
}
// The issue's inference target: senet-wasm >= 3x TF.js wasm at the same thread count.
const versus: string[] = [];
for (const [where, suffix] of [['Node', ''], ['Chromium', CHROMIUM]] as const) {
  for (const threads of THREADS) {
    const ours = find('senet-wasm', `relaxed-threads${suffix}`, 'infer', threads)?.result;
    const theirs = find('tfjs', `wasm${suffix}`, 'infer', threads)?.result;
    if (!ours?.infer || !theirs?.infer || !ours.infer1 || !theirs.infer1) continue;
    const ran = theirs.actualThreads === threads ? '' : ` (TF.js ran ${theirs.actualThreads} thread${theirs.actualThreads === 1 ? '' : 's'})`;
    versus.push(`${where}, ${count(threads, 'thread')}: ${ratio(ours.infer, theirs.infer)} at batch ${BATCH}, ${ratio(ours.infer1, theirs.infer1)} at batch 1${ran}`);
  }
}
if (versus.length > 0) notes.push(`senet-wasm (relaxed-threads) inference over TF.js wasm's at the same thread count: ${versus.join('; ')}.`);
if (tfCpu) {
  notes.push(
    'TF.js gradients: tfjs-core\'s Node bundle registers none, so bench/compare/tfjs.ts loads tfjs-core\'s ' +
      'dist/register_all_gradients.js, as the @tensorflow/tfjs package does.',
  );
}

const title = `Batch ${BATCH}: senet-wasm vs PyTorch${MODELS.includes(SENET) ? ' vs TensorFlow.js' : ''} (${MODELS.join(', ')})`;
const context = `${machine.date}, ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}` + (QUICK ? ' (--quick: one sample each, not a measurement)' : '');
const sections = MODELS.map((model) => {
  const entry = modelEntry(model);
  const description = entry.description.charAt(0).toUpperCase() + entry.description.slice(1);
  return `## ${model} (${entry.parameters.toLocaleString('en-US')} parameters)\n\n${description}.\n\n${markdownTable(header, modelRows(model))}`;
});
const markdown = `# ${title}\n\n${context}\n\n${sections.join('\n\n')}\n\n## Notes\n\n${notes.map((n) => `- ${n}`).join('\n')}\n`;
console.log(`\n${markdown}`);

const failed = runs.filter((r) => r.error);
const json = JSON.stringify(
  {
    machine,
    quick: QUICK,
    models: MODELS,
    batch: BATCH,
    timing: { default: TIMING, tfjsCpuTrain: TFJS_CPU_TRAIN },
    runs: runs.map(({ framework, variant, model, task, threads, timing, result, error, skipped, seconds }) => ({
      framework, variant, model, task, threads, batch: timing.batch, seconds, skipped, error, result,
    })),
    notes,
  },
  null,
  2,
);
const took = `took ${((performance.now() - began) / 60000).toFixed(1)} min`;
if (QUICK) {
  console.error(`--quick: not writing bench/results/compare.{md,json} (${json.length} characters of JSON); ${took}`);
} else {
  const dir = new URL('./results/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  writeFileSync(new URL('compare.md', dir), markdown);
  writeFileSync(new URL('compare.json', dir), json + '\n');
  console.error(`wrote bench/results/compare.md and compare.json; ${took}`);
}
if (failed.length > 0) {
  console.error(`${failed.length} run(s) failed: ${failed.map((r) => `${r.framework} ${r.model} ${r.variant} x${r.threads} ${r.task}`).join(', ')}`);
  process.exitCode = 1;
}
