/** A decode worker in Node: decode-pool.ts starts it; it reads image files by path and decodes them with image.ts. */
import { readFile } from 'node:fs/promises';
import { DatasetError } from '../data/cifar10.js';
import { decodeImage } from '../data/image.js';
import { serve } from './connect.js';
import { ImageDecoder, type DecodeJob } from './image-decoder.js';

async function decodeFile(job: DecodeJob) {
  if (job.path === undefined) throw new DatasetError(`${job.source}: no path to read (a decode worker in Node reads files by path)`);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(job.path);
  } catch (error) {
    throw new DatasetError(`${job.source}: cannot read the file (${(error as Error).message})`, { cause: error });
  }
  return decodeImage(bytes, job.source);
}

await serve(new ImageDecoder(decodeFile));
