/* tslint:disable */
/* eslint-disable */
export const alloc_f32: (a: number) => [number, number, number];
export const free_f32: (a: number, b: number) => [number, number];
export const gemm: (a: number, b: number, c: number, d: number, e: number, f: number, g: number, h: number, i: number, j: number, k: number, l: number, m: number, n: number, o: number) => [number, number];
export const run_pool_worker: () => void;
export const simd_flavour: () => [number, number];
export const start_thread_pool: (a: number) => [number, number];
export const stop_thread_pool: () => void;
export const thread_count: () => number;
export const threads_supported: () => number;
export const memory: WebAssembly.Memory;
export const __wbindgen_externrefs: WebAssembly.Table;
export const __externref_table_dealloc: (a: number) => void;
export const __wbindgen_free: (a: number, b: number, c: number) => void;
export const __wbindgen_thread_destroy: (a?: number, b?: number, c?: number) => void;
export const __wbindgen_start: (a: number) => void;
