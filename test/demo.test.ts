/**
 * The demo page (demo/) and the minimal example (examples/minimal/), end to end: each is built
 * with Vite's API the way an app bundles senet-wasm, served by Vite's preview server with its
 * COOP/COEP headers, and run in Chromium (Debian's, driven by playwright-core). The demo trains
 * on a small synthetic set through the page's own controls. Needs `npm run build` (npm test
 * does it) and /usr/bin/chromium; writes test/artifacts/demo.png.
 */
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import type { Browser, Page } from 'playwright-core';
import { build, createLogger, preview, type PreviewServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import demoConfig, { isolation } from '../demo/vite.config.js';
import minimalConfig from '../examples/minimal/vite.config.js';
import { chromiumMissing, launchChromium } from './chromium.js';
import { tar } from './tar-writer.js';
import { colourFolder, colourImage, COLOURS } from './image-folder.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ARTIFACTS = join(ROOT, 'test/artifacts');

interface App {
  outDir: string;
  files: string[];
  /** What Vite warned about while bundling. */
  warnings: string[];
  server: PreviewServer;
  url: string;
}

/** Builds the Vite app in `dir` (with its own vite.config.ts) into a temporary folder and serves it. */
async function buildAndServe(dir: string): Promise<App> {
  const root = join(ROOT, dir);
  const configFile = join(root, 'vite.config.ts');
  const outDir = mkdtempSync(join(tmpdir(), 'senet-vite-'));
  const warnings: string[] = [];
  const logger = createLogger('warn');
  logger.warn = (message) => void warnings.push(message);
  logger.warnOnce = logger.warn;
  await build({ root, configFile, mode: 'production', logLevel: 'warn', customLogger: logger, build: { outDir, emptyOutDir: true } });
  const server = await preview({
    root, configFile, logLevel: 'error', build: { outDir }, preview: { host: '127.0.0.1', port: 0, strictPort: false, open: false },
  });
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error(`vite preview of ${dir} reported no URL`);
  return { outDir, files: readdirSync(join(outDir, 'assets')), warnings, server, url };
}

/** The bundling checks both apps share: every worker and every build of the kernels is emitted and linked. */
function expectBundled(app: App): void {
  const { files } = app;
  /** The emitted files named after `name` (plus Vite's 8-character content hash). */
  const emitted = (name: string, ext: string) => files.filter((f) => new RegExp(`^${name}-[\\w-]{8}\\.${ext}$`).test(f));
  for (const variant of ['senet-relaxed-threads', 'senet-simd-threads', 'senet-simd']) {
    expect(emitted(`${variant}_bg`, 'wasm'), variant).toHaveLength(1);
    expect(emitted(variant, 'js'), variant).toHaveLength(1);
  }
  for (const worker of ['trainer-worker', 'pool-worker', 'batch-worker', 'decode-worker-browser']) expect(emitted(worker, 'js'), worker).toHaveLength(1);
  const read = (prefix: string) => readFileSync(join(app.outDir, 'assets', files.find((f) => f.startsWith(prefix))!), 'utf8');
  // The workers point at the emitted files, not at the package's own paths.
  const wasm = files.find((f) => f.startsWith('senet-relaxed-threads_bg-'))!;
  expect(read('trainer-worker-')).toContain(wasm);
  expect(read('trainer-worker-')).toContain(files.find((f) => f.startsWith('pool-worker-'))!);
  expect(read('trainer-worker-')).toContain(files.find((f) => f.startsWith('batch-worker-'))!);
  expect(read('pool-worker-')).toContain(wasm);
  for (const file of files.filter((f) => f.endsWith('.js'))) {
    expect(readFileSync(join(app.outDir, 'assets', file), 'utf8'), file).not.toMatch(/\.\.\/pkg\/|\/dist\/engine\//);
  }
  // The only warnings: the Node-only branches' dynamic imports of node: modules, which a browser never takes.
  for (const warning of app.warnings) expect(warning).toMatch(/Module "node:[\w/]+" has been externalized for browser compatibility/);
}

/** Serves `dir` as a plain static site, without the cross-origin isolation headers. */
async function serveUnisolated(dir: string): Promise<{ server: Server; url: string }> {
  const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm' };
  const server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname);
    const file = normalize(join(dir, path.endsWith('/') ? `${path}index.html` : path));
    if (!file.startsWith(dir) || !existsSync(file)) return void response.writeHead(404).end();
    response.writeHead(200, { 'Content-Type': types[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

async function expectIsolatingHeaders(url: string): Promise<void> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  expect(response.headers.get('cross-origin-opener-policy')).toBe('same-origin');
  expect(response.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
}

/** Resolves once `<body data-state>` is one of `states`, failing with the page's status line otherwise. */
async function waitForState(page: Page, states: string[], timeout: number): Promise<string> {
  await page.waitForFunction((wanted) => wanted.includes(document.body.dataset.state ?? '') || document.body.dataset.state === 'error',
    states, { timeout, polling: 100 });
  const state = await page.evaluate(() => document.body.dataset.state ?? '');
  if (!states.includes(state)) throw new Error(`the page is in state '${state}': ${await page.textContent('#status')}`);
  return state;
}

/** Sets the synthetic set and the training options in the demo's form. */
async function fillForm(page: Page, options: { train: number; test: number; epochs: number; batchSize: number }): Promise<void> {
  await page.check('input[name=source][value=synthetic]');
  await page.fill('[name=syntheticTrain]', String(options.train));
  await page.fill('[name=syntheticTest]', String(options.test));
  await page.fill('[name=epochs]', String(options.epochs));
  await page.fill('[name=batchSize]', String(options.batchSize));
  await page.fill('[name=lr]', '0.001');
}

/** Class names unlike CIFAR-10's own, to see that batches.meta.txt is read. */
const TINY_CLASSES = ['Plane', 'Car', 'Bird', 'Cat', 'Deer', 'Dog', 'Frog', 'Horse', 'Ship', 'Truck'];

/** A tiny CIFAR-10 in its binary format, `perBatch` records in each of the six batch files, with batches.meta.txt. */
function tinyCifarFiles(perBatch: number): { name: string; mimeType: string; buffer: Buffer }[] {
  const names = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin', 'test_batch.bin'];
  let record = 0;
  const files = names.map((name) => {
    const buffer = Buffer.alloc(perBatch * 3073);
    for (let r = 0; r < perBatch; r++, record++) {
      buffer[r * 3073] = record % 10; // the label, then 3072 bytes of pixels (R, G, B planes)
      for (let j = 1; j < 3073; j++) buffer[r * 3073 + j] = (record * 37 + j * 11) & 255;
    }
    return { name, mimeType: 'application/octet-stream', buffer };
  });
  files.push({ name: 'batches.meta.txt', mimeType: 'text/plain', buffer: Buffer.from(`${TINY_CLASSES.join('\n')}\n`) });
  return files;
}

const attribute = async (page: Page, selector: string, name: string) => Number(await page.getAttribute(selector, name));

const tsc = promisify(execFile);

it('the demo and example configs send the cross-origin isolation headers from both servers', () => {
  expect(isolation).toEqual({ 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' });
  for (const config of [demoConfig, minimalConfig]) {
    expect(config.server?.headers).toEqual(isolation);
    expect(config.preview?.headers).toEqual(isolation);
    expect(config.worker?.format).toBe('es');
  }
});

it('the demo and the example type-check', async () => {
  expect(existsSync(join(ROOT, 'dist/index.d.ts')), 'run npm run build first').toBe(true);
  await tsc(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'demo/tsconfig.json')], { cwd: ROOT });
}, 120_000);

describe('apps built with Vite', () => {
  let minimal: App;
  let demo: App;
  beforeAll(async () => {
    expect(existsSync(join(ROOT, 'dist/index.js')), 'run npm run build first').toBe(true);
    minimal = await buildAndServe('examples/minimal');
    demo = await buildAndServe('demo');
  }, 120_000);
  afterAll(async () => {
    for (const app of [minimal, demo]) {
      if (!app) continue;
      await app.server.close();
      rmSync(app.outDir, { recursive: true, force: true });
    }
  });

  it('emit every worker and every build of the kernels, and are served cross-origin isolated', async () => {
    for (const app of [minimal, demo]) {
      expectBundled(app);
      await expectIsolatingHeaders(app.url);
    }
  });

  if (chromiumMissing) console.warn(`demo tests in Chromium skipped: ${chromiumMissing}`);

  describe.skipIf(chromiumMissing !== undefined)('in Chromium', () => {
    let browser: Browser;
    beforeAll(async () => {
      browser = await launchChromium();
    }, 60_000);
    afterAll(async () => {
      await browser?.close();
    });

    it('the minimal example trains a few steps in a worker', async () => {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(minimal.url);
      await page.waitForFunction(() => document.body.dataset.done ?? document.body.dataset.error, null, { timeout: 90_000 });
      const log = await page.textContent('#log');
      expect(await page.evaluate(() => document.body.dataset.error), log ?? '').toBeUndefined();
      const done = JSON.parse((await page.evaluate(() => document.body.dataset.done))!) as { threads: number; steps: number; accuracy: number };
      expect(done.threads).toBeGreaterThan(1);
      expect(done.steps).toBe(4);
      expect(done.accuracy).toBeGreaterThanOrEqual(0);
      expect(log?.match(/^step \d+: loss \d+\.\d+/gm)).toHaveLength(4);
      expect(errors).toEqual([]);
      await page.close();
    }, 180_000);

    it('the demo trains on the synthetic set with live charts, a responsive page, a gallery, a confusion matrix and weights that round-trip', async () => {
      const context = await browser.newContext({ viewport: { width: 1200, height: 900 }, acceptDownloads: true });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
      await page.goto(demo.url);
      await waitForState(page, ['ready'], 60_000);

      // The engine: cross-origin isolated, a thread pool, no fallback notice.
      expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
      const threads = await attribute(page, '#features', 'data-threads');
      expect(threads).toBeGreaterThan(1);
      expect(await page.textContent('[data-field=threads]')).toContain(`${threads} threads`);
      expect(await page.textContent('[data-field=simd]')).toBe('yes');
      expect(await page.textContent('[data-field=sharedMemory]')).toBe('yes');
      expect(await page.isHidden('#notice')).toBe(true);

      const run = { train: 320, test: 128, epochs: 1, batchSize: 32 };
      await fillForm(page, run);
      // A timer on the page's main thread: training must not hold it up.
      await page.evaluate(() => {
        const beat = { ticks: 0, maxGap: 0, last: performance.now() };
        (window as unknown as { beat: typeof beat }).beat = beat;
        setInterval(() => {
          const now = performance.now();
          beat.maxGap = Math.max(beat.maxGap, now - beat.last);
          beat.last = now;
          beat.ticks++;
        }, 20);
      });
      const started = Date.now();
      await page.click('#train');
      // Points appear while the run is going, not only at its end.
      await page.waitForFunction(() => Number(document.querySelector<HTMLElement>('#loss-chart')?.dataset.batchPoints) >= 2 &&
        document.body.dataset.state === 'training', null, { timeout: 120_000, polling: 50 });
      await waitForState(page, ['done'], 180_000);
      const seconds = (Date.now() - started) / 1000;
      const beat = await page.evaluate(() => (window as unknown as { beat: { ticks: number; maxGap: number } }).beat);

      const batches = Math.ceil(run.train / run.batchSize);
      for (const chart of ['#loss-chart', '#accuracy-chart']) {
        expect(await attribute(page, chart, 'data-batch-points')).toBe(batches);
        expect(await attribute(page, chart, 'data-epoch-points')).toBe(run.epochs);
      }
      expect(await attribute(page, '#time-chart', 'data-test-points')).toBe(run.epochs);
      expect(await attribute(page, '#time-chart', 'data-tta-points')).toBe(0); // the seed recipe evaluates without TTA
      expect(beat.maxGap, `longest main-thread pause ${beat.maxGap.toFixed(0)} ms`).toBeLessThan(500);
      expect(beat.ticks).toBeGreaterThan((seconds * 1000) / 20 / 4);

      const accuracy = await attribute(page, '#summary', 'data-accuracy');
      const loss = await attribute(page, '#summary', 'data-loss');
      expect(accuracy).toBeGreaterThanOrEqual(0);
      expect(accuracy).toBeLessThanOrEqual(1);
      expect(loss).toBeGreaterThan(0);
      expect(await page.textContent('#summary')).toContain(`accuracy ${(accuracy * 100).toFixed(1)}%`);
      expect(await page.textContent('#status')).toMatch(/^Done: test accuracy \d+\.\d% on 128 images/);
      const imagesPerSecond = await attribute(page, '#speed', 'data-images-per-second');
      expect(imagesPerSecond).toBeGreaterThan(0);
      expect(await page.textContent('#speed')).toContain(`${imagesPerSecond.toFixed(1)} images/s`);

      // The confusion matrix counts every test image; the gallery labels images in green and red.
      expect(await attribute(page, '#confusion table', 'data-total')).toBe(run.test);
      expect(await page.locator('#confusion tbody tr').count()).toBe(10);
      const shown = await attribute(page, '#gallery', 'data-count');
      expect(shown).toBe(32);
      const correct = await attribute(page, '#gallery', 'data-correct');
      expect(await page.locator('#gallery figure.correct').count()).toBe(correct);
      expect(await page.locator('#gallery figure.wrong').count()).toBe(shown - correct);
      expect(await page.locator('#gallery canvas').count()).toBe(shown);
      const confusion = await page.locator('#confusion tbody').innerText();

      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'demo.png'), fullPage: true });
      console.log(`demo: Chromium trained ${run.train} synthetic images (batch ${run.batchSize}, ${threads} threads) at ` +
        `${imagesPerSecond.toFixed(1)} images/s; whole run ${seconds.toFixed(1)} s; longest main-thread pause ${beat.maxGap.toFixed(0)} ms`);

      // The weights download as safetensors with PyTorch's keys...
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
      expect(download.suggestedFilename()).toMatch(/^senet-synthetic-1-epochs\.safetensors$/);
      const bytes = readFileSync(await download.path());
      const header = JSON.parse(bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))).toString('utf8')) as Record<string, unknown>;
      expect(header).toHaveProperty(['features.0.weight']);
      expect(header).toHaveProperty(['classifier.0.bias']);

      // ...and load into a fresh page (a new trainer with untrained weights), which then scores the same.
      const fresh = await context.newPage();
      fresh.on('pageerror', (e) => errors.push(e.message));
      await fresh.goto(demo.url);
      await waitForState(fresh, ['ready'], 60_000);
      await fillForm(fresh, run);
      await fresh.setInputFiles('#weights', { name: download.suggestedFilename(), mimeType: 'application/octet-stream', buffer: bytes });
      await waitForState(fresh, ['done'], 120_000);
      expect(await fresh.textContent('#status')).toContain('Loaded senet-synthetic-1-epochs.safetensors');
      expect(await attribute(fresh, '#summary', 'data-loss')).toBeCloseTo(loss, 5);
      expect(await fresh.locator('#confusion tbody').innerText()).toBe(confusion);

      expect(errors).toEqual([]);
      await context.close();
    }, 300_000);

    it('the demo trains a model picked by name, and a page given its weights switches to that model', async () => {
      const context = await browser.newContext({ acceptDownloads: true });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(demo.url);
      await waitForState(page, ['ready'], 60_000);
      expect(await page.locator('select[name=model] option').count()).toBe(10);
      await page.selectOption('select[name=model]', 'se_resnet20');
      await fillForm(page, { train: 64, test: 32, epochs: 1, batchSize: 32 });
      await page.click('#train');
      await waitForState(page, ['done'], 120_000);
      expect(await page.textContent('[data-field=model]')).toBe('se_resnet20');
      expect(await page.textContent('[data-field=parameters]')).toBe('274,490');
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
      expect(download.suggestedFilename()).toBe('se_resnet20-synthetic-1-epochs.safetensors');
      const bytes = readFileSync(await download.path());
      const header = JSON.parse(bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))).toString('utf8')) as Record<string, Record<string, string>>;
      expect(header.__metadata__!.model).toBe('se_resnet20');
      expect(header).toHaveProperty(['layer1.0.se.fc1.weight']);
      const loss = await attribute(page, '#summary', 'data-loss');

      const fresh = await context.newPage();
      fresh.on('pageerror', (e) => errors.push(e.message));
      await fresh.goto(demo.url);
      await waitForState(fresh, ['ready'], 60_000);
      await fillForm(fresh, { train: 64, test: 32, epochs: 1, batchSize: 32 });
      await fresh.setInputFiles('#weights', { name: download.suggestedFilename(), mimeType: 'application/octet-stream', buffer: bytes });
      await waitForState(fresh, ['done'], 120_000);
      expect(await fresh.inputValue('select[name=model]')).toBe('se_resnet20');
      expect(await attribute(fresh, '#summary', 'data-loss')).toBeCloseTo(loss, 5);
      expect(errors).toEqual([]);
      await context.close();
    }, 300_000);

    /** Opens the demo, puts `files` in the file input of data source `source`, and trains one epoch at batch 8. */
    async function trainOnPicked(source: 'files' | 'archive', files: Parameters<Page['setInputFiles']>[1]) {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(demo.url);
      await waitForState(page, ['ready'], 60_000);
      await page.check(`input[name=source][value=${source}]`);
      await page.setInputFiles(`[name=${source}]`, files);
      // CIFAR-10 makes the fast recipe the default; these runs take the form's settings.
      expect(await page.inputValue('select[name=recipe]')).toBe('fast');
      await page.selectOption('select[name=recipe]', 'seed');
      await page.fill('[name=epochs]', '1');
      await page.fill('[name=batchSize]', '8');
      await page.click('#train');
      await waitForState(page, ['done'], 120_000);
      return { page, errors };
    }

    it('the demo trains on CIFAR-10 batch files picked from disk, with their class names', async () => {
      const { page, errors } = await trainOnPicked('files', tinyCifarFiles(8));
      expect(await attribute(page, '#loss-chart', 'data-batch-points')).toBe(5); // 40 training records in batches of 8
      expect(await page.textContent('#status')).toMatch(/^Done: test accuracy \d+\.\d% on 8 images/);
      expect(await attribute(page, '#confusion table', 'data-total')).toBe(8);
      expect(await page.locator('#confusion thead th.predicted').allTextContents()).toEqual(TINY_CLASSES);
      expect(await attribute(page, '#gallery', 'data-count')).toBe(8);
      for (const name of await page.locator('#gallery .predicted').allTextContents()) expect(TINY_CLASSES).toContain(name);
      expect(errors).toEqual([]);
      await page.close();
    }, 120_000);

    it('the demo trains on cifar-10-binary.tar.gz picked from disk, streamed through the tar reader', async () => {
      const members = tinyCifarFiles(8).map(({ name, buffer }) => ({ name: `cifar-10-batches-bin/${name}`, data: new Uint8Array(buffer) }));
      const archive = Buffer.from(gzipSync(tar(members)));
      const { page, errors } = await trainOnPicked('archive', { name: 'cifar-10-binary.tar.gz', mimeType: 'application/gzip', buffer: archive });
      expect(await attribute(page, '#loss-chart', 'data-batch-points')).toBe(5); // 40 training records in batches of 8
      expect(await attribute(page, '#confusion table', 'data-total')).toBe(8);
      expect(await page.locator('#confusion thead th.predicted').allTextContents()).toEqual(TINY_CLASSES);
      expect(errors).toEqual([]);
      await page.close();
    }, 120_000);

    it('the demo makes the fast recipe the default for CIFAR-10 and charts its accuracy against seconds with the 80% line', async () => {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(demo.url);
      await waitForState(page, ['ready'], 60_000);
      expect(await page.inputValue('select[name=recipe]')).toBe('seed'); // the synthetic set is chosen at first
      await page.check('input[name=source][value=files]');
      await page.setInputFiles('[name=files]', tinyCifarFiles(64)); // 320 training records: 2 steps an epoch
      expect(await page.inputValue('select[name=recipe]')).toBe('fast');
      expect(await page.inputValue('select[name=model]')).toBe('fast_senet');
      for (const field of ['model', 'epochs', 'batchSize', 'lr', 'optimizer', 'augment']) expect(await page.isDisabled(`[name=${field}]`), field).toBe(true);
      await page.click('#train');
      await waitForState(page, ['done'], 180_000);
      expect(await page.textContent('[data-field=model]')).toBe('fast_senet');
      // Evaluated after epochs 1 and 2 and at 2.5, plain and with TTA, against training seconds.
      expect(await attribute(page, '#time-chart', 'data-test-points')).toBe(3);
      expect(await attribute(page, '#time-chart', 'data-tta-points')).toBe(3);
      expect(await attribute(page, '#time-chart', 'data-target')).toBe(0.8);
      expect(await attribute(page, '#time-chart', 'data-last-seconds')).toBeGreaterThan(0);
      expect(await attribute(page, '#loss-chart', 'data-epoch-points')).toBe(3);
      expect(await page.textContent('#status')).toMatch(/^Done: test accuracy \d+\.\d% on 64 images/);
      // Back to the synthetic set: the seed recipe, and the form's settings again.
      await page.check('input[name=source][value=synthetic]');
      expect(await page.inputValue('select[name=recipe]')).toBe('seed');
      expect(await page.isEnabled('[name=lr]')).toBe(true);
      expect(errors).toEqual([]);
      await page.close();
    }, 240_000);

    it('the demo trains on a folder of images picked with the directory picker, then classifies a picked and a dropped image', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'senet-demo-folder-'));
      colourFolder(join(dir, 'photos'), 12);
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(demo.url);
      await waitForState(page, ['ready'], 60_000);
      await page.selectOption('[name=model]', 'resnet20');
      await page.setInputFiles('[name=folder]', join(dir, 'photos'));
      expect(await page.isChecked('input[name=source][value=folder]')).toBe(true);
      await page.fill('[name=epochs]', '6');
      await page.fill('[name=batchSize]', '4');
      await page.click('#train');
      await waitForState(page, ['done'], 120_000);
      expect(await page.textContent('#data-details')).toContain('photos: an image folder: 3 classes (blue, green, red); 30 training images, 6 for validation');
      expect(await page.textContent('[data-field=parameters]')).toBe('272,019');
      expect(await page.locator('#confusion thead th.predicted').allTextContents()).toEqual(['blue', 'green', 'red']);
      expect(await attribute(page, '#confusion table', 'data-total')).toBe(6);

      const top = async () => JSON.parse((await page.getAttribute('#classification', 'data-top')) ?? '[]') as string[];
      await page.setInputFiles('#classify', { name: 'red.png', mimeType: 'image/png', buffer: Buffer.from(colourImage(COLOURS.red!, 40, 30, 'png', 5)) });
      await page.waitForFunction(() => document.querySelector('#classification')?.hasAttribute('data-top'), null, { timeout: 30_000 });
      expect((await top()).sort()).toEqual(['blue', 'green', 'red']);
      expect((await top())[0]).toBe('red');
      const blue = Array.from(colourImage(COLOURS.blue!, 30, 44, 'jpeg', 6));
      await page.evaluate((bytes) => {
        const transfer = new DataTransfer();
        transfer.items.add(new File([new Uint8Array(bytes)], 'blue.jpg', { type: 'image/jpeg' }));
        document.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
      }, blue);
      await page.waitForFunction(() => document.querySelector('#classification div')?.textContent === 'blue.jpg:', null, { timeout: 30_000 });
      expect((await top())[0]).toBe('blue');
      expect(await page.textContent('#status')).toMatch(/^blue\.jpg: blue \d+\.\d%, \w+ \d+\.\d%, \w+ \d+\.\d%$/);
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'demo-folder.png'), fullPage: true });
      expect(errors).toEqual([]);
      await page.close();
    }, 180_000);

    it('the demo cancels a run after the current batch and evaluates the weights it has', async () => {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(demo.url);
      await waitForState(page, ['ready'], 60_000);
      await fillForm(page, { train: 640, test: 64, epochs: 2, batchSize: 32 }); // 40 batches in all
      expect(await page.isDisabled('#cancel')).toBe(true);
      await page.click('#train');
      await page.waitForFunction(() => Number(document.querySelector<HTMLElement>('#loss-chart')?.dataset.batchPoints) >= 2, null,
        { timeout: 120_000, polling: 50 });
      await page.click('#cancel');
      await waitForState(page, ['cancelled'], 120_000);
      const points = await attribute(page, '#loss-chart', 'data-batch-points');
      expect(points).toBeGreaterThanOrEqual(2);
      expect(points).toBeLessThan(40);
      expect(await page.textContent('#status')).toMatch(/^Cancelled: test accuracy \d+\.\d% on 64 images/);
      expect(await page.textContent('#summary')).toContain('(cancelled)');
      expect(await attribute(page, '#confusion table', 'data-total')).toBe(64);
      expect(await page.isEnabled('#train')).toBe(true);
      expect(await page.isDisabled('#cancel')).toBe(true);
      expect(errors).toEqual([]);
      await page.close();
    }, 120_000);

    it('the demo shows a notice when it falls back to one thread on a page that is not cross-origin isolated', async () => {
      const { server, url } = await serveUnisolated(demo.outDir);
      try {
        const page = await browser.newPage();
        const errors: string[] = [];
        page.on('pageerror', (e) => errors.push(e.message));
        await page.goto(url);
        await waitForState(page, ['ready'], 60_000);
        expect(await page.evaluate(() => crossOriginIsolated)).toBe(false);
        expect(await attribute(page, '#features', 'data-threads')).toBe(1);
        expect(await page.getAttribute('#features', 'data-variant')).toBe('simd');
        expect(await page.textContent('[data-field=sharedMemory]')).toBe('no');
        expect(await page.isVisible('#notice')).toBe(true);
        expect(await page.textContent('[data-field=threads]')).toMatch(/^1 thread /);
        expect(await page.textContent('#notice')).toContain('Cross-Origin-Opener-Policy: same-origin');
        expect(errors).toEqual([]);
        await page.close();
      } finally {
        server.close();
      }
    }, 120_000);
  });
});
