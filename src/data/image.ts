/**
 * Decoding image files in Node: PNG (pngjs) and JPEG (jpeg-js), both pure JavaScript, to RGB as
 * PIL's `Image.open(f).convert('RGB')` makes them (what torchvision's ImageFolder feeds a model):
 * grey is copied to the three channels, alpha is dropped (not composited), palettes are looked
 * up, 1/2/4-bit grey is scaled to 0-255, 16-bit colour keeps the high byte, and 16-bit grey is
 * clipped to 0-255 (PIL reads it as 32-bit integers, which convert('RGB') clips: most of such an
 * image turns white, and the decoded image says so in `note`). EXIF orientation is ignored, as
 * PIL does. Other formats are refused by name. Resizing is resize.ts.
 */
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { DatasetError } from './cifar10.js';
import { checkImageSize, describeOther, imageFormat, MAX_IMAGE_PIXELS, type DecodedImage } from './image-format.js';

export type { DecodedImage } from './image-format.js';

/** Decodes a PNG or JPEG file to RGB (see the file's comment); errors name `source`. */
export function decodeImage(bytes: Uint8Array, source: string): DecodedImage {
  const format = imageFormat(bytes);
  if (!format) throw new DatasetError(`${source}: ${describeOther(bytes)}; PNG and JPEG images are supported`);
  try {
    return format === 'png' ? decodePng(bytes, source) : decodeJpeg(bytes, source);
  } catch (error) {
    if (error instanceof DatasetError) throw error;
    // pngjs and jpeg-js throw Errors, and now and then strings.
    const detail = error instanceof Error ? error.message : String(error);
    throw new DatasetError(`${source}: corrupt or unreadable ${format === 'png' ? 'PNG' : 'JPEG'} file (${detail})`, { cause: error });
  }
}

function decodePng(bytes: Uint8Array, source: string): DecodedImage {
  // The size, from IHDR (which must come first), before anything is allocated for it.
  if (bytes.length < 33) throw new DatasetError(`${source}: truncated PNG file (${bytes.length} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (String.fromCharCode(...bytes.subarray(12, 16)) !== 'IHDR') throw new DatasetError(`${source}: corrupt PNG file (it does not start with an IHDR chunk)`);
  checkImageSize(view.getUint32(16), view.getUint32(20), source);
  // skipRescale: 16-bit samples stay 16-bit and low bit depths stay as they are, so that the
  // conversion below is PIL's, not pngjs's rounding.
  const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), { skipRescale: true });
  const { width, height, depth } = png;
  const colorType = png.colorType as number;
  const data = png.data as unknown as ArrayLike<number>;
  const grey = colorType === 0;
  let convert: (v: number) => number;
  let note: string | undefined;
  if (colorType === 3 || depth === 8) convert = (v) => v; // palette lookups are 8-bit already
  else if (depth < 8) {
    const max = 2 ** depth - 1;
    convert = (v) => (v * 255) / max;
  } else if (grey) {
    convert = (v) => Math.min(v, 255);
    note = '16-bit greyscale PNG: values above 255 clip to white, as PIL\'s convert(\'RGB\') does';
  } else {
    convert = (v) => v >> 8;
  }
  const plane = width * height;
  const pixels = new Uint8Array(3 * plane);
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < 3; c++) pixels[c * plane + p] = convert(data[4 * p + c]!);
  }
  return { width, height, pixels, ...(note ? { note } : {}) };
}

function decodeJpeg(bytes: Uint8Array, source: string): DecodedImage {
  const decoded = jpeg.decode(bytes, {
    useTArray: true, formatAsRGBA: true, maxResolutionInMP: Math.ceil(MAX_IMAGE_PIXELS / 1e6), maxMemoryUsageInMB: 2048,
  });
  const { width, height, data } = decoded;
  checkImageSize(width, height, source);
  const plane = width * height;
  if (data.length < 4 * plane) throw new DatasetError(`${source}: corrupt JPEG file (${data.length} bytes decoded for ${width}x${height})`);
  const pixels = new Uint8Array(3 * plane);
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < 3; c++) pixels[c * plane + p] = data[4 * p + c]!;
  }
  return { width, height, pixels };
}
