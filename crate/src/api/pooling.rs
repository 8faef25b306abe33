//! wasm-bindgen surface of [`crate::pooling`]: `nn.MaxPool2d` (floor mode, dilation 1, with
//! arg-max indices) and `nn.AdaptiveAvgPool2d(1)`, NCHW. No buffer of a call may overlap another
//! (the engine ensures it).

use super::{check_len, f32s, f32s_mut, u32s, u32s_mut};
use crate::pooling::{self, MaxPool2d};
use wasm_bindgen::prelude::*;

#[allow(clippy::too_many_arguments)]
fn max_pool(
    op: &str,
    batch: usize,
    channels: usize,
    height: usize,
    width: usize,
    kernel_h: usize,
    kernel_w: usize,
    stride_h: usize,
    stride_w: usize,
    pad_h: usize,
    pad_w: usize,
) -> Result<MaxPool2d, JsError> {
    let input = [batch, channels, height, width];
    MaxPool2d::new(op, input, [kernel_h, kernel_w], [stride_h, stride_w], [pad_h, pad_w]).map_err(|e| JsError::new(&e))
}

/// Max-pool forward. `input`: `[batch, channels, height, width]`; `output` and `indices` (u32,
/// 4-byte elements): `[batch, channels, out_h, out_w]` with `out = (in + 2·pad - kernel) /
/// stride + 1` (floor). `indices` gets each output's arg-max `h·width + w` within its input
/// plane (PyTorch's indices). Padding counts as -inf and must be at most half the kernel.
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub fn max_pool2d_forward(
    input: usize,
    input_len: usize,
    output: usize,
    output_len: usize,
    indices: usize,
    indices_len: usize,
    batch: usize,
    channels: usize,
    height: usize,
    width: usize,
    kernel_h: usize,
    kernel_w: usize,
    stride_h: usize,
    stride_w: usize,
    pad_h: usize,
    pad_w: usize,
) -> Result<(), JsError> {
    const OP: &str = "max_pool2d_forward";
    let pool = max_pool(OP, batch, channels, height, width, kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w)?;
    check_len(OP, "input", input_len, &pool.input_shape())?;
    check_len(OP, "output", output_len, &pool.output_shape())?;
    check_len(OP, "indices", indices_len, &pool.output_shape())?;
    // SAFETY: the engine passes live, non-overlapping buffers of these lengths.
    let (input, output, indices) =
        unsafe { (f32s(input, input_len), f32s_mut(output, output_len), u32s_mut(indices, indices_len)) };
    crate::threads::run(|| pooling::max_pool2d_forward(&pool, input, output, indices));
    Ok(())
}

/// Max-pool backward: `grad_input` (`[batch, channels, height, width]`, overwritten) receives
/// each `grad_output` element (`[batch, channels, out_h, out_w]`) at its arg-max from `indices`
/// (u32, `[batch, channels, out_h, out_w]`, from [`max_pool2d_forward`] with the same
/// geometry); overlapping windows add up. Fails if an index lies outside its plane.
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub fn max_pool2d_backward(
    grad_output: usize,
    grad_output_len: usize,
    indices: usize,
    indices_len: usize,
    grad_input: usize,
    grad_input_len: usize,
    batch: usize,
    channels: usize,
    height: usize,
    width: usize,
    kernel_h: usize,
    kernel_w: usize,
    stride_h: usize,
    stride_w: usize,
    pad_h: usize,
    pad_w: usize,
) -> Result<(), JsError> {
    const OP: &str = "max_pool2d_backward";
    let pool = max_pool(OP, batch, channels, height, width, kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w)?;
    check_len(OP, "grad_output", grad_output_len, &pool.output_shape())?;
    check_len(OP, "indices", indices_len, &pool.output_shape())?;
    check_len(OP, "grad_input", grad_input_len, &pool.input_shape())?;
    // SAFETY: the engine passes live, non-overlapping buffers of these lengths.
    let (grad_output, indices, grad_input) = unsafe {
        (f32s(grad_output, grad_output_len), u32s(indices, indices_len), f32s_mut(grad_input, grad_input_len))
    };
    crate::threads::run(|| pooling::max_pool2d_backward(&pool, grad_output, indices, grad_input))
        .map_err(|e| JsError::new(&e))
}

/// Adaptive average pool to 1x1, forward: `output[n, c]` is the mean of plane `(n, c)`.
/// `input`: `[batch, channels, height, width]`; `output`: `[batch, channels, 1, 1]`.
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub fn adaptive_avg_pool2d_forward(
    input: usize,
    input_len: usize,
    output: usize,
    output_len: usize,
    batch: usize,
    channels: usize,
    height: usize,
    width: usize,
) -> Result<(), JsError> {
    const OP: &str = "adaptive_avg_pool2d_forward";
    let shape = [batch, channels, height, width];
    pooling::check_adaptive_avg_pool2d(OP, shape).map_err(|e| JsError::new(&e))?;
    check_len(OP, "input", input_len, &shape)?;
    check_len(OP, "output", output_len, &[batch, channels, 1, 1])?;
    // SAFETY: the engine passes live, non-overlapping buffers of these lengths.
    let (input, output) = unsafe { (f32s(input, input_len), f32s_mut(output, output_len)) };
    crate::threads::run(|| pooling::adaptive_avg_pool2d_forward(height * width, input, output));
    Ok(())
}

/// Adaptive average pool to 1x1, backward: every element of plane `(n, c)` of `grad_input`
/// (`[batch, channels, height, width]`, overwritten) is `grad_output[n, c] / (height · width)`.
/// `grad_output`: `[batch, channels, 1, 1]`.
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub fn adaptive_avg_pool2d_backward(
    grad_output: usize,
    grad_output_len: usize,
    grad_input: usize,
    grad_input_len: usize,
    batch: usize,
    channels: usize,
    height: usize,
    width: usize,
) -> Result<(), JsError> {
    const OP: &str = "adaptive_avg_pool2d_backward";
    let shape = [batch, channels, height, width];
    pooling::check_adaptive_avg_pool2d(OP, shape).map_err(|e| JsError::new(&e))?;
    check_len(OP, "grad_output", grad_output_len, &[batch, channels, 1, 1])?;
    check_len(OP, "grad_input", grad_input_len, &shape)?;
    // SAFETY: the engine passes live, non-overlapping buffers of these lengths.
    let (grad_output, grad_input) =
        unsafe { (f32s(grad_output, grad_output_len), f32s_mut(grad_input, grad_input_len)) };
    crate::threads::run(|| pooling::adaptive_avg_pool2d_backward(height * width, grad_output, grad_input));
    Ok(())
}
