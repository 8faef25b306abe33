//! Element-wise activations: ReLU and sigmoid, forward and backward, on flat f32 tensors of any
//! shape (PyTorch's `torch.relu` / `torch.sigmoid` and their autograd formulas).
//!
//! Both backward passes read the forward's *output* `y`, not its input, so the forward may run
//! in place (input overwritten by output): `relu_backward` is PyTorch's `threshold_backward(dy,
//! y, 0)` and `sigmoid_backward` is `dy * (1 - y) * y`. Every function has an `_in_place` twin
//! for the case where the output buffer is the input buffer (forward) or `grad_input` is
//! `grad_output` (backward).
//!
//! Work is split into fixed chunks run on the rayon pool; every element is computed alone, so
//! results never depend on the thread count.

use rayon::prelude::*;

/// Elements per parallel task: large enough to amortise scheduling, small enough to balance.
const CHUNK: usize = 1 << 14;

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

/// `out[i] = f(a[i])`, in parallel chunks.
fn map(a: &[f32], out: &mut [f32], f: impl Fn(f32) -> f32 + Sync) {
    out.par_chunks_mut(CHUNK).zip(a.par_chunks(CHUNK)).for_each(|(o, a)| {
        o.iter_mut().zip(a).for_each(|(o, &a)| *o = f(a));
    });
}

/// `data[i] = f(data[i])`, in parallel chunks.
fn map_in_place(data: &mut [f32], f: impl Fn(f32) -> f32 + Sync) {
    data.par_chunks_mut(CHUNK).for_each(|d| d.iter_mut().for_each(|v| *v = f(*v)));
}

/// `out[i] = f(a[i], b[i])`, in parallel chunks.
fn zip_map(a: &[f32], b: &[f32], out: &mut [f32], f: impl Fn(f32, f32) -> f32 + Sync) {
    out.par_chunks_mut(CHUNK).zip(a.par_chunks(CHUNK)).zip(b.par_chunks(CHUNK)).for_each(|((o, a), b)| {
        o.iter_mut().zip(a.iter().zip(b)).for_each(|(o, (&a, &b))| *o = f(a, b));
    });
}

/// `a[i] = f(a[i], b[i])`, in parallel chunks.
fn zip_map_in_place(a: &mut [f32], b: &[f32], f: impl Fn(f32, f32) -> f32 + Sync) {
    a.par_chunks_mut(CHUNK).zip(b.par_chunks(CHUNK)).for_each(|(a, b)| {
        a.iter_mut().zip(b).for_each(|(a, &b)| *a = f(*a, b));
    });
}

#[cfg(test)]
mod tests {
    use super::*;
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

    #[test]
    fn results_are_identical_on_one_and_two_threads() {
        let _guard = POOL_LOCK.lock().unwrap();
        let mut rng = Rng::new(13);
        let len = 3 * CHUNK + 17;
        let (x, r) = (inputs(&mut rng, len), rng.vec(len));
        let run = |n: usize| {
            threads::start_native_pool(n).unwrap();
            threads::run(|| {
                let (mut y, mut s, mut gy, mut gs) = (vec![0.0; len], vec![0.0; len], vec![0.0; len], vec![0.0; len]);
                relu_forward(&x, &mut y);
                relu_backward(&r, &y, &mut gy);
                sigmoid_forward(&x, &mut s);
                sigmoid_backward(&r, &s, &mut gs);
                [y, s, gy, gs]
            })
        };
        let one = run(1);
        assert_eq!(one, run(2));
        threads::stop_pool();
    }
}
