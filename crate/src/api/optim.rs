//! wasm-bindgen surface for [`crate::optim`]: Adam / AdamW and SGD updates over all parameters
//! at once. The engine keeps parameters, gradients and each optimizer state in one flat buffer
//! apiece (every layer's tensors are slices of them), so one call updates the whole model.
//!
//! Hyper-parameters are f64 (JS numbers, PyTorch's Python floats): the kernel derives its f32
//! scalars from them in f64, as PyTorch does, so e.g. `1 - beta1` is `1 - 0.9`, not
//! `1 - (0.9 rounded to f32)`.

use super::{f32s, f32s_mut};
use crate::optim::{self, Adam, Sgd};
use wasm_bindgen::prelude::*;

/// One Adam (`decoupled = false`: L2 `grad += weight_decay * param`) or AdamW
/// (`decoupled = true`: `param *= 1 - lr * weight_decay`) step, `step` counting from 1.
/// params, grads, exp_avg, exp_avg_sq: `[n]` each, the same n; params, exp_avg and exp_avg_sq
/// are updated in place (the states start zeroed), grads is only read.
/// Fails, changing nothing, on a length mismatch, `step == 0`, or a hyper-parameter PyTorch
/// rejects (negative lr / eps / weight_decay, beta outside [0, 1)).
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub fn adam_step(
    params: usize,
    params_len: usize,
    grads: usize,
    grads_len: usize,
    exp_avg: usize,
    exp_avg_len: usize,
    exp_avg_sq: usize,
    exp_avg_sq_len: usize,
    step: u32,
    lr: f64,
    beta1: f64,
    beta2: f64,
    eps: f64,
    weight_decay: f64,
    decoupled: bool,
) -> Result<(), JsError> {
    let hyper = Adam { lr, beta1, beta2, eps, weight_decay, decoupled };
    // SAFETY: the engine passes live, non-overlapping buffers of these lengths; the kernel
    // checks that the lengths agree before touching them.
    let (params, grads, exp_avg, exp_avg_sq) = unsafe {
        (
            f32s_mut(params, params_len),
            f32s(grads, grads_len),
            f32s_mut(exp_avg, exp_avg_len),
            f32s_mut(exp_avg_sq, exp_avg_sq_len),
        )
    };
    crate::threads::run(|| optim::adam_step(params, grads, exp_avg, exp_avg_sq, step, &hyper))
        .map_err(|e| JsError::new(&e))
}

/// One SGD step, `step` counting from 1 (step 1 initialises the momentum buffer to the
/// gradient, as PyTorch does when the buffer is None).
/// params, grads: `[n]`; momentum_buffer: `[n]` when `momentum != 0`, otherwise ignored
/// (`momentum_buffer_len` may be 0). params and momentum_buffer are updated in place.
/// Fails, changing nothing, on a length mismatch, `step == 0`, a negative lr / momentum /
/// weight_decay, or Nesterov without momentum or with non-zero dampening.
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub fn sgd_step(
    params: usize,
    params_len: usize,
    grads: usize,
    grads_len: usize,
    momentum_buffer: usize,
    momentum_buffer_len: usize,
    step: u32,
    lr: f64,
    momentum: f64,
    dampening: f64,
    weight_decay: f64,
    nesterov: bool,
) -> Result<(), JsError> {
    let hyper = Sgd { lr, momentum, dampening, weight_decay, nesterov };
    // SAFETY: the engine passes live, non-overlapping buffers of these lengths; the kernel
    // checks that the lengths agree before touching them.
    let (params, grads, momentum_buffer) = unsafe {
        (f32s_mut(params, params_len), f32s(grads, grads_len), f32s_mut(momentum_buffer, momentum_buffer_len))
    };
    crate::threads::run(|| optim::sgd_step(params, grads, momentum_buffer, step, &hyper)).map_err(|e| JsError::new(&e))
}
