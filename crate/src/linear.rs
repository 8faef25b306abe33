//! Fully connected layer, PyTorch's `nn.Linear`: `y = x · W^T + b`.
//!
//! Layout: input `x` is `[batch, in_features]`, weight `W` is `[out_features, in_features]`,
//! bias `b` is `[out_features]` (an empty bias slice means no bias), output `y` is
//! `[batch, out_features]`, all row-major. Every matrix product runs on [`gemm::gemm`], which
//! is already parallel and sums in an order independent of the thread count.

use crate::gemm::{self, MatRef};

/// The sizes of one linear layer call.
#[derive(Clone, Copy, Debug)]
pub struct LinearShape {
    pub batch: usize,
    pub in_features: usize,
    pub out_features: usize,
}

/// `output = input · weight^T (+ bias)`. `bias` is `[out_features]` or empty for none.
/// Fails (naming the operand) only if a buffer is smaller than the shape needs.
pub fn linear_forward(
    input: &[f32],
    weight: &[f32],
    bias: &[f32],
    output: &mut [f32],
    shape: LinearShape,
) -> Result<(), String> {
    let LinearShape { batch, in_features, out_features } = shape;
    let output = &mut output[..batch * out_features];
    let accumulate = !bias.is_empty();
    if accumulate {
        for row in output.chunks_exact_mut(out_features) {
            row.copy_from_slice(&bias[..out_features]);
        }
    }
    let x = MatRef { data: input, ld: in_features, transposed: false };
    let w_t = MatRef { data: weight, ld: in_features, transposed: true };
    gemm::gemm(batch, out_features, in_features, x, w_t, output, out_features, accumulate)
}

/// `grad_input = grad_output · weight`, `[batch, in_features]` (overwritten).
pub fn linear_grad_input(
    grad_output: &[f32],
    weight: &[f32],
    grad_input: &mut [f32],
    shape: LinearShape,
) -> Result<(), String> {
    let LinearShape { batch, in_features, out_features } = shape;
    let dy = MatRef { data: grad_output, ld: out_features, transposed: false };
    let w = MatRef { data: weight, ld: in_features, transposed: false };
    gemm::gemm(batch, in_features, out_features, dy, w, grad_input, in_features, false)
}

/// `grad_weight = grad_output^T · input`, `[out_features, in_features]`, and, when `grad_bias`
/// is not empty, `grad_bias = sum over the batch of grad_output`, `[out_features]`. Both are
/// overwritten, not accumulated.
pub fn linear_grad_weight(
    grad_output: &[f32],
    input: &[f32],
    grad_weight: &mut [f32],
    grad_bias: &mut [f32],
    shape: LinearShape,
) -> Result<(), String> {
    let LinearShape { batch, in_features, out_features } = shape;
    let dy_t = MatRef { data: grad_output, ld: out_features, transposed: true };
    let x = MatRef { data: input, ld: in_features, transposed: false };
    gemm::gemm(out_features, in_features, batch, dy_t, x, grad_weight, in_features, false)?;
    if !grad_bias.is_empty() {
        sum_rows(&grad_output[..batch * out_features], &mut grad_bias[..out_features]);
    }
    Ok(())
}

/// `sums[j] = sum_i rows[i][j]`, adding the rows in order (bit-identical for any thread count).
fn sum_rows(rows: &[f32], sums: &mut [f32]) {
    sums.fill(0.0);
    for row in rows.chunks_exact(sums.len()) {
        sums.iter_mut().zip(row).for_each(|(s, &v)| *s += v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{assert_close, Rng, POOL_LOCK};
    use crate::threads;

    fn to_f64(v: &[f32]) -> Vec<f64> {
        v.iter().map(|&x| x as f64).collect()
    }

    /// Float64 reference forward.
    fn reference(x: &[f64], w: &[f64], b: &[f64], s: LinearShape) -> Vec<f64> {
        let mut y = vec![0.0; s.batch * s.out_features];
        for n in 0..s.batch {
            for o in 0..s.out_features {
                let dot: f64 = (0..s.in_features).map(|i| x[n * s.in_features + i] * w[o * s.in_features + i]).sum();
                y[n * s.out_features + o] = dot + if b.is_empty() { 0.0 } else { b[o] };
            }
        }
        y
    }

    /// Central differences of `L = sum(reference(...) * r)` with respect to every element of
    /// the operand `which` picks (0 input, 1 weight, 2 bias).
    fn numeric_grad(x: &[f64], w: &[f64], b: &[f64], r: &[f64], s: LinearShape, which: usize) -> Vec<f64> {
        let loss =
            |x: &[f64], w: &[f64], b: &[f64]| -> f64 { reference(x, w, b, s).iter().zip(r).map(|(y, r)| y * r).sum() };
        let mut ops = [x.to_vec(), w.to_vec(), b.to_vec()];
        let eps = 1e-4;
        (0..ops[which].len())
            .map(|i| {
                let orig = ops[which][i];
                ops[which][i] = orig + eps;
                let plus = loss(&ops[0], &ops[1], &ops[2]);
                ops[which][i] = orig - eps;
                let minus = loss(&ops[0], &ops[1], &ops[2]);
                ops[which][i] = orig;
                (plus - minus) / (2.0 * eps)
            })
            .collect()
    }

    /// Runs all three passes; returns (output, grad_input, grad_weight, grad_bias).
    fn run_passes(x: &[f32], w: &[f32], b: &[f32], dy: &[f32], s: LinearShape) -> [Vec<f32>; 4] {
        let mut y = vec![f32::NAN; s.batch * s.out_features];
        let mut gx = vec![f32::NAN; s.batch * s.in_features];
        let mut gw = vec![f32::NAN; s.out_features * s.in_features];
        let mut gb = vec![f32::NAN; b.len()];
        linear_forward(x, w, b, &mut y, s).unwrap();
        linear_grad_input(dy, w, &mut gx, s).unwrap();
        linear_grad_weight(dy, x, &mut gw, &mut gb, s).unwrap();
        [y, gx, gw, gb]
    }

    #[test]
    fn linear_matches_float64_reference_and_finite_differences() {
        let _guard = POOL_LOCK.lock().unwrap();
        threads::start_native_pool(2).unwrap();
        let mut rng = Rng::new(11);
        for &(batch, in_features, out_features) in &[(1, 1, 1), (3, 7, 5), (1, 13, 10), (6, 4, 9)] {
            for with_bias in [false, true] {
                let s = LinearShape { batch, in_features, out_features };
                let x = rng.vec(batch * in_features);
                let w = rng.vec(out_features * in_features);
                let b = if with_bias { rng.vec(out_features) } else { Vec::new() };
                let r = rng.vec(batch * out_features);
                let [y, gx, gw, gb] = run_passes(&x, &w, &b, &r, s);
                let (x64, w64, b64, r64) = (to_f64(&x), to_f64(&w), to_f64(&b), to_f64(&r));
                let what = format!("{s:?} bias={with_bias}");
                assert_close(&y, &reference(&x64, &w64, &b64, s), 1e-5, 1e-5, &format!("output {what}"));
                assert_close(
                    &gx,
                    &numeric_grad(&x64, &w64, &b64, &r64, s, 0),
                    1e-4,
                    1e-5,
                    &format!("grad_input {what}"),
                );
                assert_close(
                    &gw,
                    &numeric_grad(&x64, &w64, &b64, &r64, s, 1),
                    1e-4,
                    1e-5,
                    &format!("grad_weight {what}"),
                );
                assert_close(
                    &gb,
                    &numeric_grad(&x64, &w64, &b64, &r64, s, 2),
                    1e-4,
                    1e-5,
                    &format!("grad_bias {what}"),
                );
            }
        }
        threads::stop_pool();
    }

    #[test]
    fn linear_results_are_identical_for_one_and_two_threads() {
        let _guard = POOL_LOCK.lock().unwrap();
        let mut rng = Rng::new(5);
        let s = LinearShape { batch: 33, in_features: 301, out_features: 19 };
        let x = rng.vec(s.batch * s.in_features);
        let w = rng.vec(s.out_features * s.in_features);
        let b = rng.vec(s.out_features);
        let dy = rng.vec(s.batch * s.out_features);
        let mut results = Vec::new();
        for n in [1, 2] {
            threads::start_native_pool(n).unwrap();
            results.push(run_passes(&x, &w, &b, &dy, s));
        }
        threads::stop_pool();
        assert_eq!(results[0], results[1]);
    }
}
