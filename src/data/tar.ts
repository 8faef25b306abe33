/**
 * A small streaming reader of tar archives (POSIX ustar, pax and GNU), for Node and browsers.
 *
 * It reads an `AsyncIterable<Uint8Array>` with chunks of any size (a Node `Readable`, the output
 * of `zlib.createGunzip()`, or a browser `ReadableStream` piped through
 * `DecompressionStream('gzip')`) and yields one entry per archive member, with each regular
 * file's bytes collected in memory. No `node:` imports here, so the same code runs in browsers.
 *
 * The format: a sequence of 512-byte headers, each followed by the member's data padded with
 * zeros to a multiple of 512, ended by two all-zero blocks. A header holds NUL-terminated text
 * fields and octal numbers; its checksum is the sum of its bytes with the checksum field itself
 * counted as 8 spaces. Supported extensions: the ustar `prefix` field (joined to the name with
 * `/`), GNU long names (type `L`: the data is the next member's name), GNU base-256 sizes, and
 * pax extended headers (type `x`: `path` and `size` of the next member; global `g` headers are
 * skipped).
 */

/** What kind of member an entry is: regular files carry their bytes in `data`. */
export type TarEntryType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'other';

/** One member of the archive. */
export interface TarEntry {
  /** The full path inside the archive (ustar prefix, GNU long name or pax `path` applied). */
  name: string;
  /** The size in bytes of the member's data. */
  size: number;
  type: TarEntryType;
  /** The raw type flag of the header ('0', '5', '2', ...; '\0' for old-style files). */
  typeflag: string;
  /** A regular file's bytes (`size` of them); empty for other types. */
  data: Uint8Array;
  /** The byte offset of the member's header in the (uncompressed) archive. */
  offset: number;
}

/** Options of `readTar`. */
export interface ReadTarOptions {
  /** Names the archive in error messages (a path or URL); 'tar archive' if not given. */
  source?: string;
  /**
   * Which members to yield: called with each member's name and type before its data is read.
   * Members it rejects are skipped without collecting their data. All members by default.
   */
  select?: (name: string, type: TarEntryType) => boolean;
  /** The largest regular file to collect in memory, in bytes (1 GiB by default). */
  maxFileBytes?: number;
  /**
   * Read the input to its end after the end-of-archive blocks (default true), so that a
   * decompressor before this reader gets to check its trailer (gzip CRC and length).
   */
  drain?: boolean;
}

/** A malformed or truncated archive: names the archive and the byte offset of the problem. */
export class TarError extends Error {
  constructor(
    readonly source: string,
    readonly offset: number,
    detail: string,
  ) {
    super(`${source}: ${detail}`);
    this.name = 'TarError';
  }
}

const BLOCK = 512;
const DEFAULT_MAX_FILE_BYTES = 2 ** 30;

/** Reads bytes from the chunks of an async iterable, counting the offset. */
class ChunkReader {
  private chunk: Uint8Array = new Uint8Array(0);
  private pos = 0;
  /** How many bytes were consumed so far. */
  offset = 0;

  constructor(private readonly iterator: AsyncIterator<Uint8Array>) {}

  /** Makes the current chunk non-empty; false at the end of the input. */
  private async fill(): Promise<boolean> {
    while (this.pos >= this.chunk.length) {
      const next = await this.iterator.next();
      if (next.done) return false;
      if (!(next.value instanceof Uint8Array)) {
        throw new TypeError(`tar input chunks must be Uint8Array, got ${typeof next.value}`);
      }
      this.chunk = next.value;
      this.pos = 0;
    }
    return true;
  }

  /**
   * Consumes up to `n` bytes, copying them into `target` (from index 0) when given.
   * Returns how many were consumed: fewer than `n` only at the end of the input.
   */
  async read(n: number, target?: Uint8Array): Promise<number> {
    let done = 0;
    while (done < n) {
      if (!(await this.fill())) break;
      const take = Math.min(n - done, this.chunk.length - this.pos);
      if (target) target.set(this.chunk.subarray(this.pos, this.pos + take), done);
      this.pos += take;
      done += take;
    }
    this.offset += done;
    return done;
  }

  /** Consumes the rest of the input. */
  async drain(): Promise<void> {
    while (await this.fill()) {
      this.offset += this.chunk.length - this.pos;
      this.pos = this.chunk.length;
    }
  }
}

const utf8 = new TextDecoder('utf-8');

/** A NUL-terminated text field. */
function text(block: Uint8Array, start: number, length: number): string {
  const field = block.subarray(start, start + length);
  const end = field.indexOf(0);
  return utf8.decode(end < 0 ? field : field.subarray(0, end));
}

/**
 * A numeric field: octal digits, optionally surrounded by spaces and NULs, or GNU base-256
 * (high bit of the first byte set). NaN when malformed.
 */
function number(block: Uint8Array, start: number, length: number): number {
  const field = block.subarray(start, start + length);
  const first = field[0] ?? 0;
  if (first & 0x80) {
    if (first & 0x40) return NaN; // negative
    let value = first & 0x3f;
    for (let i = 1; i < field.length; i++) value = value * 256 + (field[i] ?? 0);
    return Number.isSafeInteger(value) ? value : NaN;
  }
  let i = 0;
  while (i < field.length && (field[i] === 0x20 || field[i] === 0)) i++;
  if (i === field.length) return 0; // an empty field
  let value = 0;
  for (; i < field.length; i++) {
    const c = field[i] ?? 0;
    if (c === 0x20 || c === 0) break;
    if (c < 0x30 || c > 0x37) return NaN;
    value = value * 8 + (c - 0x30);
  }
  for (; i < field.length; i++) if (field[i] !== 0x20 && field[i] !== 0) return NaN;
  return value;
}

function isZeroBlock(block: Uint8Array): boolean {
  for (let i = 0; i < block.length; i++) if (block[i] !== 0) return false;
  return true;
}

/** Whether the stored checksum matches (unsigned sums, or signed ones as some old tars wrote). */
function checksumOk(block: Uint8Array): { ok: boolean; stored: number; computed: number } {
  const stored = number(block, 148, 8);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : (block[i] ?? 0);
    unsigned += b;
    signed += b >= 128 ? b - 256 : b;
  }
  return { ok: stored === unsigned || stored === signed, stored, computed: unsigned };
}

function entryType(flag: string): TarEntryType {
  switch (flag) {
    case '0':
    case '\0':
    case '7': // contiguous file: a regular file for readers
      return 'file';
    case '5':
      return 'directory';
    case '2':
      return 'symlink';
    case '1':
      return 'hardlink';
    default:
      return 'other';
  }
}

/** The records of a pax extended header: `"<length> <key>=<value>\n"`, lengths in bytes. */
function parsePax(data: Uint8Array, source: string, offset: number): Map<string, string> {
  const records = new Map<string, string>();
  let pos = 0;
  while (pos < data.length) {
    if (data[pos] === 0) break; // NUL padding after the last record
    const space = data.indexOf(0x20, pos);
    const length = space < 0 ? NaN : Number(utf8.decode(data.subarray(pos, space)));
    if (!Number.isSafeInteger(length) || length <= 0 || pos + length > data.length) {
      throw new TarError(source, offset, `bad pax extended header at byte offset ${offset}`);
    }
    const record = utf8.decode(data.subarray(space + 1, pos + length));
    const eq = record.indexOf('=');
    if (eq < 0 || !record.endsWith('\n')) {
      throw new TarError(source, offset, `bad pax extended header at byte offset ${offset}`);
    }
    records.set(record.slice(0, eq), record.slice(eq + 1, -1));
    pos += length;
  }
  return records;
}

/** Type flags of members that store no data (POSIX: links, devices, directories, FIFOs). */
const NO_DATA_TYPES = '123456';

const padding = (size: number) => (BLOCK - (size % BLOCK)) % BLOCK;

/**
 * Yields the members of a tar archive read from `chunks`, in archive order.
 * Throws `TarError` for a truncated archive, a bad header checksum or a malformed header.
 * Breaking out of the loop early closes the input (its iterator's `return`).
 */
export async function* readTar(
  chunks: AsyncIterable<Uint8Array>,
  options: ReadTarOptions = {},
): AsyncGenerator<TarEntry, void, undefined> {
  const source = options.source ?? 'tar archive';
  const maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const iterator = chunks[Symbol.asyncIterator]();
  const reader = new ChunkReader(iterator);
  let finished = false;
  try {
    const header = new Uint8Array(BLOCK);
    // Set by GNU 'L' and pax 'x' members for the member that follows them.
    let longName: string | undefined;
    let paxPath: string | undefined;
    let paxSize: number | undefined;
    let zeroBlocks = 0;

    for (;;) {
      const offset = reader.offset;
      const got = await reader.read(BLOCK, header);
      if (got === 0 && zeroBlocks === 1) break; // a lone zero block at the end: accepted
      if (got < BLOCK) {
        const detail =
          got === 0
            ? `truncated archive: it ends at byte offset ${offset} without the end-of-archive blocks`
            : `truncated archive: the header at byte offset ${offset} has only ${got} of 512 bytes`;
        throw new TarError(source, offset, detail);
      }
      if (isZeroBlock(header)) {
        if (++zeroBlocks === 2) break;
        continue;
      }
      zeroBlocks = 0;

      const sum = checksumOk(header);
      if (!sum.ok) {
        const stored = Number.isNaN(sum.stored) ? 'unreadable' : String(sum.stored);
        throw new TarError(
          source,
          offset,
          `bad tar header checksum at byte offset ${offset} (stored ${stored}, computed ` +
            `${sum.computed}): the archive is corrupt or not a tar archive`,
        );
      }
      const typeflag = String.fromCharCode(header[156] ?? 0);
      const headerSize = number(header, 124, 12);
      if (Number.isNaN(headerSize)) {
        throw new TarError(source, offset, `bad size field in the tar header at byte offset ${offset}`);
      }
      const magic = text(header, 257, 6);
      let name = text(header, 0, 100);
      // POSIX ustar ("ustar\0"): a path prefix; the GNU format ("ustar  ") uses that space otherwise.
      if (magic === 'ustar' && header[262] === 0) {
        const prefix = text(header, 345, 155);
        if (prefix) name = `${prefix}/${name}`;
      }

      // Extension members: they describe the member that follows.
      if (typeflag === 'L' || typeflag === 'x' || typeflag === 'g') {
        if (headerSize > maxFileBytes) {
          throw new TarError(source, offset, `extended header at byte offset ${offset} is too large (${headerSize} bytes)`);
        }
        const data = new Uint8Array(headerSize);
        await readData(reader, data, headerSize, source, offset, `extended header`);
        if (typeflag === 'L') {
          const end = data.indexOf(0);
          longName = utf8.decode(end < 0 ? data : data.subarray(0, end));
        } else if (typeflag === 'x') {
          const records = parsePax(data, source, offset);
          const path = records.get('path');
          if (path !== undefined) paxPath = path;
          const size = records.get('size');
          if (size !== undefined) {
            const value = /^\d+$/.test(size) ? Number(size) : NaN;
            if (!Number.isSafeInteger(value)) {
              throw new TarError(source, offset, `bad pax size "${size}" at byte offset ${offset}`);
            }
            paxSize = value;
          }
        }
        continue;
      }

      name = paxPath ?? longName ?? name;
      const size = paxSize ?? headerSize;
      paxPath = longName = paxSize = undefined;
      const type = entryType(typeflag);
      // Links, directories and devices store no data whatever their size field says; regular
      // files and unknown types store `size` bytes.
      const stored = NO_DATA_TYPES.includes(typeflag) ? 0 : size;
      const wanted = options.select ? options.select(name, type) : true;

      if (type === 'file' && wanted) {
        if (size > maxFileBytes) {
          throw new TarError(
            source,
            offset,
            `"${name}" (header at byte offset ${offset}) is ${size} bytes, more than the ` +
              `${maxFileBytes} bytes this reader collects in memory`,
          );
        }
        const data = new Uint8Array(size);
        await readData(reader, data, size, source, offset, `"${name}"`);
        yield { name, size, type, typeflag, data, offset };
      } else {
        await readData(reader, undefined, stored, source, offset, `"${name}"`);
        if (wanted) yield { name, size, type, typeflag, data: new Uint8Array(0), offset };
      }
    }
    if (options.drain ?? true) await reader.drain();
    finished = true;
  } finally {
    // Stopped early (a break in the caller's loop, or an error): release the input. Closing it
    // may fail in turn (a Node stream reports the abort); that must not hide the first error.
    if (!finished) {
      try {
        await iterator.return?.();
      } catch {
        // ignored: see above
      }
    }
  }
}

/** Consumes a member's data (into `target` when given) and its padding, or throws if truncated. */
async function readData(
  reader: ChunkReader,
  target: Uint8Array | undefined,
  size: number,
  source: string,
  headerOffset: number,
  what: string,
): Promise<void> {
  const start = reader.offset;
  const got = await reader.read(size, target);
  if (got < size) {
    throw new TarError(
      source,
      reader.offset,
      `truncated archive: ${what} (header at byte offset ${headerOffset}) should have ${size} ` +
        `bytes of data from byte offset ${start}, but the archive ends after ${got} of them ` +
        `(at byte offset ${reader.offset})`,
    );
  }
  const pad = padding(size);
  const gotPad = await reader.read(pad);
  if (gotPad < pad) {
    throw new TarError(
      source,
      reader.offset,
      `truncated archive: it ends at byte offset ${reader.offset}, inside the padding after ${what}`,
    );
  }
}
