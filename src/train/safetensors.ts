/**
 * A strict, dependency-free reader and writer of the safetensors format, for Node and browsers.
 * It works on bytes (no file system here): read a file with `fs.readFile` or `fetch` first.
 *
 * The format: an 8-byte little-endian header length N, N bytes of UTF-8 JSON
 * `{"__metadata__": {string: string}, name: {"dtype", "shape", "data_offsets": [begin, end]}}`,
 * then the data region: each tensor's elements, little-endian, C order, at [begin, end) relative
 * to the start of the region. `serializeSafetensors` writes what the Python `safetensors`
 * library writes for the same tensors and metadata, byte for byte (see its comment).
 */

/** The element types this module reads and writes. */
export type Dtype = 'F32' | 'F64' | 'I64' | 'I32' | 'U8';

/** The typed array that holds each dtype's elements. */
export interface DtypeArrays {
  F32: Float32Array;
  F64: Float64Array;
  I64: BigInt64Array;
  I32: Int32Array;
  U8: Uint8Array;
}

/** One tensor: `data` holds its elements in C (row-major) order; `shape` [] is a scalar. */
export type Tensor = { [D in Dtype]: { dtype: D; shape: number[]; data: DtypeArrays[D] } }[Dtype];

/** A tensor to write; the same as `Tensor` but its shape may be read-only. */
export type TensorInput = {
  [D in Dtype]: { dtype: D; shape: readonly number[]; data: DtypeArrays[D] };
}[Dtype];

export interface SafetensorsFile {
  /** The tensors, in the order of their data in the file. */
  tensors: Map<string, Tensor>;
  /** The `__metadata__` strings; empty when the file has none. */
  metadata: Record<string, string>;
}

/** Thrown for every malformed file or invalid input; the message names the source first. */
export class SafetensorsError extends Error {
  override readonly name = 'SafetensorsError';
}

interface DtypeInfo {
  /** Bytes per element. */
  size: number;
  /** Position in the safetensors library's `Dtype` enum, which orders tensors when writing. */
  rank: number;
  create(buffer: ArrayBuffer): DtypeArrays[Dtype];
  matches(data: unknown): boolean;
}

const DTYPES: Record<Dtype, DtypeInfo> = {
  U8: { size: 1, rank: 1, create: (b) => new Uint8Array(b), matches: (d) => d instanceof Uint8Array },
  I32: { size: 4, rank: 9, create: (b) => new Int32Array(b), matches: (d) => d instanceof Int32Array },
  F32: {
    size: 4, rank: 11, create: (b) => new Float32Array(b), matches: (d) => d instanceof Float32Array,
  },
  F64: {
    size: 8, rank: 12, create: (b) => new Float64Array(b), matches: (d) => d instanceof Float64Array,
  },
  I64: {
    size: 8, rank: 13, create: (b) => new BigInt64Array(b), matches: (d) => d instanceof BigInt64Array,
  },
};

const SUPPORTED = 'F32, F64, I64, I32, U8';
const ARRAY_NAMES: Record<Dtype, string> = {
  F32: 'Float32Array', F64: 'Float64Array', I64: 'BigInt64Array', I32: 'Int32Array', U8: 'Uint8Array',
};

function isDtype(value: unknown): value is Dtype {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(DTYPES, value);
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Reverses each `size`-byte element in place (only on big-endian machines). */
function swapBytes(bytes: Uint8Array, size: number): void {
  if (size === 1) return;
  for (let i = 0; i < bytes.length; i += size) {
    for (let a = i, b = i + size - 1; a < b; a++, b--) {
      const t = bytes[a]!;
      bytes[a] = bytes[b]!;
      bytes[b] = t;
    }
  }
}

function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** The number of elements of `shape`, or undefined if it is not a list of safe integers >= 0. */
function elementCount(shape: unknown): number | undefined {
  if (!Array.isArray(shape)) return undefined;
  let count = 1;
  for (const dim of shape) {
    if (typeof dim !== 'number' || !Number.isSafeInteger(dim) || dim < 0) return undefined;
    count *= dim;
    if (!Number.isSafeInteger(count)) return undefined;
  }
  return count;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const utf8Encoder = new TextEncoder();

/** Orders names by their UTF-8 bytes (= code points), as Rust and Python compare strings. */
function compareNames(a: string, b: string): number {
  const x = utf8Encoder.encode(a);
  const y = utf8Encoder.encode(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    if (x[i] !== y[i]) return x[i]! - y[i]!;
  }
  return x.length - y.length;
}

/**
 * Reads a safetensors file. `source` (a file name or URL) starts every error message.
 * Strict: the header must be valid UTF-8 JSON; every tensor must have a supported dtype, a
 * shape and offsets that match its byte size, and the tensors must tile the data region
 * exactly (no overlap, no unused bytes), as the safetensors library requires.
 * The data is copied out into new, aligned typed arrays: `bytes` may be reused afterwards.
 */
export function parseSafetensors(bytes: Uint8Array, source = 'safetensors'): SafetensorsFile {
  const fail = (message: string): never => {
    throw new SafetensorsError(`${source}: ${message}`);
  };
  if (bytes.length < 8) {
    fail(`truncated header: the file is ${bytes.length} bytes, less than the 8-byte header length`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getBigUint64(0, true);
  if (headerLength > BigInt(bytes.length - 8)) {
    fail(`header length ${headerLength} goes beyond the end of the file (${bytes.length} bytes)`);
  }
  const dataStart = 8 + Number(headerLength);
  const dataLength = bytes.length - dataStart;

  let text = '';
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.subarray(8, dataStart));
  } catch {
    fail('the header is not valid UTF-8');
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (error) {
    fail(`the header is not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (!isPlainObject(header) || !text.startsWith('{')) {
    fail('the header is not a JSON object');
  }
  const entries = Object.entries(header as Record<string, unknown>);

  const metadataEntries: [string, string][] = [];
  const infos: { name: string; dtype: Dtype; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, value] of entries) {
    if (name === '__metadata__') {
      if (!isPlainObject(value)) fail('__metadata__ is not an object of strings');
      for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
        if (typeof item !== 'string') fail(`__metadata__ '${key}' is not a string`);
        metadataEntries.push([key, item as string]);
      }
      continue;
    }
    if (!isPlainObject(value)) fail(`tensor '${name}' is not an object`);
    const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
    if (typeof dtype !== 'string') fail(`tensor '${name}' has no dtype`);
    if (!isDtype(dtype)) {
      fail(`tensor '${name}' has dtype ${String(dtype)}, which is not supported (${SUPPORTED})`);
    }
    const count = elementCount(shape);
    if (count === undefined) {
      fail(`tensor '${name}' has shape ${JSON.stringify(shape)}, not a list of integers >= 0`);
    }
    if (
      !Array.isArray(offsets) || offsets.length !== 2
      || !offsets.every((o) => typeof o === 'number' && Number.isSafeInteger(o) && o >= 0)
    ) {
      fail(`tensor '${name}' has data_offsets ${JSON.stringify(offsets)}, not [begin, end] integers >= 0`);
    }
    const [begin, end] = offsets as [number, number];
    if (begin > end) fail(`tensor '${name}' has data_offsets [${begin}, ${end}]: begin is after end`);
    if (end > dataLength) {
      fail(`tensor '${name}' has data_offsets [${begin}, ${end}], out of range: the data is ${dataLength} bytes`);
    }
    const d = dtype as Dtype;
    const needed = (count as number) * DTYPES[d].size;
    if (end - begin !== needed) {
      fail(
        `tensor '${name}' has data_offsets [${begin}, ${end}] (${end - begin} bytes), but shape `
          + `${formatShape(shape as number[])} of ${d} needs ${needed} bytes`,
      );
    }
    infos.push({ name, dtype: d, shape: [...(shape as number[])], begin, end });
  }

  infos.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let previous: (typeof infos)[number] | undefined;
  for (const info of infos) {
    if (info.begin < covered && previous) {
      fail(
        `tensors '${previous.name}' [${previous.begin}, ${previous.end}] and '${info.name}' `
          + `[${info.begin}, ${info.end}] overlap`,
      );
    }
    if (info.begin > covered) fail(`data bytes [${covered}, ${info.begin}] belong to no tensor`);
    covered = info.end;
    previous = info;
  }
  if (covered !== dataLength) fail(`data bytes [${covered}, ${dataLength}] belong to no tensor`);

  const tensors = new Map<string, Tensor>();
  for (const { name, dtype, shape, begin, end } of infos) {
    // A copy (not Buffer#slice, which would share memory), 8-aligned at offset 0 of its own buffer.
    const copy = new Uint8Array(end - begin);
    copy.set(bytes.subarray(dataStart + begin, dataStart + end));
    if (!LITTLE_ENDIAN) swapBytes(copy, DTYPES[dtype].size);
    tensors.set(name, { dtype, shape, data: DTYPES[dtype].create(copy.buffer) } as Tensor);
  }
  return { tensors, metadata: Object.fromEntries(metadataEntries) };
}

/**
 * Writes tensors (and optional `__metadata__` strings) as a safetensors file, exactly as the
 * Python `safetensors` library's `save_file` does: tensors ordered by dtype (I64, F64, F32, I32,
 * U8: the library's alignment order, largest first) then by name, the compact JSON header with
 * `__metadata__` first and the tensors in data order, padded with spaces to a multiple of
 * 8 bytes. The library writes metadata keys in hash-map order; here they are sorted. Omitting
 * `metadata` writes no `__metadata__`; `{}` writes an empty one, as the library does.
 */
export function serializeSafetensors(
  tensors: Readonly<Record<string, TensorInput>> | ReadonlyMap<string, TensorInput>,
  metadata?: Readonly<Record<string, string>>,
): Uint8Array {
  const fail = (message: string): never => {
    throw new SafetensorsError(`serializeSafetensors: ${message}`);
  };
  const list: [string, TensorInput][] = tensors instanceof Map
    ? [...(tensors as ReadonlyMap<string, TensorInput>).entries()]
    : Object.entries(tensors as Readonly<Record<string, TensorInput>>);
  for (const [name, tensor] of list) {
    if (name === '__metadata__') fail(`'__metadata__' cannot be a tensor name`);
    if (!isDtype(tensor.dtype)) {
      fail(`tensor '${name}' has dtype ${String(tensor.dtype)}, which is not supported (${SUPPORTED})`);
    }
    if (!DTYPES[tensor.dtype].matches(tensor.data)) {
      fail(`tensor '${name}' has dtype ${tensor.dtype} but its data is not a ${ARRAY_NAMES[tensor.dtype]}`);
    }
    const count = elementCount(tensor.shape);
    if (count === undefined) {
      fail(`tensor '${name}' has shape ${JSON.stringify(tensor.shape)}, not a list of integers >= 0`);
    }
    if (count !== tensor.data.length) {
      fail(`tensor '${name}' has shape ${formatShape(tensor.shape)} (${count} elements) but ${tensor.data.length} values`);
    }
  }
  const metadataKeys = metadata === undefined ? undefined : Object.keys(metadata).sort(compareNames);
  for (const key of metadataKeys ?? []) {
    if (typeof metadata![key] !== 'string') fail(`metadata '${key}' is not a string`);
  }

  list.sort(([a, x], [b, y]) => DTYPES[y.dtype].rank - DTYPES[x.dtype].rank || compareNames(a, b));
  const parts: string[] = [];
  if (metadataKeys !== undefined) {
    const items = metadataKeys.map((key) => `${JSON.stringify(key)}:${JSON.stringify(metadata![key])}`);
    parts.push(`"__metadata__":{${items.join(',')}}`);
  }
  let offset = 0;
  for (const [name, tensor] of list) {
    const end = offset + tensor.data.byteLength;
    parts.push(
      `${JSON.stringify(name)}:{"dtype":"${tensor.dtype}","shape":[${tensor.shape.join(',')}],`
        + `"data_offsets":[${offset},${end}]}`,
    );
    offset = end;
  }
  const json = utf8Encoder.encode(`{${parts.join(',')}}`);
  const headerLength = json.length + ((8 - (json.length % 8)) % 8);

  const out = new Uint8Array(8 + headerLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  let position = 8 + headerLength;
  for (const [, tensor] of list) {
    const { data } = tensor;
    const raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    out.set(raw, position);
    if (!LITTLE_ENDIAN) swapBytes(out.subarray(position, position + raw.length), DTYPES[tensor.dtype].size);
    position += raw.length;
  }
  return out;
}

/**
 * The tensor `name` of a parsed file, checked to have `dtype` (and `shape` when given):
 * `getTensor(file, 'input', 'F32').data` is a Float32Array.
 */
export function getTensor<D extends Dtype>(
  file: SafetensorsFile,
  name: string,
  dtype: D,
  shape?: readonly number[],
  source = 'safetensors',
): { dtype: D; shape: number[]; data: DtypeArrays[D] } {
  const tensor = file.tensors.get(name);
  if (tensor === undefined) throw new SafetensorsError(`${source}: no tensor '${name}'`);
  if (tensor.dtype !== dtype) {
    throw new SafetensorsError(`${source}: tensor '${name}' is ${tensor.dtype}, not ${dtype}`);
  }
  if (shape !== undefined && (shape.length !== tensor.shape.length || shape.some((d, i) => d !== tensor.shape[i]))) {
    throw new SafetensorsError(
      `${source}: tensor '${name}' has shape ${formatShape(tensor.shape)}, not ${formatShape(shape)}`,
    );
  }
  return tensor as { dtype: D; shape: number[]; data: DtypeArrays[D] };
}
