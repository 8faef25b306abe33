//! The wasm-bindgen surface of the layer kernels, one file per kernel module: thin exported
//! functions that check every shape and buffer length, then run the kernel on the thread pool.
//!
//! Conventions, shared by every file here:
//! - Tensors are NCHW f32, row-major, exactly PyTorch's layout (weights `[out, in, kh, kw]`).
//! - A buffer is passed as `(addr, len)`: its byte address in WebAssembly memory and its length
//!   in elements. [`f32s`] / [`f32s_mut`] turn them into slices. Index buffers (e.g. max-pool
//!   arg-max) are 4-byte elements too: [`u32s_mut`].
//! - Before touching memory, check that every length matches the shape the other arguments
//!   imply; on mismatch return `Err(shape_error(op, what, got, expected))`, which names the op
//!   and both shapes. A kernel never panics on user input.
//! - Run the kernel inside `crate::threads::run(|| ...)` so it uses the pool; element-wise
//!   kernels go through `crate::elementwise::run(len, || ...)`, which does that only for
//!   tensors of more than one chunk.
//! - A buffer that a call writes may be one it reads only where the function says so (the
//!   in-place forms); [`same_buffer`] tells the two cases apart and rejects partial overlaps.

pub mod activation;
pub mod batchnorm;
pub mod conv;
pub mod elementwise;
pub mod linear;
pub mod loss;
pub mod optim;
pub mod pooling;
pub mod se;

use wasm_bindgen::JsError;

/// The f32 slice at byte address `addr` with `len` elements.
///
/// # Safety
/// `addr` must be a live allocation of at least `len` f32s (the engine guarantees it).
pub unsafe fn f32s<'a>(addr: usize, len: usize) -> &'a [f32] {
    if len == 0 {
        return &[];
    }
    std::slice::from_raw_parts(addr as *const f32, len)
}

/// Mutable version of [`f32s`]; the buffer must not overlap any other buffer of the call.
///
/// # Safety
/// As [`f32s`], and no other live reference may alias it.
pub unsafe fn f32s_mut<'a>(addr: usize, len: usize) -> &'a mut [f32] {
    if len == 0 {
        return &mut [];
    }
    std::slice::from_raw_parts_mut(addr as *mut f32, len)
}

/// The u32 (index) slice at `addr` with `len` elements.
///
/// # Safety
/// As [`f32s_mut`].
pub unsafe fn u32s_mut<'a>(addr: usize, len: usize) -> &'a mut [u32] {
    if len == 0 {
        return &mut [];
    }
    std::slice::from_raw_parts_mut(addr as *mut u32, len)
}

/// The u32 (index) slice at `addr` with `len` elements, read-only.
///
/// # Safety
/// As [`f32s`].
pub unsafe fn u32s<'a>(addr: usize, len: usize) -> &'a [u32] {
    if len == 0 {
        return &[];
    }
    std::slice::from_raw_parts(addr as *const u32, len)
}

/// Number of elements of `shape`, or None if it overflows (a huge shape must not wrap around
/// to match a small buffer).
pub fn element_count(shape: &[usize]) -> Option<usize> {
    shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d))
}

/// `"<op>: <what> has <got> elements, expected <expected> for shape [a, b, ...]"`.
pub fn length_error(op: &str, what: &str, got: usize, shape: &[usize]) -> JsError {
    let expected = element_count(shape).map_or_else(|| "more than fit in memory".to_string(), |n| n.to_string());
    JsError::new(&format!(
        "{op}: {what} has {got} elements, expected {expected} for shape {}",
        format_shape(shape)
    ))
}

/// Checks that buffer `what` of `op` has exactly the number of elements of `shape`.
pub fn check_len(op: &str, what: &str, got: usize, shape: &[usize]) -> Result<(), JsError> {
    if element_count(shape) == Some(got) {
        Ok(())
    } else {
        Err(length_error(op, what, got, shape))
    }
}

/// `[2, 3, 4]`
pub fn format_shape(shape: &[usize]) -> String {
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    format!("[{}]", dims.join(", "))
}

/// Whether buffer `a` is buffer `b` (same address), both `len` f32s long: `Ok(false)` when
/// they are disjoint, an error when they partly overlap.
pub fn same_buffer(
    op: &str,
    (a_name, a): (&str, usize),
    (b_name, b): (&str, usize),
    len: usize,
) -> Result<bool, String> {
    let bytes = 4 * len as u64;
    let (a64, b64) = (a as u64, b as u64);
    if len == 0 || a64 + bytes <= b64 || b64 + bytes <= a64 {
        Ok(false)
    } else if a == b {
        Ok(true)
    } else {
        Err(format!("{op}: {a_name} overlaps {b_name} without being the same buffer"))
    }
}

#[cfg(test)]
mod tests {
    use super::same_buffer;

    #[test]
    fn same_buffer_tells_equal_disjoint_and_partly_overlapping_buffers_apart() {
        let (a, b) = (("output", 1000), ("input", 1040));
        assert_eq!(same_buffer("op", a, a, 10), Ok(true));
        assert_eq!(same_buffer("op", a, b, 10), Ok(false));
        assert_eq!(same_buffer("op", b, a, 10), Ok(false));
        assert_eq!(same_buffer("op", a, b, 0), Ok(false));
        let err = Err("relu_forward: output overlaps input without being the same buffer".to_string());
        assert_eq!(same_buffer("relu_forward", a, b, 11), err);
        assert_eq!(same_buffer("relu_forward", a, ("input", 996), 2), err);
    }
}
