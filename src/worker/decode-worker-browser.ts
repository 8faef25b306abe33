/** A decode worker in a page: decode-pool.ts starts it; it decodes the Files it is given with the browser's own decoders (browser-image.ts). */
import { DatasetError } from '../data/cifar10.js';
import { decodeImageBlob } from '../data/browser-image.js';
import { serve } from './connect.js';
import { ImageDecoder, type DecodeJob } from './image-decoder.js';

async function decodeFile(job: DecodeJob) {
  if (!job.file) throw new DatasetError(`${job.source}: no file to read (a decode worker in a page reads Files)`);
  return decodeImageBlob(job.file, job.source);
}

await serve(new ImageDecoder(decodeFile));
