/**
 * A/B regression check: the same model's training step and inference, timed from two checkouts
 * (old code A against new code B) on the same machine in the same session, interleaved.
 *
 *   npm run bench:ab -- --a /path/to/old/checkout [--b .] [--rounds 4] [--model senet]
 *       [--threads 2] [--variant relaxed-threads] [--batch 128] [--tasks train,infer] [--quick]
 *
 * Each round runs, for each task, one child process from A and then one from B (A B A B ...):
 * bench/compare/senet-wasm.ts of this checkout with `--checkout A` or `--checkout B`, so both
 * sides share this checkout's timing loop and input data and differ only in their library (src/
 * and pkg/, loaded by bench/compare/checkout.ts, which knows the API before issue 12's rewrite
 * too). train: each checkout's own trainStep (forward, cross-entropy, backward, Adam lr 1e-3) on a
 * fixed random batch; infer: eval-mode inference at the batch size, and at batch 1. A child
 * reports the median of its timed samples; a side's figure is the median over its rounds, and the
 * ratio is B/A (above 1: B is faster).
 *
 * Prints a table and writes bench/results/ab.json (not with --quick: one warm-up and one timed
 * step a child, to check that both sides run). Each checkout needs node_modules (a symlink to this
 * one's will do); an old commit is checked out with `git worktree add /tmp/old <commit>`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { machineInfo, markdownTable, median } from './machine.js';
import type { ChildResult, Rate, Task } from './compare/protocol.js';
import { ROOT, runChild, senetWasmCommand } from './compare/spawn.js';

/** The regression the issue allows: B within 3% of A. */
const TOLERANCE = 0.03;
/** The rounds the issue asks for at least (each a run of A and a run of B per task). */
const MIN_ROUNDS = 4;

// ---- Options --------------------------------------------------------------------------------

const argv = process.argv.slice(2);
const QUICK = argv.includes('--quick');
function option(name: string): string | undefined;
function option(name: string, fallback: string): string;
function option(name: string, fallback?: string): string | undefined {
  const at = argv.indexOf(`--${name}`);
  if (at < 0) return fallback;
  const value = argv[at + 1];
  if (value === undefined || value.startsWith('--')) throw new Error(`--${name} needs a value`);
  return value;
}
function positiveInteger(name: string, fallback: number): number {
  const n = Number(option(name, String(fallback)));
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer`);
  return n;
}

const aDir = option('a');
if (aDir === undefined) {
  throw new Error('bench:ab needs --a DIR, the old checkout (e.g. git worktree add /tmp/old 7548b13 && ln -s "$PWD/node_modules" /tmp/old/)');
}
const SIDES = [
  { name: 'A', dir: resolve(aDir) },
  { name: 'B', dir: resolve(option('b', '.')) },
] as const;
type SideName = (typeof SIDES)[number]['name'];
for (const side of SIDES) if (!existsSync(side.dir)) throw new Error(`--${side.name.toLowerCase()} ${side.dir}: no such directory`);
const ROUNDS = positiveInteger('rounds', MIN_ROUNDS);
const MODEL = option('model', 'senet');
const THREADS = positiveInteger('threads', 2);
const VARIANT = option('variant', 'relaxed-threads');
const BATCH = positiveInteger('batch', 128);
const TASKS = option('tasks', 'train,infer').split(',').map((t) => t.trim()) as Task[];
for (const task of TASKS) if (task !== 'train' && task !== 'infer') throw new Error(`--tasks: '${task}' is not train or infer`);
/** As bench:compare times: 2 warm-up steps, then the median of 5 samples of 2 steps; batch 1 for at least 0.5 s a sample. */
const TIMING = QUICK
  ? { warmup: 1, repeats: 1, steps: 1, warmup1: 3, sampleSeconds: 0.1 }
  : { warmup: 2, repeats: 5, steps: 2, warmup1: 10, sampleSeconds: 0.5 };

interface Revision {
  /** The commit checked out, or 'unknown' (not a git checkout: `why`). */
  commit: string;
  /** Whether tracked files differ from the commit. */
  dirty?: boolean;
  why?: string;
}

function revision(dir: string): Revision {
  try {
    const git = (...args: string[]) => execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
    return { commit: git('rev-parse', 'HEAD'), dirty: git('status', '--porcelain', '--untracked-files=no') !== '' };
  } catch (error) {
    return { commit: 'unknown', why: (error as Error).message.split('\n')[0] ?? '' };
  }
}

const describe = (c: { name: string; dir: string } & Revision) =>
  `${c.name} = ${c.dir} (${c.commit === 'unknown' ? `commit unknown: ${c.why}` : c.commit.slice(0, 12)}${c.dirty ? ', with uncommitted changes' : ''})`;

// ---- Running: A B A B ... ----------------------------------------------------------------------

interface AbRun {
  round: number;
  side: SideName;
  task: Task;
  seconds: number;
  result: ChildResult;
}

const began = performance.now();
const checkouts = SIDES.map((side) => ({ ...side, ...revision(side.dir) }));
for (const c of checkouts) console.error(describe(c));
if (SIDES[0].dir === SIDES[1].dir) console.error('A and B are the same checkout: an A/A run, which shows the noise between runs');
if (ROUNDS < MIN_ROUNDS) console.error(`--rounds ${ROUNDS}: fewer than the ${MIN_ROUNDS} of each side a regression check needs`);

const runs: AbRun[] = [];
for (let round = 1; round <= ROUNDS; round++) {
  for (const task of TASKS) {
    for (const side of SIDES) {
      const args = [
        '--checkout', side.dir, '--model', MODEL, '--task', task, '--threads', String(THREADS), '--variant', VARIANT,
        '--batch', String(BATCH), '--warmup', String(TIMING.warmup), '--repeats', String(TIMING.repeats), '--steps', String(TIMING.steps),
        '--warmup1', String(TIMING.warmup1), '--sample-seconds', String(TIMING.sampleSeconds),
      ];
      const label = `round ${round}/${ROUNDS} ${side.name} ${task}`;
      console.error(`${label} (${MODEL}, batch ${BATCH}, ${VARIANT} x${THREADS}) ...`);
      const [file, childArgs] = senetWasmCommand(args);
      const { result, error, seconds } = await runChild(file, childArgs);
      // A figure missing from one side leaves nothing to compare: stop at the first failure.
      if (error !== undefined || result === undefined) throw new Error(`${label} (${side.dir}) failed: ${error ?? 'no result'}`);
      runs.push({ round, side: side.name, task, seconds, result });
    }
  }
}

// ---- Summary --------------------------------------------------------------------------------

type Metric = 'train' | 'infer' | 'infer1';
const METRICS: { metric: Metric; task: Task; label: string }[] = [
  { metric: 'train', task: 'train', label: `train, batch ${BATCH}` },
  { metric: 'infer', task: 'infer', label: `infer, batch ${BATCH}` },
  { metric: 'infer1', task: 'infer', label: 'infer, batch 1' },
];

interface SideSummary {
  /** Median over the rounds of each run's median images/s. */
  imagesPerSecond: number;
  /** Each run's images/s, in round order. */
  runs: number[];
  /** (max - min) / median of `runs`. */
  spread: number;
  /** Median peak RSS of the runs, KiB. */
  peakRssKiB: number;
}

function summarise(side: SideName, metric: Metric, task: Task): SideSummary {
  const own = runs.filter((r) => r.side === side && r.task === task);
  const rates = own.map((r) => (r.result[metric] as Rate).imagesPerSecond);
  const middle = median(rates);
  return {
    imagesPerSecond: middle,
    runs: rates,
    spread: (Math.max(...rates) - Math.min(...rates)) / middle,
    peakRssKiB: median(own.map((r) => r.result.peakRssKiB)),
  };
}

function verdict(ratio: number): string {
  const percent = (Math.abs(ratio - 1) * 100).toFixed(1);
  if (Math.abs(ratio - 1) <= TOLERANCE) return `within ${TOLERANCE * 100}%`;
  return ratio < 1 ? `B ${percent}% slower: a regression beyond ${TOLERANCE * 100}%` : `B ${percent}% faster`;
}

const summary = METRICS.filter((m) => TASKS.includes(m.task)).map(({ metric, task, label }) => {
  const a = summarise('A', metric, task);
  const b = summarise('B', metric, task);
  const ratio = b.imagesPerSecond / a.imagesPerSecond;
  return { metric, label, a, b, ratio, verdict: verdict(ratio) };
});

const rate = (ips: number) => (ips >= 100 ? ips.toFixed(0) : ips.toFixed(1));
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const mib = (kib: number) => (kib / 1024).toFixed(0);
const header = ['task', 'A img/s', 'B img/s', 'B/A', 'B vs A', 'A spread', 'B spread', 'A peak RSS (MiB)', 'B peak RSS (MiB)'];
const rows = summary.map((s) => [
  s.label, rate(s.a.imagesPerSecond), rate(s.b.imagesPerSecond), s.ratio.toFixed(3), s.verdict,
  pct(s.a.spread), pct(s.b.spread), mib(s.a.peakRssKiB), mib(s.b.peakRssKiB),
]);

const machine = machineInfo();
const lastLosses = TASKS.includes('train')
  ? SIDES.map((s) => [...new Set(runs.filter((r) => r.side === s.name && r.task === 'train').map((r) => String(r.result.info.lastLoss)))].join(', '))
  : [];
const markdown = [
  `# A/B: ${MODEL}, batch ${BATCH}, ${VARIANT} build, ${THREADS} thread${THREADS === 1 ? '' : 's'}`,
  '',
  `${machine.date}, ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}` + (QUICK ? ' (--quick: one sample a run, not a measurement)' : ''),
  '',
  `${checkouts.map(describe).join('; ')}.`,
  '',
  markdownTable(header, rows),
  '',
  `- ${ROUNDS} round${ROUNDS === 1 ? '' : 's'}, A then B for each task in each, every run a process of its own. A run's figure is the median of ` +
    `${TIMING.repeats} timed sample(s) of ${TIMING.steps} step(s) after ${TIMING.warmup} warm-up step(s) (batch 1: samples of at least ` +
    `${TIMING.sampleSeconds} s after ${TIMING.warmup1} warm-up calls); a side's figure is the median of its runs' figures.`,
  '- Spread: (slowest - fastest) / median of a side\'s runs. B/A above 1: B is faster.',
  ...(lastLosses.length > 0 ? [`- Training loss after each run's last step, A: ${lastLosses[0]}; B: ${lastLosses[1]} (the same data and seed: equal unless the math changed).`] : []),
].join('\n');
console.log(`\n${markdown}\n`);

const took = `took ${((performance.now() - began) / 60000).toFixed(1)} min`;
const json = JSON.stringify(
  {
    machine,
    quick: QUICK,
    settings: { model: MODEL, batch: BATCH, threads: THREADS, variant: VARIANT, rounds: ROUNDS, tasks: TASKS, timing: TIMING, tolerance: TOLERANCE },
    checkouts,
    summary,
    runs: runs.map(({ round, side: s, task, seconds, result }) => ({ round, side: s, task, seconds, result })),
  },
  null,
  2,
);
if (QUICK) {
  console.error(`--quick: not writing bench/results/ab.json (${json.length} characters of JSON); ${took}`);
} else {
  const dir = new URL('./results/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  writeFileSync(new URL('ab.json', dir), json + '\n');
  console.error(`wrote ${resolve(ROOT, 'bench/results/ab.json')}; ${took}`);
}
