/**
 * Image folders: the plan (classes, layouts, the seeded split, --limit, every error), decoding
 * and resizing against torchvision's ImageFolder (the image_folder fixture: every PNG mode and
 * JPEG kind), bad and non-image files, and createTrainer().loadData({ kind: 'folder' }).
 * Imports dist/ (npm test builds it first): the decode workers load dist's JavaScript.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createTrainer, type TrainerClient } from '../dist/index.js';
import { planImageFolder, type FolderListing } from '../dist/data/folder.js';
import { readFolderSource, type FolderSource } from '../dist/worker/folder-source.js';
import { itWithFixture } from './fixtures.js';
import { colourFolder, colourImage, COLOURS, writeTree } from './image-folder.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'senet-folder-'));
const read = (source: FolderSource, options: { testOnly?: boolean; limit?: number; defaultSize?: number } = {}) =>
  readFolderSource(source, { defaultSize: options.defaultSize ?? 32, testOnly: options.testOnly ?? false, limit: options.limit, workers: 2 });

describe('planImageFolder', () => {
  const flat: FolderListing = {
    files: [
      ...['b.png', 'a.png', 'sub/c.jpg', 'd.JPEG', 'notes.txt'].map((f) => `dog/${f}`),
      ...Array.from({ length: 10 }, (_, i) => `cat/${i}.png`),
      '.hidden/x.png', 'cat/.ipynb_checkpoints/y.png', 'README.md',
    ],
  };

  it('takes the classes from the folder names, sorted, and the images in ImageFolder order', () => {
    const plan = planImageFolder(flat, 'root', { valFraction: 0 });
    expect(plan.classes).toEqual(['cat', 'dog']);
    expect(plan.val).toEqual([]);
    expect(plan.train.filter((s) => s.label === 1).map((s) => s.path)).toEqual(['dog/a.png', 'dog/b.png', 'dog/d.JPEG', 'dog/sub/c.jpg']);
    expect(plan.train.filter((s) => s.label === 0)).toHaveLength(10);
    expect(plan.ignored.sort()).toEqual(['README.md', 'dog/notes.txt']);
    expect(plan.description).toContain('2 classes (cat, dog); 14 training images, 0 for validation');
    expect(plan.description).toContain('ignored 2 non-image files');
  });

  it('holds out a seeded fraction of each class: the same files for the same seed, others for another', () => {
    const a = planImageFolder(flat, 'root');
    expect(a.val.filter((s) => s.label === 0)).toHaveLength(2); // 20% of 10
    expect(a.val.filter((s) => s.label === 1)).toHaveLength(1); // round(0.8)
    expect(a.train.length + a.val.length).toBe(14);
    expect(new Set([...a.train, ...a.val].map((s) => s.path)).size).toBe(14);
    expect(planImageFolder(flat, 'root').val).toEqual(a.val);
    const seeds = Array.from({ length: 8 }, (_, seed) => JSON.stringify(planImageFolder(flat, 'root', { splitSeed: seed + 1 }).val));
    expect(new Set(seeds).size).toBeGreaterThan(1);
    // Every class keeps a training image below a fraction of 1; at 1, every image is held out.
    expect(planImageFolder({ files: ['a/1.png', 'b/1.png'] }, 'root', { valFraction: 0.9 }).train).toHaveLength(2);
    expect(planImageFolder(flat, 'root', { valFraction: 1 }).val).toHaveLength(14);
    expect(() => planImageFolder(flat, 'root', { valFraction: 1.5 })).toThrow('root: the validation fraction must be in [0, 1], got 1.5');
  });

  it('reads train/ and val/, a val/ of only some classes mapped by name', () => {
    const plan = planImageFolder({ files: ['train/cat/1.png', 'train/dog/1.png', 'train/emu/1.jpg', 'val/dog/2.png', 'val/dog/3.png'] }, 'root');
    expect(plan.classes).toEqual(['cat', 'dog', 'emu']);
    expect(plan.train.map((s) => s.label)).toEqual([0, 1, 2]);
    expect(plan.val).toEqual([{ path: 'val/dog/2.png', label: 1 }, { path: 'val/dog/3.png', label: 1 }]);
    expect(plan.description).toContain('an image folder (train/, val/): 3 classes (cat, dog, emu); 3 training images in train/, 2 for validation in val/ (1 of 3 classes)');
    expect(() => planImageFolder({ files: ['train/cat/1.png', 'train/dog/1.png', 'val/cow/1.png'] }, 'root')).toThrow(
      "root/val/cow: class 'cow' is not among the classes of train/ (cat, dog)",
    );
    // train/ without val/: the split is held out of train/.
    expect(planImageFolder({ files: ['train/cat/1.png', 'train/cat/2.png', 'train/dog/1.png'] }, 'root', { valFraction: 0.5 }).val).toHaveLength(1);
  });

  it('labels by the class names it is given (a state dict\'s), and refuses a folder of another class', () => {
    const plan = planImageFolder({ files: ['dog/1.png'] }, 'root', { classes: ['cat', 'dog', 'emu'], valFraction: 1 });
    expect(plan.val).toEqual([{ path: 'dog/1.png', label: 1 }]);
    expect(() => planImageFolder({ files: ['cow/1.png'] }, 'root', { classes: ['cat', 'dog'] })).toThrow(
      "root/cow: class 'cow' is not among the classes of the weights (cat, dog)",
    );
  });

  it('keeps --limit images of each split, round-robin over the classes', () => {
    const plan = planImageFolder(flat, 'root', { valFraction: 0, limit: 5 });
    expect(plan.train.map((s) => s.label)).toEqual([0, 0, 0, 1, 1]);
    expect(plan.description).toContain('(--limit 5 of 14 + 0)');
  });

  it('says what is wrong with a folder that is not an image folder', () => {
    const cases: [FolderListing, string][] = [
      [{ files: ['a.png', 'b.jpg'] }, 'root: 2 images (a.png, b.jpg) but no class folders: an image folder holds one folder per class (root/CLASS/image.png, or root/train/CLASS/... and root/val/CLASS/...)'],
      [{ files: ['notes.txt'] }, 'root: no class folders and no images'],
      [{ files: ['cat/1.png'], folders: ['cat', 'dog', 'emu'] }, 'root: no PNG or JPEG images in the class folders dog, emu: every class needs at least one (remove the folder to drop the class)'],
      [{ files: ['cat/1.png', 'dog/notes.txt'] }, 'root: no PNG or JPEG images in the class folder dog'],
      [{ files: ['cat/1.png', 'cat/2.jpg'] }, 'root: only one class folder (cat): a classifier needs at least 2 classes'],
      [{ files: ['train/cat/1.png'], folders: ['train/dog'] }, 'root/train: no PNG or JPEG images in the class folder dog'],
    ];
    for (const [listing, message] of cases) expect(() => planImageFolder(listing, 'root'), message).toThrow(message);
  });
});

describe('reading an image folder', () => {
  itWithFixture('image_folder', 'decodes every PNG mode and JPEG kind and resizes as torchvision\'s ImageFolder does', async (fixture) => {
    const root = tmp();
    const paths = fixture.meta<string[]>('paths');
    const files = Object.fromEntries(fixture.names().filter((n) => n.startsWith('file.')).map((n) => [n.slice(5), fixture.u8(n).data]));
    writeTree(root, files);
    const jpegs = new Set(fixture.meta<string[]>('jpeg'));
    const labels = fixture.i64('labels').data;
    for (const [tensor, size, resize] of [['crop32', 32, 'crop'], ['stretch16', 16, 'stretch']] as const) {
      const { test, details } = await read({ kind: 'folder', path: root, valFraction: 1, imageSize: size, resize }, { testOnly: true });
      expect(test.classes).toEqual(fixture.meta<string[]>('classes'));
      expect(Array.from(test.labels)).toEqual(labels);
      const want = fixture.u8(tensor).data;
      expect(test.images.length).toBe(want.length);
      const bytes = 3 * size * size;
      paths.forEach((path, i) => {
        let worst = 0;
        let total = 0;
        for (let j = i * bytes; j < (i + 1) * bytes; j++) {
          const d = Math.abs(test.images[j]! - want[j]!);
          worst = Math.max(worst, d);
          total += d;
        }
        // PNG: PIL's bytes exactly. JPEG: jpeg-js's IDCT and chroma upsampling are not libjpeg's
        // (grey JPEG: within 1; colour: a mean of 0.6-2 levels).
        if (jpegs.has(path)) {
          expect(total / bytes, `${tensor} ${path}`).toBeLessThan(3);
          expect(worst, `${tensor} ${path}`).toBeLessThanOrEqual(24);
        } else {
          expect(worst, `${tensor} ${path}`).toBe(0);
        }
      });
      expect(details).toContain("1 file: 16-bit greyscale PNG: values above 255 clip to white, as PIL's convert('RGB') does");
      expect(details.join('\n')).toContain('ignored 1 non-image file (bird/notes.txt)');
    }
  });

  it('names a corrupt, truncated or unsupported image, or skips and counts them with skipBadImages', async () => {
    const root = tmp();
    colourFolder(root, 3);
    const good = colourImage(COLOURS.red!, 20, 20, 'png', 1);
    const cases: [string, Uint8Array | string, string][] = [
      ['red/garbage.png', 'not a png at all', 'red/garbage.png: not a PNG or JPEG file; PNG and JPEG images are supported'],
      ['red/truncated.png', good.subarray(0, good.length - 30), 'red/truncated.png: corrupt or unreadable PNG file'],
      ['red/cut.jpg', colourImage(COLOURS.red!, 20, 20, 'jpeg', 1).subarray(0, 100), 'red/cut.jpg: corrupt or unreadable JPEG file'],
      ['red/anim.gif', 'GIF89a....', 'red/anim.gif: a GIF file; PNG and JPEG images are supported'],
      ['red/empty.jpeg', '', 'red/empty.jpeg: an empty file'],
    ];
    for (const [path, data, message] of cases) {
      const one = tmp();
      colourFolder(one, 2);
      writeTree(one, { [path]: data });
      await expect(read({ kind: 'folder', path: one }), path).rejects.toThrow(`${one}/${message}`);
      await expect(read({ kind: 'folder', path: one }), path).rejects.toThrow('(to leave such files out: --skip-bad-images, or skipBadImages: true in loadData)');
    }
    writeTree(root, Object.fromEntries(cases.map(([path, data]) => [path, data])));
    const { train, test, details } = await read({ kind: 'folder', path: root, skipBadImages: true, valFraction: 0 });
    expect(train.length + test.length).toBe(9);
    expect(details.join('\n')).toContain(`skipped 5 bad images: ${root}/red/anim.gif: a GIF file`);
    expect(Array.from(train.labels)).toEqual([0, 0, 0, 1, 1, 1, 2, 2, 2]);
  });

  it('fails when skipping leaves a class without training images, and when the folder is missing or empty', async () => {
    const root = tmp();
    colourFolder(root, 2, '', ['blue', 'green']);
    writeTree(root, { 'red/bad.png': 'bad' });
    await expect(read({ kind: 'folder', path: root, skipBadImages: true })).rejects.toThrow(`${root}: no training images left of red (every class needs at least one)`);
    await expect(read({ kind: 'folder', path: join(root, 'nope') })).rejects.toThrow(`${join(root, 'nope')} does not exist or is not a folder`);
    const empty = tmp();
    await expect(read({ kind: 'folder', path: empty })).rejects.toThrow(`${empty} is empty: expected one folder per class of PNG or JPEG images`);
  });

  it('reads a page\'s files (a directory picker\'s paths start with the folder\'s name) as it reads the folder', async () => {
    const root = tmp();
    const paths = colourFolder(root, 2);
    const fromDisk = await read({ kind: 'folder', path: root, valFraction: 0 });
    const { readFileSync } = await import('node:fs');
    const files = paths.map((path) => ({ path: `photos/${path}`, file: new Blob([readFileSync(join(root, path))]) }));
    const fromFiles = await read({ kind: 'folder', files, valFraction: 0 });
    expect(fromFiles.name).toBe('photos');
    expect(fromFiles.train.classes).toEqual(['blue', 'green', 'red']);
    expect(fromFiles.train.images).toEqual(fromDisk.train.images);
    expect(Array.from(fromFiles.train.labels)).toEqual(Array.from(fromDisk.train.labels));
  });
});

describe('createTrainer with an image folder', () => {
  const open: TrainerClient[] = [];
  afterEach(async () => void (await Promise.all(open.splice(0).map((t) => t.close()))));

  it('rebuilds a fresh model for the folder\'s classes, reports progress, records the classes and image size, and predicts at that size', async () => {
    const root = tmp();
    colourFolder(root, 6);
    const trainer = await createTrainer({ model: 'resnet20', threads: 1 });
    open.push(trainer);
    expect(trainer.info.parameters).toBe(272_474);
    const progress: number[] = [];
    const info = await trainer.loadData({ kind: 'folder', path: root, imageSize: 16, valFraction: 0.5 }, { onProgress: (done) => progress.push(done) });
    expect(info).toMatchObject({ source: root, train: 9, test: 9, classes: ['blue', 'green', 'red'], imageSize: [16, 16], parameters: 272_474 - 7 * 65 });
    expect(trainer.info.parameters).toBe(272_474 - 7 * 65);
    expect(progress.at(-1)).toBe(18);
    expect(await trainer.inputSize()).toEqual({ size: [16, 16], resize: 'crop' });
    await trainer.fit({ epochs: 1, batchSize: 9 });
    const { images, labels, shape } = await trainer.testImages(0, 3);
    expect(shape).toEqual([3, 16, 16]);
    expect(labels).toEqual([0, 0, 0]);
    const prediction = await trainer.predict(images, 3);
    expect(prediction.logits[0]).toHaveLength(3);
    const weights = await trainer.stateDict();
    const header = JSON.parse(new TextDecoder().decode(weights.subarray(8, 8 + Number(new DataView(weights.buffer, weights.byteOffset).getBigUint64(0, true)))));
    expect(header.__metadata__).toMatchObject({ classes: '["blue","green","red"]', image_size: '[16,16]', resize: 'crop', model_options: '{"numClasses":3}' });
    // A trained model keeps its classes: data of another class count is refused.
    const other = tmp();
    colourFolder(other, 2, '', ['blue', 'green']);
    await expect(trainer.loadData({ kind: 'folder', path: other })).rejects.toThrow(`${other} has 2 classes; the model holds weights for 3 (trained or loaded), so it cannot change`);
  });
});
