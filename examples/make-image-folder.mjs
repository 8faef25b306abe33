// Writes an image folder to try `senet train --data` on: DIR/CLASS/N.png|jpg, three classes
// (red, green, blue) of noisy single-colour pictures of mixed sizes, PNG and JPEG, COUNT each.
// Usage: node examples/make-image-folder.mjs DIR [COUNT]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

const [dir, count = '20'] = process.argv.slice(2);
if (!dir) throw new Error('usage: node examples/make-image-folder.mjs DIR [COUNT]');
const colours = { red: [220, 40, 40], green: [40, 200, 60], blue: [40, 60, 230] };
let state = 15;
const random = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32);

for (const [name, colour] of Object.entries(colours)) {
  mkdirSync(join(dir, name), { recursive: true });
  for (let i = 0; i < Number(count); i++) {
    const [width, height] = [24 + Math.floor(random() * 40), 24 + Math.floor(random() * 40)];
    const rgba = Buffer.alloc(width * height * 4, 255);
    for (let p = 0; p < width * height; p++) {
      for (let c = 0; c < 3; c++) rgba[4 * p + c] = Math.max(0, Math.min(255, colour[c] + (random() - 0.5) * 100));
    }
    if (i % 2 === 0) {
      const png = new PNG({ width, height });
      rgba.copy(png.data);
      writeFileSync(join(dir, name, `${i}.png`), PNG.sync.write(png));
    } else {
      writeFileSync(join(dir, name, `${i}.jpg`), jpeg.encode({ width, height, data: rgba }, 90).data);
    }
  }
}
console.log(`wrote ${3 * Number(count)} images to ${dir}/{red,green,blue}/`);
