/**
 * What this JavaScript engine supports, detected by validating tiny hand-assembled modules
 * (a module that uses an unsupported opcode does not even compile, so the loader must pick the
 * right build before compiling it).
 */

/** Header, a type section with one `() -> v128` function type, and a function section. */
const PREFIX = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, 0x03, 0x02, 0x01, 0x00];
/** `i32.const 0; i8x16.splat`: pushes a v128. */
const V128_ZERO = [0x41, 0x00, 0xfd, 0x0f];

function moduleWithBody(body: number[]): Uint8Array<ArrayBuffer> {
  const fn = [0x00, ...body, 0x0b]; // no locals, body, end
  return new Uint8Array([...PREFIX, 0x0a, fn.length + 2, 0x01, fn.length, ...fn]);
}

/** A function returning `i8x16.splat(0)`: valid where fixed-width SIMD is. */
const SIMD_PROBE = moduleWithBody(V128_ZERO);
/** A function returning `f32x4.relaxed_madd(0, 0, 0)` (opcode 0xfd 0x105). */
const RELAXED_SIMD_PROBE = moduleWithBody([...V128_ZERO, ...V128_ZERO, ...V128_ZERO, 0xfd, 0x85, 0x02]);

export interface Features {
  /** Fixed-width 128-bit SIMD. */
  simd: boolean;
  /** Relaxed SIMD (fused multiply-add): Node 22+, current browsers; Node 20 only with a flag. */
  relaxedSimd: boolean;
  /** Shared WebAssembly memory that can be handed to workers (in a page: cross-origin isolated). */
  sharedMemory: boolean;
  /** Node.js (worker_threads) rather than a browser (Web Workers). */
  node: boolean;
  /** Cores the host reports. */
  cores: number;
}

export async function detectFeatures(): Promise<Features> {
  const node = typeof process !== 'undefined' && process.versions?.node !== undefined;
  let cores = 1;
  if (node) {
    const os = await import('node:os');
    cores = os.availableParallelism();
  } else if (typeof navigator !== 'undefined') {
    cores = navigator.hardwareConcurrency || 1;
  }
  return {
    simd: WebAssembly.validate(SIMD_PROBE),
    relaxedSimd: WebAssembly.validate(RELAXED_SIMD_PROBE),
    sharedMemory: sharedMemoryAvailable(node),
    node,
    cores,
  };
}

function sharedMemoryAvailable(node: boolean): boolean {
  if (typeof SharedArrayBuffer === 'undefined') return false;
  // A page must be cross-origin isolated (COOP/COEP headers) to share memory with its workers.
  if (!node && (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated !== true) return false;
  try {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    return memory.buffer instanceof SharedArrayBuffer;
  } catch {
    return false;
  }
}
