/* @ts-self-types="./senet-simd.d.ts" */

/**
 * Allocates `len` f32s (zeroed, 16-byte aligned) and returns the byte address.
 * @param {number} len
 * @returns {number}
 */
export function alloc_f32(len) {
    const ret = wasm.alloc_f32(len);
    if (ret[2]) {
        throw takeFromExternrefTable0(ret[1]);
    }
    return ret[0] >>> 0;
}

/**
 * Frees a buffer from [`alloc_f32`] with the same `len`.
 * @param {number} addr
 * @param {number} len
 */
export function free_f32(addr, len) {
    const ret = wasm.free_f32(addr, len);
    if (ret[1]) {
        throw takeFromExternrefTable0(ret[0]);
    }
}

/**
 * `C = op(A) · op(B)` (`C +=` when `accumulate`), row-major. `a_len`, `b_len`, `c_len` are the
 * lengths (in floats) of the buffers at `a`, `b`, `c`; the call fails, naming the operand and
 * its shape, if a buffer is too small for the given shape and leading dimension.
 * @param {boolean} trans_a
 * @param {boolean} trans_b
 * @param {number} m
 * @param {number} n
 * @param {number} k
 * @param {number} a
 * @param {number} a_len
 * @param {number} lda
 * @param {number} b
 * @param {number} b_len
 * @param {number} ldb
 * @param {number} c
 * @param {number} c_len
 * @param {number} ldc
 * @param {boolean} accumulate
 */
export function gemm(trans_a, trans_b, m, n, k, a, a_len, lda, b, b_len, ldb, c, c_len, ldc, accumulate) {
    const ret = wasm.gemm(trans_a, trans_b, m, n, k, a, a_len, lda, b, b_len, ldb, c, c_len, ldc, accumulate);
    if (ret[1]) {
        throw takeFromExternrefTable0(ret[0]);
    }
}

/**
 * A pool worker's body: runs one pool thread until [`stop_thread_pool`].
 */
export function run_pool_worker() {
    wasm.run_pool_worker();
}

/**
 * Which SIMD flavour this module was compiled with: "relaxed-simd" or "simd".
 * @returns {string}
 */
export function simd_flavour() {
    let deferred1_0;
    let deferred1_1;
    try {
        const ret = wasm.simd_flavour();
        deferred1_0 = ret[0];
        deferred1_1 = ret[1];
        return getStringFromWasm0(ret[0], ret[1]);
    } finally {
        wasm.__wbindgen_free(deferred1_0, deferred1_1, 1);
    }
}

/**
 * Starts a pool of `num_threads` threads. The host must start as many workers, each of which
 * instantiates this module on the same memory and calls [`run_pool_worker`].
 * @param {number} num_threads
 */
export function start_thread_pool(num_threads) {
    const ret = wasm.start_thread_pool(num_threads);
    if (ret[1]) {
        throw takeFromExternrefTable0(ret[0]);
    }
}

/**
 * Stops the pool; kernels then run on the calling thread.
 */
export function stop_thread_pool() {
    wasm.stop_thread_pool();
}

/**
 * Number of threads kernels run on (1 when no pool was started).
 * @returns {number}
 */
export function thread_count() {
    const ret = wasm.thread_count();
    return ret >>> 0;
}

/**
 * Whether this module was built with shared memory and atomics (a thread pool can start).
 * @returns {boolean}
 */
export function threads_supported() {
    const ret = wasm.threads_supported();
    return ret !== 0;
}
function __wbg_get_imports() {
    const import0 = {
        __proto__: null,
        __wbg_Error_30c8987f7c2ed4e2: function(arg0, arg1) {
            const ret = Error(getStringFromWasm0(arg0, arg1));
            return ret;
        },
        __wbindgen_init_externref_table: function() {
            const table = wasm.__wbindgen_externrefs;
            const offset = table.grow(4);
            table.set(0, undefined);
            table.set(offset + 0, undefined);
            table.set(offset + 1, null);
            table.set(offset + 2, true);
            table.set(offset + 3, false);
        },
    };
    return {
        __proto__: null,
        "./senet-simd_bg.js": import0,
    };
}

function getStringFromWasm0(ptr, len) {
    return decodeText(ptr >>> 0, len);
}

let cachedUint8ArrayMemory0 = null;
function getUint8ArrayMemory0() {
    if (cachedUint8ArrayMemory0 === null || cachedUint8ArrayMemory0.byteLength === 0) {
        cachedUint8ArrayMemory0 = new Uint8Array(wasm.memory.buffer);
    }
    return cachedUint8ArrayMemory0;
}

function takeFromExternrefTable0(idx) {
    const value = wasm.__wbindgen_externrefs.get(idx);
    wasm.__externref_table_dealloc(idx);
    return value;
}

let cachedTextDecoder = new TextDecoder('utf-8', { ignoreBOM: true, fatal: true });
cachedTextDecoder.decode();
const MAX_SAFARI_DECODE_BYTES = 2146435072;
let numBytesDecoded = 0;
function decodeText(ptr, len) {
    numBytesDecoded += len;
    if (numBytesDecoded >= MAX_SAFARI_DECODE_BYTES) {
        cachedTextDecoder = new TextDecoder('utf-8', { ignoreBOM: true, fatal: true });
        cachedTextDecoder.decode();
        numBytesDecoded = len;
    }
    return cachedTextDecoder.decode(getUint8ArrayMemory0().subarray(ptr, ptr + len));
}

let wasmModule, wasmInstance, wasm;
function __wbg_finalize_init(instance, module) {
    wasmInstance = instance;
    wasm = instance.exports;
    wasmModule = module;
    cachedUint8ArrayMemory0 = null;
    wasm.__wbindgen_start();
    return wasm;
}

async function __wbg_load(module, imports) {
    if (typeof Response === 'function' && module instanceof Response) {
        if (!module.ok) {
            throw new Error(`failed to fetch Wasm: ${module.status} ${module.statusText} fetching '${module.url}'`);
        }

        if (typeof WebAssembly.instantiateStreaming === 'function') {
            try {
                return await WebAssembly.instantiateStreaming(module, imports);
            } catch (e) {
                const validResponse = expectedResponseType(module.type);

                if (validResponse && module.headers.get('Content-Type') !== 'application/wasm') {
                    console.warn("`WebAssembly.instantiateStreaming` failed because your server does not serve Wasm with `application/wasm` MIME type. Falling back to `WebAssembly.instantiate` which is slower. Original error:\n", e);

                } else { throw e; }
            }
        }

        const bytes = await module.arrayBuffer();
        return await WebAssembly.instantiate(bytes, imports);
    } else {
        const instance = await WebAssembly.instantiate(module, imports);

        if (instance instanceof WebAssembly.Instance) {
            return { instance, module };
        } else {
            return instance;
        }
    }

    function expectedResponseType(type) {
        switch (type) {
            case 'basic': case 'cors': case 'default': return true;
        }
        return false;
    }
}

function initSync(module) {
    if (wasm !== undefined) return wasm;


    if (module !== undefined) {
        if (Object.getPrototypeOf(module) === Object.prototype) {
            ({module} = module)
        } else {
            console.warn('using deprecated parameters for `initSync()`; pass a single object instead')
        }
    }

    const imports = __wbg_get_imports();
    if (!(module instanceof WebAssembly.Module)) {
        module = new WebAssembly.Module(module);
    }
    const instance = new WebAssembly.Instance(module, imports);
    return __wbg_finalize_init(instance, module);
}

async function __wbg_init(module_or_path) {
    if (wasm !== undefined) return wasm;


    if (module_or_path !== undefined) {
        if (Object.getPrototypeOf(module_or_path) === Object.prototype) {
            ({module_or_path} = module_or_path)
        } else {
            console.warn('using deprecated parameters for the initialization function; pass a single object instead')
        }
    }

    if (module_or_path === undefined) {
        module_or_path = new URL('senet-simd_bg.wasm', import.meta.url);
    }
    const imports = __wbg_get_imports();

    if (typeof module_or_path === 'string' || (typeof Request === 'function' && module_or_path instanceof Request) || (typeof URL === 'function' && module_or_path instanceof URL)) {
        module_or_path = fetch(module_or_path);
    }

    const { instance, module } = await __wbg_load(await module_or_path, imports);

    return __wbg_finalize_init(instance, module);
}

export { initSync, __wbg_init as default };
