/** The one error type for failed operations: names the op and the shapes involved. */
export class OpError extends Error {
  constructor(
    readonly op: string,
    detail: string,
  ) {
    super(`${op}: ${detail}`);
    this.name = 'OpError';
  }
}

/** `[2, 3]` */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** The most memory a 32-bit WebAssembly module can address, and so the most any build can grow to. */
export const WASM32_MEMORY_BYTES = 4 * 1024 ** 3;
/**
 * The largest single allocation, just under 2 GiB: a Rust allocation is at most isize::MAX bytes
 * (2^31 - 1 on wasm32) once rounded up to the tensors' 16-byte alignment (crate/src/lib.rs).
 */
const WASM32_ALLOCATION_BYTES = 2 ** 31 - 16;

/** Where a {@link WasmMemoryError} happened, as far as the code that catches it knows. */
export interface MemoryErrorContext {
  /** The layer that was running (e.g. 'features.3'), when a module reports it. */
  layer?: string;
  /** The batch size that was asked for, when training or evaluation reports it. */
  batchSize?: number;
}

/**
 * A tensor did not fit: every tensor, activation, gradient and kernel scratch buffer of an engine
 * lives in one 32-bit WebAssembly memory, which cannot grow past 4 GiB however much RAM the host
 * has. Code that knows more (the batch size, the layer) adds it with {@link withContext}.
 */
export class WasmMemoryError extends OpError {
  constructor(
    op: string,
    /** Shape of the tensor that did not fit. */
    readonly shape: readonly number[],
    /** Bytes it needed. */
    readonly bytes: number,
    /** Size the engine's memory had grown to when the allocation failed. */
    readonly memoryBytes: number,
    readonly context: MemoryErrorContext = {},
  ) {
    super(op, describeMemoryError(shape, bytes, memoryBytes, context));
    this.name = 'WasmMemoryError';
  }

  get layer(): string | undefined {
    return this.context.layer;
  }

  get batchSize(): number | undefined {
    return this.context.batchSize;
  }

  /** The same error with more of its context known (what is already set is kept). */
  withContext(context: MemoryErrorContext): WasmMemoryError {
    const merged = { ...context, ...this.context };
    const error = new WasmMemoryError(this.op, this.shape, this.bytes, this.memoryBytes, merged);
    error.stack = this.stack;
    return error;
  }
}

function describeMemoryError(shape: readonly number[], bytes: number, memoryBytes: number, context: MemoryErrorContext): string {
  const where = context.layer === undefined ? '' : ` in ${context.layer}`;
  let message = bytes > WASM32_ALLOCATION_BYTES
    ? `out of WebAssembly memory${where}: a ${formatShape(shape)} tensor needs ${formatBytes(bytes)}, more than the ` +
      `2 GiB one allocation can take in a 32-bit WebAssembly memory ` +
      `(${formatBytes(WASM32_MEMORY_BYTES)} in all, whatever the RAM of the host)`
    : `out of WebAssembly memory${where} allocating a ${formatShape(shape)} tensor (${formatBytes(bytes)}): the engine's ` +
      `memory has grown to ${formatBytes(memoryBytes)} of the ${formatBytes(WASM32_MEMORY_BYTES)} a 32-bit WebAssembly ` +
      'memory can hold, whatever the RAM of the host';
  if (context.batchSize !== undefined) {
    message += context.batchSize > 1
      ? `; batch size ${context.batchSize} does not fit: try ${Math.floor(context.batchSize / 2)}, and halve again until it fits`
      : '; not even batch size 1 fits';
  }
  return message;
}

/** `256 MiB`, `3.9 GiB` */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} bytes` : `${Number.isInteger(value) ? value : value.toFixed(1)} ${units[unit]}`;
}
