/**
 * Image files for `senet predict`: PNG (pngjs) and JPEG (jpeg-js), both pure JavaScript, decoded
 * to RGB and resized to the model's input size by area averaging (each output pixel is the mean
 * of the source area it covers, which is what a downscale from a photo needs).
 */
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

export interface RgbImage {
  width: number;
  height: number;
  /** RGBA, row-major, 4 bytes a pixel. */
  rgba: Uint8Array;
}

export function decodeImage(bytes: Uint8Array, source: string): RgbImage {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) {
    const png = PNG.sync.read(buffer);
    return { width: png.width, height: png.height, rgba: new Uint8Array(png.data) };
  }
  if (bytes[0] === 0xff && bytes[1] === 0xd8) {
    const decoded = jpeg.decode(buffer, { useTArray: true, formatAsRGBA: true });
    return { width: decoded.width, height: decoded.height, rgba: decoded.data };
  }
  throw new Error(`${source}: not a PNG or JPEG file`);
}

/** The image as CHW uint8 `[3, size, size]`, resized by area averaging (aspect ratio not kept). */
export function toChw(image: RgbImage, size = 32): Uint8Array {
  const out = new Uint8Array(3 * size * size);
  const sx = image.width / size;
  const sy = image.height / size;
  for (let oy = 0; oy < size; oy++) {
    const [y0, y1] = [oy * sy, (oy + 1) * sy];
    for (let ox = 0; ox < size; ox++) {
      const [x0, x1] = [ox * sx, (ox + 1) * sx];
      const sum = [0, 0, 0];
      let area = 0;
      for (let y = Math.floor(y0); y < Math.min(image.height, Math.ceil(y1)); y++) {
        const wy = Math.min(y + 1, y1) - Math.max(y, y0);
        for (let x = Math.floor(x0); x < Math.min(image.width, Math.ceil(x1)); x++) {
          const w = wy * (Math.min(x + 1, x1) - Math.max(x, x0));
          const p = 4 * (y * image.width + x);
          for (let c = 0; c < 3; c++) sum[c]! += w * image.rgba[p + c]!;
          area += w;
        }
      }
      for (let c = 0; c < 3; c++) out[c * size * size + oy * size + ox] = Math.round(sum[c]! / area);
    }
  }
  return out;
}
