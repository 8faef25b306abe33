/**
 * What the image decoders share, platform-neutral (image.ts decodes in Node, with pngjs, which
 * a page cannot load): the decoded image, the file name endings read as images, the format by
 * the first bytes, and the largest image decoded.
 */
import { DatasetError } from './cifar10.js';

/** An RGB image: `pixels` is CHW, three planes of `height * width` bytes. */
export interface DecodedImage {
  width: number;
  height: number;
  pixels: Uint8Array;
  /** Something the conversion did that the user should hear of (16-bit grey clipped). */
  note?: string;
}

/** The file name endings read as images (lower-cased), as torchvision's ImageFolder filters files. */
export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg'] as const;
/** Image formats torchvision reads that we do not: such files are bad images, not ignored ones. */
export const UNSUPPORTED_IMAGE_EXTENSIONS = ['.bmp', '.gif', '.pgm', '.ppm', '.tif', '.tiff', '.webp'] as const;

/** PIL refuses images of more than twice its MAX_IMAGE_PIXELS (a decompression bomb): so do we. */
export const MAX_IMAGE_PIXELS = 2 * 89_478_485;

export type ImageFormat = 'png' | 'jpeg';

/** The format of a file by its first bytes (not its name), or undefined. */
export function imageFormat(bytes: Uint8Array): ImageFormat | undefined {
  if (bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return 'png';
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  return undefined;
}

/** What a file that is neither PNG nor JPEG looks like, for the error. */
export function describeOther(bytes: Uint8Array): string {
  const text = String.fromCharCode(...bytes.subarray(0, 12));
  if (text.startsWith('GIF8')) return 'a GIF file';
  if (text.startsWith('BM')) return 'a BMP file';
  if (text.startsWith('RIFF') && text.slice(8, 12) === 'WEBP') return 'a WebP file';
  if (text.startsWith('II*\0') || text.startsWith('MM\0*')) return 'a TIFF file';
  if (bytes.length === 0) return 'an empty file';
  return 'not a PNG or JPEG file';
}

/** Throws unless `width` x `height` is a size we decode. */
export function checkImageSize(width: number, height: number, source: string): void {
  if (!(width > 0 && height > 0)) throw new DatasetError(`${source}: the image has no pixels (${width}x${height})`);
  if (width * height > MAX_IMAGE_PIXELS) {
    throw new DatasetError(`${source}: ${width}x${height} is ${width * height} pixels, more than the ${MAX_IMAGE_PIXELS} PIL opens (a decompression bomb?)`);
  }
}

