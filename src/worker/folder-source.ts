/**
 * Reads an image-folder data source for the trainer: lists it (a folder on disk in Node, or the
 * Files of a page's directory picker or drop), plans it (src/data/folder.ts), decodes the images
 * in decode workers (decode-pool.ts) and returns the training and validation sets as
 * ImageDatasets, with what was found in words.
 */
import { DatasetError, datasetBytes, ImageDataset } from '../data/cifar10.js';
import { listFolder, planImageFolder, type FolderListing, type FolderPlanOptions, type FolderSample } from '../data/folder.js';
import type { ResizeMode } from '../data/resize.js';
import type { DecodeJob } from './image-decoder.js';
import { decodeImages } from './decode-pool.js';

/** A file of a folder a page was given: its path relative to the folder's root ('/'-separated) and its bytes. */
export interface FolderFile {
  path: string;
  file: Blob;
}

export type FolderSource = Omit<FolderPlanOptions, 'limit'> & {
  kind: 'folder';
  /** Side of the square the images are resized to. Default: the model's input size (32 for the CIFAR models). */
  imageSize?: number;
  /** `crop` (default): shorter side to imageSize, then the centre; `stretch`: both sides to imageSize. */
  resize?: ResizeMode;
  /** Leave out images that cannot be decoded (and report them) instead of failing. Default false. */
  skipBadImages?: boolean;
  /** Names the folder in messages (default: its path, or the common first folder of the files' paths). */
  name?: string;
} & ({ path: string } | { files: FolderFile[]; folders?: string[] });

export interface FolderData {
  train: ImageDataset;
  test: ImageDataset;
  name: string;
  /** What was found and what was left out, in words. */
  details: string[];
}

export interface FolderReadOptions {
  /** The images' side when the source does not say. */
  defaultSize: number;
  /** Only the validation images are decoded (evaluation). */
  testOnly: boolean;
  limit: number | undefined;
  workers: number;
  onProgress?: (done: number, total: number) => void;
}

/** A page's files as a listing, without the root folder's own name when every path starts with the same one. */
function filesListing(source: { files: FolderFile[]; folders?: string[] }): { listing: FolderListing; root: string | undefined } {
  const paths = source.files.map((f) => f.path.replace(/^\/+/, ''));
  const first = paths[0]?.split('/')[0];
  // A directory picker's paths all start with the picked folder's name.
  const common = first !== undefined && paths.every((p) => p.startsWith(`${first}/`)) && paths.some((p) => p.split('/').length > 2) ? first : undefined;
  const strip = (p: string) => (common ? p.slice(common.length + 1) : p);
  return {
    listing: { files: paths.map(strip), folders: (source.folders ?? []).map((f) => strip(f.replace(/^\/+/, ''))).filter((f) => f.length > 0) },
    root: common,
  };
}

export async function readFolderSource(source: FolderSource, options: FolderReadOptions): Promise<FolderData> {
  const size = source.imageSize ?? options.defaultSize;
  if (!Number.isInteger(size) || size < 1 || size > 4096) throw new DatasetError(`the image size must be a whole number from 1 to 4096, got ${size}`);
  const resize = source.resize ?? 'crop';
  let listing: FolderListing;
  let name: string;
  let job: (path: string) => DecodeJob;
  if ('path' in source) {
    const { join } = await import('node:path');
    listing = await listFolder(source.path);
    name = source.name ?? source.path;
    job = (path) => ({ source: `${name}/${path}`, path: join(source.path, path) });
  } else {
    const { listing: l, root } = filesListing(source);
    listing = l;
    name = source.name ?? root ?? 'the folder';
    const byPath = new Map(source.files.map((f, i) => [l.files[i]!, f.file]));
    job = (path) => ({ source: `${name}/${path}`, file: byPath.get(path)! });
  }
  if (listing.files.length === 0 && (listing.folders ?? []).length === 0) throw new DatasetError(`${name} is empty: expected one folder per class of PNG or JPEG images`);
  const plan = planImageFolder(listing, name, { ...source, limit: options.limit });
  const details = [`${name}: ${plan.description}`];
  const read = async (samples: FolderSample[], offset: number, total: number) => {
    const decoded = await decodeImages(samples.map((s) => job(s.path)), {
      size, resize, skipBadImages: source.skipBadImages ?? false, workers: options.workers,
      onProgress: (done) => options.onProgress?.(offset + done, total),
    });
    const labels = datasetBytes(decoded.kept.length);
    decoded.kept.forEach((k, i) => (labels[i] = samples[k]!.label));
    if (decoded.skipped.length > 0) {
      details.push(`skipped ${decoded.skipped.length} bad image${decoded.skipped.length === 1 ? '' : 's'}: ${decoded.skipped.slice(0, 5).join('; ')}${decoded.skipped.length > 5 ? '; ...' : ''}`);
    }
    details.push(...decoded.notes);
    return new ImageDataset(decoded.images, labels, plan.classes, size, size, 3);
  };
  const total = (options.testOnly ? 0 : plan.train.length) + plan.val.length;
  const train = options.testOnly
    ? new ImageDataset(new Uint8Array(0), new Uint8Array(0), plan.classes, size, size, 3)
    : await read(plan.train, 0, total);
  const test = await read(plan.val, options.testOnly ? 0 : plan.train.length, total);
  if (!options.testOnly) {
    const missing = train.labelCounts().flatMap((n, c) => (n === 0 ? [plan.classes[c]!] : []));
    if (missing.length > 0) throw new DatasetError(`${name}: no training images left of ${missing.join(', ')} (every class needs at least one)`);
  } else if (test.length === 0) {
    throw new DatasetError(`${name}: no images to evaluate on (${plan.description})`);
  }
  details.push(`images resized to ${size}x${size} (${resize === 'crop' ? 'shorter side, then the centre' : 'stretched'}; PIL's bilinear filter with antialiasing)`);
  return { train, test, name, details };
}

