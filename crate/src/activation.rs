//! Element-wise activations: ReLU, sigmoid and GELU, forward and backward, on flat f32 tensors
//! of any shape (PyTorch's `torch.relu`, `torch.sigmoid`, `nn.GELU()` and their autograd
//! formulas).
//!
//! ReLU's and sigmoid's backward passes read the forward's *output* `y`, not its input, so the
//! forward may run in place (input overwritten by output): `relu_backward` is PyTorch's
//! `threshold_backward(dy, y, 0)` and `sigmoid_backward` is `dy * (1 - y) * y`. GELU's is a
//! function of the *input* `x`: `gelu(x) = x·Φ(x)` (the exact form, `approximate='none'`) and
//! `gelu_backward = dy·(Φ(x) + x·φ(x))`, with `Φ`, `φ` the standard normal CDF and density from
//! [`crate::special`] (f32, relative error below 4e-7 everywhere, one exponential; PyTorch's
//! float32 `½·(1 + erf(x/√2))` cancels to 0 below x ≈ −5.9, ours keeps the tail). Every
//! function has an `_in_place` twin for the case where the output buffer is the input buffer
//! (forward) or `grad_input` is `grad_output` (backward).
//!
//! Work is split into fixed chunks run on the rayon pool ([`crate::elementwise`]'s maps, whose
//! loops LLVM vectorises, GELU's polynomial and exponential included); every element is
//! computed alone, so results never depend on the thread count.

use crate::elementwise::{map, map_in_place, zip_map, zip_map_in_place};
use crate::special;

/// ReLU of one value, NaN-propagating like PyTorch's `clamp_min(x, 0)`.
#[inline(always)]
pub fn relu(x: f32) -> f32 {
    if x < 0.0 {
        0.0
    } else {
        x
    }
}

/// ReLU's gradient through one value, from the ReLU *output* `y`: PyTorch's
/// `threshold_backward(grad, y, 0)`, i.e. `0` where `y <= 0`, else `grad` (also for NaN `y`).
/// Written as a bit mask rather than a branch so that LLVM's SLP vectoriser handles it inside
/// the lane-wise sums of the batch-norm backward (a select stays scalar there).
#[inline(always)]
#[allow(clippy::neg_cmp_op_on_partial_ord)] // `!(y <= 0)` on purpose: NaN keeps the gradient.
pub fn relu_grad(grad: f32, y: f32) -> f32 {
    let keep = u32::from(!(y <= 0.0)).wrapping_neg();
    f32::from_bits(grad.to_bits() & keep)
}

/// Sigmoid of one value, `1 / (1 + exp(-x))` (saturates to exactly 0 and 1, propagates NaN).
#[inline(always)]
fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// Sigmoid's gradient through one value from its output `y`, in PyTorch's order `dy * (1 - y) * y`.
#[inline(always)]
fn sigmoid_grad(grad: f32, y: f32) -> f32 {
    grad * (1.0 - y) * y
}

/// `output = max(input, 0)`; both slices have the same length (any shape).
pub fn relu_forward(input: &[f32], output: &mut [f32]) {
    map(input, output, relu);
}

/// [`relu_forward`] with the output written over the input.
pub fn relu_forward_in_place(data: &mut [f32]) {
    map_in_place(data, relu);
}

/// `grad_input = grad_output` where the forward's `output > 0`, else 0; all the same length.
pub fn relu_backward(grad_output: &[f32], output: &[f32], grad_input: &mut [f32]) {
    zip_map(grad_output, output, grad_input, relu_grad);
}

/// [`relu_backward`] with `grad_input` written over `grad` (which holds `grad_output`).
pub fn relu_backward_in_place(grad: &mut [f32], output: &[f32]) {
    zip_map_in_place(grad, output, relu_grad);
}

/// `output = 1 / (1 + exp(-input))`; both slices have the same length (any shape).
pub fn sigmoid_forward(input: &[f32], output: &mut [f32]) {
    map(input, output, sigmoid);
}

/// [`sigmoid_forward`] with the output written over the input.
pub fn sigmoid_forward_in_place(data: &mut [f32]) {
    map_in_place(data, sigmoid);
}

/// `grad_input = grad_output * (1 - output) * output`, from the forward's `output`.
pub fn sigmoid_backward(grad_output: &[f32], output: &[f32], grad_input: &mut [f32]) {
    zip_map(grad_output, output, grad_input, sigmoid_grad);
}

/// [`sigmoid_backward`] with `grad_input` written over `grad` (which holds `grad_output`).
pub fn sigmoid_backward_in_place(grad: &mut [f32], output: &[f32]) {
    zip_map_in_place(grad, output, sigmoid_grad);
}

/// GELU of one value, `x·Φ(x)`.
#[inline(always)]
fn gelu(x: f32) -> f32 {
    x * special::normal_cdf(x)
}

/// GELU's gradient through one value from its *input* `x`: `grad·(Φ(x) + x·φ(x))`, PyTorch's
/// `GeluBackward` for `approximate='none'`.
#[inline(always)]
fn gelu_grad(grad: f32, x: f32) -> f32 {
    let (cdf, pdf) = special::normal_cdf_and_pdf(x);
    grad * (cdf + x * pdf)
}

/// `output = input·Φ(input)`; both slices have the same length (any shape).
pub fn gelu_forward(input: &[f32], output: &mut [f32]) {
    map(input, output, gelu);
}

/// [`gelu_forward`] with the output written over the input (which GELU's backward then no
/// longer has).
pub fn gelu_forward_in_place(data: &mut [f32]) {
    map_in_place(data, gelu);
}

/// `grad_input = grad_output·(Φ(input) + input·φ(input))`, from the forward's `input`.
pub fn gelu_backward(grad_output: &[f32], input: &[f32], grad_input: &mut [f32]) {
    zip_map(grad_output, input, grad_input, gelu_grad);
}

/// [`gelu_backward`] with `grad_input` written over `grad` (which holds `grad_output`).
pub fn gelu_backward_in_place(grad: &mut [f32], input: &[f32]) {
    zip_map_in_place(grad, input, gelu_grad);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elementwise::CHUNK;
    use crate::special::reference;
    use crate::test_support::{assert_close, Rng, POOL_LOCK};
    use crate::threads;

    fn relu_ref(x: f64) -> f64 {
        x.max(0.0)
    }

    fn sigmoid_ref(x: f64) -> f64 {
        1.0 / (1.0 + (-x).exp())
    }

    /// Central differences of `L = Σ f(x_i) r_i`, which for an element-wise f is `f'(x_i) r_i`.
    fn finite_difference(x: &[f32], r: &[f32], f: fn(f64) -> f64) -> Vec<f64> {
        let h = 1e-6;
        x.iter().zip(r).map(|(&x, &r)| (f(x as f64 + h) - f(x as f64 - h)) / (2.0 * h) * r as f64).collect()
    }

    /// Inputs in [-3, 3), none within 1e-3 of ReLU's kink at 0.
    fn inputs(rng: &mut Rng, len: usize) -> Vec<f32> {
        rng.vec(len).into_iter().map(|v| if v.abs() < 1e-3 { 0.5 } else { 3.0 * v }).collect()
    }

    #[test]
    fn relu_forward_and_backward_match_float64_and_finite_differences() {
        let mut rng = Rng::new(11);
        for len in [1, 7, 3 * 5 * 9, CHUNK + 5] {
            let (x, r) = (inputs(&mut rng, len), rng.vec(len));
            let mut y = vec![0.0; len];
            relu_forward(&x, &mut y);
            let want: Vec<f64> = x.iter().map(|&v| relu_ref(v as f64)).collect();
            assert_close(&y, &want, 0.0, 0.0, "relu output");
            let mut grad_input = vec![0.0; len];
            relu_backward(&r, &y, &mut grad_input);
            assert_close(&grad_input, &finite_difference(&x, &r, relu_ref), 1e-6, 1e-7, "relu grad_input");

            let mut in_place = x.clone();
            relu_forward_in_place(&mut in_place);
            assert_eq!(in_place, y);
            let mut grad = r.clone();
            relu_backward_in_place(&mut grad, &y);
            assert_eq!(grad, grad_input);
        }
    }

    #[test]
    fn relu_follows_pytorch_on_zero_and_nan() {
        let x = [0.0, -0.0, f32::NAN, -1.0, 2.0];
        let mut y = [9.0; 5];
        relu_forward(&x, &mut y);
        assert_eq!(&y[..2], &[0.0, 0.0]);
        assert!(y[2].is_nan());
        assert_eq!(&y[3..], &[0.0, 2.0]);
        // threshold_backward: zero gradient where the output is <= 0, passed through on NaN.
        let mut g = [9.0; 5];
        relu_backward(&[1.0; 5], &y, &mut g);
        assert_eq!(g, [0.0, 0.0, 1.0, 0.0, 1.0]);
    }

    #[test]
    fn sigmoid_forward_and_backward_match_float64_and_finite_differences() {
        let mut rng = Rng::new(12);
        for len in [1, 6, 2 * 3 * 7, CHUNK + 3] {
            let (x, r) = (inputs(&mut rng, len), rng.vec(len));
            let mut y = vec![0.0; len];
            sigmoid_forward(&x, &mut y);
            let want: Vec<f64> = x.iter().map(|&v| sigmoid_ref(v as f64)).collect();
            assert_close(&y, &want, 1e-6, 1e-7, "sigmoid output");
            let mut grad_input = vec![0.0; len];
            sigmoid_backward(&r, &y, &mut grad_input);
            assert_close(&grad_input, &finite_difference(&x, &r, sigmoid_ref), 1e-5, 1e-7, "sigmoid grad_input");

            let mut in_place = x.clone();
            sigmoid_forward_in_place(&mut in_place);
            assert_eq!(in_place, y);
            let mut grad = r.clone();
            sigmoid_backward_in_place(&mut grad, &y);
            assert_eq!(grad, grad_input);
        }
        let mut y = [0.0; 3];
        sigmoid_forward(&[-200.0, 200.0, f32::NAN], &mut y);
        assert_eq!(&y[..2], &[0.0, 1.0]);
        assert!(y[2].is_nan());
    }

    fn gelu_ref(x: f64) -> f64 {
        x * reference::normal_cdf(x)
    }

    /// GELU's derivative in float64, and the size of its two terms `|Φ(x)| + |x·φ(x)|` (they
    /// cancel near x = −0.75, where only an error relative to them is meaningful).
    fn gelu_grad_ref(x: f64) -> (f64, f64) {
        let (cdf, x_pdf) = (reference::normal_cdf(x), x * reference::normal_pdf(x));
        (cdf + x_pdf, cdf.abs() + x_pdf.abs())
    }

    #[test]
    fn gelu_forward_is_accurate_relative_to_float64() {
        let _guard = POOL_LOCK.lock().unwrap();
        threads::start_native_pool(2).unwrap();
        // A dense grid over the whole range where GELU's value is a normal f32, and random
        // inputs past the chunk size.
        let grid: Vec<f32> = (-130_000..=130_000).map(|i| i as f32 * 1e-4).collect();
        let mut rng = Rng::new(14);
        for x in [grid, rng.vec(CHUNK + 9).into_iter().map(|v| 4.0 * v).collect()] {
            let mut y = vec![f32::NAN; x.len()];
            threads::run(|| gelu_forward(&x, &mut y));
            for (&x, &y) in x.iter().zip(&y) {
                let want = gelu_ref(x as f64);
                if want.abs() >= f32::MIN_POSITIVE as f64 {
                    let err = ((y as f64 - want) / want).abs();
                    assert!(err < 4.5e-7, "gelu({x}) = {y}, want {want} (relative error {err:e})");
                }
            }
            let mut in_place = x.clone();
            threads::run(|| gelu_forward_in_place(&mut in_place));
            assert_eq!(in_place, y);
        }
        threads::stop_pool();
    }

    #[test]
    fn gelu_backward_matches_float64_and_finite_differences() {
        let _guard = POOL_LOCK.lock().unwrap();
        threads::start_native_pool(2).unwrap();
        let mut rng = Rng::new(15);
        for len in [1, 5, 2 * 3 * 7, CHUNK + 3] {
            let x: Vec<f32> = rng.vec(len).into_iter().map(|v| 6.0 * v).collect();
            let r = rng.vec(len);
            let mut grad_input = vec![f32::NAN; len];
            threads::run(|| gelu_backward(&r, &x, &mut grad_input));
            for ((&x, &r), &g) in x.iter().zip(&r).zip(&grad_input) {
                let (want, size) = gelu_grad_ref(x as f64);
                let want = want * r as f64;
                let err = (g as f64 - want).abs();
                assert!(err <= 5e-7 * size * (r as f64).abs() + 1e-30, "gelu'({x})·{r} = {g}, want {want}");
            }
            let fd = finite_difference(&x, &r, gelu_ref);
            assert_close(&grad_input, &fd, 1e-5, 1e-7, "gelu grad_input");
            let mut grad = r.clone();
            threads::run(|| gelu_backward_in_place(&mut grad, &x));
            assert_eq!(grad, grad_input);
        }
        threads::stop_pool();
    }

    #[test]
    fn gelu_follows_pytorch_on_zero_infinity_and_nan() {
        let x = [0.0, -0.0, f32::INFINITY, f32::NEG_INFINITY, f32::NAN, 30.0, -30.0];
        let mut y = [9.0; 7];
        gelu_forward(&x, &mut y);
        assert_eq!(&y[..3], &[0.0, 0.0, f32::INFINITY]);
        // −inf·Φ(−inf) = −inf·0, NaN as in PyTorch.
        assert!(y[3].is_nan() && y[4].is_nan());
        assert_eq!(&y[5..], &[30.0, 0.0]);
        let mut g = [9.0; 7];
        gelu_backward(&[1.0; 7], &x, &mut g);
        // ±inf·φ(±inf) = ±inf·0: NaN, as in PyTorch.
        assert_eq!(&g[..2], &[0.5, 0.5]);
        assert!(g[2].is_nan() && g[3].is_nan() && g[4].is_nan());
        assert_eq!(&g[5..], &[1.0, 0.0]);
    }

    #[test]
    fn results_are_identical_on_1_2_and_3_threads() {
        let _guard = POOL_LOCK.lock().unwrap();
        let mut rng = Rng::new(13);
        let len = 3 * CHUNK + 17;
        let (x, r) = (inputs(&mut rng, len), rng.vec(len));
        let run = |n: usize| {
            threads::start_native_pool(n).unwrap();
            threads::run(|| {
                let mut out: [Vec<f32>; 6] = std::array::from_fn(|_| vec![0.0; len]);
                let [y, s, g, gy, gs, gg] = &mut out;
                relu_forward(&x, y);
                relu_backward(&r, y, gy);
                sigmoid_forward(&x, s);
                sigmoid_backward(&r, s, gs);
                gelu_forward(&x, g);
                gelu_backward(&r, &x, gg);
                out
            })
        };
        let one = run(1);
        assert_eq!(one, run(2));
        assert_eq!(one, run(3));
        threads::stop_pool();
    }
}
