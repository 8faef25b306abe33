/**
 * The same training run in Chromium and in Node: training images/s of the reference SENet on the
 * built-in synthetic set, batch 128, Adam lr 1e-3, no augmentation, 2 kernel threads in both.
 *
 *   npm run bench:browser                 (prints a markdown table, writes bench/results/browser.json;
 *                                          about 2 minutes on 2 quiet cores)
 *   npm run bench:browser -- --quick      (256 training and 32 test images, ~20 s: only checks that
 *                                          it runs; writes nothing)
 *   npm run bench:browser -- --train 2560 --test 256 --epochs 3
 *
 * What is measured, in both environments, is the figure `fit` itself reports per epoch
 * (EpochReport.imagesPerSecond, src/train/fit.ts): training images of the epoch divided by the
 * wall time of its batches (forward, loss, backward, Adam step, and any wait for the next batch,
 * which a second worker prepares meanwhile). The test-set evaluation after each epoch is not in it.
 *
 * - Browser: the demo page (demo/) built with Vite's `build()` into a temporary folder, served by
 *   `vite preview` with its COOP/COEP headers, opened in Debian's /usr/bin/chromium (headless,
 *   driven by playwright-core) as `?threads=2`. The run goes through the page's own form and Train
 *   button; the page's trainer runs in a Web Worker and its kernels on a pool of Web Workers. After
 *   every epoch the page shows that epoch's images/s in #speed ("... images/s; epoch N took ...")
 *   with the exact number on #speed[data-images-per-second]; a MutationObserver installed before
 *   Train records it for every epoch.
 * - Node: `createTrainer({ threads: 2 })` from dist/ (the build of src/ that the demo bundles;
 *   src/ itself cannot start the trainer's worker under tsx): the trainer in a worker_thread, the
 *   kernels on a pool of worker_threads, the same code path as the page; the same data and the
 *   same request; `onEpoch`'s reports.
 *
 * Warm-up is excluded: each environment trains `--epochs` epochs (default 2) from fresh weights,
 * and the figure is the images/s of epoch 2 (the median of epochs 2..E with --epochs E > 2).
 * Epoch 1 (V8 tiering up the WebAssembly and JavaScript, first touch of memory and buffers) is
 * printed and stored, but is not the figure; starting the workers and making the data come before
 * `fit` times anything. Both runs use the model's seed 0 and the loader's seed 0, so they do the
 * same work on the same batches. They run one
 * after the other (Node first, then the browser), never at the same time; the browser and the
 * preview server are closed before this script exits.
 *
 * Needs `npm run build` (both runs use dist/, which must be current with src/: checked) and
 * /usr/bin/chromium. Run on a quiet machine. The default (1280 images x 2 epochs in each
 * environment, about 70 images/s on 2 EPYC cores) takes about 1.5-2 minutes with the Vite build.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { build, preview, type PreviewServer } from 'vite';
// dist/, not src/: createTrainer starts its worker from the module file './trainer-worker.js' (and
// the batch maker from './batch-worker.js'), which exist only as .ts in src/, and tsx does not map a
// worker's entry point from .js to .ts. dist/ is what the demo bundles too, and is checked below
// to be current with src/.
import { createTrainer, type FitRequest } from '../dist/index.js';
import { CHROMIUM_ARGS, chromiumMissing, launchChromium } from '../test/chromium.js';
import { machineInfo, markdownTable, median, staleDist } from './machine.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const THREADS = 2;
const BATCH = 128;
const LR = 1e-3;

const args = (() => {
  try {
    return parseArgs({
      options: {
        quick: { type: 'boolean', default: false },
        train: { type: 'string' },
        test: { type: 'string' },
        epochs: { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    console.error(`bench:browser: ${(error as Error).message}\nusage: bench/browser.ts [--quick] [--train N] [--test N] [--epochs E>=2]`);
    process.exit(2);
  }
})();
const QUICK = args.quick ?? false;

function positiveInteger(text: string | undefined, fallback: number, name: string, min = 1): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) {
    console.error(`bench:browser: --${name} must be a whole number of at least ${min}, not '${text}'`);
    process.exit(2);
  }
  return value;
}

const TRAIN = positiveInteger(args.train, QUICK ? 256 : 1280, 'train');
const TEST = positiveInteger(args.test, QUICK ? 32 : 256, 'test');
const EPOCHS = positiveInteger(args.epochs, 2, 'epochs', 2);
/** The request both environments train with (the demo form's fields set to the same values). */
const REQUEST = { epochs: EPOCHS, batchSize: BATCH, lr: LR, optimizer: 'adam', augment: 'none' } as const satisfies FitRequest;

interface EpochFigure {
  epoch: number;
  imagesPerSecond: number;
}

interface Result {
  environment: 'node' | 'chromium';
  /** Node's or Chromium's version. */
  version: string;
  variant: string;
  threads: number;
  /** Every epoch's images/s; epoch 1 is the warm-up. */
  epochs: EpochFigure[];
  /** The figure: epoch 2's images/s (the median of epochs 2..E). */
  imagesPerSecond: number;
  /** Wall-clock seconds of the whole run in this environment (start-up, data, every epoch, evaluation). */
  wallSeconds: number;
}

/** The figure from the per-epoch reports: the median of every epoch after the first. */
function measured(epochs: EpochFigure[], where: string): number {
  if (epochs.length !== EPOCHS) throw new Error(`${where}: expected ${EPOCHS} epoch reports, got ${epochs.length}`);
  return median(epochs.filter((e) => e.epoch >= 2).map((e) => e.imagesPerSecond));
}


// ---- Node ------------------------------------------------------------------------------------

async function runNode(): Promise<Result> {
  const began = performance.now();
  const trainer = await createTrainer({ threads: THREADS });
  try {
    const { variant, threads } = trainer.info;
    if (threads !== THREADS) throw new Error(`node: asked for ${THREADS} threads, the trainer runs ${threads} (${trainer.info.warnings.join('; ')})`);
    await trainer.loadData({ kind: 'synthetic', train: TRAIN, test: TEST });
    const epochs: EpochFigure[] = [];
    await trainer.fit(REQUEST, {
      onEpoch: (r) => {
        epochs.push({ epoch: r.epoch, imagesPerSecond: r.imagesPerSecond });
        console.error(`node: epoch ${r.epoch}/${EPOCHS}: ${r.imagesPerSecond.toFixed(1)} images/s (${r.seconds.toFixed(1)} s)`);
      },
    });
    return {
      environment: 'node', version: `Node ${process.version}`, variant, threads, epochs,
      imagesPerSecond: measured(epochs, 'node'), wallSeconds: (performance.now() - began) / 1000,
    };
  } finally {
    await trainer.close();
  }
}

// ---- Chromium --------------------------------------------------------------------------------

/** Builds demo/ with its vite.config.ts into a temporary folder and serves it (COOP/COEP) with `vite preview`. */
async function buildAndServeDemo(): Promise<{ outDir: string; server: PreviewServer; url: string }> {
  const root = join(ROOT, 'demo');
  const configFile = join(root, 'vite.config.ts');
  const outDir = mkdtempSync(join(tmpdir(), 'senet-bench-vite-'));
  try {
    await build({ root, configFile, mode: 'production', logLevel: 'error', build: { outDir, emptyOutDir: true } });
    const server = await preview({
      root, configFile, logLevel: 'error', build: { outDir }, preview: { host: '127.0.0.1', port: 0, strictPort: false, open: false },
    });
    const url = server.resolvedUrls?.local[0];
    if (!url) {
      await server.close();
      throw new Error('vite preview of demo/ reported no URL');
    }
    return { outDir, server, url };
  } catch (error) {
    rmSync(outDir, { recursive: true, force: true });
    throw error;
  }
}

/** Resolves once `<body data-state>` is `state`, failing with the page's status line on 'error' or another end state. */
async function waitForState(page: Page, state: string, timeout: number): Promise<void> {
  await page.waitForFunction((wanted) => ['error', 'cancelled', wanted].includes(document.body.dataset.state ?? ''), state, { timeout, polling: 250 });
  const now = await page.evaluate(() => document.body.dataset.state ?? '');
  if (now !== state) throw new Error(`chromium: the demo is in state '${now}': ${await page.textContent('#status')}`);
}

async function runChromium(url: string): Promise<Result> {
  let browser: Browser | undefined;
  try {
    browser = await launchChromium();
    const version = `Chromium ${browser.version()}`;
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
    const began = performance.now();
    await page.goto(`${url}?threads=${THREADS}`);
    await waitForState(page, 'ready', 120_000);

    const page_ = await page.evaluate(() => ({
      isolated: crossOriginIsolated,
      visible: document.visibilityState,
      cores: navigator.hardwareConcurrency,
      threads: Number(document.querySelector<HTMLElement>('#features')?.dataset.threads),
      variant: document.querySelector<HTMLElement>('#features')?.dataset.variant ?? '?',
    }));
    if (!page_.isolated) throw new Error('chromium: the demo page is not cross-origin isolated (no COOP/COEP?)');
    if (page_.threads !== THREADS) throw new Error(`chromium: asked for ${THREADS} threads, the page runs ${page_.threads}: ${await page.textContent('#notice')}`);
    if (page_.visible !== 'visible') console.error(`chromium: warning: the page is ${page_.visible}, not visible (it may be throttled)`);

    // The page's form, as a user would fill it.
    await page.check('input[name=source][value=synthetic]');
    await page.fill('[name=syntheticTrain]', String(TRAIN));
    await page.fill('[name=syntheticTest]', String(TEST));
    await page.fill('[name=limit]', '');
    await page.fill('[name=epochs]', String(REQUEST.epochs));
    await page.fill('[name=batchSize]', String(REQUEST.batchSize));
    await page.fill('[name=lr]', String(REQUEST.lr));
    await page.selectOption('[name=optimizer]', REQUEST.optimizer);
    await page.selectOption('[name=augment]', REQUEST.augment);

    // Record every epoch's figure as the page shows it: after an epoch, #speed reads
    // "X images/s; epoch N took mm:ss" and carries the exact number in data-images-per-second.
    await page.evaluate(() => {
      const speed = document.querySelector<HTMLElement>('#speed')!;
      const epochs: { epoch: number; imagesPerSecond: number }[] = [];
      (window as unknown as { benchEpochs: typeof epochs }).benchEpochs = epochs;
      new MutationObserver(() => {
        const match = /epoch (\d+) took/.exec(speed.textContent ?? '');
        const epoch = Number(match?.[1]);
        if (match && !epochs.some((e) => e.epoch === epoch)) epochs.push({ epoch, imagesPerSecond: Number(speed.dataset.imagesPerSecond) });
      }).observe(speed, { childList: true, characterData: true, subtree: true, attributes: true });
    });

    let reported = 0;
    const progress = setInterval(() => {
      void page.evaluate(() => (window as unknown as { benchEpochs: { epoch: number; imagesPerSecond: number }[] }).benchEpochs)
        .then((epochs) => {
          for (const e of epochs.slice(reported)) console.error(`chromium: epoch ${e.epoch}/${EPOCHS}: ${e.imagesPerSecond.toFixed(1)} images/s`);
          reported = Math.max(reported, epochs.length);
        })
        .catch(() => undefined);
    }, 1000);
    try {
      await page.click('#train');
      // Generous: 2 cores at 1 image/s would still finish.
      await waitForState(page, 'done', Math.max(600_000, (EPOCHS * (TRAIN + TEST) + 60) * 1000));
    } finally {
      clearInterval(progress);
    }
    const wallSeconds = (performance.now() - began) / 1000;

    const epochs = await page.evaluate(() => (window as unknown as { benchEpochs: { epoch: number; imagesPerSecond: number }[] }).benchEpochs);
    for (const e of epochs.slice(reported)) console.error(`chromium: epoch ${e.epoch}/${EPOCHS}: ${e.imagesPerSecond.toFixed(1)} images/s`);
    // The figure the page shows at the end is the last epoch's: the observer saw the same.
    const shown = Number(await page.getAttribute('#speed', 'data-images-per-second'));
    if (epochs.at(-1)?.epoch !== EPOCHS || epochs.at(-1)?.imagesPerSecond !== shown) {
      throw new Error(`chromium: the recorded epochs ${JSON.stringify(epochs)} do not end with the page's final ${shown} images/s`);
    }
    if (errors.length > 0) throw new Error(`chromium: the page reported errors: ${errors.join('; ')}`);
    return {
      environment: 'chromium', version, variant: page_.variant, threads: page_.threads, epochs,
      imagesPerSecond: measured(epochs, 'chromium'), wallSeconds,
    };
  } finally {
    await browser?.close();
  }
}

// ---- Main ------------------------------------------------------------------------------------

const began = performance.now();
if (chromiumMissing) {
  console.error(`bench:browser: ${chromiumMissing}`);
  process.exit(1);
}
const stale = staleDist();
if (stale.length > 0) {
  console.error(`bench:browser: dist/ is not current with src/ (both runs use dist/); run npm run build first:\n  ${stale.slice(0, 10).join('\n  ')}`);
  process.exit(1);
}

console.error(`bench:browser: synthetic set of ${TRAIN} training and ${TEST} test images, batch ${BATCH}, ${EPOCHS} epochs, lr ${LR}, ` +
  `${THREADS} threads${QUICK ? ' (--quick)' : ''}`);
const node = await runNode();

console.error('chromium: building the demo with Vite...');
const demo = await buildAndServeDemo();
let browser: Result;
try {
  browser = await runChromium(demo.url);
} finally {
  await demo.server.close();
  rmSync(demo.outDir, { recursive: true, force: true });
}

const ratio = browser.imagesPerSecond / node.imagesPerSecond;
const measuredEpochs = EPOCHS === 2 ? 'epoch 2' : `median of epochs 2-${EPOCHS}`;
const machine = machineInfo();
const rows = [node, browser].map((r) => [
  r.version, r.variant, r.threads, r.imagesPerSecond.toFixed(1), r === node ? '1.00x' : `${ratio.toFixed(2)}x`,
]);
console.log(`\nTraining images/s (${measuredEpochs}; epoch 1 is warm-up), synthetic ${TRAIN} images, batch ${BATCH}, Adam lr ${LR}; ` +
  `${machine.date}, ${machine.cpu}, ${machine.cores} cores` + (QUICK ? ' (--quick: tiny sizes, not a measurement)' : '') + '\n');
console.log(markdownTable(['environment', 'build', 'threads', 'images/s', 'browser/Node'], rows));
console.log(`\nepoch 1 (warm-up, not counted): Node ${node.epochs[0]!.imagesPerSecond.toFixed(1)}, Chromium ${browser.epochs[0]!.imagesPerSecond.toFixed(1)} images/s; ` +
  `whole run: Node ${node.wallSeconds.toFixed(0)} s, Chromium ${browser.wallSeconds.toFixed(0)} s (page load, data, evaluation included)`);
if (node.variant !== browser.variant) {
  console.log(`\nwarning: the builds differ (Node ${node.variant}, Chromium ${browser.variant}): on Node 20, run Node with --experimental-wasm-relaxed-simd (npm run bench:browser does)`);
}

const json = JSON.stringify({
  machine: { ...machine, browser: browser.version },
  quick: QUICK,
  settings: {
    data: 'synthetic', train: TRAIN, test: TEST, batchSize: BATCH, epochs: EPOCHS, lr: LR, optimizer: REQUEST.optimizer,
    augment: REQUEST.augment, threads: THREADS, measured: measuredEpochs, chromiumArgs: CHROMIUM_ARGS,
  },
  results: [node, browser],
  ratio,
}, null, 2);
const took = `took ${((performance.now() - began) / 1000).toFixed(0)} s`;
if (QUICK) {
  console.error(`--quick: not writing bench/results/browser.json (${json.length} characters of JSON); ${took}`);
} else {
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench/results/browser.json'), `${json}\n`);
  console.error(`wrote bench/results/browser.json; ${took}`);
}
