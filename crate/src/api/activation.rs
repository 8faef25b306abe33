//! wasm-bindgen surface of [`crate::activation`]: ReLU and sigmoid, forward and backward, on flat
//! f32 buffers of any shape (every buffer of a call has the same length).
//!
//! In place: a forward may pass the same address for `output` and `input`, and a backward the
//! same address for `grad_input` and `grad_output`; the call then runs the kernel's in-place
//! variant on that one buffer. Any other overlap between the buffers of a call is an error.

use super::{check_len, f32s, f32s_mut};
use crate::activation;
use wasm_bindgen::prelude::*;

/// ReLU forward: `output = max(input, 0)`. `input`, `output`: `[len]`, any shape; `output` may
/// be `input` (in place).
#[wasm_bindgen]
pub fn relu_forward(input: usize, input_len: usize, output: usize, output_len: usize) -> Result<(), JsError> {
    forward(
        "relu_forward",
        input,
        input_len,
        output,
        output_len,
        activation::relu_forward,
        activation::relu_forward_in_place,
    )
}

/// ReLU backward: `grad_input = grad_output` where `output > 0`, else 0 (PyTorch's
/// `threshold_backward` on the forward's output). `grad_output`, `output`, `grad_input`:
/// `[len]`; `grad_input` may be `grad_output` (in place), never `output`.
#[wasm_bindgen]
pub fn relu_backward(
    grad_output: usize,
    grad_output_len: usize,
    output: usize,
    output_len: usize,
    grad_input: usize,
    grad_input_len: usize,
) -> Result<(), JsError> {
    backward(
        "relu_backward",
        [(grad_output, grad_output_len), (output, output_len), (grad_input, grad_input_len)],
        activation::relu_backward,
        activation::relu_backward_in_place,
    )
}

/// Sigmoid forward: `output = 1 / (1 + exp(-input))`. `input`, `output`: `[len]`, any shape;
/// `output` may be `input` (in place).
#[wasm_bindgen]
pub fn sigmoid_forward(input: usize, input_len: usize, output: usize, output_len: usize) -> Result<(), JsError> {
    forward(
        "sigmoid_forward",
        input,
        input_len,
        output,
        output_len,
        activation::sigmoid_forward,
        activation::sigmoid_forward_in_place,
    )
}

/// Sigmoid backward: `grad_input = grad_output * (1 - output) * output`, from the forward's
/// output. `grad_output`, `output`, `grad_input`: `[len]`; `grad_input` may be `grad_output`
/// (in place), never `output`.
#[wasm_bindgen]
pub fn sigmoid_backward(
    grad_output: usize,
    grad_output_len: usize,
    output: usize,
    output_len: usize,
    grad_input: usize,
    grad_input_len: usize,
) -> Result<(), JsError> {
    backward(
        "sigmoid_backward",
        [(grad_output, grad_output_len), (output, output_len), (grad_input, grad_input_len)],
        activation::sigmoid_backward,
        activation::sigmoid_backward_in_place,
    )
}

/// Checks a forward's buffers and runs `kernel`, or `in_place` when `output` is `input`.
fn forward(
    op: &str,
    input: usize,
    input_len: usize,
    output: usize,
    output_len: usize,
    kernel: fn(&[f32], &mut [f32]),
    in_place: fn(&mut [f32]),
) -> Result<(), JsError> {
    check_len(op, "output", output_len, &[input_len])?;
    let same = same_buffer(op, ("output", output), ("input", input), input_len).map_err(|e| JsError::new(&e))?;
    // SAFETY: the engine passes live buffers of these lengths; `output` either is `input` (one
    // mutable slice) or does not overlap it (checked above).
    unsafe {
        if same {
            crate::threads::run(|| in_place(f32s_mut(output, output_len)));
        } else {
            let (x, y) = (f32s(input, input_len), f32s_mut(output, output_len));
            crate::threads::run(|| kernel(x, y));
        }
    }
    Ok(())
}

/// Checks a backward's `[grad_output, output, grad_input]` buffers and runs `kernel`, or
/// `in_place` when `grad_input` is `grad_output`.
fn backward(
    op: &str,
    [(grad_output, grad_output_len), (output, output_len), (grad_input, grad_input_len)]: [(usize, usize); 3],
    kernel: fn(&[f32], &[f32], &mut [f32]),
    in_place: fn(&mut [f32], &[f32]),
) -> Result<(), JsError> {
    let len = grad_output_len;
    check_len(op, "output", output_len, &[len])?;
    check_len(op, "grad_input", grad_input_len, &[len])?;
    let checked = || -> Result<bool, String> {
        if same_buffer(op, ("grad_input", grad_input), ("output", output), len)? {
            return Err(format!("{op}: grad_input must not be the output buffer"));
        }
        same_buffer(op, ("grad_input", grad_input), ("grad_output", grad_output), len)
    };
    let same = checked().map_err(|e| JsError::new(&e))?;
    // SAFETY: the engine passes live buffers of these lengths; `grad_input` does not overlap
    // `output`, and either is `grad_output` (one mutable slice) or does not overlap it.
    unsafe {
        let y = f32s(output, len);
        if same {
            crate::threads::run(|| in_place(f32s_mut(grad_input, len), y));
        } else {
            let (dy, dx) = (f32s(grad_output, len), f32s_mut(grad_input, len));
            crate::threads::run(|| kernel(dy, y, dx));
        }
    }
    Ok(())
}

/// Whether buffer `a` is buffer `b` (same address), both `len` f32s long: `Ok(false)` when
/// they are disjoint, an error when they partly overlap.
fn same_buffer(op: &str, (a_name, a): (&str, usize), (b_name, b): (&str, usize), len: usize) -> Result<bool, String> {
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
