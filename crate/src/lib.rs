//! senet-wasm's kernels. This file is the wasm-bindgen surface only: thin exported functions
//! that check their arguments and call the kernels; no math lives here.
//!
//! Buffers are passed as byte addresses into the module's (shared) memory, allocated with
//! [`alloc_f32`]; the TypeScript engine (src/engine/) is the only caller and keeps handles.

pub mod activation;
pub mod api;
pub mod batchnorm;
pub mod conv;
pub mod elementwise;
pub mod gemm;
pub mod linear;
pub mod loss;
pub mod optim;
pub mod pooling;
pub mod se;
pub mod scratch;
pub mod special;
pub mod threads;
pub mod winograd;
#[cfg(test)]
mod test_support;

use wasm_bindgen::prelude::*;

/// Which SIMD flavour this module was compiled with: "relaxed-simd" or "simd".
#[wasm_bindgen]
pub fn simd_flavour() -> String {
    if cfg!(target_feature = "relaxed-simd") { "relaxed-simd" } else { "simd" }.into()
}

/// Whether this module was built with shared memory and atomics (a thread pool can start).
#[wasm_bindgen]
pub fn threads_supported() -> bool {
    cfg!(target_feature = "atomics")
}

/// Allocates `len` f32s (zeroed, 16-byte aligned) and returns the byte address.
#[wasm_bindgen]
pub fn alloc_f32(len: usize) -> Result<usize, JsError> {
    let layout = f32_layout(len)?;
    if len == 0 {
        return Ok(16);
    }
    // SAFETY: the layout has non-zero size.
    let ptr = unsafe { std::alloc::alloc_zeroed(layout) };
    if ptr.is_null() {
        return Err(JsError::new(&format!("alloc_f32: out of WebAssembly memory allocating {len} floats")));
    }
    Ok(ptr as usize)
}

/// Frees a buffer from [`alloc_f32`] with the same `len`.
#[wasm_bindgen]
pub fn free_f32(addr: usize, len: usize) -> Result<(), JsError> {
    let layout = f32_layout(len)?;
    if len > 0 {
        // SAFETY: the engine passes back exactly what alloc_f32 returned, once.
        unsafe { std::alloc::dealloc(addr as *mut u8, layout) };
    }
    Ok(())
}

fn f32_layout(len: usize) -> Result<std::alloc::Layout, JsError> {
    len.checked_mul(4)
        .and_then(|bytes| std::alloc::Layout::from_size_align(bytes, 16).ok())
        .ok_or_else(|| JsError::new(&format!("alloc_f32: {len} floats do not fit in memory")))
}

/// `C = op(A) · op(B)` (`C +=` when `accumulate`), row-major. `a_len`, `b_len`, `c_len` are the
/// lengths (in floats) of the buffers at `a`, `b`, `c`; the call fails, naming the operand and
/// its shape, if a buffer is too small for the given shape and leading dimension.
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub fn gemm(
    trans_a: bool,
    trans_b: bool,
    m: usize,
    n: usize,
    k: usize,
    a: usize,
    a_len: usize,
    lda: usize,
    b: usize,
    b_len: usize,
    ldb: usize,
    c: usize,
    c_len: usize,
    ldc: usize,
    accumulate: bool,
) -> Result<(), JsError> {
    // SAFETY: the engine passes live allocations of at least these lengths; C does not overlap
    // A or B (checked by the engine).
    let (a, b, c) = unsafe {
        (
            std::slice::from_raw_parts(a as *const f32, a_len),
            std::slice::from_raw_parts(b as *const f32, b_len),
            std::slice::from_raw_parts_mut(c as *mut f32, c_len),
        )
    };
    let a = gemm::MatRef { data: a, ld: lda, transposed: trans_a };
    let b = gemm::MatRef { data: b, ld: ldb, transposed: trans_b };
    gemm::gemm(m, n, k, a, b, c, ldc, accumulate).map_err(|e| JsError::new(&e))
}

/// Number of threads kernels run on (1 when no pool was started).
#[wasm_bindgen]
pub fn thread_count() -> usize {
    threads::num_threads()
}

/// Starts a pool of `num_threads` threads. The host must start as many workers, each of which
/// instantiates this module on the same memory and calls [`run_pool_worker`].
#[wasm_bindgen]
pub fn start_thread_pool(num_threads: usize) -> Result<(), JsError> {
    if !threads_supported() {
        return Err(JsError::new("start_thread_pool: this build has no thread support (no shared memory)"));
    }
    threads::start_queued_pool(num_threads).map_err(|e| JsError::new(&e))
}

/// A pool worker's body: runs one pool thread until [`stop_thread_pool`].
#[wasm_bindgen]
pub fn run_pool_worker() {
    threads::run_pool_worker();
}

/// Stops the pool; kernels then run on the calling thread.
#[wasm_bindgen]
pub fn stop_thread_pool() {
    threads::stop_pool();
}
