/**
 * Resumable, verified downloads over http/https (Node only), and the CIFAR-10 archive.
 *
 * `downloadFile` writes to `<destination>.part`, resumes an existing `.part` with a Range
 * request, checks the md5 of the whole file and only then renames it into place, so the
 * destination either is absent or holds the verified file.
 */

import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { CIFAR10_ARCHIVE } from './cifar10.js';

/** The official CIFAR-10 binary version. */
export const CIFAR10_URL = 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz';
export const CIFAR10_BYTES = 170052171;
export const CIFAR10_MD5 = 'c32a1d4ab5d03f1284b67883e8d87530';

/**
 * Called as data arrives: bytes of the file so far (resumed bytes included), and its size
 * (0 when neither the server nor `expectedBytes` tells it).
 */
export type ProgressCallback = (received: number, total: number) => void;

export interface DownloadOptions {
  /** The md5 of the whole file, hex; the download fails (and is deleted) if it differs. */
  md5: string;
  /** The file's size, if known: a `.part` larger than this is discarded, a server reporting another size is refused. */
  expectedBytes?: number;
  onProgress?: ProgressCallback;
  /** How many redirects to follow (5). */
  maxRedirects?: number;
  /** Give up when the connection is idle this long, in milliseconds (60000). */
  timeoutMs?: number;
}

/** A failed download: names the URL and what went wrong. */
export class DownloadError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DownloadError';
  }
}

/** The md5 of a file (its first `bytes` bytes when given), hex. */
export async function fileMd5(path: string, bytes?: number): Promise<string> {
  const hash = createHash('md5');
  if (bytes === 0) return hash.digest('hex');
  const options = bytes === undefined ? {} : { start: 0, end: bytes - 1 };
  for await (const chunk of createReadStream(path, options)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    const info = await stat(path);
    return info.isFile() ? info.size : undefined;
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** One GET, no redirects followed; rejects on connection errors and idle timeouts. */
function get(url: URL, headers: Record<string, string>, timeoutMs: number): Promise<http.IncomingMessage> {
  const client = url.protocol === 'https:' ? https : url.protocol === 'http:' ? http : undefined;
  if (!client) return Promise.reject(new DownloadError(`${url.href}: unsupported protocol ${url.protocol}`));
  return new Promise((resolve, reject) => {
    const request = client.get(url, { headers }, resolve);
    request.on('error', reject);
    request.setTimeout(timeoutMs, () => {
      request.destroy(new DownloadError(`${url.href}: no data for ${timeoutMs / 1000} s, gave up`));
    });
  });
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** A GET that follows redirects; returns the final response and its URL. */
async function getFollowing(
  start: string,
  headers: Record<string, string>,
  maxRedirects: number,
  timeoutMs: number,
): Promise<{ response: http.IncomingMessage; url: URL }> {
  let url: URL;
  try {
    url = new URL(start);
  } catch {
    throw new DownloadError(`not a valid URL: ${start}`);
  }
  for (let redirects = 0; ; redirects++) {
    let response: http.IncomingMessage;
    try {
      response = await get(url, headers, timeoutMs);
    } catch (error) {
      if (error instanceof DownloadError) throw error;
      throw new DownloadError(`GET ${url.href} failed: ${(error as Error).message}`, { cause: error });
    }
    const status = response.statusCode ?? 0;
    const location = response.headers.location;
    if (!REDIRECTS.has(status) || !location) return { response, url };
    response.resume();
    if (redirects === maxRedirects) {
      throw new DownloadError(`GET ${start}: too many redirects (more than ${maxRedirects})`);
    }
    url = new URL(location, url);
  }
}

// `Content-Range: bytes FIRST-LAST/TOTAL` (TOTAL may be `*`), or `bytes */TOTAL` (with a 416).
function parseContentRange(header: string | undefined): { first?: number; total?: number } | undefined {
  const match = /^bytes\s+(?:(\d+)-(\d+)|\*)\/(\d+|\*)$/.exec(header?.trim() ?? '');
  if (!match) return undefined;
  return {
    first: match[1] === undefined ? undefined : Number(match[1]),
    total: match[3] === '*' || match[3] === undefined ? undefined : Number(match[3]),
  };
}

function contentLength(response: http.IncomingMessage): number | undefined {
  const value = response.headers['content-length'];
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
}

/**
 * Downloads `url` to `destination` and returns `destination`.
 *
 * - An existing `destination` whose md5 matches is kept (nothing is downloaded).
 * - Data goes to `destination + '.part'`; an existing `.part` is resumed with a Range request
 *   (a 206 answer is appended; a 200 answer, from a server without ranges, starts over).
 * - The md5 of the whole file is checked before the `.part` is renamed into place; a mismatch
 *   deletes the `.part` and throws, naming both hashes.
 * - An interrupted transfer keeps the `.part`, so running again resumes it.
 * - Up to `maxRedirects` (5) redirects are followed.
 */
export async function downloadFile(url: string, destination: string, options: DownloadOptions): Promise<string> {
  const md5 = options.md5.toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(md5)) throw new DownloadError(`downloadFile: md5 must be 32 hex digits, got "${options.md5}"`);
  const { expectedBytes, onProgress } = options;
  const maxRedirects = options.maxRedirects ?? 5;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const part = `${destination}.part`;

  await mkdir(dirname(destination), { recursive: true });
  if ((await sizeOf(destination)) !== undefined && (await fileMd5(destination)) === md5) return destination;

  /** Checks the finished `.part` and moves it into place. */
  const finish = async (actual: string) => {
    if (actual !== md5) {
      await rm(part, { force: true });
      throw new DownloadError(
        `${url}: md5 mismatch: expected ${md5}, got ${actual}; deleted the download (${part})`,
      );
    }
    await rename(part, destination);
    return destination;
  };

  let start = (await sizeOf(part)) ?? 0;
  if (expectedBytes !== undefined && start > expectedBytes) {
    await rm(part, { force: true });
    start = 0;
  }
  if (expectedBytes !== undefined && start > 0 && start === expectedBytes) {
    // A complete .part left by an earlier run (stopped before the rename).
    const actual = await fileMd5(part);
    if (actual === md5) return finish(actual);
    await rm(part, { force: true });
    start = 0;
  }

  // At most two rounds: a resume, then a fresh start if the server's answer to the Range
  // request cannot be appended.
  for (let round = 0; round < 2; round++) {
    const headers: Record<string, string> = { 'User-Agent': 'senet-wasm', 'Accept-Encoding': 'identity' };
    if (start > 0) headers.Range = `bytes=${start}-`;
    const { response, url: finalUrl } = await getFollowing(url, headers, maxRedirects, timeoutMs);
    const status = response.statusCode ?? 0;
    const range = parseContentRange(response.headers['content-range']);

    if (status === 416 && start > 0) {
      // Nothing at or after `start`: the .part may already hold the whole file.
      response.resume();
      if (range?.total === start) return finish(await fileMd5(part));
      await rm(part, { force: true });
      start = 0;
      continue;
    }
    let append: boolean;
    let total: number | undefined;
    if (status === 206 && start > 0) {
      if (range?.first !== start) {
        response.resume();
        await rm(part, { force: true });
        start = 0;
        continue;
      }
      append = true;
      const length = contentLength(response);
      total = range.total ?? (length === undefined ? undefined : start + length);
    } else if (status === 200) {
      append = false;
      start = 0;
      total = contentLength(response);
    } else {
      response.resume();
      throw new DownloadError(
        `GET ${finalUrl.href}: HTTP ${status}${response.statusMessage ? ` ${response.statusMessage}` : ''}`,
      );
    }
    if (expectedBytes !== undefined && total !== undefined && total !== expectedBytes) {
      response.destroy();
      throw new DownloadError(
        `GET ${finalUrl.href}: the server reports ${total} bytes, expected ${expectedBytes} (not the expected file)`,
      );
    }
    total ??= expectedBytes;

    const hash = createHash('md5');
    if (append) {
      for await (const chunk of createReadStream(part, { start: 0, end: start - 1 })) hash.update(chunk as Buffer);
    }
    let received = start;
    const reportedTotal = total ?? 0;
    onProgress?.(received, reportedTotal);
    try {
      await pipeline(
        response,
        async function* (chunks: AsyncIterable<Buffer>) {
          for await (const chunk of chunks) {
            hash.update(chunk);
            received += chunk.length;
            onProgress?.(received, reportedTotal);
            yield chunk;
          }
        },
        createWriteStream(part, { flags: append ? 'a' : 'w' }),
      );
    } catch (error) {
      throw new DownloadError(
        `GET ${finalUrl.href}: interrupted after ${received} bytes (${(error as Error).message}); ` +
          `run again to resume from ${part}`,
        { cause: error },
      );
    }
    if (total !== undefined && received < total) {
      throw new DownloadError(
        `GET ${finalUrl.href}: the connection closed after ${received} of ${total} bytes; run again to resume from ${part}`,
      );
    }
    return finish(hash.digest('hex'));
  }
  throw new DownloadError(`GET ${url}: the server's answers to Range requests could not be used`);
}

export interface EnsureCifar10Options {
  onProgress?: ProgressCallback;
  url?: string;
  md5?: string;
  /** The archive's size; `CIFAR10_BYTES` for the official URL, unknown otherwise. */
  expectedBytes?: number;
}

/**
 * The path of `cifar-10-binary.tar.gz` in `dataDir`, downloading it (resumably, md5-checked)
 * only if it is absent. A file already there is trusted: `downloadFile` only ever puts a
 * verified file in place.
 */
export async function ensureCifar10(dataDir: string, options: EnsureCifar10Options = {}): Promise<string> {
  const url = options.url ?? CIFAR10_URL;
  const md5 = options.md5 ?? CIFAR10_MD5;
  const expectedBytes = options.expectedBytes ?? (url === CIFAR10_URL ? CIFAR10_BYTES : undefined);
  const destination = join(dataDir, CIFAR10_ARCHIVE);
  if ((await sizeOf(destination)) !== undefined) return destination;
  const download: DownloadOptions = { md5 };
  if (expectedBytes !== undefined) download.expectedBytes = expectedBytes;
  if (options.onProgress) download.onProgress = options.onProgress;
  return downloadFile(url, destination, download);
}
