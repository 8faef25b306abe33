//! wasm-bindgen surface of [`crate::conv`]: 2-D convolution (PyTorch's `Conv2d`, zero padding),
//! forward and backward. NCHW f32; input `[N, Cin, H, W]`, weight `[Cout, Cin, kh, kw]`, bias
//! `[Cout]`, output `[N, Cout, OH, OW]` with `OH = (H + 2·pad_h − kh) / stride_h + 1` (floor) and
//! likewise `OW`. Every pass OVERWRITES its output buffer (grad_weight and grad_bias included:
//! nothing is accumulated, nothing needs zeroing). Output buffers must not overlap inputs.

use super::{check_len, f32s, f32s_mut};
use crate::conv::{self, Conv2dShape};
use crate::threads;
use wasm_bindgen::prelude::*;

/// The shape from the bindings' arguments, validated (errors name `op`).
#[allow(clippy::too_many_arguments)]
fn valid_shape(
    op: &str,
    batch: usize,
    in_channels: usize,
    height: usize,
    width: usize,
    out_channels: usize,
    kernel_h: usize,
    kernel_w: usize,
    stride_h: usize,
    stride_w: usize,
    pad_h: usize,
    pad_w: usize,
) -> Result<Conv2dShape, JsError> {
    let shape = Conv2dShape {
        batch,
        in_channels,
        height,
        width,
        out_channels,
        kernel_h,
        kernel_w,
        stride_h,
        stride_w,
        pad_h,
        pad_w,
    };
    shape.validate(op).map_err(|e| JsError::new(&e))?;
    Ok(shape)
}

/// `output = conv2d(input, weight) + bias`.
/// Buffers: input `[batch, in_channels, height, width]`, weight
/// `[out_channels, in_channels, kernel_h, kernel_w]`, bias `[out_channels]` or `bias_len = 0`
/// for no bias, output `[batch, out_channels, out_h, out_w]` (overwritten).
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub fn conv2d_forward(
    input: usize,
    input_len: usize,
    weight: usize,
    weight_len: usize,
    bias: usize,
    bias_len: usize,
    output: usize,
    output_len: usize,
    batch: usize,
    in_channels: usize,
    height: usize,
    width: usize,
    out_channels: usize,
    kernel_h: usize,
    kernel_w: usize,
    stride_h: usize,
    stride_w: usize,
    pad_h: usize,
    pad_w: usize,
) -> Result<(), JsError> {
    const OP: &str = "conv2d_forward";
    let s = valid_shape(
        OP,
        batch,
        in_channels,
        height,
        width,
        out_channels,
        kernel_h,
        kernel_w,
        stride_h,
        stride_w,
        pad_h,
        pad_w,
    )?;
    check_len(OP, "input", input_len, &s.input_shape())?;
    check_len(OP, "weight", weight_len, &s.weight_shape())?;
    if bias_len != 0 {
        check_len(OP, "bias", bias_len, &s.bias_shape())?;
    }
    check_len(OP, "output", output_len, &s.output_shape())?;
    // SAFETY: the engine passes live, non-overlapping allocations of these lengths.
    let (input, weight, output) =
        unsafe { (f32s(input, input_len), f32s(weight, weight_len), f32s_mut(output, output_len)) };
    let bias = (bias_len != 0).then(|| unsafe { f32s(bias, bias_len) });
    threads::run(|| conv::conv2d_forward(&s, input, weight, bias, output)).map_err(|e| JsError::new(&e))
}

/// `grad_input = ∂L/∂input` from `grad_output = ∂L/∂output`.
/// Buffers: grad_output `[batch, out_channels, out_h, out_w]`, weight
/// `[out_channels, in_channels, kernel_h, kernel_w]`, grad_input
/// `[batch, in_channels, height, width]` (overwritten).
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub fn conv2d_grad_input(
    grad_output: usize,
    grad_output_len: usize,
    weight: usize,
    weight_len: usize,
    grad_input: usize,
    grad_input_len: usize,
    batch: usize,
    in_channels: usize,
    height: usize,
    width: usize,
    out_channels: usize,
    kernel_h: usize,
    kernel_w: usize,
    stride_h: usize,
    stride_w: usize,
    pad_h: usize,
    pad_w: usize,
) -> Result<(), JsError> {
    const OP: &str = "conv2d_grad_input";
    let s = valid_shape(
        OP,
        batch,
        in_channels,
        height,
        width,
        out_channels,
        kernel_h,
        kernel_w,
        stride_h,
        stride_w,
        pad_h,
        pad_w,
    )?;
    check_len(OP, "grad_output", grad_output_len, &s.output_shape())?;
    check_len(OP, "weight", weight_len, &s.weight_shape())?;
    check_len(OP, "grad_input", grad_input_len, &s.input_shape())?;
    // SAFETY: the engine passes live, non-overlapping allocations of these lengths.
    let (grad_output, weight, grad_input) =
        unsafe { (f32s(grad_output, grad_output_len), f32s(weight, weight_len), f32s_mut(grad_input, grad_input_len)) };
    threads::run(|| conv::conv2d_grad_input(&s, grad_output, weight, grad_input)).map_err(|e| JsError::new(&e))
}

/// `grad_weight = ∂L/∂weight`, summed over the batch.
/// Buffers: input `[batch, in_channels, height, width]`, grad_output
/// `[batch, out_channels, out_h, out_w]`, grad_weight `[out_channels, in_channels, kernel_h,
/// kernel_w]` (overwritten, not accumulated into).
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub fn conv2d_grad_weight(
    input: usize,
    input_len: usize,
    grad_output: usize,
    grad_output_len: usize,
    grad_weight: usize,
    grad_weight_len: usize,
    batch: usize,
    in_channels: usize,
    height: usize,
    width: usize,
    out_channels: usize,
    kernel_h: usize,
    kernel_w: usize,
    stride_h: usize,
    stride_w: usize,
    pad_h: usize,
    pad_w: usize,
) -> Result<(), JsError> {
    const OP: &str = "conv2d_grad_weight";
    let s = valid_shape(
        OP,
        batch,
        in_channels,
        height,
        width,
        out_channels,
        kernel_h,
        kernel_w,
        stride_h,
        stride_w,
        pad_h,
        pad_w,
    )?;
    check_len(OP, "input", input_len, &s.input_shape())?;
    check_len(OP, "grad_output", grad_output_len, &s.output_shape())?;
    check_len(OP, "grad_weight", grad_weight_len, &s.weight_shape())?;
    // SAFETY: the engine passes live, non-overlapping allocations of these lengths.
    let (input, grad_output, grad_weight) =
        unsafe { (f32s(input, input_len), f32s(grad_output, grad_output_len), f32s_mut(grad_weight, grad_weight_len)) };
    threads::run(|| conv::conv2d_grad_weight(&s, input, grad_output, grad_weight)).map_err(|e| JsError::new(&e))
}

/// `grad_bias[c] = Σ grad_output[n, c, y, x]` over the batch and the output plane.
/// Buffers: grad_output `[batch, out_channels, out_h, out_w]`, grad_bias `[out_channels]`
/// (overwritten, not accumulated into).
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub fn conv2d_grad_bias(
    grad_output: usize,
    grad_output_len: usize,
    grad_bias: usize,
    grad_bias_len: usize,
    batch: usize,
    out_channels: usize,
    out_h: usize,
    out_w: usize,
) -> Result<(), JsError> {
    const OP: &str = "conv2d_grad_bias";
    let shape = [batch, out_channels, out_h, out_w];
    conv::validate_grad_output(OP, shape).map_err(|e| JsError::new(&e))?;
    check_len(OP, "grad_output", grad_output_len, &shape)?;
    check_len(OP, "grad_bias", grad_bias_len, &[out_channels])?;
    // SAFETY: the engine passes live, non-overlapping allocations of these lengths.
    let (grad_output, grad_bias) = unsafe { (f32s(grad_output, grad_output_len), f32s_mut(grad_bias, grad_bias_len)) };
    threads::run(|| conv::conv2d_grad_bias(grad_output, batch, out_channels, out_h * out_w, grad_bias));
    Ok(())
}
