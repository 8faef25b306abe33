//! wasm-bindgen surface of [`crate::activation`]: ReLU, sigmoid and GELU, forward and backward,
//! on flat f32 buffers of any shape (every buffer of a call has the same length). ReLU's and
//! sigmoid's backward passes take the forward's output, GELU's its input.
//!
//! In place: a forward may pass the same address for `output` and `input`, and a backward the
//! same address for `grad_input` and `grad_output`; the call then runs the kernel's in-place
//! variant on that one buffer. Any other overlap between the buffers of a call is an error.
//! A call on at most one chunk of elements runs on the calling thread
//! ([`crate::elementwise::run`]).

use super::{check_len, f32s, f32s_mut, same_buffer};
use crate::activation;
use crate::elementwise;
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
        "output",
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
        "output",
        [(grad_output, grad_output_len), (output, output_len), (grad_input, grad_input_len)],
        activation::sigmoid_backward,
        activation::sigmoid_backward_in_place,
    )
}

/// GELU forward, exact form (`nn.GELU()`): `output = input·Φ(input)`. `input`, `output`:
/// `[len]`, any shape; `output` may be `input` (in place, though the backward needs the input).
#[wasm_bindgen]
pub fn gelu_forward(input: usize, input_len: usize, output: usize, output_len: usize) -> Result<(), JsError> {
    forward(
        "gelu_forward",
        input,
        input_len,
        output,
        output_len,
        activation::gelu_forward,
        activation::gelu_forward_in_place,
    )
}

/// GELU backward: `grad_input = grad_output·(Φ(input) + input·φ(input))`, from the forward's
/// *input*. `grad_output`, `input`, `grad_input`: `[len]`; `grad_input` may be `grad_output`
/// (in place), never `input`.
#[wasm_bindgen]
pub fn gelu_backward(
    grad_output: usize,
    grad_output_len: usize,
    input: usize,
    input_len: usize,
    grad_input: usize,
    grad_input_len: usize,
) -> Result<(), JsError> {
    backward(
        "gelu_backward",
        "input",
        [(grad_output, grad_output_len), (input, input_len), (grad_input, grad_input_len)],
        activation::gelu_backward,
        activation::gelu_backward_in_place,
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
            let data = f32s_mut(output, output_len);
            elementwise::run(input_len, || in_place(data));
        } else {
            let (x, y) = (f32s(input, input_len), f32s_mut(output, output_len));
            elementwise::run(input_len, || kernel(x, y));
        }
    }
    Ok(())
}

/// Checks a backward's `[grad_output, saved, grad_input]` buffers, where `saved` (named
/// `saved_name` in errors) is what the forward kept, and runs `kernel`, or `in_place` when
/// `grad_input` is `grad_output`.
fn backward(
    op: &str,
    saved_name: &str,
    [(grad_output, grad_output_len), (saved, saved_len), (grad_input, grad_input_len)]: [(usize, usize); 3],
    kernel: fn(&[f32], &[f32], &mut [f32]),
    in_place: fn(&mut [f32], &[f32]),
) -> Result<(), JsError> {
    let len = grad_output_len;
    check_len(op, saved_name, saved_len, &[len])?;
    check_len(op, "grad_input", grad_input_len, &[len])?;
    let checked = || -> Result<bool, String> {
        if same_buffer(op, ("grad_input", grad_input), (saved_name, saved), len)? {
            return Err(format!("{op}: grad_input must not be the {saved_name} buffer"));
        }
        same_buffer(op, ("grad_input", grad_input), ("grad_output", grad_output), len)
    };
    let same = checked().map_err(|e| JsError::new(&e))?;
    // SAFETY: the engine passes live buffers of these lengths; `grad_input` does not overlap
    // `saved`, and either is `grad_output` (one mutable slice) or does not overlap it.
    unsafe {
        let y = f32s(saved, len);
        if same {
            let grad = f32s_mut(grad_input, len);
            elementwise::run(len, || in_place(grad, y));
        } else {
            let (dy, dx) = (f32s(grad_output, len), f32s_mut(grad_input, len));
            elementwise::run(len, || kernel(dy, y, dx));
        }
    }
    Ok(())
}
