//! wasm-bindgen surface for [`crate::loss`]: softmax cross-entropy
//! (`nn.CrossEntropyLoss(reduction, label_smoothing)`) and row-wise arg-max.

use super::{check_len, f32s, f32s_mut, u32s, u32s_mut};
use crate::loss::{self, CrossEntropyOptions, Reduction};
use wasm_bindgen::prelude::*;

/// The loss's options from the bindings' arguments: `sum` true for `reduction='sum'`, false for
/// the mean; the smoothing is checked by the kernel.
fn options(sum: bool, label_smoothing: f32) -> CrossEntropyOptions {
    CrossEntropyOptions { reduction: if sum { Reduction::Sum } else { Reduction::Mean }, label_smoothing }
}

/// Returns the reduced cross-entropy loss (the mean, or the sum when `sum`) with label smoothing
/// `label_smoothing` in [0, 1], and writes the softmax probabilities for the backward.
/// logits `[batch, classes]`, labels `[batch]` u32 class indices, probs `[batch, classes]`
/// (overwritten). Fails if a label is `>= classes`, naming its index and value. An empty batch
/// gives NaN for the mean and 0 for the sum, like PyTorch.
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub fn cross_entropy_forward(
    logits: usize,
    logits_len: usize,
    labels: usize,
    labels_len: usize,
    probs: usize,
    probs_len: usize,
    batch: usize,
    classes: usize,
    label_smoothing: f32,
    sum: bool,
) -> Result<f32, JsError> {
    const OP: &str = "cross_entropy_forward";
    check_classes(OP, classes)?;
    check_len(OP, "logits", logits_len, &[batch, classes])?;
    check_len(OP, "labels", labels_len, &[batch])?;
    check_len(OP, "probs", probs_len, &[batch, classes])?;
    // SAFETY: lengths checked above; the engine passes live, non-overlapping buffers.
    let (logits, labels, probs) =
        unsafe { (f32s(logits, logits_len), u32s(labels, labels_len), f32s_mut(probs, probs_len)) };
    crate::threads::run(|| loss::cross_entropy_forward(logits, labels, probs, classes, options(sum, label_smoothing))).map_err(|e| JsError::new(&e))
}

/// `grad_logits = (probs − target) · grad_output / (batch for the mean, 1 for the sum)` with
/// `target = (1 − ε)·onehot(labels) + ε/classes`: the gradient of the reduced loss, times
/// `grad_output`. probs `[batch, classes]` (from [`cross_entropy_forward`]), labels `[batch]`
/// u32, grad_logits `[batch, classes]` (overwritten; may not alias probs).
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub fn cross_entropy_backward(
    probs: usize,
    probs_len: usize,
    labels: usize,
    labels_len: usize,
    grad_logits: usize,
    grad_logits_len: usize,
    batch: usize,
    classes: usize,
    label_smoothing: f32,
    sum: bool,
    grad_output: f32,
) -> Result<(), JsError> {
    const OP: &str = "cross_entropy_backward";
    check_classes(OP, classes)?;
    check_len(OP, "probs", probs_len, &[batch, classes])?;
    check_len(OP, "labels", labels_len, &[batch])?;
    check_len(OP, "grad_logits", grad_logits_len, &[batch, classes])?;
    // SAFETY: lengths checked above; the engine passes live, non-overlapping buffers.
    let (probs, labels, grad_logits) =
        unsafe { (f32s(probs, probs_len), u32s(labels, labels_len), f32s_mut(grad_logits, grad_logits_len)) };
    crate::threads::run(|| loss::cross_entropy_backward(probs, labels, grad_logits, classes, options(sum, label_smoothing), grad_output))
        .map_err(|e| JsError::new(&e))
}

/// `indices[i] = argmax_j input[i][j]` (first maximum on ties, NaN counts as the maximum).
/// input `[rows, cols]` with `cols >= 1`, indices `[rows]` u32 (overwritten).
#[wasm_bindgen]
pub fn argmax_rows(
    input: usize,
    input_len: usize,
    indices: usize,
    indices_len: usize,
    rows: usize,
    cols: usize,
) -> Result<(), JsError> {
    const OP: &str = "argmax_rows";
    if cols == 0 {
        return Err(JsError::new(&format!("{OP}: cols must be at least 1, got 0 (shape [{rows}, 0])")));
    }
    check_len(OP, "input", input_len, &[rows, cols])?;
    check_len(OP, "indices", indices_len, &[rows])?;
    // SAFETY: lengths checked above; the engine passes live, non-overlapping buffers.
    let (input, indices) = unsafe { (f32s(input, input_len), u32s_mut(indices, indices_len)) };
    crate::threads::run(|| loss::argmax_rows(input, indices, cols));
    Ok(())
}

fn check_classes(op: &str, classes: usize) -> Result<(), JsError> {
    if classes == 0 {
        return Err(JsError::new(&format!("{op}: classes must be at least 1, got 0")));
    }
    Ok(())
}
