/** A decode worker in Node: decode-pool.ts starts it; it reads image files by path (or Blobs it is given) and decodes them with image.ts. */
import { readFile } from 'node:fs/promises';
import { DatasetError } from '../data/cifar10.js';
import { decodeImage } from '../data/image.js';
import { serve } from './connect.js';
import { ImageDecoder, type DecodeJob } from './image-decoder.js';

async function decodeFile(job: DecodeJob) {
  let bytes: Uint8Array;
  try {
    if (job.file) bytes = new Uint8Array(await job.file.arrayBuffer());
    else if (job.path !== undefined) bytes = await readFile(job.path);
    else throw new Error('no path or file');
  } catch (error) {
    throw new DatasetError(`${job.source}: cannot read the file (${(error as Error).message})`, { cause: error });
  }
  return decodeImage(bytes, job.source);
}

await serve(new ImageDecoder(decodeFile));
