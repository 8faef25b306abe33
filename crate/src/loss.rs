//! Softmax cross-entropy, PyTorch's `nn.CrossEntropyLoss()` defaults (mean over the batch, no
//! class weights, no label smoothing), and row-wise arg-max for accuracy.
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

/// Mean cross-entropy of `logits` against `labels`, `[batch, classes]` and `[batch]`; writes
/// `probs = softmax(logits)` per row (`[batch, classes]`) for the backward. Each row's
/// log-sum-exp is computed in f64. Fails on an out-of-range label, before writing anything.
pub fn cross_entropy_forward(logits: &[f32], labels: &[u32], probs: &mut [f32], classes: usize) -> Result<f32, String> {
    check_labels("cross_entropy_forward", labels, classes)?;
    let batch = labels.len();
    if batch == 0 || classes == 0 {
        return Ok(f32::NAN); // PyTorch: the mean over an empty batch is NaN
    }
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
                    .map(|((p, z), &label)| softmax_row(z, p) - z[label as usize] as f64)
                    .sum();
            });
        chunk_losses.iter().sum::<f64>()
    });
    Ok((total / batch as f64) as f32)
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

/// `grad_logits = (probs - onehot(labels)) / batch`, `[batch, classes]` (overwritten): the
/// gradient of the mean loss. `probs` is the forward's output. Fails on an out-of-range label.
pub fn cross_entropy_backward(
    probs: &[f32],
    labels: &[u32],
    grad_logits: &mut [f32],
    classes: usize,
) -> Result<(), String> {
    check_labels("cross_entropy_backward", labels, classes)?;
    let batch = labels.len();
    if batch == 0 || classes == 0 {
        return Ok(());
    }
    let scale = 1.0 / batch as f32;
    let chunk = ROWS_PER_TASK * classes;
    grad_logits[..batch * classes]
        .par_chunks_mut(chunk)
        .zip(probs.par_chunks(chunk).zip(labels.par_chunks(ROWS_PER_TASK)))
        .for_each(|(grad, (probs, labels))| {
            for ((g, p), &label) in grad.chunks_exact_mut(classes).zip(probs.chunks_exact(classes)).zip(labels) {
                g.iter_mut().zip(p).for_each(|(g, &p)| *g = p * scale);
                g[label as usize] = (p[label as usize] - 1.0) * scale;
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

    /// Float64 reference: mean over rows of `logsumexp(z) - z[label]`.
    fn reference_loss(logits: &[f64], labels: &[u32], classes: usize) -> f64 {
        let rows = logits.chunks_exact(classes).zip(labels);
        let total: f64 = rows
            .map(|(z, &l)| {
                let max = z.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                max + z.iter().map(|v| (v - max).exp()).sum::<f64>().ln() - z[l as usize]
            })
            .sum();
        total / labels.len() as f64
    }

    fn labels_for(rng: &mut Rng, batch: usize, classes: usize) -> Vec<u32> {
        (0..batch).map(|_| (((rng.next_f32() + 1.0) * 0.5 * classes as f32) as u32).min(classes as u32 - 1)).collect()
    }

    #[test]
    fn cross_entropy_matches_float64_reference_and_finite_differences() {
        let _guard = POOL_LOCK.lock().unwrap();
        threads::start_native_pool(2).unwrap();
        let mut rng = Rng::new(21);
        for &(batch, classes) in &[(1, 1), (1, 10), (3, 7), (70, 5), (33, 100)] {
            let logits: Vec<f32> = rng.vec(batch * classes).iter().map(|v| 4.0 * v).collect();
            let labels = labels_for(&mut rng, batch, classes);
            let mut probs = vec![f32::NAN; batch * classes];
            let loss = cross_entropy_forward(&logits, &labels, &mut probs, classes).unwrap();
            let mut grad = vec![f32::NAN; batch * classes];
            cross_entropy_backward(&probs, &labels, &mut grad, classes).unwrap();

            let mut z: Vec<f64> = logits.iter().map(|&v| v as f64).collect();
            let what = format!("batch {batch} classes {classes}");
            let want = reference_loss(&z, &labels, classes);
            assert_close(&[loss], &[want], 1e-6, 1e-7, &format!("loss {what}"));
            let eps = 1e-5;
            let numeric: Vec<f64> = (0..z.len())
                .map(|i| {
                    let orig = z[i];
                    z[i] = orig + eps;
                    let plus = reference_loss(&z, &labels, classes);
                    z[i] = orig - eps;
                    let minus = reference_loss(&z, &labels, classes);
                    z[i] = orig;
                    (plus - minus) / (2.0 * eps)
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
        let loss = cross_entropy_forward(&logits, &[0, 0], &mut probs, 2).unwrap();
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
        let mut results = Vec::new();
        for n in [1, 2] {
            threads::start_native_pool(n).unwrap();
            let mut probs = vec![0.0; batch * classes];
            let loss = cross_entropy_forward(&logits, &labels, &mut probs, classes).unwrap();
            let mut grad = vec![0.0; batch * classes];
            cross_entropy_backward(&probs, &labels, &mut grad, classes).unwrap();
            let mut indices = vec![0; batch];
            argmax_rows(&logits, &mut indices, classes);
            results.push((loss.to_bits(), probs, grad, indices));
        }
        threads::stop_pool();
        assert_eq!(results[0], results[1]);
    }

    #[test]
    fn out_of_range_label_is_rejected_naming_index_and_value() {
        let mut probs = [f32::NAN; 30];
        let err = cross_entropy_forward(&[0.0; 30], &[1, 9, 0, 12], &mut probs[..], 10).unwrap_err();
        assert_eq!(err, "cross_entropy_forward: label 12 at index 3 is out of range for 10 classes");
        assert!(probs.iter().all(|p| p.is_nan()), "nothing is written on error");
        let err = cross_entropy_backward(&[0.0; 6], &[0, 3], &mut [0.0; 6], 3).unwrap_err();
        assert_eq!(err, "cross_entropy_backward: label 3 at index 1 is out of range for 3 classes");
        assert!(check_labels("op", &[0, 2], 3).is_ok());
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
