/**
 * Image-folder data sets in torchvision's ImageFolder convention: `root/CLASS/.../image.png`,
 * one folder per class (images in its subfolders count for it too), classes sorted by folder
 * name, the class count taken from the folders, images in ImageFolder's order (folder by folder
 * in sorted path order, files sorted by name). Two layouts:
 *
 * - `root/train/CLASS/...` and optionally `root/val/CLASS/...`: the classes are train's; val may
 *   hold only some of them, mapped by name (a val class train lacks is an error);
 * - flat class folders `root/CLASS/...` (or `root/train/` without `val/`): a seeded fraction of
 *   each class (`valFraction`, default 0.2) is held out for validation, the same files for the
 *   same seed and fraction.
 *
 * Files ending in .png, .jpg or .jpeg (any case) are images; files in other formats that
 * torchvision reads (.webp, .bmp, ...) are bad images; anything else (notes.txt, .DS_Store) is
 * ignored and counted, as torchvision ignores it. Hidden folders (`.git`, `.ipynb_checkpoints`)
 * are skipped. This module only plans: it works on a listing of relative paths (from the file
 * system, listFolder, or from a page's directory picker), and is platform-neutral but for
 * listFolder, which imports `node:` modules when called. Decoding is src/worker/decode-pool.ts.
 */
import { Rng } from '../nn/init.js';
import { DatasetError } from './cifar10.js';
import { IMAGE_EXTENSIONS, UNSUPPORTED_IMAGE_EXTENSIONS } from './image-format.js';

/** The files (and folders, where known: an empty class folder has no files) under a root, relative, '/'-separated. */
export interface FolderListing {
  files: string[];
  folders?: string[];
}

export interface FolderPlanOptions {
  /** Fraction of each class held out for validation when there is no val/ folder. Default 0.2. */
  valFraction?: number;
  /** Seed of that split. Default 0. */
  splitSeed?: number;
  /** Keep at most this many images of each split, taken round-robin over the classes. */
  limit?: number;
  /** Label images by these class names (e.g. a state dict's) instead of the folder's own. */
  classes?: readonly string[];
}

export interface FolderSample {
  /** Relative to the root. */
  path: string;
  label: number;
}

export interface FolderPlan {
  classes: string[];
  train: FolderSample[];
  val: FolderSample[];
  /** What was found, in words (`3 classes (cat, dog, fish); 96 training images in train/, ...`). */
  description: string;
  /** Files that are not images, ignored. */
  ignored: string[];
}

export const DEFAULT_VAL_FRACTION = 0.2;

const extension = (path: string) => {
  const name = path.slice(path.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  return dot <= 0 ? '' : name.slice(dot).toLowerCase();
};
const isImage = (path: string) => (IMAGE_EXTENSIONS as readonly string[]).includes(extension(path));
/** Whether `path` is a file the loader reads: an image, or one in a format we refuse by name. */
export const isImageLike = (path: string) => isImage(path) || (UNSUPPORTED_IMAGE_EXTENSIONS as readonly string[]).includes(extension(path));
const hidden = (segment: string) => segment.startsWith('.');

/** The class folders under `prefix` and the image files of each, in ImageFolder's order. */
function classFolders(listing: FolderListing, prefix: string, ignored: string[]): Map<string, string[]> {
  const classes = new Map<string, string[]>();
  for (const folder of listing.folders ?? []) {
    if (!folder.startsWith(prefix)) continue;
    const name = folder.slice(prefix.length).split('/')[0]!;
    if (name && !hidden(name)) classes.set(name, classes.get(name) ?? []);
  }
  for (const file of listing.files) {
    if (!file.startsWith(prefix)) continue;
    const parts = file.slice(prefix.length).split('/');
    // A file beside the class folders (the caller counts it), or in a hidden folder.
    if (parts.length < 2 || parts.slice(0, -1).some(hidden)) continue;
    const name = parts[0]!;
    const files = classes.get(name) ?? [];
    classes.set(name, files);
    if (isImageLike(file)) files.push(file);
    else ignored.push(file);
  }
  for (const [name, files] of classes) classes.set(name, imageFolderOrder(files));
  return new Map([...classes].sort(([a], [b]) => compare(a, b)));
}

/** UTF-16 order: Python's sorted() of str (code points) but for characters beyond the BMP. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** os.walk's order as ImageFolder sorts it: folders by path, files by name within each. */
function imageFolderOrder(files: string[]): string[] {
  const dir = (f: string) => f.slice(0, f.lastIndexOf('/'));
  return [...files].sort((a, b) => compare(dir(a), dir(b)) || compare(a, b));
}

/** Files directly in a folder (not in a class folder) of the listing, under `prefix`. */
function looseFiles(listing: FolderListing, prefix: string): string[] {
  return listing.files.filter((f) => f.startsWith(prefix) && !f.slice(prefix.length).includes('/'));
}

/** Round-robin over the classes until `limit` samples, then back in ImageFolder order. */
function roundRobin(samples: FolderSample[], classes: number, limit: number | undefined): FolderSample[] {
  if (limit === undefined || samples.length <= limit) return samples;
  const byClass = Array.from({ length: classes }, () => [] as number[]);
  samples.forEach((s, i) => byClass[s.label]!.push(i));
  const chosen: number[] = [];
  for (let k = 0; chosen.length < limit; k++) {
    for (const indices of byClass) if (k < indices.length && chosen.length < limit) chosen.push(indices[k]!);
  }
  return chosen.sort((a, b) => a - b).map((i) => samples[i]!);
}

/**
 * Each class's held-out files, drawn by a seeded shuffle: round(n * fraction) of its n, but at
 * most n - 1 below a fraction of 1 (every class keeps a training image); all of them at 1.
 */
function holdOut(files: string[], fraction: number, rng: Rng): Set<string> {
  const count = fraction === 1 ? files.length : Math.min(files.length - 1, Math.round(files.length * fraction));
  const order = files.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rng.uniform() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return new Set(order.slice(0, Math.max(0, count)).map((i) => files[i]!));
}

const list = (names: readonly string[], max = 6) => names.slice(0, max).join(', ') + (names.length > max ? `, ... (${names.length} in all)` : '');
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/**
 * Plans an image folder: its classes, and which files are the training and validation images
 * with which labels. `source` names the root in errors and in the description.
 */
export function planImageFolder(listing: FolderListing, source: string, options: FolderPlanOptions = {}): FolderPlan {
  const fraction = options.valFraction ?? DEFAULT_VAL_FRACTION;
  if (!(fraction >= 0 && fraction <= 1)) throw new DatasetError(`${source}: the validation fraction must be in [0, 1], got ${fraction}`);
  const topFolders = new Set([
    ...(listing.folders ?? []).map((f) => f.split('/')[0]!),
    ...listing.files.filter((f) => f.includes('/')).map((f) => f.split('/')[0]!),
  ]);
  const split = topFolders.has('train');
  const trainPrefix = split ? 'train/' : '';
  const ignored: string[] = [];
  const trainFolders = classFolders(listing, trainPrefix, ignored);
  const where = (prefix: string) => `${source}${prefix ? `/${prefix.slice(0, -1)}` : ''}`;
  const loose = looseFiles(listing, trainPrefix).filter((f) => !hidden(f.slice(trainPrefix.length)));
  if (trainFolders.size === 0) {
    const images = loose.filter(isImageLike);
    if (images.length > 0) {
      throw new DatasetError(
        `${where(trainPrefix)}: ${plural(images.length, 'image')} (${list(images)}) but no class folders: an image folder holds one ` +
          'folder per class (root/CLASS/image.png, or root/train/CLASS/... and root/val/CLASS/...)',
      );
    }
    throw new DatasetError(
      `${where(trainPrefix)}: no class folders and no images: an image folder holds one folder per class ` +
        `(root/CLASS/image.png, or root/train/CLASS/... and root/val/CLASS/...), and a CIFAR-10 folder its .bin files`,
    );
  }
  ignored.push(...loose.filter((f) => !isImageLike(f)));
  const empty = [...trainFolders].filter(([, files]) => files.length === 0).map(([name]) => name);
  if (empty.length > 0) {
    throw new DatasetError(
      `${where(trainPrefix)}: no PNG or JPEG images in the class folder${empty.length > 1 ? 's' : ''} ${list(empty)}: every class needs at least one ` +
        '(remove the folder to drop the class)',
    );
  }
  const folderClasses = [...trainFolders.keys()];
  if (folderClasses.length === 1 && !options.classes) {
    throw new DatasetError(`${where(trainPrefix)}: only one class folder (${folderClasses[0]}): a classifier needs at least 2 classes`);
  }
  const classes = options.classes ? [...options.classes] : folderClasses;
  const labelOf = (name: string, at: string) => {
    const label = classes.indexOf(name);
    if (label < 0) throw new DatasetError(`${at}/${name}: class '${name}' is not among the classes ${options.classes ? 'of the weights' : 'of train/'} (${list(classes, 12)})`);
    return label;
  };

  const train: FolderSample[] = [];
  const val: FolderSample[] = [];
  let valFrom: string;
  const hasValFolder = split && topFolders.has('val');
  if (hasValFolder) {
    for (const [name, files] of trainFolders) for (const path of files) train.push({ path, label: labelOf(name, where(trainPrefix)) });
    const valFolders = classFolders(listing, 'val/', ignored);
    ignored.push(...looseFiles(listing, 'val/').filter((f) => !isImageLike(f)));
    for (const [name, files] of valFolders) for (const path of files) val.push({ path, label: labelOf(name, `${source}/val`) });
    const present = [...valFolders].filter(([, files]) => files.length > 0).length;
    valFrom = `in val/ (${present} of ${classes.length} classes)`;
  } else {
    const rng = new Rng((options.splitSeed ?? 0) >>> 0);
    for (const [name, files] of trainFolders) {
      const label = labelOf(name, where(trainPrefix));
      const held = holdOut(files, fraction, rng);
      for (const path of files) (held.has(path) ? val : train).push({ path, label });
    }
    valFrom = `held out (${Math.round(fraction * 100)}% of each class, split seed ${options.splitSeed ?? 0})`;
  }
  const sortByOrder = (samples: FolderSample[]) => samples.sort((a, b) => a.label - b.label);
  const limitedTrain = roundRobin(sortByOrder(train), classes.length, options.limit);
  const limitedVal = roundRobin(sortByOrder(val), classes.length, options.limit);
  const description =
    `an image folder${split ? ' (train/' + (hasValFolder ? ', val/)' : ')') : ''}: ${plural(classes.length, 'class', 'classes')} (${list(classes)}); ` +
    `${plural(limitedTrain.length, 'training image')}${split ? ' in train/' : ''}, ${limitedVal.length} for validation ${valFrom}` +
    (options.limit !== undefined && (limitedTrain.length < train.length || limitedVal.length < val.length) ? ` (--limit ${options.limit} of ${train.length} + ${val.length})` : '') +
    (ignored.length > 0 ? `; ignored ${plural(ignored.length, 'non-image file')} (${list(ignored, 3)})` : '');
  return { classes, train: limitedTrain, val: limitedVal, description, ignored };
}

/** Every file and folder under `root` (Node), relative and '/'-separated, following symbolic links as ImageFolder does. */
export async function listFolder(root: string): Promise<FolderListing> {
  const { readdir, stat, realpath } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const listing: Required<FolderListing> = { files: [], folders: [] };
  const seen = new Set<string>();
  const walk = async (relative: string): Promise<void> => {
    const absolute = relative ? join(root, relative) : root;
    const real = await realpath(absolute);
    if (seen.has(real)) return; // a link back up the tree
    seen.add(real);
    const entries = await readdir(absolute, { withFileTypes: true });
    for (const entry of entries) {
      const path = relative ? `${relative}/${entry.name}` : entry.name;
      let isDirectory = entry.isDirectory();
      if (entry.isSymbolicLink()) isDirectory = (await stat(join(root, path)).catch(() => undefined))?.isDirectory() ?? false;
      if (isDirectory) {
        listing.folders.push(path);
        if (!hidden(entry.name)) await walk(path);
      } else {
        listing.files.push(path);
      }
    }
  };
  try {
    await walk('');
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new DatasetError(`${root} does not exist or is not a folder`, { cause: error });
    if (code === 'EACCES') throw new DatasetError(`${root}: permission denied reading ${(error as { path?: string }).path ?? 'a folder'}`, { cause: error });
    throw error;
  }
  return listing;
}
