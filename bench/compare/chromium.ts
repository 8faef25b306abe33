/**
 * bench/compare.ts's child for inference in Chromium: senet-wasm or TF.js's wasm backend, one
 * thread count, in a page served cross-origin isolated so that both can run threads (TF.js's wasm
 * backend has none under Node).
 *
 *   node --import tsx bench/compare/chromium.ts --framework senet-wasm|tfjs --variant relaxed-threads|wasm \
 *     [--model senet] --task infer --threads N --warmup W --repeats R --steps S --warmup1 W1 --sample-seconds T
 *
 * Builds bench/compare/chromium/ with Vite into a temporary folder, serves it with `vite preview`
 * (COOP/COEP), opens it in Debian's Chromium (test/chromium.ts) and waits for the page's answer:
 * the same inference loop as the Node children (inference.ts), run in a module worker. Prints one
 * result line (protocol.ts); its peakRssKiB is 0, since the work runs in Chromium's processes, not
 * in this one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, preview } from 'vite';
import { isolation } from '../../demo/vite.config.js';
import { chromiumMissing, launchChromium } from '../../test/chromium.js';
import { emit, log, parseChildArgs } from './protocol.js';
import type { PageAnswer, PageRequest } from './chromium/worker.js';

const argv = process.argv.slice(2);
const framework = argv[argv.indexOf('--framework') + 1];
if (framework !== 'senet-wasm' && framework !== 'tfjs') throw new Error(`--framework must be senet-wasm or tfjs, got '${framework}'`);
const options = parseChildArgs(argv);
if (options.task !== 'infer') throw new Error('chromium: only --task infer (TF.js cannot train this model on its wasm backend)');
if (framework === 'tfjs' && options.model !== 'senet') throw new Error(`chromium: TF.js runs only --model senet (tfjs-senet.ts), not '${options.model}'`);
if (chromiumMissing) throw new Error(`chromium: ${chromiumMissing}`);

const root = fileURLToPath(new URL('./chromium/', import.meta.url));
const outDir = mkdtempSync(join(tmpdir(), 'senet-compare-chromium-'));
try {
  const config = { root, configFile: false, base: './', logLevel: 'error', worker: { format: 'es' } } as const;
  // Not minified: TF.js starts its pthread workers from `wasmFactoryThreadedSimd.toString()`, and
  // minifying renames names that function's text refers to ("e is not defined" in the workers).
  await build({ ...config, build: { outDir, emptyOutDir: true, target: 'es2022', minify: false } });
  const server = await preview({ ...config, build: { outDir }, preview: { host: '127.0.0.1', port: 0, headers: isolation } });
  const browser = await launchChromium();
  try {
    const url = server.resolvedUrls?.local[0];
    if (!url) throw new Error('chromium: vite preview reported no URL');
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
    const request: PageRequest = { framework, options };
    await page.goto(`${url}?request=${encodeURIComponent(JSON.stringify(request))}`);
    await page.waitForFunction(() => document.body.dataset.state === 'done', undefined, { timeout: 30 * 60_000, polling: 500 });
    const answer = await page.evaluate(() => (window as unknown as { compareAnswer: PageAnswer }).compareAnswer);
    if ('error' in answer) throw new Error(`chromium: ${answer.error}${errors.length ? ` (page errors: ${errors.join('; ')})` : ''}`);
    const { result } = answer;
    result.info.chromium = browser.version();
    log(
      `${framework} ${options.variant} x${result.actualThreads} in Chromium ${browser.version()}: ${result.infer!.imagesPerSecond.toFixed(1)} images/s ` +
        `at batch ${options.batch}, ${result.infer1!.imagesPerSecond.toFixed(1)} at batch 1`,
    );
    emit(result);
  } finally {
    await browser.close();
    await server.close();
  }
} finally {
  rmSync(outDir, { recursive: true, force: true });
}
