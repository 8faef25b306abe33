// @ts-check
/**
 * The WebAssembly builds in pkg/ (made by scripts/build-wasm.sh) and how to load each. Plain
 * JavaScript so that a worker can import it unbundled in Node, and written with literal
 * `import()` and `new URL(..., import.meta.url)` so that bundlers (Vite) find and emit the files.
 */

/** @typedef {'relaxed-threads' | 'simd-threads' | 'simd'} VariantName */
/** @typedef {typeof import('../../pkg/senet-simd-threads.js')} ThreadsGlue */
/** @typedef {ThreadsGlue | typeof import('../../pkg/senet-simd.js')} Glue */

/**
 * @typedef {object} Variant
 * @property {VariantName} name
 * @property {boolean} threads  shared memory and atomics: a thread pool can start
 * @property {boolean} relaxedSimd  uses relaxed-SIMD opcodes (fused multiply-add)
 * @property {() => Promise<Glue>} glue  the wasm-bindgen JS glue (the same exports in every build)
 * @property {() => URL} wasmUrl  the .wasm file
 */

/** @type {Record<VariantName, Variant>} */
export const VARIANTS = {
  'relaxed-threads': {
    name: 'relaxed-threads',
    threads: true,
    relaxedSimd: true,
    glue: () => import('../../pkg/senet-relaxed-threads.js'),
    wasmUrl: () => new URL('../../pkg/senet-relaxed-threads_bg.wasm', import.meta.url),
  },
  'simd-threads': {
    name: 'simd-threads',
    threads: true,
    relaxedSimd: false,
    glue: () => import('../../pkg/senet-simd-threads.js'),
    wasmUrl: () => new URL('../../pkg/senet-simd-threads_bg.wasm', import.meta.url),
  },
  simd: {
    name: 'simd',
    threads: false,
    relaxedSimd: false,
    glue: () => import('../../pkg/senet-simd.js'),
    wasmUrl: () => new URL('../../pkg/senet-simd_bg.wasm', import.meta.url),
  },
};
