/**
 * Property-based fuzzing (fast-check) of every parser the project has: safetensors, CIFAR-10
 * batch files, tar, gzip (the CIFAR-10 archive), PNG, JPEG and the image folder. A valid input
 * is mutated (bytes overwritten, inserted or deleted) or truncated; the parser must return, or
 * throw an Error whose message names the input, and never throw anything else, crash or hang
 * (each property has a time limit). Runs are bounded to keep the file at a few seconds.
 */
import { gzipSync } from 'node:zlib';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCifarBatch, parseSafetensors, readCifar10Archive, serializeSafetensors } from '../dist/index.js';
import { decodeImage } from '../dist/data/image.js';
import { readTar } from '../dist/data/tar.js';
import { planImageFolder } from '../dist/data/folder.js';
import { readFolderSource } from '../dist/worker/folder-source.js';
import { colourFolder, colourImage, COLOURS } from './image-folder.js';
import { tar } from './tar-writer.js';

const SOURCE = 'fuzzed-input.bin';

/** A mutation of `valid`: some bytes overwritten, inserted or deleted, then maybe truncated. */
function mutated(valid: Uint8Array): fc.Arbitrary<Uint8Array> {
  const edit = fc.record({
    kind: fc.constantFrom('set', 'insert', 'delete'),
    at: fc.nat({ max: Math.max(0, valid.length - 1) }),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
  });
  return fc.tuple(fc.array(edit, { minLength: 1, maxLength: 6 }), fc.option(fc.nat({ max: valid.length }), { nil: undefined })).map(([edits, cut]) => {
    let out = Array.from(valid);
    for (const { kind, at, bytes } of edits) {
      if (kind === 'set') bytes.forEach((b, i) => at + i < out.length && (out[at + i] = b));
      else if (kind === 'insert') out.splice(at, 0, ...bytes);
      else out.splice(at, bytes.length);
    }
    if (cut !== undefined) out = out.slice(0, cut);
    return Uint8Array.from(out);
  });
}

/** Runs `parse`; what it throws must be an Error naming `source`. */
async function returnsOrNames(parse: () => unknown, source = SOURCE): Promise<void> {
  try {
    await parse();
  } catch (error) {
    if (!(error instanceof Error)) throw new Error(`threw a non-Error: ${String(error)}`);
    if (!error.message.includes(source)) throw new Error(`the error does not name ${source}: ${error.message}`);
  }
}

const settings = (numRuns: number) => ({ numRuns, seed: 15, interruptAfterTimeLimit: 4000, markInterruptAsFailure: false });

async function check(valid: Uint8Array, parse: (bytes: Uint8Array) => unknown, numRuns: number): Promise<void> {
  await returnsOrNames(() => parse(valid)); // the valid input itself
  await fc.assert(fc.asyncProperty(mutated(valid), async (bytes) => returnsOrNames(() => parse(bytes))), settings(numRuns));
}

const cifarRecords = (count: number) => Uint8Array.from({ length: count * 3073 }, (_, i) => (i % 3073 === 0 ? (i / 3073) % 10 : (i * 31) & 255));

describe('fuzzing the parsers: mutated and truncated inputs give an Error naming the file', () => {
  it('safetensors', async () => {
    const valid = serializeSafetensors(
      { weight: { dtype: 'F32', shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) }, count: { dtype: 'I64', shape: [], data: BigInt64Array.from([7n]) } },
      { model: 'senet', classes: '["a","b"]' },
    );
    await check(valid, (bytes) => parseSafetensors(bytes, SOURCE), 400);
  });

  it('CIFAR-10 batch files', async () => {
    await check(cifarRecords(2), (bytes) => parseCifarBatch(bytes, SOURCE), 300);
  });

  it('tar', async () => {
    const valid = tar([
      { name: 'cifar-10-batches-bin/test_batch.bin', data: cifarRecords(1) },
      { name: `${'long/'.repeat(30)}name.txt`, data: new Uint8Array([1, 2, 3]), longName: 'pax' },
      { name: `${'gnu/'.repeat(40)}x`, data: new Uint8Array(700), longName: 'gnu' },
      { name: 'folder/', type: '5' },
    ]);
    const consume = async (bytes: Uint8Array) => {
      for await (const entry of readTar((async function* () { yield bytes; })(), { source: SOURCE })) void entry;
    };
    await check(valid, consume, 200);
  });

  it('gzip (a CIFAR-10 archive read as a stream)', async () => {
    const valid = gzipSync(tar([{ name: 'cifar-10-batches-bin/test_batch.bin', data: cifarRecords(2) }]));
    await check(new Uint8Array(valid), (bytes) => readCifar10Archive(new Blob([new Uint8Array(bytes)]), ['test'], SOURCE), 150);
  });

  it('PNG', async () => {
    await check(colourImage(COLOURS.red!, 9, 7, 'png', 1), (bytes) => decodeImage(bytes, SOURCE), 300);
  });

  it('JPEG', async () => {
    await check(colourImage(COLOURS.green!, 17, 9, 'jpeg', 2), (bytes) => decodeImage(bytes, SOURCE), 300);
  });

  it('the image folder: any listing plans or is refused naming the folder', async () => {
    const segment = fc.constantFrom('train', 'val', 'cat', 'dog', '.hidden', 'a.png', 'b.JPG', 'c.txt', 'd.webp', '');
    const path = fc.array(segment, { minLength: 1, maxLength: 4 }).map((parts) => parts.join('/'));
    const listing = fc.record({ files: fc.array(path, { maxLength: 12 }), folders: fc.array(path, { maxLength: 4 }) });
    const options = fc.record({ valFraction: fc.double({ min: -0.5, max: 1.5, noNaN: true }), splitSeed: fc.nat(), limit: fc.option(fc.nat({ max: 5 }), { nil: undefined }) });
    await fc.assert(fc.asyncProperty(listing, options, async (l, o) => returnsOrNames(() => planImageFolder(l, SOURCE, o))), settings(500));
  });

  it('the image folder: a folder of mutated images is read, or refused naming the bad file', async () => {
    const root = mkdtempSync(join(tmpdir(), 'senet-fuzz-'));
    colourFolder(root, 2);
    const png = colourImage(COLOURS.blue!, 10, 12, 'png', 3);
    const jpg = colourImage(COLOURS.red!, 12, 10, 'jpeg', 4);
    await fc.assert(
      fc.asyncProperty(mutated(png), mutated(jpg), async (a, b) => {
        writeFileSync(join(root, 'blue', 'fuzzed.png'), a);
        writeFileSync(join(root, 'red', 'fuzzed.jpg'), b);
        try {
          await readFolderSource({ kind: 'folder', path: root, imageSize: 8 }, { defaultSize: 32, testOnly: false, limit: undefined, workers: 1 });
        } catch (error) {
          expect(error).toBeInstanceOf(Error);
          expect((error as Error).message).toMatch(new RegExp(`^${root}/(blue/fuzzed\\.png|red/fuzzed\\.jpg): `));
        }
      }),
      settings(12),
    );
  });
});
