//! Softmax cross-entropy as PyTorch's `nn.CrossEntropyLoss(reduction, label_smoothing)` (no class
//! weights), and row-wise arg-max for accuracy.
//!
//! Layout: `logits` and `probs` are `[batch, classes]` row-major; `labels` is `[batch]` class
//! indices (u32). The forward writes the softmax probabilities, which the backward reads.
//! Rows run in parallel in fixed chunks; the batch mean adds the chunk sums in order, so the loss
//! is bit-identical for any thread count.

use crate::scratch::{self, Slot};
use rayon::prelude::*;

/// Rows per parallel task.
const ROWS_PER_TASK: usize = 32;

/// Per-chunk loss sums of one forward call.
static CHUNK_LOSSES: Slot<f64> = Slot::new();

/// Checks that every label is a valid class index:
/// `"<op>: label 12 at index 3 is out of range for 10 classes"` otherwise.
pub fn check_labels(op: &str, labels: &[u32], classes: usize) -> Result<(), String> {
    match labels.iter().position(|&l| l as usize >= classes) {
        Some(i) => Err(format!("{op}: label {} at index {i} is out of range for {classes} classes", labels[i])),
        None => Ok(()),
    }
}

/// How the per-row losses become one number (PyTorch's `reduction`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reduction {
    Mean,
    Sum,
}

/// The loss's options: PyTorch's `reduction` and `label_smoothing` (ε in [0, 1]: the target is
/// `(1 − ε)·onehot + ε/classes`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CrossEntropyOptions {
    pub reduction: Reduction,
    pub label_smoothing: f32,
}

impl CrossEntropyOptions {
    /// PyTorch's defaults: the mean, no smoothing.
    pub const MEAN: Self = Self { reduction: Reduction::Mean, label_smoothing: 0.0 };

    /// Checks the smoothing: `"<op>: label_smoothing must be in [0, 1], got 1.5"` otherwise.
    pub fn validate(&self, op: &str) -> Result<(), String> {
        if (0.0..=1.0).contains(&self.label_smoothing) {
            Ok(())
        } else {
            Err(format!("{op}: label_smoothing must be in [0, 1], got {}", self.label_smoothing))
        }
    }
}

/// Cross-entropy of `logits` against `labels`, `[batch, classes]` and `[batch]`, reduced as
/// `options` say; writes `probs = softmax(logits)` per row (`[batch, classes]`) for the backward.
/// A row's loss is `lse(z) − (1 − ε)·z[label] − (ε/classes)·Σ z`, computed in f64. Fails on an
/// out-of-range label or smoothing, before writing anything.
pub fn cross_entropy_forward(
    logits: &[f32],
    labels: &[u32],
    probs: &mut [f32],
    classes: usize,
    options: CrossEntropyOptions,
) -> Result<f32, String> {
    const OP: &str = "cross_entropy_forward";
    options.validate(OP)?;
    check_labels(OP, labels, classes)?;
    let batch = labels.len();
    if batch == 0 || classes == 0 {
        // PyTorch: the mean over an empty batch is NaN, the sum 0
        return Ok(if options.reduction == Reduction::Mean { f32::NAN } else { 0.0 });
    }
    let smoothing = options.label_smoothing as f64;
    let row_loss = |z: &[f32], p: &mut [f32], label: u32| {
        let lse = softmax_row(z, p);
        let target = z[label as usize] as f64;
        if smoothing == 0.0 {
            lse - target
        } else {
            let mean = z.iter().map(|&v| v as f64).sum::<f64>() / classes as f64;
            lse - (1.0 - smoothing) * target - smoothing * mean
        }
    };
    let chunk = ROWS_PER_TASK * classes;
    let total = scratch::lend(&CHUNK_LOSSES, |chunk_losses| {
        chunk_losses.clear();
        chunk_losses.resize(batch.div_ceil(ROWS_PER_TASK), 0.0);
        chunk_losses
            .par_iter_mut()
            .zip(probs[..batch * classes].par_chunks_mut(chunk))
            .zip(logits.par_chunks(chunk).zip(labels.par_chunks(ROWS_PER_TASK)))
            .for_each(|((sum, probs), (logits, labels))| {
                *sum = probs
                    .chunks_exact_mut(classes)
                    .zip(logits.chunks_exact(classes))
                    .zip(labels)
                    .map(|((p, z), &label)| row_loss(z, p, label))
                    .sum();
            });
        chunk_losses.iter().sum::<f64>()
    });
    Ok(match options.reduction {
        Reduction::Mean => (total / batch as f64) as f32,
        Reduction::Sum => total as f32,
    })
}

/// Writes `probs = softmax(logits)` for one row and returns its log-sum-exp (f64).
fn softmax_row(logits: &[f32], probs: &mut [f32]) -> f64 {
    let max = logits.iter().fold(f32::NEG_INFINITY, |m, &z| m.max(z)) as f64;
    let sum: f64 = logits.iter().map(|&z| (z as f64 - max).exp()).sum();
    let lse = max + sum.ln();
    for (p, &z) in probs.iter_mut().zip(logits) {
        *p = (z as f64 - lse).exp() as f32;
    }
    lse
}

/// `grad_logits = (probs − target) · grad_output / (batch for the mean, 1 for the sum)`,
/// `[batch, classes]` (overwritten), with `target = (1 − ε)·onehot(labels) + ε/classes`: the
/// gradient of the reduced loss times `grad_output` (∂L/∂loss). `probs` is the forward's output.
/// Fails on an out-of-range label or smoothing.
pub fn cross_entropy_backward(
    probs: &[f32],
    labels: &[u32],
    grad_logits: &mut [f32],
    classes: usize,
    options: CrossEntropyOptions,
    grad_output: f32,
) -> Result<(), String> {
    const OP: &str = "cross_entropy_backward";
    options.validate(OP)?;
    check_labels(OP, labels, classes)?;
    let batch = labels.len();
    if batch == 0 || classes == 0 {
        return Ok(());
    }
    let scale = match options.reduction {
        Reduction::Mean => grad_output / batch as f32,
        Reduction::Sum => grad_output,
    };
    let off = options.label_smoothing / classes as f32;
    let on = 1.0 - options.label_smoothing + off;
    let chunk = ROWS_PER_TASK * classes;
    grad_logits[..batch * classes]
        .par_chunks_mut(chunk)
        .zip(probs.par_chunks(chunk).zip(labels.par_chunks(ROWS_PER_TASK)))
        .for_each(|(grad, (probs, labels))| {
            for ((g, p), &label) in grad.chunks_exact_mut(classes).zip(probs.chunks_exact(classes)).zip(labels) {
                g.iter_mut().zip(p).for_each(|(g, &p)| *g = (p - off) * scale);
                g[label as usize] = (p[label as usize] - on) * scale;
            }
        });
    Ok(())
}

/// `indices[i] = argmax_j input[i][j]` for `input` `[rows, cols]` (`cols >= 1`), the first
/// maximum on ties; a NaN counts as the maximum (the first NaN wins), like `torch.argmax`.
pub fn argmax_rows(input: &[f32], indices: &mut [u32], cols: usize) {
    let chunk = ROWS_PER_TASK * cols;
    indices.par_chunks_mut(ROWS_PER_TASK).zip(input.par_chunks(chunk)).for_each(|(indices, input)| {
        for (index, row) in indices.iter_mut().zip(input.chunks_exact(cols)) {
            *index = argmax(row) as u32;
        }
    });
}

/// Index of the first maximum of a non-empty row (a NaN counts as the maximum).
fn argmax(row: &[f32]) -> usize {
    let mut best = 0;
    for (j, &v) in row.iter().enumerate().skip(1) {
        let b = row[best];
        if !b.is_nan() && (v > b || v.is_nan()) {
            best = j;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{assert_close, Rng, POOL_LOCK};
    use crate::threads;

    /// Float64 reference: the mean or sum over rows of `−Σ_k target_k · log_softmax(z)_k` with
    /// `target = (1 − ε)·onehot + ε/classes`, PyTorch's definition.
    fn reference_loss(logits: &[f64], labels: &[u32], classes: usize, options: CrossEntropyOptions) -> f64 {
        let eps = options.label_smoothing as f64;
        let rows = logits.chunks_exact(classes).zip(labels);
        let total: f64 = rows
            .map(|(z, &l)| {
                let max = z.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                let lse = max + z.iter().map(|v| (v - max).exp()).sum::<f64>().ln();
                (0..classes)
                    .map(|k| {
                        let target = eps / classes as f64 + if k == l as usize { 1.0 - eps } else { 0.0 };
                        target * (lse - z[k])
                    })
                    .sum::<f64>()
            })
            .sum();
        match options.reduction {
            Reduction::Mean => total / labels.len() as f64,
            Reduction::Sum => total,
        }
    }

    const SMOOTHED_SUM: CrossEntropyOptions = CrossEntropyOptions { reduction: Reduction::Sum, label_smoothing: 0.2 };
    const SMOOTHED_MEAN: CrossEntropyOptions = CrossEntropyOptions { reduction: Reduction::Mean, label_smoothing: 0.2 };

    fn labels_for(rng: &mut Rng, batch: usize, classes: usize) -> Vec<u32> {
        (0..batch).map(|_| (((rng.next_f32() + 1.0) * 0.5 * classes as f32) as u32).min(classes as u32 - 1)).collect()
    }

    #[test]
    fn cross_entropy_matches_float64_reference_and_finite_differences() {
        let _guard = POOL_LOCK.lock().unwrap();
        threads::start_native_pool(2).unwrap();
        let mut rng = Rng::new(21);
        let cases = [(1, 1), (1, 10), (3, 7), (70, 5), (33, 100)];
        for ((batch, classes), options) in cases.iter().flat_map(|&c| [CrossEntropyOptions::MEAN, SMOOTHED_SUM, SMOOTHED_MEAN].map(|o| (c, o))) {
            let logits: Vec<f32> = rng.vec(batch * classes).iter().map(|v| 4.0 * v).collect();
            let labels = labels_for(&mut rng, batch, classes);
            let mut probs = vec![f32::NAN; batch * classes];
            let loss = cross_entropy_forward(&logits, &labels, &mut probs, classes, options).unwrap();
            let grad_output = 0.75;
            let mut grad = vec![f32::NAN; batch * classes];
            cross_entropy_backward(&probs, &labels, &mut grad, classes, options, grad_output).unwrap();

            let mut z: Vec<f64> = logits.iter().map(|&v| v as f64).collect();
            let what = format!("batch {batch} classes {classes} {options:?}");
            let want = reference_loss(&z, &labels, classes, options);
            assert_close(&[loss], &[want], 1e-6, 1e-7, &format!("loss {what}"));
            let eps = 1e-5;
            let numeric: Vec<f64> = (0..z.len())
                .map(|i| {
                    let orig = z[i];
                    z[i] = orig + eps;
                    let plus = reference_loss(&z, &labels, classes, options);
                    z[i] = orig - eps;
                    let minus = reference_loss(&z, &labels, classes, options);
                    z[i] = orig;
                    grad_output as f64 * (plus - minus) / (2.0 * eps)
                })
                .collect();
            assert_close(&grad, &numeric, 1e-4, 1e-7, &format!("grad_logits {what}"));
            for row in probs.chunks_exact(classes) {
                assert!((row.iter().map(|&p| p as f64).sum::<f64>() - 1.0).abs() < 1e-5, "probs rows sum to 1");
            }
        }
        threads::stop_pool();
    }

    #[test]
    fn cross_entropy_is_stable_for_large_logits() {
        let logits = [1000.0f32, 0.0, -1000.0, 1e30];
        let mut probs = [0.0f32; 4];
        let loss = cross_entropy_forward(&logits, &[0, 0], &mut probs, 2, CrossEntropyOptions::MEAN).unwrap();
        assert_close(&[loss], &[(0.0 + 1e30) / 2.0], 1e-6, 0.0, "loss");
        assert_eq!(probs, [1.0, 0.0, 0.0, 1.0]);
    }

    #[test]
    fn cross_entropy_is_identical_for_one_and_two_threads() {
        let _guard = POOL_LOCK.lock().unwrap();
        let mut rng = Rng::new(8);
        let (batch, classes) = (203, 10);
        let logits = rng.vec(batch * classes);
        let labels = labels_for(&mut rng, batch, classes);
        for options in [CrossEntropyOptions::MEAN, SMOOTHED_SUM] {
            let mut results = Vec::new();
            for n in [1, 2] {
                threads::start_native_pool(n).unwrap();
                let mut probs = vec![0.0; batch * classes];
                let loss = cross_entropy_forward(&logits, &labels, &mut probs, classes, options).unwrap();
                let mut grad = vec![0.0; batch * classes];
                cross_entropy_backward(&probs, &labels, &mut grad, classes, options, 1.0).unwrap();
                let mut indices = vec![0; batch];
                argmax_rows(&logits, &mut indices, classes);
                results.push((loss.to_bits(), probs, grad, indices));
                threads::stop_pool();
            }
            assert_eq!(results[0], results[1], "{options:?}");
        }
    }

    #[test]
    fn out_of_range_label_is_rejected_naming_index_and_value() {
        let mut probs = [f32::NAN; 30];
        let mean = CrossEntropyOptions::MEAN;
        let err = cross_entropy_forward(&[0.0; 30], &[1, 9, 0, 12], &mut probs[..], 10, mean).unwrap_err();
        assert_eq!(err, "cross_entropy_forward: label 12 at index 3 is out of range for 10 classes");
        assert!(probs.iter().all(|p| p.is_nan()), "nothing is written on error");
        let err = cross_entropy_backward(&[0.0; 6], &[0, 3], &mut [0.0; 6], 3, mean, 1.0).unwrap_err();
        assert_eq!(err, "cross_entropy_backward: label 3 at index 1 is out of range for 3 classes");
        assert!(check_labels("op", &[0, 2], 3).is_ok());
    }

    #[test]
    fn smoothing_outside_zero_to_one_is_rejected_and_empty_batches_follow_pytorch() {
        for bad in [-0.1, 1.5, f32::NAN] {
            let options = CrossEntropyOptions { label_smoothing: bad, ..SMOOTHED_SUM };
            let err = cross_entropy_forward(&[0.0; 2], &[1], &mut [0.0; 2], 2, options).unwrap_err();
            assert_eq!(err, format!("cross_entropy_forward: label_smoothing must be in [0, 1], got {bad}"));
            let err = cross_entropy_backward(&[0.5; 2], &[1], &mut [0.0; 2], 2, options, 1.0).unwrap_err();
            assert_eq!(err, format!("cross_entropy_backward: label_smoothing must be in [0, 1], got {bad}"));
        }
        assert!(cross_entropy_forward(&[], &[], &mut [], 3, SMOOTHED_MEAN).unwrap().is_nan());
        assert_eq!(cross_entropy_forward(&[], &[], &mut [], 3, SMOOTHED_SUM).unwrap(), 0.0);
    }

    #[test]
    fn argmax_takes_the_first_maximum_and_nan() {
        let input = [1.0, 3.0, 3.0, 2.0, 5.0, 5.0, 5.0, 5.0, 0.0, f32::NAN, 9.0, f32::NAN, -1.0, -2.0, -3.0, -1.0];
        let mut indices = [99; 4];
        argmax_rows(&input, &mut indices, 4);
        assert_eq!(indices, [1, 0, 1, 0]);
        let mut one = [99; 3];
        argmax_rows(&[4.0, -1.0, 0.5], &mut one, 1);
        assert_eq!(one, [0, 0, 0]);
    }
}
