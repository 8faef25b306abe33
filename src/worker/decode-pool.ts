/**
 * Decodes many image files in parallel: a few decode workers (image-decoder.ts) take chunks of
 * files in turn and send back their model inputs, which land in one data-set buffer (in shared
 * memory where the host has it, like CIFAR-10's: see datasetBytes). A file that fails is an error
 * naming it, or, with `skipBadImages`, left out and reported.
 */
import { DatasetError, datasetBytes } from '../data/cifar10.js';
import type { ResizeMode } from '../data/resize.js';
import { connect, type Connection } from './connect.js';
import type { DecodeJob, DecodeResult, ImageDecoder } from './image-decoder.js';

/** Files a worker decodes per request: small enough for a smooth progress bar. */
const CHUNK = 16;

export interface DecodeOptions {
  size: number;
  resize: ResizeMode;
  skipBadImages: boolean;
  /** Decode workers to run at most. */
  workers: number;
  /** After each chunk: images decoded (or failed) so far, of `total`. */
  onProgress?: (done: number, total: number) => void;
}

export interface DecodedImages {
  /** The decoded images, `kept.length` of 3 x size x size, CHW, one after the other. */
  images: Uint8Array;
  /** Which jobs they are, in order. */
  kept: number[];
  /** The failures (only with skipBadImages: without it the first is thrown). */
  skipped: string[];
  /** Conversion notes, one per kind, with how many files each. */
  notes: string[];
}

function startWorker(): Promise<Connection<ImageDecoder>> {
  return connect<ImageDecoder>(
    './decode-worker.js',
    () => new Worker(new URL('./decode-worker-browser.js', import.meta.url), { type: 'module' }),
  );
}

export async function decodeImages(jobs: readonly DecodeJob[], options: DecodeOptions): Promise<DecodedImages> {
  const { size, resize } = options;
  const bytes = 3 * size * size;
  const images = datasetBytes(jobs.length * bytes);
  const failed = new Map<number, string>();
  const noteCounts = new Map<string, number>();
  const chunks = Math.ceil(jobs.length / CHUNK);
  const workers = await Promise.all(Array.from({ length: Math.max(0, Math.min(options.workers, chunks)) }, startWorker));
  let next = 0;
  let done = 0;
  let stop: Error | undefined;
  try {
    await Promise.all(
      workers.map(async ({ remote }) => {
        while (next < chunks && !stop) {
          const start = next++ * CHUNK;
          const part = jobs.slice(start, start + CHUNK);
          const result: DecodeResult = await remote.decode({ jobs: part, size, resize });
          images.set(result.pixels, start * bytes);
          for (const { index, message } of result.failures) failed.set(start + index, message);
          for (const { note } of result.notes) noteCounts.set(note, (noteCounts.get(note) ?? 0) + 1);
          if (result.failures.length > 0 && !options.skipBadImages) {
            stop ??= new DatasetError(`${result.failures[0]!.message} (to leave such files out: --skip-bad-images, or skipBadImages: true in loadData)`);
          }
          done += part.length;
          options.onProgress?.(done, jobs.length);
        }
      }),
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  if (stop) throw stop;
  // Move the good images down over the failed ones.
  const kept: number[] = [];
  for (let i = 0; i < jobs.length; i++) {
    if (failed.has(i)) continue;
    if (kept.length !== i) images.copyWithin(kept.length * bytes, i * bytes, (i + 1) * bytes);
    kept.push(i);
  }
  const skipped = [...failed.keys()].sort((a, b) => a - b).map((i) => failed.get(i)!);
  const notes = [...noteCounts].map(([note, count]) => `${count} file${count === 1 ? '' : 's'}: ${note}`);
  return { images: images.subarray(0, kept.length * bytes), kept, skipped, notes };
}
