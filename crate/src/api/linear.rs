//! wasm-bindgen surface for [`crate::linear`]: `nn.Linear`, `y = x · W^T + b`.

use super::{check_len, f32s, f32s_mut};
use crate::linear::{self, LinearShape};
use wasm_bindgen::prelude::*;

/// `output = input · weight^T + bias`.
/// input `[batch, in_features]`, weight `[out_features, in_features]`, bias `[out_features]`
/// or `bias_len == 0` for no bias, output `[batch, out_features]` (overwritten).
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub fn linear_forward(
    input: usize,
    input_len: usize,
    weight: usize,
    weight_len: usize,
    bias: usize,
    bias_len: usize,
    output: usize,
    output_len: usize,
    batch: usize,
    in_features: usize,
    out_features: usize,
) -> Result<(), JsError> {
    const OP: &str = "linear_forward";
    check_len(OP, "input", input_len, &[batch, in_features])?;
    check_len(OP, "weight", weight_len, &[out_features, in_features])?;
    check_bias(OP, "bias", bias_len, out_features)?;
    check_len(OP, "output", output_len, &[batch, out_features])?;
    let shape = LinearShape { batch, in_features, out_features };
    // SAFETY: lengths checked above; the engine passes live, non-overlapping buffers.
    let (input, weight, bias, output) = unsafe {
        (f32s(input, input_len), f32s(weight, weight_len), f32s(bias, bias_len), f32s_mut(output, output_len))
    };
    crate::threads::run(|| linear::linear_forward(input, weight, bias, output, shape))
        .map_err(|e| JsError::new(&format!("{OP}: {e}")))
}

/// `grad_input = grad_output · weight`.
/// grad_output `[batch, out_features]`, weight `[out_features, in_features]`,
/// grad_input `[batch, in_features]` (overwritten).
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub fn linear_grad_input(
    grad_output: usize,
    grad_output_len: usize,
    weight: usize,
    weight_len: usize,
    grad_input: usize,
    grad_input_len: usize,
    batch: usize,
    in_features: usize,
    out_features: usize,
) -> Result<(), JsError> {
    const OP: &str = "linear_grad_input";
    check_len(OP, "grad_output", grad_output_len, &[batch, out_features])?;
    check_len(OP, "weight", weight_len, &[out_features, in_features])?;
    check_len(OP, "grad_input", grad_input_len, &[batch, in_features])?;
    let shape = LinearShape { batch, in_features, out_features };
    // SAFETY: lengths checked above; the engine passes live, non-overlapping buffers.
    let (grad_output, weight, grad_input) =
        unsafe { (f32s(grad_output, grad_output_len), f32s(weight, weight_len), f32s_mut(grad_input, grad_input_len)) };
    crate::threads::run(|| linear::linear_grad_input(grad_output, weight, grad_input, shape))
        .map_err(|e| JsError::new(&format!("{OP}: {e}")))
}

/// `grad_weight = grad_output^T · input` and `grad_bias = grad_output summed over the batch`,
/// both overwritten. grad_output `[batch, out_features]`, input `[batch, in_features]`,
/// grad_weight `[out_features, in_features]`, grad_bias `[out_features]` or
/// `grad_bias_len == 0` when the layer has no bias.
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub fn linear_grad_weight(
    grad_output: usize,
    grad_output_len: usize,
    input: usize,
    input_len: usize,
    grad_weight: usize,
    grad_weight_len: usize,
    grad_bias: usize,
    grad_bias_len: usize,
    batch: usize,
    in_features: usize,
    out_features: usize,
) -> Result<(), JsError> {
    const OP: &str = "linear_grad_weight";
    check_len(OP, "grad_output", grad_output_len, &[batch, out_features])?;
    check_len(OP, "input", input_len, &[batch, in_features])?;
    check_len(OP, "grad_weight", grad_weight_len, &[out_features, in_features])?;
    check_bias(OP, "grad_bias", grad_bias_len, out_features)?;
    let shape = LinearShape { batch, in_features, out_features };
    // SAFETY: lengths checked above; the engine passes live, non-overlapping buffers.
    let (grad_output, input, grad_weight, grad_bias) = unsafe {
        (
            f32s(grad_output, grad_output_len),
            f32s(input, input_len),
            f32s_mut(grad_weight, grad_weight_len),
            f32s_mut(grad_bias, grad_bias_len),
        )
    };
    crate::threads::run(|| linear::linear_grad_weight(grad_output, input, grad_weight, grad_bias, shape))
        .map_err(|e| JsError::new(&format!("{OP}: {e}")))
}

/// A bias buffer is either absent (length 0) or `[out_features]`.
fn check_bias(op: &str, what: &str, len: usize, out_features: usize) -> Result<(), JsError> {
    if len == 0 {
        Ok(())
    } else {
        check_len(op, what, len, &[out_features])
    }
}
