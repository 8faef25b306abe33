//! wasm-bindgen surface of [`crate::batchnorm`]: `nn.BatchNorm2d` (NCHW, statistics per channel)
//! with an optional fused ReLU. No buffer of a call may overlap another (the engine ensures it).

use super::{check_len, f32s, f32s_mut};
use crate::batchnorm::{self, Nchw};
use wasm_bindgen::prelude::*;

fn shape(op: &str, batch: usize, channels: usize, height: usize, width: usize) -> Result<Nchw, JsError> {
    Nchw::new(op, batch, channels, height, width).map_err(|e| JsError::new(&e))
}

/// Training-mode forward. `input`, `output`: `[batch, channels, height, width]`; `weight`,
/// `bias`, `running_mean`, `running_var`, `save_mean`, `save_invstd`: `[channels]`.
/// Normalises with the batch statistics, updates `running_mean` / `running_var` in place
/// (`(1 - momentum) · running + momentum · batch`, unbiased batch variance) and writes the batch
/// mean and `1 / sqrt(var + eps)` to `save_mean` / `save_invstd` for
/// [`batch_norm2d_backward`]. With `relu`, `output = max(bn(input), 0)`. Fails when a channel
/// has a single value (`batch · height · width == 1`), like PyTorch.
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub fn batch_norm2d_forward_train(
    input: usize,
    input_len: usize,
    weight: usize,
    weight_len: usize,
    bias: usize,
    bias_len: usize,
    running_mean: usize,
    running_mean_len: usize,
    running_var: usize,
    running_var_len: usize,
    save_mean: usize,
    save_mean_len: usize,
    save_invstd: usize,
    save_invstd_len: usize,
    output: usize,
    output_len: usize,
    batch: usize,
    channels: usize,
    height: usize,
    width: usize,
    momentum: f32,
    eps: f32,
    relu: bool,
) -> Result<(), JsError> {
    const OP: &str = "batch_norm2d_forward_train";
    let s = shape(OP, batch, channels, height, width)?;
    let (t, c) = (s.dims(), [channels]);
    check_len(OP, "input", input_len, &t)?;
    check_len(OP, "weight", weight_len, &c)?;
    check_len(OP, "bias", bias_len, &c)?;
    check_len(OP, "running_mean", running_mean_len, &c)?;
    check_len(OP, "running_var", running_var_len, &c)?;
    check_len(OP, "save_mean", save_mean_len, &c)?;
    check_len(OP, "save_invstd", save_invstd_len, &c)?;
    check_len(OP, "output", output_len, &t)?;
    // SAFETY: the engine passes live, non-overlapping buffers of these lengths.
    let (input, weight, bias, running_mean, running_var, save_mean, save_invstd, output) = unsafe {
        (
            f32s(input, input_len),
            f32s(weight, weight_len),
            f32s(bias, bias_len),
            f32s_mut(running_mean, running_mean_len),
            f32s_mut(running_var, running_var_len),
            f32s_mut(save_mean, save_mean_len),
            f32s_mut(save_invstd, save_invstd_len),
            f32s_mut(output, output_len),
        )
    };
    crate::threads::run(|| {
        batchnorm::batch_norm2d_forward_train(
            s,
            input,
            weight,
            bias,
            running_mean,
            running_var,
            save_mean,
            save_invstd,
            output,
            momentum,
            eps,
            relu,
        )
    })
    .map_err(|e| JsError::new(&e))
}

/// Evaluation-mode forward: `output = (input - running_mean) / sqrt(running_var + eps) · weight
/// + bias`, then `max(·, 0)` with `relu`. `input`, `output`: `[batch, channels, height, width]`;
/// `weight`, `bias`, `running_mean`, `running_var`: `[channels]` (read only).
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub fn batch_norm2d_forward_eval(
    input: usize,
    input_len: usize,
    weight: usize,
    weight_len: usize,
    bias: usize,
    bias_len: usize,
    running_mean: usize,
    running_mean_len: usize,
    running_var: usize,
    running_var_len: usize,
    output: usize,
    output_len: usize,
    batch: usize,
    channels: usize,
    height: usize,
    width: usize,
    eps: f32,
    relu: bool,
) -> Result<(), JsError> {
    const OP: &str = "batch_norm2d_forward_eval";
    let s = shape(OP, batch, channels, height, width)?;
    let (t, c) = (s.dims(), [channels]);
    check_len(OP, "input", input_len, &t)?;
    check_len(OP, "weight", weight_len, &c)?;
    check_len(OP, "bias", bias_len, &c)?;
    check_len(OP, "running_mean", running_mean_len, &c)?;
    check_len(OP, "running_var", running_var_len, &c)?;
    check_len(OP, "output", output_len, &t)?;
    // SAFETY: the engine passes live, non-overlapping buffers of these lengths.
    let (input, weight, bias, running_mean, running_var, output) = unsafe {
        (
            f32s(input, input_len),
            f32s(weight, weight_len),
            f32s(bias, bias_len),
            f32s(running_mean, running_mean_len),
            f32s(running_var, running_var_len),
            f32s_mut(output, output_len),
        )
    };
    crate::threads::run(|| {
        batchnorm::batch_norm2d_forward_eval(s, input, weight, bias, running_mean, running_var, output, eps, relu)
    });
    Ok(())
}

/// Training-mode backward. `grad_output`, `input`, `grad_input`: `[batch, channels, height,
/// width]`; `weight`, `save_mean`, `save_invstd` (from [`batch_norm2d_forward_train`]),
/// `grad_weight`, `grad_bias`: `[channels]`. Overwrites `grad_input`, `grad_weight` and
/// `grad_bias`. With `relu` (the forward fused a ReLU), `output` is that forward's output
/// `[batch, channels, height, width]`, used to mask `grad_output` where `output <= 0`; without
/// `relu`, `output` is not read and `output_len` must be 0.
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub fn batch_norm2d_backward(
    grad_output: usize,
    grad_output_len: usize,
    input: usize,
    input_len: usize,
    output: usize,
    output_len: usize,
    weight: usize,
    weight_len: usize,
    save_mean: usize,
    save_mean_len: usize,
    save_invstd: usize,
    save_invstd_len: usize,
    grad_input: usize,
    grad_input_len: usize,
    grad_weight: usize,
    grad_weight_len: usize,
    grad_bias: usize,
    grad_bias_len: usize,
    batch: usize,
    channels: usize,
    height: usize,
    width: usize,
    relu: bool,
) -> Result<(), JsError> {
    const OP: &str = "batch_norm2d_backward";
    let s = shape(OP, batch, channels, height, width)?;
    let (t, c) = (s.dims(), [channels]);
    check_len(OP, "grad_output", grad_output_len, &t)?;
    check_len(OP, "input", input_len, &t)?;
    check_len(OP, "output (relu mask)", output_len, if relu { &t[..] } else { &[0] })?;
    check_len(OP, "weight", weight_len, &c)?;
    check_len(OP, "save_mean", save_mean_len, &c)?;
    check_len(OP, "save_invstd", save_invstd_len, &c)?;
    check_len(OP, "grad_input", grad_input_len, &t)?;
    check_len(OP, "grad_weight", grad_weight_len, &c)?;
    check_len(OP, "grad_bias", grad_bias_len, &c)?;
    // SAFETY: the engine passes live, non-overlapping buffers of these lengths.
    let (grad_output, input, relu_output, weight, save_mean, save_invstd, grad_input, grad_weight, grad_bias) = unsafe {
        (
            f32s(grad_output, grad_output_len),
            f32s(input, input_len),
            relu.then(|| f32s(output, output_len)),
            f32s(weight, weight_len),
            f32s(save_mean, save_mean_len),
            f32s(save_invstd, save_invstd_len),
            f32s_mut(grad_input, grad_input_len),
            f32s_mut(grad_weight, grad_weight_len),
            f32s_mut(grad_bias, grad_bias_len),
        )
    };
    crate::threads::run(|| {
        batchnorm::batch_norm2d_backward(
            s,
            grad_output,
            input,
            relu_output,
            weight,
            save_mean,
            save_invstd,
            grad_input,
            grad_weight,
            grad_bias,
        )
    });
    Ok(())
}
