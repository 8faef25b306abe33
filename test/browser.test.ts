/**
 * The engine in real Chromium (Debian's, driven by playwright-core): the same dist/ and pkg/
 * files as Node, loaded by a module Web Worker. With COOP/COEP headers the page is cross-origin
 * isolated and a 2-thread pool must start; without them the engine must fall back to one thread
 * with a warning, not crash or hang. Needs `npm run build` (npm test does it) and
 * /usr/bin/chromium (.ci/run installs it).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumMissing, launchChromium } from './chromium.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm' };

/** Serves the repository; paths under /isolated/ get the cross-origin isolation headers. */
function serve(): Promise<Server> {
  const server = createServer((request, response) => {
    let path = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname);
    const isolated = path.startsWith('/isolated/');
    if (isolated) path = path.slice('/isolated'.length);
    const file = normalize(join(ROOT, path));
    if (!file.startsWith(ROOT) || !existsSync(file)) {
      response.writeHead(404).end();
      return;
    }
    const headers: Record<string, string> = { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' };
    if (isolated) {
      headers['Cross-Origin-Opener-Policy'] = 'same-origin';
      headers['Cross-Origin-Embedder-Policy'] = 'require-corp';
    }
    response.writeHead(200, headers).end(readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

if (chromiumMissing) console.warn(`browser tests skipped: ${chromiumMissing}`);

describe.skipIf(chromiumMissing !== undefined)('the engine in Chromium', () => {
  let server: Server;
  let browser: Browser;
  let origin: string;
  beforeAll(async () => {
    expect(existsSync(join(ROOT, 'dist/index.js')), 'run npm run build first').toBe(true);
    server = await serve();
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    server?.close();
  });

  async function run(path: string) {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(origin + path);
    const result = await page.evaluate(() => (window as unknown as { result: Promise<unknown> }).result);
    await page.close();
    return { result: result as { ok: boolean; error?: string; report: Record<string, unknown> }, errors };
  }

  it('starts a 2-thread pool in a cross-origin isolated page', async () => {
    const { result, errors } = await run('/isolated/test/browser/index.html');
    expect(errors).toEqual([]);
    expect(result.error).toBeUndefined();
    const report = result.report;
    expect(report.crossOriginIsolated).toBe(true);
    expect(report.threads).toBe(2);
    expect(report.variant).toBe('relaxed-threads'); // current Chromium has relaxed SIMD
    expect(report.maxError).toBeLessThan(1e-4);
    expect(report.terminated).toBe(0);
    expect(report.warnings).toEqual([]);
  });

  it('falls back to one thread with a warning where the page is not isolated', async () => {
    const { result, errors } = await run('/test/browser/index.html');
    expect(errors).toEqual([]);
    expect(result.error).toBeUndefined();
    const report = result.report;
    expect(report.crossOriginIsolated).toBe(false);
    expect(report.variant).toBe('simd');
    expect(report.threads).toBe(1);
    expect(report.maxError).toBeLessThan(1e-4);
    expect(report.warnings).toEqual([expect.stringContaining('Cross-Origin-Opener-Policy: same-origin')]);
  });
});
