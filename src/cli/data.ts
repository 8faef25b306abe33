/**
 * Where the CLI's data comes from: `--data` names a CIFAR-10 folder or archive, or an image
 * folder (one folder per class), told apart by what the path holds; or the synthetic set; or,
 * without `--data`, ./data, downloading CIFAR-10 there.
 */
import { join } from 'node:path';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { CIFAR10_ARCHIVE, CIFAR10_FILES, CIFAR10_FOLDER, CIFAR10_META_FILE, DatasetError } from '../data/cifar10.js';
import { ensureCifar10 } from '../data/download.js';
import { RESIZE_MODES } from '../data/resize.js';
import { formatDownload } from '../train/progress.js';
import type { DataSource } from '../worker/trainer.js';
import type { FolderSource } from '../worker/folder-source.js';
import { oneOf, positiveInt, UsageError } from './usage.js';

export const DEFAULT_DATA_DIR = 'data';

/** The flags that shape an image folder (senet train and senet eval). */
export const FOLDER_OPTIONS = {
  'image-size': { type: 'string' }, resize: { type: 'string' }, 'val-fraction': { type: 'string' },
  'split-seed': { type: 'string' }, 'skip-bad-images': { type: 'boolean' },
} as const;

export const FOLDER_HELP = `  --image-size N             image folders: resize images to N x N (default: the model's input, 32)
  --resize crop|stretch      image folders: shorter side to N then the centre (default), or both sides to N
  --val-fraction F           image folders without val/: hold out this fraction of each class (default 0.2)
  --split-seed S             image folders without val/: the seed of that split (default 0)
  --skip-bad-images          image folders: leave out (and count) images that cannot be decoded`;

/** What `--data PATH` holds: CIFAR-10 (its folder, parent folder or archive) or, else, an image folder. */
export function detectData(path: string): 'cifar10' | 'folder' {
  if (!existsSync(path)) throw new UsageError(`--data ${path}: no such file or folder`);
  if (!statSync(path).isDirectory()) return 'cifar10'; // an archive: the reader checks it
  const known = [...CIFAR10_FILES.train, ...CIFAR10_FILES.test, CIFAR10_META_FILE, CIFAR10_FOLDER, CIFAR10_ARCHIVE];
  if (known.some((name) => existsSync(join(path, name)))) return 'cifar10';
  if (readdirSync(path, { withFileTypes: true }).some((e) => !e.name.startsWith('.') && (e.isDirectory() || (e.isSymbolicLink() && statSync(join(path, e.name)).isDirectory())))) return 'folder';
  throw new DatasetError(
    `${path} holds no CIFAR-10 data (no ${CIFAR10_FILES.train[0]}, ${CIFAR10_FOLDER}/ or ${CIFAR10_ARCHIVE}) and no class folders of images ` +
      `(CLASS/image.png, or train/CLASS/ and val/CLASS/): run senet train without --data to download CIFAR-10 to ./data`,
  );
}

/** An image folder's options where the flags give none (senet eval: what the weights record). */
export type FolderDefaults = Pick<FolderSource, 'imageSize' | 'resize' | 'classes'>;

/** The folder options of the flags (undefined where not given; the trainer's defaults apply). */
function folderOptions(v: Record<string, unknown>): Omit<FolderSource, 'kind' | 'path' | 'files'> {
  const fraction = v['val-fraction'] === undefined ? undefined : Number(v['val-fraction']);
  if (fraction !== undefined && !(fraction >= 0 && fraction <= 1)) throw new UsageError(`--val-fraction needs a number from 0 to 1, got '${String(v['val-fraction'])}'`);
  const splitSeed = v['split-seed'] === undefined ? undefined : Number(v['split-seed']);
  if (splitSeed !== undefined && !(Number.isInteger(splitSeed) && splitSeed >= 0)) throw new UsageError(`--split-seed needs an integer >= 0, got '${String(v['split-seed'])}'`);
  return {
    ...(v['image-size'] === undefined ? {} : { imageSize: positiveInt('image-size', v['image-size']) }),
    ...(v.resize === undefined ? {} : { resize: oneOf('resize', v.resize, RESIZE_MODES, 'crop') }),
    ...(fraction === undefined ? {} : { valFraction: fraction }),
    ...(splitSeed === undefined ? {} : { splitSeed }),
    ...(v['skip-bad-images'] ? { skipBadImages: true } : {}),
  };
}

/**
 * The trainer's data source for the flags `v` (`--data` undefined: ./data, downloading the
 * official archive there if it is absent), and what `--data` was found to be. `limit` keeps the
 * first N training and N test records (of an image folder: N of each, round-robin over the classes).
 */
export async function dataSource(v: Record<string, unknown>, limit: number | undefined, defaults: FolderDefaults = {}): Promise<{ source: DataSource; found?: string }> {
  const data = v.data as string | undefined;
  const limited = limit === undefined ? {} : { limit };
  const folder = folderOptions(v);
  const folderFlags = Object.keys(FOLDER_OPTIONS).filter((flag) => v[flag] !== undefined);
  const kind = data === 'synthetic' ? 'synthetic' : data === undefined ? 'cifar10' : detectData(data);
  if (kind !== 'folder' && folderFlags.length > 0) {
    throw new UsageError(`--${folderFlags[0]} is for image folders; --data ${data ?? '(default ./data)'} is ${kind === 'synthetic' ? 'the synthetic set' : 'CIFAR-10'}`);
  }
  if (kind === 'synthetic') {
    return { source: { kind: 'synthetic', train: limit ?? 5000, test: Math.min(limit ?? 1000, 1000), ...limited } };
  }
  if (kind === 'folder') {
    return { source: { kind: 'folder', path: data!, ...defaults, ...folder, ...limited }, found: `--data ${data}: an image folder (one folder per class)` };
  }
  let path = data;
  if (path === undefined) {
    const inner = join(DEFAULT_DATA_DIR, CIFAR10_FOLDER);
    path = existsSync(inner)
      ? inner
      : await ensureCifar10(DEFAULT_DATA_DIR, {
          onProgress: (received, total) => process.stderr.write(`\r${formatDownload(CIFAR10_ARCHIVE, received, total)}`),
        });
    process.stderr.write('\n');
  }
  const what = statSync(path).isDirectory() ? 'a CIFAR-10 folder' : 'a CIFAR-10 archive';
  return { source: { kind: 'path', path, ...limited }, found: `--data ${path}: ${what}` };
}
