/** Image folders the tests make: classes of clearly different colours, as PNG and JPEG files of mixed sizes. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { randomArray } from './helpers.js';

export const COLOURS: Record<string, [number, number, number]> = { blue: [40, 60, 230], green: [40, 200, 60], red: [220, 40, 40] };

/** A noisy image of one colour, `width` x `height`, as PNG or JPEG bytes. */
export function colourImage(colour: [number, number, number], width: number, height: number, format: 'png' | 'jpeg', seed: number): Uint8Array {
  const noise = randomArray(width * height * 3, seed);
  const rgba = Buffer.alloc(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    for (let c = 0; c < 3; c++) rgba[4 * p + c] = Math.max(0, Math.min(255, Math.round(colour[c]! + 40 * noise[3 * p + c]!)));
    rgba[4 * p + 3] = 255;
  }
  if (format === 'jpeg') return jpeg.encode({ width, height, data: rgba }, 90).data;
  const png = new PNG({ width, height });
  rgba.copy(png.data);
  return PNG.sync.write(png);
}

/** Writes `files` (path relative to `root` -> bytes or text) under `root`. */
export function writeTree(root: string, files: Record<string, Uint8Array | string>): void {
  for (const [path, data] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), data);
  }
}

/**
 * `perClass` images of each colour class under `root/prefix/CLASS/`, sizes 16-47 pixels a side,
 * every other one a JPEG; returns their paths.
 */
export function colourFolder(root: string, perClass: number, prefix = '', classes = Object.keys(COLOURS)): string[] {
  const files: Record<string, Uint8Array> = {};
  classes.forEach((name, c) => {
    for (let i = 0; i < perClass; i++) {
      const seed = 1000 * c + i + prefix.length * 7919;
      const [w, h] = [16 + ((seed * 7) % 32), 16 + ((seed * 13) % 32)];
      const format = i % 2 === 0 ? 'png' : 'jpeg';
      files[`${prefix}${name}/${i}.${format === 'png' ? 'png' : 'jpg'}`] = colourImage(COLOURS[name]!, w, h, format, seed);
    }
  });
  writeTree(root, files);
  return Object.keys(files);
}
