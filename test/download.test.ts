import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadCifar10, RECORD_BYTES } from '../src/data/cifar10.js';
import {
  CIFAR10_BYTES,
  CIFAR10_MD5,
  CIFAR10_URL,
  DownloadError,
  downloadFile,
  ensureCifar10,
  fileMd5,
} from '../src/data/download.js';
import { tar } from './tar-writer.js';

const md5 = (bytes: Uint8Array) => createHash('md5').update(bytes).digest('hex');

/** Deterministic bytes that are not all alike (an LCG). */
function payloadBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = 12345;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** A tiny CIFAR-10 archive: 2 records per batch, labels 0..9 cycling. */
function cifarArchive(): Uint8Array {
  let g = 0;
  const batch = () => {
    const out = new Uint8Array(2 * RECORD_BYTES);
    for (let r = 0; r < 2; r++, g++) {
      out[r * RECORD_BYTES] = g % 10;
      out.fill(g, r * RECORD_BYTES + 1, (r + 1) * RECORD_BYTES);
    }
    return out;
  };
  const names = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin', 'test_batch.bin'];
  return gzipSync(tar(names.map((name) => ({ name: `cifar-10-batches-bin/${name}`, data: batch() }))));
}

// ---------------------------------------------------------------------------------------------
// A local server: routes serving `PAYLOAD` with or without Range support, redirects, errors.

const PAYLOAD = payloadBytes(300_007);
const PAYLOAD_MD5 = md5(PAYLOAD);
const ARCHIVE = cifarArchive();

interface Seen {
  path: string;
  range: string | undefined;
  status: number;
}
let seen: Seen[] = [];
let cutDone = false;
let server: Server;
let base: string;

function serve(req: IncomingMessage, res: ServerResponse, body: Uint8Array, ranges: boolean): void {
  const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  if (ranges && range) {
    const start = Number(range[1]);
    if (start >= body.length) {
      res.writeHead(416, { 'Content-Range': `bytes */${body.length}` });
      res.end();
      return;
    }
    res.writeHead(206, {
      'Content-Length': body.length - start,
      'Content-Range': `bytes ${start}-${body.length - 1}/${body.length}`,
      'Accept-Ranges': 'bytes',
    });
    res.end(body.subarray(start));
    return;
  }
  res.writeHead(200, { 'Content-Length': body.length, ...(ranges ? { 'Accept-Ranges': 'bytes' } : {}) });
  res.end(body);
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  const path = req.url ?? '/';
  res.on('finish', () => seen.push({ path, range: req.headers.range, status: res.statusCode }));
  const redirect = /^\/redirect\/(\d+)$/.exec(path);
  if (path === '/data.bin') return serve(req, res, PAYLOAD, true);
  if (path === '/no-range.bin') return serve(req, res, PAYLOAD, false);
  if (path === '/cifar.tar.gz') return serve(req, res, ARCHIVE, true);
  if (redirect) {
    const n = Number(redirect[1]);
    res.writeHead(n === 0 ? 302 : 301, { Location: n === 0 ? `${base}/data.bin` : `/redirect/${n - 1}` });
    res.end();
    return;
  }
  if (path === '/loop') {
    res.writeHead(307, { Location: '/loop' });
    res.end();
    return;
  }
  if (path === '/cut-once.bin' && !cutDone && !req.headers.range) {
    // The first time: announce the whole file, send a third of it, then drop the connection.
    cutDone = true;
    res.writeHead(200, { 'Content-Length': PAYLOAD.length });
    res.write(PAYLOAD.subarray(0, 100_000));
    setTimeout(() => res.socket?.destroy(), 100);
    seen.push({ path, range: undefined, status: 200 });
    return;
  }
  if (path === '/cut-once.bin') return serve(req, res, PAYLOAD, true);
  res.writeHead(404);
  res.end('not here');
}

let root: string;
let dest: string;
let count = 0;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'senet-download-'));
  server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await rm(root, { recursive: true, force: true });
});

beforeEach(() => {
  seen = [];
  dest = join(root, `case-${++count}`, 'file.bin');
});

/** `path` holds PAYLOAD (compared by md5: deep equality of 300 KB is slow in expect). */
async function expectPayload(path: string): Promise<void> {
  const bytes = await readFile(path);
  expect(bytes.length).toBe(PAYLOAD.length);
  expect(md5(bytes)).toBe(PAYLOAD_MD5);
}

const options = { md5: PAYLOAD_MD5, expectedBytes: PAYLOAD.length };

describe('downloadFile', () => {
  it('downloads a whole file, checks its md5 and moves it into place', async () => {
    const progress: [number, number][] = [];
    const out = await downloadFile(`${base}/data.bin`, dest, { ...options, onProgress: (r, t) => progress.push([r, t]) });
    expect(out).toBe(dest);
    await expectPayload(dest);
    expect(existsSync(`${dest}.part`)).toBe(false);
    expect(seen).toEqual([{ path: '/data.bin', range: undefined, status: 200 }]);
    expect(progress.at(-1)).toEqual([PAYLOAD.length, PAYLOAD.length]);
    expect(await fileMd5(dest)).toBe(PAYLOAD_MD5);
  });

  it('resumes a partial download with a Range request', async () => {
    const half = 150_000;
    await mkdir(join(dest, '..'), { recursive: true });
    await writeFile(`${dest}.part`, PAYLOAD.subarray(0, half));
    const progress: number[] = [];
    await downloadFile(`${base}/data.bin`, dest, { ...options, onProgress: (r) => progress.push(r) });
    expect(seen).toEqual([{ path: '/data.bin', range: `bytes=${half}-`, status: 206 }]);
    expect(progress[0]).toBe(half);
    await expectPayload(dest);
    expect(existsSync(`${dest}.part`)).toBe(false);
  });

  it('starts over when the server ignores Range (200)', async () => {
    await mkdir(join(dest, '..'), { recursive: true });
    await writeFile(`${dest}.part`, new Uint8Array(150_000).fill(7)); // not even a prefix of the file
    await downloadFile(`${base}/no-range.bin`, dest, options);
    expect(seen).toEqual([{ path: '/no-range.bin', range: 'bytes=150000-', status: 200 }]);
    await expectPayload(dest);
  });

  it('resumes after a dropped connection', async () => {
    const first = await downloadFile(`${base}/cut-once.bin`, dest, options).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(DownloadError);
    expect((first as Error).message).toMatch(/run again to resume/);
    expect(existsSync(dest)).toBe(false);
    const kept = existsSync(`${dest}.part`) ? (await readFile(`${dest}.part`)).length : 0;
    expect(kept).toBeLessThanOrEqual(100_000);
    seen = [];
    await downloadFile(`${base}/cut-once.bin`, dest, options);
    expect(seen).toEqual([
      { path: '/cut-once.bin', range: kept > 0 ? `bytes=${kept}-` : undefined, status: kept > 0 ? 206 : 200 },
    ]);
    await expectPayload(dest);
  });

  it('finishes a complete .part left by an earlier run (416 from the server)', async () => {
    await mkdir(join(dest, '..'), { recursive: true });
    await writeFile(`${dest}.part`, PAYLOAD);
    await downloadFile(`${base}/data.bin`, dest, { md5: PAYLOAD_MD5 });
    expect(seen).toEqual([{ path: '/data.bin', range: `bytes=${PAYLOAD.length}-`, status: 416 }]);
    await expectPayload(dest);
  });

  it('rejects a wrong md5, naming both hashes, and leaves no file behind', async () => {
    const wrong = '0123456789abcdef0123456789abcdef';
    const error = await downloadFile(`${base}/data.bin`, dest, { md5: wrong }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DownloadError);
    expect((error as Error).message).toContain(`md5 mismatch: expected ${wrong}, got ${PAYLOAD_MD5}`);
    expect(existsSync(dest)).toBe(false);
    expect(existsSync(`${dest}.part`)).toBe(false);
  });

  it('follows redirects (up to 5)', async () => {
    await downloadFile(`${base}/redirect/4`, dest, options);
    expect(seen.map((s) => s.path)).toEqual(['/redirect/4', '/redirect/3', '/redirect/2', '/redirect/1', '/redirect/0', '/data.bin']);
    await expectPayload(dest);
    await expect(downloadFile(`${base}/loop`, `${dest}.2`, options)).rejects.toThrow(/too many redirects \(more than 5\)/);
  });

  it('does not download again a destination with the right md5, and replaces one with the wrong md5', async () => {
    await mkdir(join(dest, '..'), { recursive: true });
    await writeFile(dest, PAYLOAD);
    await downloadFile(`${base}/data.bin`, dest, options);
    expect(seen).toEqual([]);
    await writeFile(dest, PAYLOAD.subarray(0, 1000));
    await downloadFile(`${base}/data.bin`, dest, options);
    expect(seen.length).toBe(1);
    await expectPayload(dest);
  });

  it('reports HTTP errors, a size other than expected, and bad md5 arguments', async () => {
    await expect(downloadFile(`${base}/nothing`, dest, options)).rejects.toThrow(`GET ${base}/nothing: HTTP 404 Not Found`);
    await expect(downloadFile(`${base}/data.bin`, dest, { ...options, expectedBytes: 5 })).rejects.toThrow(
      `the server reports ${PAYLOAD.length} bytes, expected 5`,
    );
    expect(existsSync(dest)).toBe(false);
    await expect(downloadFile(`${base}/data.bin`, dest, { md5: 'abc' })).rejects.toThrow(/md5 must be 32 hex digits/);
  });
});

describe('ensureCifar10', () => {
  it('has the official constants', () => {
    expect(CIFAR10_URL).toBe('https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz');
    expect(CIFAR10_BYTES).toBe(170052171);
    expect(CIFAR10_MD5).toBe('c32a1d4ab5d03f1284b67883e8d87530');
  });

  it('downloads the archive once into the data folder, and loadCifar10 reads it', async () => {
    const dir = join(root, 'data');
    const opts = { url: `${base}/cifar.tar.gz`, md5: md5(ARCHIVE) };
    const path = await ensureCifar10(dir, opts);
    expect(path).toBe(join(dir, 'cifar-10-binary.tar.gz'));
    expect(seen.length).toBe(1);
    expect(await ensureCifar10(dir, opts)).toBe(path);
    expect(seen.length).toBe(1); // present: not downloaded again
    const train = await loadCifar10(dir, 'train');
    expect(train.length).toBe(10);
    expect([...train.labels]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const test = await loadCifar10(path, 'test');
    expect([...test.labels]).toEqual([0, 1]);
    expect(test.image(1)[0]).toBe(11);
  });
});
