/**
 * The senet command on an image folder the test makes (three colour classes of PNG and JPEG
 * files of mixed sizes): a short training that beats chance, predict with the folder's class
 * names (--top, --json), eval on the held-out images, and the errors for bad flags and folders.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { senet } from './cli-runner.js';
import { colourFolder, colourImage, COLOURS, writeTree } from './image-folder.js';

describe('senet on an image folder', () => {
  it('trains beyond chance, then predicts and evaluates with the folder\'s class names', () => {
    const dir = mkdtempSync(join(tmpdir(), 'senet-folder-'));
    colourFolder(join(dir, 'photos'), 12);
    writeTree(join(dir, 'photos'), { 'red/broken.png': 'not an image', 'green/notes.txt': 'hello' });
    const args = ['train', '--data', 'photos', '--model', 'resnet20', '--image-size', '16', '--epochs', '6', '--batch-size', '4', '--threads', '2', '--out', 'run'];
    const refused = senet(args, dir);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('senet: photos/red/broken.png: not a PNG or JPEG file; PNG and JPEG images are supported (to leave such files out: --skip-bad-images');

    const train = senet([...args, '--skip-bad-images', '--save', 'w.safetensors'], dir);
    expect(train.code, train.stderr).toBe(0);
    expect(train.stderr).toContain('--data photos: an image folder (one folder per class)');
    expect(train.stderr).toContain('photos: an image folder: 3 classes (blue, green, red); 30 training images, 7 for validation held out (20% of each class, split seed 0); ignored 1 non-image file (green/notes.txt)');
    expect(train.stderr).toContain('skipped 1 bad image: photos/red/broken.png: not a PNG or JPEG file');
    expect(train.stderr).toContain('images resized to 16x16');
    expect(train.stderr).toContain('training resnet20 (272,019 parameters) on photos: 29 train / 7 test images');
    const last = [...train.stdout.matchAll(/^epoch 6\/6: .* test loss [\d.]+ acc ([\d.]+)%/gm)][0];
    expect(last, train.stdout).toBeDefined();
    expect(Number(last![1])).toBeGreaterThan(100 / 3 + 20); // chance is 33.3%

    const images = Object.entries(COLOURS).map(([name, colour], i) => {
      writeFileSync(join(dir, `${name}.${i === 1 ? 'jpg' : 'png'}`), colourImage(colour, 40 + 10 * i, 30, i === 1 ? 'jpeg' : 'png', 99 + i));
      return `${name}.${i === 1 ? 'jpg' : 'png'}`;
    });
    const predict = senet(['predict', '--weights', 'w.safetensors', '--top', '2', ...images], dir);
    expect(predict.code, predict.stderr).toBe(0);
    const lines = predict.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    images.forEach((file, i) => expect(lines[i]).toMatch(new RegExp(`^${file}: (blue|green|red) [\\d.]+%, (blue|green|red) [\\d.]+%$`)));
    const json = senet(['predict', '--weights', 'w.safetensors', '--json', '--top', '1', ...images], dir);
    expect(json.code, json.stderr).toBe(0);
    const objects = json.stdout.trim().split('\n').map((line) => JSON.parse(line));
    expect(objects.map((o) => o.file)).toEqual(images);
    for (const o of objects) {
      expect(Object.keys(o)).toEqual(['file', 'top', 'classes', 'probabilities', 'logits']);
      expect(o.classes).toEqual(['blue', 'green', 'red']);
      expect(o.top).toHaveLength(1);
      expect(o.top[0]).toEqual({ class: o.classes[o.top[0].index], index: expect.any(Number), probability: Math.max(...o.probabilities) });
      expect(o.probabilities.reduce((a: number, b: number) => a + b, 0)).toBeCloseTo(1, 6);
      expect(o.logits).toHaveLength(3);
    }
    // Clearly coloured images are told apart.
    expect(objects.map((o) => o.top[0].class)).toEqual(['blue', 'green', 'red']);

    const evaluation = senet(['eval', '--weights', 'w.safetensors', '--data', 'photos', '--threads', '1'], dir);
    expect(evaluation.code, evaluation.stderr).toBe(0);
    expect(evaluation.stdout).toMatch(/test loss [\d.]+, accuracy [\d.]+% \(7 images\)/);
    expect(evaluation.stdout).toMatch(/^ {2}green +[\d.]+%$/m);
    const all = senet(['eval', '--weights', 'w.safetensors', '--data', 'photos', '--val-fraction', '1', '--skip-bad-images', '--threads', '1'], dir);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toContain('(36 images)');
  });

  it('refuses folder flags for other data, bad values, and folders that are not image folders', () => {
    const dir = mkdtempSync(join(tmpdir(), 'senet-folder-'));
    colourFolder(join(dir, 'one'), 2, '', ['red']);
    const usage: [string[], string][] = [
      [['train', '--data', 'synthetic', '--image-size', '16'], '--image-size is for image folders; --data synthetic is the synthetic set'],
      [['train', '--data', 'one', '--val-fraction', '2'], "--val-fraction needs a number from 0 to 1, got '2'"],
      [['train', '--data', 'one', '--resize', 'fill'], '--resize must be one of crop, stretch'],
      [['train', '--data', 'nowhere'], '--data nowhere: no such file or folder'],
      [['predict', '--weights', 'w.safetensors', '--top', '0', 'a.png'], "--top needs a positive integer, got '0'"],
    ];
    for (const [args, message] of usage) {
      const r = senet(args, dir);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toContain(message);
    }
    const single = senet(['train', '--data', 'one', '--steps', '1'], dir);
    expect(single.code).toBe(1);
    expect(single.stderr).toContain('senet: one: only one class folder (red): a classifier needs at least 2 classes');
  });
});
