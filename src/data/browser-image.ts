/**
 * Decoding an image in a browser (a page or a worker) with its own decoders: createImageBitmap,
 * then an OffscreenCanvas, without colour-space conversion, to RGB CHW. That differs from PIL's
 * decoding (image.ts, in Node) in small ways: JPEGs by a few levels here and there, pixels of
 * alpha 0 come out black (a canvas premultiplies alpha), 16-bit grey is scaled, not clipped. Any
 * format the browser decodes is read (WebP, GIF and BMP too).
 */
import { DatasetError } from './cifar10.js';
import { checkImageSize, type DecodedImage } from './image-format.js';

/** Decodes `blob`; errors name `source`. */
export async function decodeImageBlob(blob: Blob, source: string): Promise<DecodedImage> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(blob, { premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
  } catch (error) {
    throw new DatasetError(`${source}: corrupt or unreadable image (${(error as Error).message})`, { cause: error });
  }
  try {
    const { width, height } = bitmap;
    checkImageSize(width, height, source);
    const context = new OffscreenCanvas(width, height).getContext('2d');
    if (!context) throw new DatasetError(`${source}: this browser has no 2D OffscreenCanvas to decode images with`);
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
