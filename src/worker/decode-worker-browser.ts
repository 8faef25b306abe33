/**
 * A decode worker in a page: decode-pool.ts starts it; it decodes the Files it is given with the
 * browser's own decoders (createImageBitmap, then an OffscreenCanvas), without colour-space
 * conversion. Those differ from PIL's in small ways: JPEGs by a few levels here and there, pixels
 * of alpha 0 come out black (a canvas premultiplies alpha), 16-bit grey is scaled, not clipped.
 * Any format the browser decodes is read (WebP, GIF and BMP too).
 */
import { DatasetError } from '../data/cifar10.js';
import { checkImageSize, type DecodedImage } from '../data/image-format.js';
import { serve } from './connect.js';
import { ImageDecoder, type DecodeJob } from './image-decoder.js';

async function decodeFile(job: DecodeJob): Promise<DecodedImage> {
  if (!job.file) throw new DatasetError(`${job.source}: no file to read (a decode worker in a page reads Files)`);
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(job.file, { premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
  } catch (error) {
    throw new DatasetError(`${job.source}: corrupt or unreadable image (${(error as Error).message})`, { cause: error });
  }
  try {
    const { width, height } = bitmap;
    checkImageSize(width, height, job.source);
    const context = new OffscreenCanvas(width, height).getContext('2d');
    if (!context) throw new DatasetError(`${job.source}: this browser has no 2D OffscreenCanvas to decode images with`);
    context.drawImage(bitmap, 0, 0);
    const rgba = context.getImageData(0, 0, width, height).data;
    const plane = width * height;
    const pixels = new Uint8Array(3 * plane);
    for (let p = 0; p < plane; p++) for (let c = 0; c < 3; c++) pixels[c * plane + p] = rgba[4 * p + c]!;
    return { width, height, pixels };
  } finally {
    bitmap.close();
  }
}

await serve(new ImageDecoder(decodeFile));
