import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CIFAR10_CLASSES,
  DatasetError,
  ImageDataset,
  loadCifar10,
  parseCifarBatch,
  parseClassNames,
  readCifar10Archive,
  readCifar10Files,
  readCifar10Tar,
  RECORD_BYTES,
} from '../src/data/cifar10.js';
import { readTar, TarError, type TarEntry } from '../src/data/tar.js';
import { tar } from './tar-writer.js';

// ---------------------------------------------------------------------------------------------
// Helpers: a tiny CIFAR-format data set and a minimal tar writer.

const PER_BATCH = 7;
const BATCHES = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'];
const TEST_BATCH = 'test_batch.bin';
/** Class names unlike the defaults, to see that batches.meta.txt is read. */
const META_CLASSES = ['Plane', 'Car', 'Bird', 'Cat', 'Deer', 'Dog', 'Frog', 'Horse', 'Ship', 'Truck'];

/** Record `g` of the whole set (train records 0..34, then test 35..41): label and pixels. */
const labelOf = (g: number) => (g * 3 + 1) % 10;
const pixelOf = (g: number, j: number) => (g * 31 + j * 7 + (j >> 10) * 50) & 255;

function record(g: number): Uint8Array {
  const out = new Uint8Array(RECORD_BYTES);
  out[0] = labelOf(g);
  for (let j = 0; j < 3072; j++) out[1 + j] = pixelOf(g, j);
  return out;
}

function batchBytes(firstRecord: number, count = PER_BATCH): Uint8Array {
  const out = new Uint8Array(count * RECORD_BYTES);
  for (let r = 0; r < count; r++) out.set(record(firstRecord + r), r * RECORD_BYTES);
  return out;
}

/** The files of the tiny set: name -> bytes. */
function cifarFiles(meta = true): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  BATCHES.forEach((name, b) => files.set(name, batchBytes(b * PER_BATCH)));
  files.set(TEST_BATCH, batchBytes(BATCHES.length * PER_BATCH));
  if (meta) files.set('batches.meta.txt', new TextEncoder().encode(`${META_CLASSES.join('\n')}\n\n`));
  return files;
}

async function writeFolder(dir: string, files: Map<string, Uint8Array>): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const [name, bytes] of files) await writeFile(join(dir, name), bytes);
}

/** The official archive's layout: the folder, then its files (in the given order). */
function cifarTar(files: Map<string, Uint8Array>, order?: string[]): Uint8Array {
  const names = order ?? [...files.keys()];
  return tar([
    { name: 'cifar-10-batches-bin/', type: '5' },
    ...names.map((name) => ({ name: `cifar-10-batches-bin/${name}`, data: files.get(name) ?? new Uint8Array(0) })),
  ]);
}

/** Yields `bytes` in chunks of the given sizes (cycled). */
async function* chunked(bytes: Uint8Array, sizes: number[]): AsyncGenerator<Uint8Array> {
  let at = 0;
  for (let i = 0; at < bytes.length; i++) {
    const n = sizes[i % sizes.length] ?? 1;
    yield bytes.slice(at, at + n);
    at += n;
  }
}

/** XORs byte `i` of `bytes` with `mask`. */
function flip(bytes: Uint8Array, i: number, mask: number): void {
  bytes[i] = (bytes[i] ?? 0) ^ mask;
}

async function collect(entries: AsyncIterable<TarEntry>): Promise<TarEntry[]> {
  const out: TarEntry[] = [];
  for await (const e of entries) out.push(e);
  return out;
}

/** Checks that `ds` holds records first..first+count-1 of the tiny set, in order. */
function expectRecords(ds: ImageDataset, first: number, count: number): void {
  expect(ds.length).toBe(count);
  expect(ds.images.length).toBe(count * 3072);
  for (let i = 0; i < count; i++) {
    expect(ds.label(i)).toBe(labelOf(first + i));
    expect(ds.image(i)).toEqual(record(first + i).subarray(1));
  }
}

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'senet-cifar-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

let dirCount = 0;
const freshDir = () => join(root, `case-${++dirCount}`);

// ---------------------------------------------------------------------------------------------

describe('parseCifarBatch', () => {
  it('splits records into CHW images and labels', () => {
    const { images, labels } = parseCifarBatch(batchBytes(0, 3), 'x.bin');
    expect([...labels]).toEqual([labelOf(0), labelOf(1), labelOf(2)]);
    expect(images.length).toBe(3 * 3072);
    // Record 1: red plane first (row-major), then green at +1024, then blue at +2048.
    expect(images[3072]).toBe(pixelOf(1, 0));
    expect(images[3072 + 1024 + 33]).toBe(pixelOf(1, 1024 + 33));
    expect(images[3072 + 2048 + 1023]).toBe(pixelOf(1, 2048 + 1023));
  });

  it('rejects a size that is not a multiple of 3073 bytes', () => {
    expect(() => parseCifarBatch(new Uint8Array(12345), 'data_batch_1.bin')).toThrow(
      'data_batch_1.bin: size 12345 is not a multiple of 3073 bytes (truncated or not the CIFAR-10 binary version)',
    );
    expect(() => parseCifarBatch(new Uint8Array(0), 'empty.bin')).toThrow(/empty\.bin: the file is empty/);
  });

  it('rejects a label outside 0-9, naming its byte offset', () => {
    const bytes = batchBytes(0, 11);
    bytes[10 * RECORD_BYTES] = 12;
    expect(() => parseCifarBatch(bytes, 'test_batch.bin')).toThrow(
      'test_batch.bin: label 12 at byte offset 30730 is out of range 0-9',
    );
  });

  it('reads class names, one a line', () => {
    expect(parseClassNames('a\r\nb\nc\nd\ne\nf\ng\nh\ni\nj\n', 'm')).toEqual([...'abcdefghij']);
    expect(() => parseClassNames('a\nb\n', 'meta.txt')).toThrow('meta.txt: names 2 classes, expected 10');
  });
});

describe('ImageDataset', () => {
  const { images, labels } = parseCifarBatch(batchBytes(0, 5), 'x');
  const ds = new ImageDataset(images, labels, CIFAR10_CLASSES);

  it('gives views of images, labels and subsets', () => {
    expect(ds.length).toBe(5);
    expect([ds.height, ds.width, ds.channels, ds.imageBytes]).toEqual([32, 32, 3, 3072]);
    const img = ds.image(2);
    expect(img.buffer).toBe(images.buffer); // a view, not a copy
    expect(img.byteOffset - images.byteOffset).toBe(2 * 3072);
    expect(ds.label(4)).toBe(labelOf(4));
    const sub = ds.subset(3);
    expect(sub.length).toBe(3);
    expect(sub.image(2)).toEqual(ds.image(2));
    expect(sub.classes).toBe(ds.classes);
    expect(ds.subset(100).length).toBe(5);
    expect(ds.subset(0).length).toBe(0);
    expect(ds.labelCounts().reduce((a, b) => a + b)).toBe(5);
  });

  it('checks indices and sizes', () => {
    expect(() => ds.image(5)).toThrow(RangeError);
    expect(() => ds.label(-1)).toThrow(RangeError);
    expect(() => ds.subset(-1)).toThrow(RangeError);
    expect(() => new ImageDataset(new Uint8Array(100), new Uint8Array(1), CIFAR10_CLASSES)).toThrow(RangeError);
  });
});

describe('readTar', () => {
  const payload = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * seed + 3) & 255);
  const long = `${'deep/'.repeat(30)}file-with-a-long-name.bin`; // 174 characters

  it('reads files, directories, long names (prefix, GNU, pax) in chunks of any size', async () => {
    const archive = tar([
      { name: 'top/', type: '5' },
      { name: 'top/a.bin', data: payload(1000, 7) },
      { name: 'top/empty.txt', data: new Uint8Array(0) },
      { name: 'top/b.bin', data: payload(512, 3) },
      { name: 'top/link', type: '2' },
      { name: `p/${'x'.repeat(60)}/${'y'.repeat(60)}/prefixed.bin`, data: payload(3, 1), longName: 'prefix' },
      { name: long, data: payload(700, 5), longName: 'gnu' },
      { name: `pax/${long}`, data: payload(513, 9), longName: 'pax' },
    ]);
    for (const sizes of [[archive.length], [1], [511], [513], [7, 1000, 1, 4096]]) {
      const entries = await collect(readTar(chunked(archive, sizes), { source: 'x.tar' }));
      expect(entries.map((e) => [e.name, e.type, e.size])).toEqual([
        ['top/', 'directory', 0],
        ['top/a.bin', 'file', 1000],
        ['top/empty.txt', 'file', 0],
        ['top/b.bin', 'file', 512],
        ['top/link', 'symlink', 0],
        [`p/${'x'.repeat(60)}/${'y'.repeat(60)}/prefixed.bin`, 'file', 3],
        [long, 'file', 700],
        [`pax/${long}`, 'file', 513],
      ]);
      expect(entries[1]?.data).toEqual(payload(1000, 7));
      expect(entries[3]?.data).toEqual(payload(512, 3));
      expect(entries[6]?.data).toEqual(payload(700, 5));
      expect(entries[7]?.data).toEqual(payload(513, 9));
      expect(entries[1]?.offset).toBe(512);
    }
  });

  it('skips the members `select` rejects', async () => {
    const archive = tar([
      { name: 'a', data: payload(600, 1) },
      { name: 'b', data: payload(600, 2) },
    ]);
    const entries = await collect(readTar(chunked(archive, [100]), { select: (name) => name === 'b' }));
    expect(entries.map((e) => e.name)).toEqual(['b']);
    expect(entries[0]?.data).toEqual(payload(600, 2));
  });

  it('accepts a lone zero block at the end', async () => {
    const archive = tar([{ name: 'a', data: payload(10, 1) }], { endBlocks: 1 }).subarray(0, 512 * 3);
    expect((await collect(readTar(chunked(archive, [512])))).length).toBe(1);
  });

  it('fails clearly on a truncated archive', async () => {
    const archive = tar([{ name: 'a', data: payload(2000, 1) }]);
    // Inside the data: the header is at 0, the data at 512..2511.
    await expect(collect(readTar(chunked(archive.subarray(0, 1500), [300]), { source: 'cut.tar' }))).rejects.toThrow(
      'cut.tar: truncated archive: "a" (header at byte offset 0) should have 2000 bytes of data from byte ' +
        'offset 512, but the archive ends after 988 of them (at byte offset 1500)',
    );
    // Inside a header.
    await expect(collect(readTar(chunked(archive.subarray(0, 100), [64]), { source: 'cut.tar' }))).rejects.toThrow(
      'cut.tar: truncated archive: the header at byte offset 0 has only 100 of 512 bytes',
    );
    // At a member boundary, without the end-of-archive blocks.
    const error = await collect(readTar(chunked(archive.subarray(0, 512 + 2048), [4096]), { source: 'cut.tar' })).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TarError);
    expect((error as TarError).offset).toBe(2560);
    expect((error as TarError).message).toMatch(/truncated archive: it ends at byte offset 2560 without the end-of-archive/);
  });

  it('fails clearly on a bad header checksum, naming its offset', async () => {
    const archive = tar([
      { name: 'a', data: payload(10, 1) },
      { name: 'b', data: payload(10, 1) },
    ]);
    flip(archive, 1024 + 1, 0x20); // a byte of the second header's name
    await expect(collect(readTar(chunked(archive, [1000]), { source: 'bad.tar' }))).rejects.toThrow(
      /^bad\.tar: bad tar header checksum at byte offset 1024 \(stored \d+, computed \d+\): the archive is corrupt or not a tar archive$/,
    );
    // Not a tar at all.
    await expect(collect(readTar(chunked(new Uint8Array(2048).fill(65), [2048])))).rejects.toThrow(
      /tar archive: bad tar header checksum at byte offset 0/,
    );
  });

  it('closes its input when the caller stops early', async () => {
    const archive = tar([
      { name: 'a', data: payload(10, 1) },
      { name: 'b', data: payload(10, 1) },
    ]);
    let closed = false;
    async function* input() {
      try {
        yield* chunked(archive, [512]);
      } finally {
        closed = true;
      }
    }
    for await (const entry of readTar(input())) {
      expect(entry.name).toBe('a');
      break;
    }
    expect(closed).toBe(true);
  });
});

describe('loadCifar10 (a tiny set made here)', () => {
  it('reads a folder: train = batches 1..5 in order, test = test_batch, classes from batches.meta.txt', async () => {
    const dir = freshDir();
    await writeFolder(dir, cifarFiles());
    const train = await loadCifar10(dir, 'train');
    expectRecords(train, 0, 5 * PER_BATCH);
    expect(train.classes).toEqual(META_CLASSES);
    const test = await loadCifar10(dir, 'test');
    expectRecords(test, 5 * PER_BATCH, PER_BATCH);
  });

  it('reads the parent folder holding cifar-10-batches-bin/, and defaults the class names', async () => {
    const dir = freshDir();
    await writeFolder(join(dir, 'cifar-10-batches-bin'), cifarFiles(false));
    const train = await loadCifar10(dir, 'train');
    expectRecords(train, 0, 5 * PER_BATCH);
    expect(train.classes).toEqual(CIFAR10_CLASSES);
    expectRecords(await loadCifar10(dir, 'test'), 5 * PER_BATCH, PER_BATCH);
  });

  it('reads a .tar.gz as a stream (files in any order), a plain .tar, and a folder holding the .tar.gz', async () => {
    const dir = freshDir();
    await mkdir(dir, { recursive: true });
    const files = cifarFiles();
    const order = ['test_batch.bin', 'data_batch_3.bin', 'batches.meta.txt', 'data_batch_1.bin', 'data_batch_5.bin', 'data_batch_2.bin', 'data_batch_4.bin'];
    const archive = cifarTar(files, order);
    const gz = join(dir, 'cifar-10-binary.tar.gz');
    await writeFile(gz, gzipSync(archive));
    const train = await loadCifar10(gz, 'train');
    expectRecords(train, 0, 5 * PER_BATCH);
    expect(train.classes).toEqual(META_CLASSES);
    expectRecords(await loadCifar10(gz, 'test'), 5 * PER_BATCH, PER_BATCH);

    const plain = join(dir, 'plain.tar');
    await writeFile(plain, archive);
    expectRecords(await loadCifar10(plain, 'test'), 5 * PER_BATCH, PER_BATCH);

    expectRecords(await loadCifar10(dir, 'train'), 0, 5 * PER_BATCH); // the folder: finds the .tar.gz
  });

  it('reads chunks from any source (the platform-neutral path)', async () => {
    const archive = cifarTar(cifarFiles());
    const ds = await readCifar10Tar(chunked(archive, [1000, 3]), 'train', 'mem.tar');
    expectRecords(ds, 0, 5 * PER_BATCH);
  });
});

describe('reading Blobs (what a page gets from a file picker)', () => {
  const named = (name: string, bytes: Uint8Array) => Object.assign(new Blob([Uint8Array.from(bytes)]), { name });

  it('reads cifar-10-binary.tar.gz (both splits in one pass) and a plain .tar from a Blob', async () => {
    const archive = cifarTar(cifarFiles(), ['test_batch.bin', 'data_batch_2.bin', 'data_batch_1.bin', 'batches.meta.txt', 'data_batch_3.bin', 'data_batch_5.bin', 'data_batch_4.bin']);
    const { train, test } = await readCifar10Archive(new Blob([gzipSync(archive)]), ['train', 'test'], 'picked.tar.gz');
    expectRecords(train, 0, 5 * PER_BATCH);
    expect(train.classes).toEqual(META_CLASSES);
    expectRecords(test, 5 * PER_BATCH, PER_BATCH);
    expectRecords((await readCifar10Archive(new Blob([Uint8Array.from(archive)]), ['test'])).test, 5 * PER_BATCH, PER_BATCH);
  });

  it('reads the batch files given in any order, and names a missing one', async () => {
    const picked = [...cifarFiles()].reverse().map(([name, bytes]) => named(name, bytes));
    expectRecords(await readCifar10Files(picked, 'train'), 0, 5 * PER_BATCH);
    const test = await readCifar10Files(picked, 'test');
    expectRecords(test, 5 * PER_BATCH, PER_BATCH);
    expect(test.classes).toEqual(META_CLASSES);
    const without = picked.filter((f) => f.name !== 'data_batch_4.bin');
    await expect(readCifar10Files(without, 'train')).rejects.toThrow(/data_batch_4\.bin is not among the files given/);
    const cut = picked.map((f) => (f.name === 'test_batch.bin' ? named(f.name, new Uint8Array(RECORD_BYTES + 9)) : f));
    await expect(readCifar10Files(cut, 'test')).rejects.toThrow(`test_batch.bin: size ${RECORD_BYTES + 9} is not a multiple of 3073 bytes`);
  });

  it('rejects a truncated or corrupt gzip Blob with the archive named', async () => {
    const gz = gzipSync(cifarTar(cifarFiles()));
    const cut = await readCifar10Archive(new Blob([Uint8Array.from(gz.subarray(0, gz.length - 500))]), ['test'], 'cut.tar.gz').catch((e: unknown) => e);
    expect(cut).toBeInstanceOf(DatasetError);
    expect((cut as Error).message).toMatch(/^cut\.tar\.gz: corrupt gzip data \(/);
    // Garbled deflate data may decompress to garbage that the tar reader rejects first.
    const corrupt = Uint8Array.from(gz);
    for (let i = 1000; i < 1100; i++) flip(corrupt, i, 0x5a);
    await expect(readCifar10Archive(new Blob([corrupt]), ['train'], 'bad.tar.gz')).rejects.toThrow(/^bad\.tar\.gz: (corrupt gzip data|bad tar header checksum)/);
  });
});

describe('loadCifar10 errors', () => {
  it('names a missing file and where the data can come from', async () => {
    const dir = freshDir();
    await writeFolder(dir, cifarFiles());
    await unlink(join(dir, 'data_batch_3.bin'));
    const message =
      `${dir} is missing data_batch_3.bin: expected the CIFAR-10 binary version (cifar-10-binary.tar.gz) — ` +
      'run `senet train` without --data to download it, or pass --data DIR|FILE';
    await expect(loadCifar10(dir, 'train')).rejects.toThrow(message);
    await expect(loadCifar10(dir, 'test')).resolves.toBeInstanceOf(ImageDataset);

    const files = cifarFiles();
    files.delete('data_batch_3.bin');
    const gz = join(dir, 'partial.tar.gz');
    await writeFile(gz, gzipSync(cifarTar(files)));
    await expect(loadCifar10(gz, 'train')).rejects.toThrow(`${gz} is missing data_batch_3.bin: expected the CIFAR-10`);
  });

  it('names a location that does not exist or holds no data', async () => {
    const missing = join(root, 'nowhere');
    await expect(loadCifar10(missing, 'train')).rejects.toThrow(`${missing} does not exist: expected the CIFAR-10 binary`);
    const empty = freshDir();
    await mkdir(empty);
    await expect(loadCifar10(empty, 'test')).rejects.toThrow(
      `${empty} holds no CIFAR-10 data (no test_batch.bin, cifar-10-batches-bin/ or cifar-10-binary.tar.gz)`,
    );
    const dir = freshDir();
    await writeFolder(dir, cifarFiles());
    await expect(loadCifar10(join(dir, 'test_batch.bin'), 'test')).rejects.toThrow(/pass the folder that holds it/);
  });

  it('rejects a truncated batch file (size not a multiple of 3073)', async () => {
    const dir = freshDir();
    const files = cifarFiles();
    files.set('data_batch_2.bin', batchBytes(7).subarray(0, 7 * RECORD_BYTES - 100));
    await writeFolder(dir, files);
    await expect(loadCifar10(dir, 'train')).rejects.toThrow(
      `${join(dir, 'data_batch_2.bin')}: size ${7 * RECORD_BYTES - 100} is not a multiple of 3073 bytes (truncated`,
    );
    const gz = join(dir, 'x.tar.gz');
    await writeFile(gz, gzipSync(cifarTar(files)));
    await expect(loadCifar10(gz, 'train')).rejects.toThrow(
      `${gz}: cifar-10-batches-bin/data_batch_2.bin: size ${7 * RECORD_BYTES - 100} is not a multiple of 3073`,
    );
  });

  it('rejects label 12, naming the file and byte offset', async () => {
    const dir = freshDir();
    const files = cifarFiles();
    const bad = batchBytes(0);
    bad[4 * RECORD_BYTES] = 12;
    files.set('data_batch_1.bin', bad);
    await writeFolder(dir, files);
    await expect(loadCifar10(dir, 'train')).rejects.toThrow(
      `${join(dir, 'data_batch_1.bin')}: label 12 at byte offset 12292 is out of range 0-9`,
    );
  });

  it('rejects a corrupt or truncated gzip', async () => {
    const dir = freshDir();
    await mkdir(dir);
    const gz = gzipSync(cifarTar(cifarFiles()));
    const corrupt = Uint8Array.from(gz);
    for (let i = 1000; i < 1100; i++) flip(corrupt, i, 0x5a);
    const path = join(dir, 'corrupt.tar.gz');
    await writeFile(path, corrupt);
    const error = await loadCifar10(path, 'train').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatasetError);
    expect((error as Error).message).toMatch(new RegExp(`^${path.replace(/[.\\/]/g, '\\$&')}: corrupt gzip data \\(`));

    const cut = join(dir, 'cut.tar.gz');
    await writeFile(cut, gz.subarray(0, gz.length - 500));
    await expect(loadCifar10(cut, 'test')).rejects.toThrow(`${cut}: corrupt gzip data (unexpected end of file)`);
  });

  it('rejects a truncated tar and a bad tar checksum inside a valid gzip', async () => {
    const dir = freshDir();
    await mkdir(dir);
    const archive = cifarTar(cifarFiles());
    const truncated = join(dir, 'truncated.tar.gz');
    await writeFile(truncated, gzipSync(archive.subarray(0, 20000)));
    await expect(loadCifar10(truncated, 'train')).rejects.toThrow(
      new RegExp(`^${truncated.replace(/[.\\/]/g, '\\$&')}: truncated archive: "cifar-10-batches-bin/data_batch_1.bin" \\(header at byte offset 512\\)`),
    );
    const bad = Uint8Array.from(archive);
    flip(bad, 512 + 30, 1); // inside the name of the first file's header
    const badPath = join(dir, 'bad.tar.gz');
    await writeFile(badPath, gzipSync(bad));
    await expect(loadCifar10(badPath, 'test')).rejects.toThrow(`${badPath}: bad tar header checksum at byte offset 512`);
  });
});

// ---------------------------------------------------------------------------------------------
// The real data, when this machine has it (never committed): ../shared/data next to the repo.

const REAL = fileURLToPath(new URL('../../shared/data/cifar-10-batches-bin', import.meta.url));
const haveReal = existsSync(REAL);
if (!haveReal) console.warn(`cifar10.test.ts: skipping the real CIFAR-10 checks: ${REAL} does not exist`);

describe('loadCifar10 (the real data set)', () => {
  it.skipIf(!haveReal)(`loads train (50000) and test (10000) from ${REAL}, 5000 / 1000 of each class`, async () => {
    const train = await loadCifar10(REAL, 'train');
    expect(train.length).toBe(50000);
    expect(train.images.length).toBe(50000 * 3072);
    expect(train.classes).toEqual(CIFAR10_CLASSES);
    expect(train.labelCounts()).toEqual(new Array(10).fill(5000));
    expect(train.label(0)).toBe(6); // the first training image is a frog
    const test = await loadCifar10(REAL, 'test');
    expect(test.length).toBe(10000);
    expect(test.labelCounts()).toEqual(new Array(10).fill(1000));
    // The parent folder works too.
    expect((await loadCifar10(join(REAL, '..'), 'test')).labels).toEqual(test.labels);
  });
});
