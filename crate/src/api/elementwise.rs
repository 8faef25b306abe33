//! wasm-bindgen surface of [`crate::elementwise`]: `add`, `add_into`, `add_relu` and `scale` on
//! flat f32 buffers of any shape (every buffer of a call has the same length). Their backward
//! passes need no kernels of their own (see [`crate::elementwise`]): `add_relu`'s is
//! `relu_backward` on its output.
//!
//! In place: `add` and `add_relu` may write `output` over `a` or over `b` (not both: pass a
//! separate output for `x + x`), and `scale` over its input; `add_into` writes `dst`, which must
//! not be `src`. The inputs `a` and `b` may be the same buffer. Any partial overlap between a
//! written buffer and another is an error. A call on at most one chunk of elements runs on the
//! calling thread ([`crate::elementwise::run`]).

use super::{check_len, f32s, f32s_mut, same_buffer};
use crate::elementwise;
use wasm_bindgen::prelude::*;

/// `output = a + b`. `a`, `b`, `output`: `[len]`; `output` may be `a` or `b`.
#[wasm_bindgen]
pub fn add(a: usize, a_len: usize, b: usize, b_len: usize, output: usize, output_len: usize) -> Result<(), JsError> {
    binary("add", [(a, a_len), (b, b_len), (output, output_len)], elementwise::add, elementwise::add_into)
}

/// `output = max(a + b, 0)`, the residual join. `a`, `b`, `output`: `[len]`; `output` may be
/// `a` or `b`. Its backward is `relu_backward` on `output`, for both inputs.
#[wasm_bindgen]
pub fn add_relu(
    a: usize,
    a_len: usize,
    b: usize,
    b_len: usize,
    output: usize,
    output_len: usize,
) -> Result<(), JsError> {
    binary(
        "add_relu",
        [(a, a_len), (b, b_len), (output, output_len)],
        elementwise::add_relu,
        elementwise::add_relu_in_place,
    )
}

/// `dst += src`, how gradients accumulate. `dst`, `src`: `[len]`, distinct buffers.
#[wasm_bindgen]
pub fn add_into(dst: usize, dst_len: usize, src: usize, src_len: usize) -> Result<(), JsError> {
    const OP: &str = "add_into";
    check_len(OP, "src", src_len, &[dst_len])?;
    if same_buffer(OP, ("dst", dst), ("src", src), dst_len).map_err(|e| JsError::new(&e))? {
        return Err(JsError::new("add_into: src must not be dst"));
    }
    // SAFETY: the engine passes live buffers of these lengths, which do not overlap (above).
    let (dst, src) = unsafe { (f32s_mut(dst, dst_len), f32s(src, src_len)) };
    elementwise::run(dst_len, || elementwise::add_into(dst, src));
    Ok(())
}

/// `output = input·factor`. `input`, `output`: `[len]`; `output` may be `input` (in place).
#[wasm_bindgen]
pub fn scale(input: usize, input_len: usize, output: usize, output_len: usize, factor: f32) -> Result<(), JsError> {
    const OP: &str = "scale";
    check_len(OP, "output", output_len, &[input_len])?;
    let same = same_buffer(OP, ("output", output), ("input", input), input_len).map_err(|e| JsError::new(&e))?;
    // SAFETY: the engine passes live buffers of these lengths; `output` either is `input` (one
    // mutable slice) or does not overlap it (checked above).
    unsafe {
        if same {
            let data = f32s_mut(output, output_len);
            elementwise::run(input_len, || elementwise::scale_in_place(data, factor));
        } else {
            let (x, y) = (f32s(input, input_len), f32s_mut(output, output_len));
            elementwise::run(input_len, || elementwise::scale(x, factor, y));
        }
    }
    Ok(())
}

/// Checks a binary op's `[a, b, output]` buffers and runs `kernel(a, b, output)`, or
/// `in_place(output, other input)` when `output` is one of the inputs (the ops are commutative).
fn binary(
    op: &str,
    [(a, a_len), (b, b_len), (output, output_len)]: [(usize, usize); 3],
    kernel: fn(&[f32], &[f32], &mut [f32]),
    in_place: fn(&mut [f32], &[f32]),
) -> Result<(), JsError> {
    let len = a_len;
    check_len(op, "b", b_len, &[len])?;
    check_len(op, "output", output_len, &[len])?;
    let over = |input: (&str, usize)| same_buffer(op, ("output", output), input, len).map_err(|e| JsError::new(&e));
    let (over_a, over_b) = (over(("a", a))?, over(("b", b))?);
    if over_a && over_b {
        return Err(JsError::new(&format!("{op}: output is both a and b; pass a separate output")));
    }
    // SAFETY: the engine passes live buffers of these lengths; `output` is at most one of the
    // inputs and does not overlap the other (checked above). `a` and `b` are only read.
    unsafe {
        let out = f32s_mut(output, len);
        if over_a || over_b {
            let other = if over_a { f32s(b, len) } else { f32s(a, len) };
            elementwise::run(len, || in_place(out, other));
        } else {
            let (a, b) = (f32s(a, len), f32s(b, len));
            elementwise::run(len, || kernel(a, b, out));
        }
    }
    Ok(())
}
