/* tslint:disable */
/* eslint-disable */

/**
 * Allocates `len` f32s (zeroed, 16-byte aligned) and returns the byte address.
 */
export function alloc_f32(len: number): number;

/**
 * Frees a buffer from [`alloc_f32`] with the same `len`.
 */
export function free_f32(addr: number, len: number): void;

/**
 * `C = op(A) · op(B)` (`C +=` when `accumulate`), row-major. `a_len`, `b_len`, `c_len` are the
 * lengths (in floats) of the buffers at `a`, `b`, `c`; the call fails, naming the operand and
 * its shape, if a buffer is too small for the given shape and leading dimension.
 */
export function gemm(trans_a: boolean, trans_b: boolean, m: number, n: number, k: number, a: number, a_len: number, lda: number, b: number, b_len: number, ldb: number, c: number, c_len: number, ldc: number, accumulate: boolean): void;

/**
 * A pool worker's body: runs one pool thread until [`stop_thread_pool`].
 */
export function run_pool_worker(): void;

/**
 * Which SIMD flavour this module was compiled with: "relaxed-simd" or "simd".
 */
export function simd_flavour(): string;

/**
 * Starts a pool of `num_threads` threads. The host must start as many workers, each of which
 * instantiates this module on the same memory and calls [`run_pool_worker`].
 */
export function start_thread_pool(num_threads: number): void;

/**
 * Stops the pool; kernels then run on the calling thread.
 */
export function stop_thread_pool(): void;

/**
 * Number of threads kernels run on (1 when no pool was started).
 */
export function thread_count(): number;

/**
 * Whether this module was built with shared memory and atomics (a thread pool can start).
 */
export function threads_supported(): boolean;

export type InitInput = RequestInfo | URL | Response | BufferSource | WebAssembly.Module;

export interface InitOutput {
    readonly alloc_f32: (a: number) => [number, number, number];
    readonly free_f32: (a: number, b: number) => [number, number];
    readonly gemm: (a: number, b: number, c: number, d: number, e: number, f: number, g: number, h: number, i: number, j: number, k: number, l: number, m: number, n: number, o: number) => [number, number];
    readonly run_pool_worker: () => void;
    readonly simd_flavour: () => [number, number];
    readonly start_thread_pool: (a: number) => [number, number];
    readonly stop_thread_pool: () => void;
    readonly thread_count: () => number;
    readonly threads_supported: () => number;
    readonly memory: WebAssembly.Memory;
    readonly __wbindgen_externrefs: WebAssembly.Table;
    readonly __externref_table_dealloc: (a: number) => void;
    readonly __wbindgen_free: (a: number, b: number, c: number) => void;
    readonly __wbindgen_thread_destroy: (a?: number, b?: number, c?: number) => void;
    readonly __wbindgen_start: (a: number) => void;
}

export type SyncInitInput = BufferSource | WebAssembly.Module;

/**
 * Instantiates the given `module`, which can either be bytes or
 * a precompiled `WebAssembly.Module`.
 *
 * @param {{ module: SyncInitInput, memory?: WebAssembly.Memory, thread_stack_size?: number }} module - Passing `SyncInitInput` directly is deprecated.
 * @param {WebAssembly.Memory} memory - Deprecated.
 *
 * @returns {InitOutput}
 */
export function initSync(module: { module: SyncInitInput, memory?: WebAssembly.Memory, thread_stack_size?: number } | SyncInitInput, memory?: WebAssembly.Memory): InitOutput;

/**
 * If `module_or_path` is {RequestInfo} or {URL}, makes a request and
 * for everything else, calls `WebAssembly.instantiate` directly.
 *
 * @param {{ module_or_path: InitInput | Promise<InitInput>, memory?: WebAssembly.Memory, thread_stack_size?: number }} module_or_path - Passing `InitInput` directly is deprecated.
 * @param {WebAssembly.Memory} memory - Deprecated.
 *
 * @returns {Promise<InitOutput>}
 */
export default function __wbg_init (module_or_path?: { module_or_path: InitInput | Promise<InitInput>, memory?: WebAssembly.Memory, thread_stack_size?: number } | InitInput | Promise<InitInput>, memory?: WebAssembly.Memory): Promise<InitOutput>;
