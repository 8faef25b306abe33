/**
 * The CIFAR-10 data set, binary version (https://www.cs.toronto.edu/~kriz/cifar.html).
 *
 * Each record is 3073 bytes: 1 label byte (0-9), then 3072 pixel bytes: the red plane, then
 * green, then blue, each 32x32 row-major; that is one CHW uint8 image. The files:
 * `data_batch_1.bin` ... `data_batch_5.bin` (training, 10000 records each), `test_batch.bin`
 * (10000 records) and `batches.meta.txt` (the class names, one a line, in label order); the
 * official `cifar-10-binary.tar.gz` holds them in a folder `cifar-10-batches-bin/`.
 *
 * `ImageDataset`, `parseCifarBatch`, `readCifar10Tar`, `readCifar10Archive` and `readCifar10Files`
 * are platform-neutral (a page passes the Files a user picked); `loadCifar10` reads from the
 * file system and imports `node:` modules only when called.
 */

import { readTar, TarError } from './tar.js';

export const CIFAR10_CLASSES = [
  'airplane',
  'automobile',
  'bird',
  'cat',
  'deer',
  'dog',
  'frog',
  'horse',
  'ship',
  'truck',
] as const;

/** Bytes in one record: the label byte and the 3x32x32 pixels. */
export const RECORD_BYTES = 3073;
const IMAGE_BYTES = RECORD_BYTES - 1;
const NUM_CLASSES = CIFAR10_CLASSES.length;

/** The files of each split, in the order their records are concatenated. */
export const CIFAR10_FILES = {
  train: ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'],
  test: ['test_batch.bin'],
} as const satisfies Record<'train' | 'test', readonly string[]>;

/** The file naming the classes. */
export const CIFAR10_META_FILE = 'batches.meta.txt';
/** The folder holding the files in the official archive. */
export const CIFAR10_FOLDER = 'cifar-10-batches-bin';
/** The official archive's file name. */
export const CIFAR10_ARCHIVE = 'cifar-10-binary.tar.gz';

export type Split = 'train' | 'test';

const WHERE_FROM =
  'expected the CIFAR-10 binary version (cifar-10-binary.tar.gz) — run `senet train` without ' +
  '--data to download it, or pass --data DIR|FILE';

/** A missing, malformed or unreadable data set; the message names the file. */
export class DatasetError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DatasetError';
  }
}

/**
 * `length` zeroed bytes, in shared memory where the host has it (Node; a cross-origin isolated
 * page), so that workers (the batch worker) read a data set without a copy of their own.
 */
export function datasetBytes(length: number): Uint8Array {
  return typeof SharedArrayBuffer === 'function' ? new Uint8Array(new SharedArrayBuffer(length)) : new Uint8Array(length);
}

/** Images as CHW uint8, 3x32x32, one contiguous buffer, with labels. */
export class ImageDataset {
  constructor(
    /** `length` images of `channels * height * width` bytes each, CHW, one after the other. */
    readonly images: Uint8Array,
    readonly labels: Uint8Array,
    readonly classes: readonly string[],
    readonly height = 32,
    readonly width = 32,
    readonly channels = 3,
  ) {
    for (const [what, v] of [['height', height], ['width', width], ['channels', channels]] as const) {
      if (!Number.isSafeInteger(v) || v <= 0) throw new RangeError(`ImageDataset: bad ${what} ${v}`);
    }
    if (images.length !== labels.length * this.imageBytes) {
      throw new RangeError(
        `ImageDataset: ${images.length} image bytes for ${labels.length} labels ` +
          `(expected ${labels.length} x ${channels}x${height}x${width} = ${labels.length * this.imageBytes})`,
      );
    }
  }

  /** Bytes per image: channels * height * width. */
  get imageBytes(): number {
    return this.channels * this.height * this.width;
  }

  get length(): number {
    return this.labels.length;
  }

  /** Image `i` (CHW): a view into `images`, not a copy. */
  image(i: number): Uint8Array {
    this.check(i);
    const n = this.imageBytes;
    return this.images.subarray(i * n, (i + 1) * n);
  }

  label(i: number): number {
    this.check(i);
    return this.labels[i] ?? 0;
  }

  /** The first `count` records (all of them when `count` >= length), sharing this buffer. */
  subset(count: number): ImageDataset {
    if (!Number.isSafeInteger(count) || count < 0) {
      throw new RangeError(`ImageDataset.subset: count must be a whole number >= 0, got ${count}`);
    }
    const n = Math.min(count, this.length);
    return new ImageDataset(
      this.images.subarray(0, n * this.imageBytes),
      this.labels.subarray(0, n),
      this.classes,
      this.height,
      this.width,
      this.channels,
    );
  }

  /** How many records have each label: `counts[c]` for class c. */
  labelCounts(): number[] {
    const counts = new Array<number>(this.classes.length).fill(0);
    for (const l of this.labels) counts[l] = (counts[l] ?? 0) + 1;
    return counts;
  }

  private check(i: number): void {
    if (!Number.isSafeInteger(i) || i < 0 || i >= this.length) {
      throw new RangeError(`ImageDataset: index ${i} is out of range 0-${this.length - 1}`);
    }
  }
}

/** Throws unless `bytes` is a whole, non-empty number of records; returns the record count. */
function countRecords(size: number, source: string): number {
  if (size === 0) throw new DatasetError(`${source}: the file is empty (${WHERE_FROM})`);
  if (size % RECORD_BYTES !== 0) {
    throw new DatasetError(
      `${source}: size ${size} is not a multiple of ${RECORD_BYTES} bytes ` +
        `(truncated or not the CIFAR-10 binary version)`,
    );
  }
  return size / RECORD_BYTES;
}

/** Splits the records of `bytes` into `images` and `labels` from record `at` on, validating labels. */
function decodeRecords(
  bytes: Uint8Array,
  source: string,
  images: Uint8Array,
  labels: Uint8Array,
  at: number,
): void {
  const count = countRecords(bytes.length, source);
  for (let r = 0; r < count; r++) {
    const offset = r * RECORD_BYTES;
    const label = bytes[offset] ?? 0;
    if (label >= NUM_CLASSES) {
      throw new DatasetError(
        `${source}: label ${label} at byte offset ${offset} is out of range 0-${NUM_CLASSES - 1}`,
      );
    }
    labels[at + r] = label;
    images.set(bytes.subarray(offset + 1, offset + RECORD_BYTES), (at + r) * IMAGE_BYTES);
  }
}

/**
 * Parses one CIFAR-10 batch file: its images (CHW, 3072 bytes each, one after the other) and
 * labels. `source` names the file in errors: a size that is not a whole number of records, or a
 * label outside 0-9.
 */
export function parseCifarBatch(bytes: Uint8Array, source: string): { images: Uint8Array; labels: Uint8Array } {
  const count = countRecords(bytes.length, source);
  const images = datasetBytes(count * IMAGE_BYTES);
  const labels = datasetBytes(count);
  decodeRecords(bytes, source, images, labels, 0);
  return { images, labels };
}

/** The class names of `batches.meta.txt`: one a line, blank lines ignored; there must be 10. */
export function parseClassNames(text: string, source: string): string[] {
  const names = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
  if (names.length !== NUM_CLASSES) {
    throw new DatasetError(`${source}: names ${names.length} classes, expected ${NUM_CLASSES} (one a line)`);
  }
  return names;
}

/** Concatenates the batch files' records in order, validating each (named `source(file)`). */
function assemble(
  files: readonly string[],
  batches: readonly Uint8Array[],
  source: (file: string) => string,
  classes: readonly string[],
): ImageDataset {
  let total = 0;
  files.forEach((file, i) => (total += countRecords(batches[i]?.length ?? 0, source(file))));
  const images = datasetBytes(total * IMAGE_BYTES);
  const labels = datasetBytes(total);
  let at = 0;
  files.forEach((file, i) => {
    const bytes = batches[i] ?? new Uint8Array(0);
    decodeRecords(bytes, source(file), images, labels, at);
    at += bytes.length / RECORD_BYTES;
  });
  return new ImageDataset(images, labels, classes);
}

function baseName(path: string): string {
  const parts = path.split('/').filter((p) => p.length > 0);
  return parts[parts.length - 1] ?? '';
}

/**
 * Reads a split of CIFAR-10 from the chunks of an uncompressed tar archive (the official
 * archive after gunzip), keeping only the files the split needs. Files are found by base name,
 * in any folder. `source` names the archive in errors.
 */
export async function readCifar10Tar(
  chunks: AsyncIterable<Uint8Array>,
  split: Split,
  source: string,
): Promise<ImageDataset> {
  return (await readCifar10TarSplits(chunks, [split], source))[split];
}

/** [`readCifar10Tar`] for every split of `splits`, in one pass over the archive. */
async function readCifar10TarSplits<S extends Split>(
  chunks: AsyncIterable<Uint8Array>,
  splits: readonly S[],
  source: string,
): Promise<Record<S, ImageDataset>> {
  const wanted: readonly string[] = [...splits.flatMap((split) => CIFAR10_FILES[split]), CIFAR10_META_FILE];
  const found = new Map<string, { path: string; data: Uint8Array }>();
  const select = (name: string, type: string) => type === 'file' && wanted.includes(baseName(name));
  for await (const entry of readTar(chunks, { source, select })) {
    const file = baseName(entry.name);
    const previous = found.get(file);
    if (previous && previous.path !== entry.name) {
      throw new DatasetError(
        `${source}: holds ${file} twice (${previous.path} and ${entry.name}): cannot tell which to use`,
      );
    }
    found.set(file, { path: entry.name, data: entry.data });
  }
  const meta = found.get(CIFAR10_META_FILE);
  const classes = meta
    ? parseClassNames(new TextDecoder().decode(meta.data), `${source}: ${meta.path}`)
    : [...CIFAR10_CLASSES];
  const read = (split: Split) => {
    const files: readonly string[] = CIFAR10_FILES[split];
    const batches = files.map((file) => {
      const bytes = found.get(file)?.data;
      if (!bytes) throw new DatasetError(`${source} is missing ${file}: ${WHERE_FROM}`);
      return bytes;
    });
    return assemble(files, batches, (file) => `${source}: ${found.get(file)?.path ?? file}`, classes);
  };
  return Object.fromEntries(splits.map((split) => [split, read(split)])) as Record<S, ImageDataset>;
}

/**
 * Reads a split from the batch files themselves, given as Blobs (a page's `<input type=file>`
 * Files, named `data_batch_1.bin` ... `test_batch.bin`, optionally `batches.meta.txt`), in any
 * order. Platform-neutral.
 */
export async function readCifar10Files(files: readonly (Blob & { name: string })[], split: Split): Promise<ImageDataset> {
  const byName = new Map(files.map((file) => [baseName(file.name), file]));
  const names: readonly string[] = CIFAR10_FILES[split];
  const batches = await Promise.all(
    names.map(async (name) => {
      const file = byName.get(name);
      if (!file) {
        const given = files.map((f) => f.name).join(', ') || 'none';
        throw new DatasetError(`the ${split} split needs ${names.join(', ')}; ${name} is not among the files given (${given})`);
      }
      return new Uint8Array(await file.arrayBuffer());
    }),
  );
  const meta = byName.get(CIFAR10_META_FILE);
  const classes = meta ? parseClassNames(await meta.text(), meta.name) : [...CIFAR10_CLASSES];
  return assemble(names, batches, (name) => byName.get(name)?.name ?? name, classes);
}

/**
 * Reads the splits `splits` from `cifar-10-binary.tar.gz` (or the plain `.tar`) given as a Blob
 * (a page's File), in one pass through `DecompressionStream('gzip')` and the tar reader: nothing
 * is held but the splits' records. Platform-neutral.
 */
export async function readCifar10Archive<S extends Split>(
  archive: Blob,
  splits: readonly S[],
  source = 'the archive',
): Promise<Record<S, ImageDataset>> {
  const head = new Uint8Array(await archive.slice(0, 2).arrayBuffer());
  const gzipped = head[0] === 0x1f && head[1] === 0x8b;
  const stream = gzipped ? archive.stream().pipeThrough(new DecompressionStream('gzip')) : archive.stream();
  try {
    return await readCifar10TarSplits(streamChunks(stream), splits, source);
  } catch (error) {
    // What is neither ours nor the tar reader's came from the decompressor (Node: an Error with a
    // Z_ code; browsers: a TypeError).
    if (!gzipped || error instanceof DatasetError || error instanceof TarError || !(error instanceof Error)) throw error;
    throw new DatasetError(`${source}: corrupt gzip data (${error.message}): ${WHERE_FROM}`, { cause: error });
  }
}

/** The chunks of a byte stream as an async iterable (Safari's streams are not iterable). */
async function* streamChunks(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    // Stops the decompression when the reader gave up early (an error, or all files found).
    await reader.cancel().catch(() => undefined);
  }
}

/** Whether a Node file-system error says the path does not exist. */
function isMissing(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/**
 * Loads a split of CIFAR-10 (binary version) from the file system (Node only).
 *
 * `location` is one of: a folder holding the `.bin` files; its parent, holding
 * `cifar-10-batches-bin/`; a folder holding `cifar-10-binary.tar.gz`; or a `.tar.gz` (or `.tar`)
 * archive, which is read as a stream (gunzip, then tar) without extracting anything to disk.
 * Train is `data_batch_1.bin` ... `data_batch_5.bin` concatenated in that order; test is
 * `test_batch.bin`. Class names come from `batches.meta.txt` when present, else
 * `CIFAR10_CLASSES`. Errors (`DatasetError`) name the missing or malformed file.
 */
export async function loadCifar10(location: string, split: Split): Promise<ImageDataset> {
  if (split !== 'train' && split !== 'test') {
    throw new DatasetError(`loadCifar10: split must be 'train' or 'test', got ${String(split)}`);
  }
  const fs = await import('node:fs/promises');
  const { join } = await import('node:path');

  const stat = async (path: string) => {
    try {
      return await fs.stat(path);
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  };

  const info = await stat(location);
  if (!info) throw new DatasetError(`${location} does not exist: ${WHERE_FROM}`);
  if (info.isFile()) {
    if (location.endsWith('.bin') || location.endsWith('.txt')) {
      throw new DatasetError(
        `${location} is a single file of the data set: pass the folder that holds it (${WHERE_FROM})`,
      );
    }
    return loadCifar10Archive(location, split);
  }
  if (!info.isDirectory()) throw new DatasetError(`${location} is neither a folder nor a file: ${WHERE_FROM}`);

  const known = [...CIFAR10_FILES.train, ...CIFAR10_FILES.test, CIFAR10_META_FILE];
  const holdsData = async (dir: string) => {
    for (const file of known) if ((await stat(join(dir, file)))?.isFile()) return true;
    return false;
  };
  let folder = location;
  if (!(await holdsData(location))) {
    const inner = join(location, CIFAR10_FOLDER);
    const archive = join(location, CIFAR10_ARCHIVE);
    if ((await stat(inner))?.isDirectory()) {
      folder = inner;
    } else if ((await stat(archive))?.isFile()) {
      return loadCifar10Archive(archive, split);
    } else {
      throw new DatasetError(
        `${location} holds no CIFAR-10 data (no ${CIFAR10_FILES[split][0]}, ${CIFAR10_FOLDER}/ or ` +
          `${CIFAR10_ARCHIVE}): ${WHERE_FROM}`,
      );
    }
  }

  const files: readonly string[] = CIFAR10_FILES[split];
  // Check every file (and its size) before reading any, so a missing one fails fast.
  let total = 0;
  const paths: string[] = [];
  for (const file of files) {
    const path = join(folder, file);
    const fileInfo = await stat(path);
    if (!fileInfo?.isFile()) throw new DatasetError(`${folder} is missing ${file}: ${WHERE_FROM}`);
    total += countRecords(fileInfo.size, path);
    paths.push(path);
  }
  const images = datasetBytes(total * IMAGE_BYTES);
  const labels = datasetBytes(total);
  let at = 0;
  for (const path of paths) {
    const bytes = await fs.readFile(path);
    decodeRecords(bytes, path, images, labels, at);
    at += bytes.length / RECORD_BYTES;
  }
  if (at !== total) throw new DatasetError(`${folder}: the files changed size while being read`);

  const metaPath = join(folder, CIFAR10_META_FILE);
  const classes = (await stat(metaPath))?.isFile()
    ? parseClassNames(await fs.readFile(metaPath, 'utf8'), metaPath)
    : [...CIFAR10_CLASSES];
  return new ImageDataset(images, labels, classes);
}

/** Reads a split from a `.tar.gz` (or plain `.tar`) archive as a stream. */
async function loadCifar10Archive(path: string, split: Split): Promise<ImageDataset> {
  const { createReadStream } = await import('node:fs');
  const { open } = await import('node:fs/promises');
  const { createGunzip } = await import('node:zlib');
  const { pipeline } = await import('node:stream/promises');

  // gzip starts with 1f 8b; anything else is read as a plain tar (and fails its checksum if not).
  const head = new Uint8Array(2);
  const handle = await open(path, 'r');
  try {
    await handle.read(head, 0, 2, 0);
  } finally {
    await handle.close();
  }
  const gzipped = head[0] === 0x1f && head[1] === 0x8b;

  let result: ImageDataset | undefined;
  // The reader's own error, if it failed: `pipeline` may instead report the abort that follows
  // it (the reader closes its input when it fails).
  let readerError: unknown;
  const consume = async (chunks: AsyncIterable<Uint8Array>) => {
    try {
      result = await readCifar10Tar(chunks, split, path);
    } catch (error) {
      readerError ??= error;
      throw error;
    }
  };
  const input = createReadStream(path, { highWaterMark: 1 << 20 });
  try {
    if (gzipped) await pipeline(input, createGunzip({ chunkSize: 1 << 18 }), consume);
    else await pipeline(input, consume);
  } catch (pipelineError) {
    const error = readerError ?? pipelineError;
    const code = (error as { code?: unknown } | null)?.code;
    if (typeof code === 'string' && code.startsWith('Z_')) {
      const detail = (error as Error).message;
      throw new DatasetError(`${path}: corrupt gzip data (${detail}): ${WHERE_FROM}`, { cause: error });
    }
    throw error;
  }
  if (!result) throw new DatasetError(`${path}: could not read the archive`);
  return result;
}
