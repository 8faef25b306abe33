/**
 * Decodes and resizes image files in a decode worker (decode-pool.ts starts them): each request
 * is a chunk of files, answered with their model inputs (CHW uint8, one after the other,
 * transferred) and the files that failed, each with its message. Node's worker
 * (decode-worker.ts) reads files by path and decodes them with pngjs and jpeg-js (image.ts); a
 * page's (decode-worker-browser.ts) decodes the Files it is given with the browser's decoders.
 */
import * as Comlink from 'comlink/dist/esm/comlink.mjs';
import type { DecodedImage } from '../data/image-format.js';
import { resizeImage, type ResizeMode } from '../data/resize.js';

/** One file to decode: `source` names it in messages; `path` (Node) or `file` (a page) is where its bytes are. */
export interface DecodeJob {
  source: string;
  path?: string;
  file?: Blob;
}

export interface DecodeRequest {
  jobs: DecodeJob[];
  size: number;
  resize: ResizeMode;
}

export interface DecodeResult {
  /** `jobs.length` images of 3 x size x size; a failed one's bytes are zeros. */
  pixels: Uint8Array;
  failures: { index: number; message: string }[];
  /** Notes of the conversion (16-bit grey clipped), by job. */
  notes: { index: number; note: string }[];
}

/** Reads and decodes one job's file; errors name `job.source`. */
export type DecodeFile = (job: DecodeJob) => Promise<DecodedImage>;

export class ImageDecoder {
  constructor(private readonly decodeFile: DecodeFile) {}

  async decode({ jobs, size, resize }: DecodeRequest): Promise<DecodeResult> {
    const bytes = 3 * size * size;
    const pixels = new Uint8Array(jobs.length * bytes);
    const failures: DecodeResult['failures'] = [];
    const notes: DecodeResult['notes'] = [];
    for (const [index, job] of jobs.entries()) {
      try {
        const image = await this.decodeFile(job);
        pixels.set(resizeImage(image, size, resize), index * bytes);
        if (image.note) notes.push({ index, note: image.note });
      } catch (error) {
        failures.push({ index, message: error instanceof Error ? error.message : `${job.source}: ${String(error)}` });
      }
    }
    return Comlink.transfer({ pixels, failures, notes }, [pixels.buffer]);
  }
}
