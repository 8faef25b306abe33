/**
 * Time to accuracy of the fast recipe (issue 14): ours (`fit({ recipe: 'fast' })`, what `senet
 * train --recipe fast` runs) and the same recipe in PyTorch (bench/recipe/fast_pytorch.py), in
 * one invocation, seed by seed (ours, then PyTorch's, for each seed), on CIFAR-10:
 *
 *   npm run bench:time-to-accuracy                       (5 seeds each, ../shared/data/cifar-10-batches-bin)
 *   npm run bench:time-to-accuracy -- --seeds 3 --data DIR --threads 2
 *   npm run bench:time-to-accuracy -- --widths 64,256,256 --epochs 10 --targets 0.85,0.9 --seeds 1
 *   npm run bench:time-to-accuracy -- --seeds 1 --limit 1280 --epochs 1.5   (a smoke test: writes nothing)
 *
 * For each run: the accuracy (plain and with flip TTA) at each evaluation point (after every epoch
 * and at the end), the training seconds there (building the model, the whitening, augmentation,
 * every step and the lookahead; not starting the engine, reading the data or evaluating), the time
 * at which each target was first reached (read at the evaluation points), the final accuracy and
 * images/s. Then per framework the medians and ranges, and our median time over PyTorch's.
 * Markdown and JSON go to bench/results/time-to-accuracy.{md,json} (time-to-accuracy-<widths>-...
 * for other widths or epochs). Run it on a quiet machine: nothing else on the cores.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
// dist/, not src/: createTrainer starts its worker from './trainer-worker.js', which tsx does not
// map to src/'s .ts (see bench/browser.ts); checked below to be current with src/.
import { createTrainer } from '../dist/index.js';
import { FAST_RECIPE } from '../dist/train/fast.js';
import { machineInfo, markdownTable, median, staleDist } from './machine.js';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '5' },
    data: { type: 'string', default: '../shared/data/cifar-10-batches-bin' },
    threads: { type: 'string', default: '2' },
    epochs: { type: 'string', default: String(FAST_RECIPE.epochs) },
    widths: { type: 'string', default: '32,64,128' },
    targets: { type: 'string', default: '0.8' },
    limit: { type: 'string' },
    frameworks: { type: 'string', default: 'senet-wasm,pytorch' },
  },
});
const seeds = Number(values.seeds);
const threads = Number(values.threads);
const epochs = Number(values.epochs);
const widths = values.widths.split(',').map(Number);
const targets = values.targets.split(',').map(Number);
const limit = values.limit === undefined ? undefined : Number(values.limit);
const frameworks = values.frameworks.split(',');
for (const [name, ok] of [
  ['--seeds', Number.isInteger(seeds) && seeds > 0], ['--threads', Number.isInteger(threads) && threads > 0], ['--epochs', epochs > 0],
  ['--widths', widths.length === 3 && widths.every((w) => Number.isInteger(w) && w > 0)], ['--targets', targets.every((t) => t > 0 && t < 1)],
  ['--limit', limit === undefined || (Number.isInteger(limit) && limit > 0)],
  ['--frameworks', frameworks.every((f) => f === 'senet-wasm' || f === 'pytorch')],
] as const) {
  if (!ok) throw new Error(`time-to-accuracy: bad ${name}`);
}
const SMOKE = limit !== undefined;
const stale = staleDist();
if (stale.length > 0) throw new Error(`time-to-accuracy: dist/ is not current with src/; run npm run build first:\n  ${stale.slice(0, 10).join('\n  ')}`);
const PYTHON = '/usr/bin/python3';

interface Point {
  epoch: number;
  seconds: number;
  accuracy: number;
  tta: number;
}

interface Run {
  framework: string;
  seed: number;
  points: Point[];
  /** Training seconds of the whole run and images trained on. */
  seconds: number;
  images: number;
}

async function ours(seed: number): Promise<Run> {
  const trainer = await createTrainer({ model: 'fast_senet', threads, seed, widths });
  try {
    if (trainer.info.threads !== threads) throw new Error(`asked for ${threads} threads, the trainer runs ${trainer.info.threads}`);
    await trainer.loadData({ kind: 'path', path: values.data, ...(limit === undefined ? {} : { limit }) });
    const points: Point[] = [];
    const summary = await trainer.fit({ recipe: 'fast', seed, epochs }, {
      onEpoch: (r) => {
        points.push({ epoch: r.epoch, seconds: r.elapsedSeconds, accuracy: r.test!.accuracy, tta: r.test!.tta!.accuracy });
        console.error(`  senet-wasm seed ${seed}: epoch ${r.epoch}, ${pct(r.test!.accuracy)} (TTA ${pct(r.test!.tta!.accuracy)}), ${r.elapsedSeconds.toFixed(1)} s`);
      },
    });
    // Every step a full batch (the last partial one is dropped).
    const images = summary.progress.step * FAST_RECIPE.batchSize;
    return { framework: 'senet-wasm', seed, points, seconds: points.at(-1)!.seconds, images };
  } finally {
    await trainer.close();
  }
}

function pytorch(seed: number): Run {
  const args = [
    'bench/recipe/fast_pytorch.py', '--data', values.data, '--seed', String(seed), '--threads', String(threads), '--epochs', String(epochs),
    '--widths', widths.join(','), ...(limit === undefined ? [] : ['--limit', String(limit)]),
  ];
  const child = spawnSync(PYTHON, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (child.status !== 0) throw new Error(`${PYTHON} ${args.join(' ')}: exit ${child.status}`);
  const lines = child.stdout.split('\n');
  const points = lines.filter((l) => l.startsWith('RESULT ')).map((l) => JSON.parse(l.slice(7)) as Point);
  const done = JSON.parse(lines.find((l) => l.startsWith('DONE '))!.slice(5)) as { seconds: number; images: number };
  for (const p of points) console.error(`  pytorch seed ${seed}: epoch ${p.epoch}, ${pct(p.accuracy)} (TTA ${pct(p.tta)}), ${p.seconds.toFixed(1)} s`);
  return { framework: 'pytorch', seed, points, seconds: done.seconds, images: done.images };
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

/** The training seconds at the first evaluation point at or above `target`, or undefined. */
function timeTo(run: Run, target: number, key: 'accuracy' | 'tta'): number | undefined {
  return run.points.find((p) => p[key] >= target)?.seconds;
}

const runs: Run[] = [];
const began = performance.now();
for (let seed = 0; seed < seeds; seed++) {
  if (frameworks.includes('senet-wasm')) runs.push(await ours(seed));
  if (frameworks.includes('pytorch')) runs.push(pytorch(seed));
}

/** `median (min-max)` of the defined values, with how many there are when some are missing. */
function spread(values: (number | undefined)[], format: (x: number) => string): string {
  const got = values.filter((v): v is number => v !== undefined);
  if (got.length === 0) return 'not reached';
  const text = got.length === 1 ? format(got[0]!) : `${format(median(got))} (${format(Math.min(...got))}-${format(Math.max(...got))})`;
  return got.length < values.length ? `${text}, ${got.length} of ${values.length} runs` : text;
}

const seconds = (x: number) => `${x.toFixed(1)} s`;
const perRun = markdownTable(
  ['framework', 'seed', ...targets.flatMap((t) => [`time to ${pct(t)}`, `time to ${pct(t)}, TTA`]), 'final accuracy', 'final, TTA', 'training s', 'images/s'],
  runs.map((r) => [
    r.framework, r.seed,
    ...targets.flatMap((t) => [timeTo(r, t, 'accuracy'), timeTo(r, t, 'tta')].map((v) => (v === undefined ? 'not reached' : seconds(v)))),
    pct(r.points.at(-1)!.accuracy), pct(r.points.at(-1)!.tta), r.seconds.toFixed(1), (r.images / r.seconds).toFixed(0),
  ]),
);
const byFramework = frameworks.map((f) => runs.filter((r) => r.framework === f));
const summary = markdownTable(
  ['framework', 'runs', ...targets.flatMap((t) => [`time to ${pct(t)}`, `time to ${pct(t)}, TTA`]), 'final accuracy', 'final, TTA', 'images/s'],
  byFramework.map((rs) => [
    rs[0]!.framework, rs.length,
    ...targets.flatMap((t) => [spread(rs.map((r) => timeTo(r, t, 'accuracy')), seconds), spread(rs.map((r) => timeTo(r, t, 'tta')), seconds)]),
    spread(rs.map((r) => r.points.at(-1)!.accuracy), pct), spread(rs.map((r) => r.points.at(-1)!.tta), pct),
    spread(rs.map((r) => r.images / r.seconds), (x) => x.toFixed(0)),
  ]),
);
/** Our median time to `target` over PyTorch's (only over the runs that reached it). */
function ratio(target: number, key: 'accuracy' | 'tta'): string {
  const medianOf = (framework: string) => {
    const times = runs.filter((r) => r.framework === framework).map((r) => timeTo(r, target, key)).filter((v): v is number => v !== undefined);
    return times.length ? median(times) : undefined;
  };
  const [a, b] = [medianOf('senet-wasm'), medianOf('pytorch')];
  return a === undefined || b === undefined ? 'n/a' : `${(a / b).toFixed(2)}x`;
}
const ratios = targets.map((t) => `- time to ${pct(t)}, senet-wasm over PyTorch (medians): ${ratio(t, 'accuracy')} plain, ${ratio(t, 'tta')} with TTA`).join('\n');
const machine = machineInfo();
const title =
  `Fast recipe, time to accuracy: fast_senet widths ${widths.join('/')}, ${epochs} epochs, ${seeds} seed(s), ${threads} threads, ` +
  `${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, ${machine.date}` + (SMOKE ? ` (--limit ${limit}: a smoke test, not a measurement)` : '');
const markdown = `${title}\n\n${summary}\n\n${ratios}\n\nEvery run:\n\n${perRun}\n`;
console.log(markdown);
const json = JSON.stringify({ machine, widths, epochs, threads, seeds, targets, limit, runs }, null, 2);
if (SMOKE) {
  console.error(`--limit: not writing bench/results/ (${json.length} characters); took ${((performance.now() - began) / 1000).toFixed(0)} s`);
} else {
  const name = widths.join(',') === '32,64,128' && epochs === FAST_RECIPE.epochs ? 'time-to-accuracy' : `time-to-accuracy-${widths.join('-')}-${epochs}ep`;
  const dir = new URL('./results/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  writeFileSync(new URL(`${name}.md`, dir), markdown);
  writeFileSync(new URL(`${name}.json`, dir), json + '\n');
  console.error(`wrote bench/results/${name}.md and .json; took ${((performance.now() - began) / 1000).toFixed(0)} s`);
}
