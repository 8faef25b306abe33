//! wasm-bindgen surface for [`crate::se`]: the fused Squeeze-and-Excitation block
//! (`AdaptiveAvgPool2d(1) -> 1x1 conv C->hidden -> ReLU -> 1x1 conv hidden->C -> Sigmoid`,
//! `output = input * gate`), no biases.

use super::{check_len, f32s, f32s_mut};
use crate::se::{self, SeShape};
use wasm_bindgen::prelude::*;

/// The forward pass. input `[batch, channels, height, width]`; fc1 `[hidden_channels,
/// channels, 1, 1]`; fc2 `[channels, hidden_channels, 1, 1]`; saved for the backward
/// (overwritten): squeeze `[batch, channels]` (plane means), hidden `[batch, hidden_channels]`
/// (after the ReLU), gate `[batch, channels]` (after the sigmoid); output `[batch, channels,
/// height, width]` (overwritten). `hidden_channels` is `channels / r` and must be at least 1.
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub fn se_forward(
    input: usize,
    input_len: usize,
    fc1: usize,
    fc1_len: usize,
    fc2: usize,
    fc2_len: usize,
    squeeze: usize,
    squeeze_len: usize,
    hidden: usize,
    hidden_len: usize,
    gate: usize,
    gate_len: usize,
    output: usize,
    output_len: usize,
    batch: usize,
    channels: usize,
    hidden_channels: usize,
    height: usize,
    width: usize,
) -> Result<(), JsError> {
    const OP: &str = "se_forward";
    let shape = SeShape { batch, channels, hidden: hidden_channels, height, width };
    shape.validate(OP).map_err(|e| JsError::new(&e))?;
    check_len(OP, "input", input_len, &[batch, channels, height, width])?;
    check_weights(OP, fc1_len, fc2_len, channels, hidden_channels)?;
    check_saved(OP, squeeze_len, hidden_len, gate_len, batch, channels, hidden_channels)?;
    check_len(OP, "output", output_len, &[batch, channels, height, width])?;
    // SAFETY: lengths checked above; the engine passes live, non-overlapping buffers.
    let (input, fc1, fc2, squeeze, hidden, gate, output) = unsafe {
        (
            f32s(input, input_len),
            f32s(fc1, fc1_len),
            f32s(fc2, fc2_len),
            f32s_mut(squeeze, squeeze_len),
            f32s_mut(hidden, hidden_len),
            f32s_mut(gate, gate_len),
            f32s_mut(output, output_len),
        )
    };
    crate::threads::run(|| se::se_forward(input, fc1, fc2, squeeze, hidden, gate, output, shape))
        .map_err(|e| JsError::new(&format!("{OP}: {e}")))
}

/// The backward pass through the whole block. grad_output, input: `[batch, channels, height,
/// width]` (input is the forward's); fc1 `[hidden_channels, channels, 1, 1]`, fc2 `[channels,
/// hidden_channels, 1, 1]`; squeeze `[batch, channels]`, hidden `[batch, hidden_channels]`,
/// gate `[batch, channels]` as saved by [`se_forward`]. Writes (overwrites, no accumulation)
/// grad_input `[batch, channels, height, width]`, grad_fc1 `[hidden_channels, channels, 1, 1]`
/// and grad_fc2 `[channels, hidden_channels, 1, 1]`.
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub fn se_backward(
    grad_output: usize,
    grad_output_len: usize,
    input: usize,
    input_len: usize,
    fc1: usize,
    fc1_len: usize,
    fc2: usize,
    fc2_len: usize,
    squeeze: usize,
    squeeze_len: usize,
    hidden: usize,
    hidden_len: usize,
    gate: usize,
    gate_len: usize,
    grad_input: usize,
    grad_input_len: usize,
    grad_fc1: usize,
    grad_fc1_len: usize,
    grad_fc2: usize,
    grad_fc2_len: usize,
    batch: usize,
    channels: usize,
    hidden_channels: usize,
    height: usize,
    width: usize,
) -> Result<(), JsError> {
    const OP: &str = "se_backward";
    let shape = SeShape { batch, channels, hidden: hidden_channels, height, width };
    shape.validate(OP).map_err(|e| JsError::new(&e))?;
    let nchw = [batch, channels, height, width];
    check_len(OP, "grad_output", grad_output_len, &nchw)?;
    check_len(OP, "input", input_len, &nchw)?;
    check_weights(OP, fc1_len, fc2_len, channels, hidden_channels)?;
    check_saved(OP, squeeze_len, hidden_len, gate_len, batch, channels, hidden_channels)?;
    check_len(OP, "grad_input", grad_input_len, &nchw)?;
    check_len(OP, "grad_fc1", grad_fc1_len, &[hidden_channels, channels, 1, 1])?;
    check_len(OP, "grad_fc2", grad_fc2_len, &[channels, hidden_channels, 1, 1])?;
    // SAFETY: lengths checked above; the engine passes live, non-overlapping buffers.
    let (grad_output, input, fc1, fc2, squeeze, hidden, gate, grad_input, grad_fc1, grad_fc2) = unsafe {
        (
            f32s(grad_output, grad_output_len),
            f32s(input, input_len),
            f32s(fc1, fc1_len),
            f32s(fc2, fc2_len),
            f32s(squeeze, squeeze_len),
            f32s(hidden, hidden_len),
            f32s(gate, gate_len),
            f32s_mut(grad_input, grad_input_len),
            f32s_mut(grad_fc1, grad_fc1_len),
            f32s_mut(grad_fc2, grad_fc2_len),
        )
    };
    crate::threads::run(|| {
        se::se_backward(grad_output, input, fc1, fc2, squeeze, hidden, gate, grad_input, grad_fc1, grad_fc2, shape)
    })
    .map_err(|e| JsError::new(&format!("{OP}: {e}")))
}

fn check_weights(op: &str, fc1_len: usize, fc2_len: usize, channels: usize, hidden: usize) -> Result<(), JsError> {
    check_len(op, "fc1", fc1_len, &[hidden, channels, 1, 1])?;
    check_len(op, "fc2", fc2_len, &[channels, hidden, 1, 1])
}

fn check_saved(
    op: &str,
    squeeze_len: usize,
    hidden_len: usize,
    gate_len: usize,
    batch: usize,
    channels: usize,
    hidden: usize,
) -> Result<(), JsError> {
    check_len(op, "squeeze", squeeze_len, &[batch, channels])?;
    check_len(op, "hidden", hidden_len, &[batch, hidden])?;
    check_len(op, "gate", gate_len, &[batch, channels])
}
