//! 2-D batch normalisation over NCHW f32 tensors, exactly PyTorch's `nn.BatchNorm2d` (affine,
//! running statistics tracked), with an optional fused ReLU after it.
//!
//! Training forward ([`batch_norm2d_forward_train`]): per channel `c`, the batch mean and the
//! biased variance over the `M = N·H·W` values normalise the input,
//! `y = (x - mean) · invstd · weight + bias` with `invstd = 1 / sqrt(var + eps)`; the running
//! statistics move by `momentum` towards the batch mean and the *unbiased* variance
//! `var · M / (M - 1)`. The forward saves `save_mean[C]` and `save_invstd[C]` for
//! [`batch_norm2d_backward`]. Evaluation forward ([`batch_norm2d_forward_eval`]) normalises with
//! the running statistics instead.
//!
//! With `relu`, the forward writes `max(y, 0)` and the backward takes that output to mask
//! `grad_output` first (PyTorch's `threshold_backward`), saving a separate ReLU pass.
//!
//! One rayon task handles one channel from start to end (its statistics, then its N planes),
//! so sums are taken in a fixed order: results are bit-identical for any thread count. Sums use
//! f32 lanes over blocks of [`BLOCK`] elements and f64 across blocks.

use crate::activation::{relu, relu_grad};
use crate::threads::SharedMut;
use rayon::prelude::*;

/// Elements summed in f32 lanes before the partial sum moves to an f64 total: short enough that
/// the f32 rounding stays negligible, long enough to vectorise.
const BLOCK: usize = 256;
/// Independent f32 accumulators inside a block (two 4-lane SIMD registers).
const LANES: usize = 8;

/// The shape `[batch, channels, height, width]` of an NCHW tensor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Nchw {
    pub batch: usize,
    pub channels: usize,
    pub height: usize,
    pub width: usize,
}

impl Nchw {
    /// The shape, or an error naming `op` if its element count (or that of any of its planes
    /// or channels, zero dimensions counting as 1) overflows `usize`.
    pub fn new(op: &str, batch: usize, channels: usize, height: usize, width: usize) -> Result<Self, String> {
        let shape = Nchw { batch, channels, height, width };
        let dims = shape.dims();
        dims.iter().try_fold(1usize, |n, &d| n.checked_mul(d.max(1))).ok_or_else(|| {
            format!("{op}: tensor of shape {} has too many elements", crate::api::format_shape(&dims))
        })?;
        Ok(shape)
    }

    pub fn dims(&self) -> [usize; 4] {
        [self.batch, self.channels, self.height, self.width]
    }

    /// Elements per plane, `H·W`.
    fn plane(&self) -> usize {
        self.height * self.width
    }

    /// Values per channel, `M = N·H·W`.
    fn per_channel(&self) -> usize {
        self.batch * self.plane()
    }

    /// Plane `(n, c)` of an NCHW tensor.
    fn plane_of<'a>(&self, data: &'a [f32], n: usize, c: usize) -> &'a [f32] {
        let hw = self.plane();
        &data[(n * self.channels + c) * hw..][..hw]
    }

    /// Plane `(n, c)` of an NCHW tensor behind `data`.
    ///
    /// # Safety
    /// `data` points to a whole tensor of this shape, and no other live reference touches this
    /// plane.
    unsafe fn plane_of_mut<'a>(&self, data: SharedMut<f32>, n: usize, c: usize) -> &'a mut [f32] {
        let hw = self.plane();
        std::slice::from_raw_parts_mut(data.0.add((n * self.channels + c) * hw), hw)
    }
}

/// Training-mode forward. `input`, `output`: `[N, C, H, W]`; `weight`, `bias`, `running_mean`,
/// `running_var`, `save_mean`, `save_invstd`: `[C]`. Updates `running_mean` / `running_var` in
/// place and writes the batch mean and `1 / sqrt(var + eps)` to `save_mean` / `save_invstd`
/// for [`batch_norm2d_backward`]. With `relu`, `output = max(bn(input), 0)`.
///
/// Fails, like PyTorch, when a channel has a single value (`N·H·W == 1`). With no values at all
/// (`N·H·W == 0`) nothing is normalised, the running statistics are kept and the saved ones
/// are 0.
#[allow(clippy::too_many_arguments)]
pub fn batch_norm2d_forward_train(
    shape: Nchw,
    input: &[f32],
    weight: &[f32],
    bias: &[f32],
    running_mean: &mut [f32],
    running_var: &mut [f32],
    save_mean: &mut [f32],
    save_invstd: &mut [f32],
    output: &mut [f32],
    momentum: f32,
    eps: f32,
    relu: bool,
) -> Result<(), String> {
    let count = shape.per_channel();
    if count == 1 {
        return Err(format!(
            "batch_norm2d_forward_train: Expected more than 1 value per channel when training, got input size {}",
            crate::api::format_shape(&shape.dims())
        ));
    }
    if count == 0 {
        save_mean.fill(0.0);
        save_invstd.fill(0.0);
        return Ok(());
    }
    let out = SharedMut(output.as_mut_ptr());
    let momentum = momentum as f64;
    let saved = save_mean.par_iter_mut().zip(save_invstd.par_iter_mut());
    let running = running_mean.par_iter_mut().zip(running_var.par_iter_mut());
    saved.zip(running).enumerate().for_each(|(c, ((save_mean, save_invstd), (running_mean, running_var)))| {
        let (mean, var) = channel_moments(shape, input, c);
        let invstd = 1.0 / (var + eps as f64).sqrt();
        *save_mean = mean as f32;
        *save_invstd = invstd as f32;
        let unbiased_var = var * count as f64 / (count - 1) as f64;
        *running_mean = ((1.0 - momentum) * *running_mean as f64 + momentum * mean) as f32;
        *running_var = ((1.0 - momentum) * *running_var as f64 + momentum * unbiased_var) as f32;
        let scale = (weight[c] as f64 * invstd) as f32;
        for n in 0..shape.batch {
            // SAFETY: `output` is [N, C, H, W] and this task alone writes channel c's planes.
            let y = unsafe { shape.plane_of_mut(out, n, c) };
            normalize_plane(shape.plane_of(input, n, c), y, mean as f32, scale, bias[c], relu);
        }
    });
    Ok(())
}

/// Evaluation-mode forward: `output = (input - running_mean) / sqrt(running_var + eps) · weight
/// + bias` (then `max(·, 0)` with `relu`). `input`, `output`: `[N, C, H, W]`; `weight`, `bias`,
/// `running_mean`, `running_var`: `[C]`.
#[allow(clippy::too_many_arguments)]
pub fn batch_norm2d_forward_eval(
    shape: Nchw,
    input: &[f32],
    weight: &[f32],
    bias: &[f32],
    running_mean: &[f32],
    running_var: &[f32],
    output: &mut [f32],
    eps: f32,
    relu: bool,
) {
    let hw = shape.plane();
    if hw == 0 {
        return;
    }
    output.par_chunks_mut(hw).zip(input.par_chunks(hw)).enumerate().for_each(|(plane, (y, x))| {
        let c = plane % shape.channels;
        let invstd = 1.0 / (running_var[c] as f64 + eps as f64).sqrt();
        let scale = (weight[c] as f64 * invstd) as f32;
        normalize_plane(x, y, running_mean[c], scale, bias[c], relu);
    });
}

/// Training-mode backward from the forward's `save_mean` / `save_invstd`. `grad_output`,
/// `input`, `grad_input`: `[N, C, H, W]`; `weight`, `save_mean`, `save_invstd`, `grad_weight`,
/// `grad_bias`: `[C]`. `grad_weight` and `grad_bias` are overwritten (not accumulated).
///
/// `relu_output` is `Some(output)` (`[N, C, H, W]`) when the forward fused a ReLU: the gradient
/// is then masked to zero where `output <= 0` before going through the normalisation.
#[allow(clippy::too_many_arguments)]
pub fn batch_norm2d_backward(
    shape: Nchw,
    grad_output: &[f32],
    input: &[f32],
    relu_output: Option<&[f32]>,
    weight: &[f32],
    save_mean: &[f32],
    save_invstd: &[f32],
    grad_input: &mut [f32],
    grad_weight: &mut [f32],
    grad_bias: &mut [f32],
) {
    let count = shape.per_channel();
    if count == 0 {
        grad_weight.fill(0.0);
        grad_bias.fill(0.0);
        return;
    }
    let relu = relu_output.is_some();
    // Without a ReLU the mask operand is never looked at; grad_output stands in for it.
    let mask = relu_output.unwrap_or(grad_output);
    let grad_in = SharedMut(grad_input.as_mut_ptr());
    grad_weight.par_iter_mut().zip(grad_bias.par_iter_mut()).enumerate().for_each(|(c, (grad_weight, grad_bias))| {
        let (mean, invstd) = (save_mean[c], save_invstd[c]);
        let [sum_dy, sum_dy_xmu] = channel_sums(shape, c, [grad_output, input, mask], |dy, x, y| {
            let dy = if relu { relu_grad(dy, y) } else { dy };
            [dy, dy * (x - mean)]
        });
        *grad_bias = sum_dy as f32;
        *grad_weight = (sum_dy_xmu * invstd as f64) as f32;
        let invstd = invstd as f64;
        let grad_mean = (sum_dy / count as f64) as f32;
        let k = (sum_dy_xmu * invstd * invstd / count as f64) as f32;
        let coef = (invstd * weight[c] as f64) as f32;
        for n in 0..shape.batch {
            // SAFETY: `grad_input` is [N, C, H, W] and this task alone writes channel c's planes.
            let dx = unsafe { shape.plane_of_mut(grad_in, n, c) };
            let (dy, x, y) =
                (shape.plane_of(grad_output, n, c), shape.plane_of(input, n, c), shape.plane_of(mask, n, c));
            for (dx, ((&dy, &x), &y)) in dx.iter_mut().zip(dy.iter().zip(x).zip(y)) {
                let dy = if relu { relu_grad(dy, y) } else { dy };
                *dx = (dy - grad_mean - (x - mean) * k) * coef;
            }
        }
    });
}

/// `y = (x - mean) · scale + bias`, then ReLU if `relu`, over one plane.
fn normalize_plane(x: &[f32], y: &mut [f32], mean: f32, scale: f32, bias: f32, relu_after: bool) {
    for (y, &x) in y.iter_mut().zip(x) {
        let v = (x - mean) * scale + bias;
        *y = if relu_after { relu(v) } else { v };
    }
}

/// Mean and biased variance of channel `c` (`M > 0` values), in two passes: the mean, then the
/// squared deviations from its f32 rounding `m` (corrected by `(Σ(x - m) / M)²`).
fn channel_moments(shape: Nchw, input: &[f32], c: usize) -> (f64, f64) {
    let count = shape.per_channel() as f64;
    let [sum] = channel_sums(shape, c, [input; 3], |x, _, _| [x]);
    let mean = sum / count;
    let m = mean as f32;
    let [dev, dev_sq] = channel_sums(shape, c, [input; 3], |x, _, _| {
        let d = x - m;
        [d, d * d]
    });
    let shift = dev / count;
    (mean, (dev_sq / count - shift * shift).max(0.0))
}

/// `K` sums over channel `c` (its `N` planes) of `term(a, b, d)`, where `a`, `b`, `d` are the
/// same element of three `[N, C, H, W]` tensors. Each plane is summed in blocks of [`BLOCK`]
/// elements into [`LANES`] f32 accumulators; block sums are added in f64.
#[inline(always)]
fn channel_sums<const K: usize>(
    shape: Nchw,
    c: usize,
    tensors: [&[f32]; 3],
    term: impl Fn(f32, f32, f32) -> [f32; K],
) -> [f64; K] {
    let mut total = [0.0f64; K];
    for n in 0..shape.batch {
        let [a, b, d] = tensors.map(|t| shape.plane_of(t, n, c));
        for ((a, b), d) in a.chunks(BLOCK).zip(b.chunks(BLOCK)).zip(d.chunks(BLOCK)) {
            let mut lanes = [[0.0f32; LANES]; K];
            let ((a, a_tail), (b, b_tail), (d, d_tail)) =
                (a.as_chunks::<LANES>(), b.as_chunks::<LANES>(), d.as_chunks::<LANES>());
            for ((a, b), d) in a.iter().zip(b).zip(d) {
                for l in 0..LANES {
                    let t = term(a[l], b[l], d[l]);
                    for k in 0..K {
                        lanes[k][l] += t[k];
                    }
                }
            }
            for (l, ((&a, &b), &d)) in a_tail.iter().zip(b_tail).zip(d_tail).enumerate() {
                let t = term(a, b, d);
                for k in 0..K {
                    lanes[k][l] += t[k];
                }
            }
            for k in 0..K {
                total[k] += widen(&lanes[k]);
            }
        }
    }
    total
}

/// Σ of one accumulator's lanes, in f64. Kept out of line on purpose: inlined, LLVM's SLP
/// vectoriser pairs the `K` accumulators of one lane instead of the lanes of one accumulator
/// and leaves the block loop scalar (seen on wasm32 + simd128).
#[inline(never)]
fn widen(lanes: &[f32; LANES]) -> f64 {
    lanes.iter().map(|&v| v as f64).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activation;
    use crate::test_support::{assert_close, Rng, POOL_LOCK};
    use crate::threads;

    const EPS: f32 = 1e-5;

    /// Float64 training forward: the output (ReLU'd if `relu`), batch means and biased variances.
    fn reference_train(
        s: Nchw,
        x: &[f64],
        w: &[f64],
        b: &[f64],
        eps: f64,
        relu: bool,
    ) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let hw = s.plane();
        let at = |n: usize, c: usize, i: usize| (n * s.channels + c) * hw + i;
        let m = s.per_channel() as f64;
        let mut y = vec![0.0; x.len()];
        let (mut means, mut vars) = (vec![], vec![]);
        for c in 0..s.channels {
            let values = || (0..s.batch).flat_map(move |n| (0..hw).map(move |i| at(n, c, i)));
            let mean = values().map(|j| x[j]).sum::<f64>() / m;
            let var = values().map(|j| (x[j] - mean).powi(2)).sum::<f64>() / m;
            for j in values() {
                let v = (x[j] - mean) / (var + eps).sqrt() * w[c] + b[c];
                y[j] = if relu { v.max(0.0) } else { v };
            }
            means.push(mean);
            vars.push(var);
        }
        (y, means, vars)
    }

    fn to_f64(v: &[f32]) -> Vec<f64> {
        v.iter().map(|&x| x as f64).collect()
    }

    fn dot(a: &[f64], r: &[f32]) -> f64 {
        a.iter().zip(r).map(|(a, &r)| a * r as f64).sum()
    }

    /// Central difference of `loss` along each element of `at`.
    fn finite_difference(at: &[f64], loss: impl Fn(&[f64]) -> f64) -> Vec<f64> {
        let h = 1e-6;
        let mut p = at.to_vec();
        (0..at.len())
            .map(|i| {
                p[i] = at[i] + h;
                let up = loss(&p);
                p[i] = at[i] - h;
                let down = loss(&p);
                p[i] = at[i];
                (up - down) / (2.0 * h)
            })
            .collect()
    }

    /// A random problem: input with a per-channel offset and spread, weight, bias, running
    /// statistics (positive variance) and the output gradient R.
    struct Problem {
        shape: Nchw,
        x: Vec<f32>,
        w: Vec<f32>,
        b: Vec<f32>,
        running_mean: Vec<f32>,
        running_var: Vec<f32>,
        r: Vec<f32>,
    }

    impl Problem {
        fn new(rng: &mut Rng, batch: usize, channels: usize, height: usize, width: usize) -> Self {
            let shape = Nchw::new("test", batch, channels, height, width).unwrap();
            let len = shape.dims().iter().product();
            let offsets: Vec<(f32, f32)> =
                (0..channels).map(|_| (rng.next_f32() * 3.0, 1.0 + rng.next_f32() * 0.8)).collect();
            let x = rng.vec(len).into_iter().enumerate().map(|(i, v)| {
                let (offset, spread) = offsets[(i / shape.plane()) % channels];
                offset + v * spread
            });
            Problem {
                shape,
                x: x.collect(),
                w: rng.vec(channels).iter().map(|v| v + 0.5 * v.signum()).collect(),
                b: rng.vec(channels),
                running_mean: rng.vec(channels),
                running_var: rng.vec(channels).iter().map(|v| 1.5 + v).collect(),
                r: rng.vec(len),
            }
        }

        fn train(&self, momentum: f32, eps: f32, relu: bool) -> Result<Forward, String> {
            let c = self.shape.channels;
            let mut f = Forward {
                running_mean: self.running_mean.clone(),
                running_var: self.running_var.clone(),
                save_mean: vec![f32::NAN; c],
                save_invstd: vec![f32::NAN; c],
                output: vec![f32::NAN; self.x.len()],
            };
            batch_norm2d_forward_train(
                self.shape,
                &self.x,
                &self.w,
                &self.b,
                &mut f.running_mean,
                &mut f.running_var,
                &mut f.save_mean,
                &mut f.save_invstd,
                &mut f.output,
                momentum,
                eps,
                relu,
            )?;
            Ok(f)
        }

        /// (grad_input, grad_weight, grad_bias) for grad_output = R.
        fn backward(&self, f: &Forward, relu: bool) -> [Vec<f32>; 3] {
            let c = self.shape.channels;
            let mut grads = [vec![f32::NAN; self.x.len()], vec![f32::NAN; c], vec![f32::NAN; c]];
            let [gi, gw, gb] = &mut grads;
            let relu_output = relu.then_some(&f.output[..]);
            batch_norm2d_backward(
                self.shape,
                &self.r,
                &self.x,
                relu_output,
                &self.w,
                &f.save_mean,
                &f.save_invstd,
                gi,
                gw,
                gb,
            );
            grads
        }
    }

    #[derive(Debug)]
    struct Forward {
        running_mean: Vec<f32>,
        running_var: Vec<f32>,
        save_mean: Vec<f32>,
        save_invstd: Vec<f32>,
        output: Vec<f32>,
    }

    fn max_abs(v: &[f64]) -> f64 {
        v.iter().fold(0.0, |m, x| m.max(x.abs()))
    }

    fn check_train(p: &Problem, momentum: f32, eps: f32, relu: bool) {
        let what = |name: &str| format!("{name} of {:?} relu={relu}", p.shape.dims());
        let (x, w, b) = (to_f64(&p.x), to_f64(&p.w), to_f64(&p.b));
        let eps64 = eps as f64;
        let f = p.train(momentum, eps, relu).unwrap();
        let (y, means, vars) = reference_train(p.shape, &x, &w, &b, eps64, relu);
        assert_close(&f.output, &y, 1e-5, 1e-5, &what("output"));
        assert_close(&f.save_mean, &means, 1e-6, 1e-7, &what("save_mean"));
        let invstd: Vec<f64> = vars.iter().map(|v| 1.0 / (v + eps64).sqrt()).collect();
        assert_close(&f.save_invstd, &invstd, 1e-6, 0.0, &what("save_invstd"));
        let m = p.shape.per_channel() as f64;
        let mom = momentum as f64;
        let rm: Vec<f64> =
            p.running_mean.iter().zip(&means).map(|(&r, mean)| (1.0 - mom) * r as f64 + mom * mean).collect();
        let rv: Vec<f64> = p
            .running_var
            .iter()
            .zip(&vars)
            .map(|(&r, var)| (1.0 - mom) * r as f64 + mom * var * m / (m - 1.0))
            .collect();
        assert_close(&f.running_mean, &rm, 1e-6, 1e-7, &what("running_mean"));
        assert_close(&f.running_var, &rv, 1e-6, 1e-7, &what("running_var"));

        let [gi, gw, gb] = p.backward(&f, relu);
        let loss = |x: &[f64], w: &[f64], b: &[f64]| dot(&reference_train(p.shape, x, w, b, eps64, relu).0, &p.r);
        let want_gi = finite_difference(&x, |x| loss(x, &w, &b));
        let want_gw = finite_difference(&w, |w| loss(&x, w, &b));
        let want_gb = finite_difference(&b, |b| loss(&x, &w, b));
        // grad_input = w·invstd·(dy - mean(dy) - x̂·mean(dy·x̂)) cancels: its f32 error scales
        // with w·invstd (|dy| < 1), not with the result.
        let scale = w.iter().zip(&invstd).fold(0.0f64, |m, (w, s)| m.max((w * s).abs()));
        assert_close(&gi, &want_gi, 1e-4, 1e-5 * scale, &what("grad_input"));
        assert_close(&gw, &want_gw, 1e-4, 1e-5 * max_abs(&want_gw), &what("grad_weight"));
        assert_close(&gb, &want_gb, 1e-4, 1e-5 * max_abs(&want_gb), &what("grad_bias"));
    }

    const SHAPES: [(usize, usize, usize, usize); 6] =
        [(2, 3, 5, 7), (1, 4, 3, 3), (3, 2, 1, 1), (1, 1, 1, 2), (2, 3, 17, 19), (1, 2, 9, 4)];

    #[test]
    fn train_forward_and_backward_match_float64_and_finite_differences() {
        let mut rng = Rng::new(21);
        for (n, c, h, w) in SHAPES {
            let p = Problem::new(&mut rng, n, c, h, w);
            check_train(&p, 0.1, EPS, false);
            check_train(&p, 0.3, 0.5, false);
        }
    }

    #[test]
    fn fused_relu_matches_float64_and_finite_differences() {
        let mut rng = Rng::new(22);
        for (n, c, h, w) in SHAPES {
            check_train(&Problem::new(&mut rng, n, c, h, w), 0.1, EPS, true);
        }
    }

    #[test]
    fn fused_relu_equals_batch_norm_then_relu_kernels() {
        let mut rng = Rng::new(23);
        let p = Problem::new(&mut rng, 3, 4, 6, 5);
        let fused = p.train(0.1, EPS, true).unwrap();
        let plain = p.train(0.1, EPS, false).unwrap();
        let mut relu_out = vec![0.0; p.x.len()];
        activation::relu_forward(&plain.output, &mut relu_out);
        assert_eq!(fused.output, relu_out);

        let [gi_fused, gw_fused, gb_fused] = p.backward(&fused, true);
        let mut masked = vec![0.0; p.x.len()];
        activation::relu_backward(&p.r, &relu_out, &mut masked);
        let masked_problem = Problem { r: masked, ..p };
        let [gi, gw, gb] = masked_problem.backward(&plain, false);
        assert_eq!((gi_fused, gw_fused, gb_fused), (gi, gw, gb));
    }

    #[test]
    fn eval_forward_uses_running_statistics() {
        let mut rng = Rng::new(24);
        for (n, c, h, w) in [(2, 3, 5, 7), (1, 4, 1, 1), (1, 2, 3, 8)] {
            let p = Problem::new(&mut rng, n, c, h, w);
            for relu in [false, true] {
                let mut output = vec![f32::NAN; p.x.len()];
                let eps = 1e-3;
                batch_norm2d_forward_eval(
                    p.shape,
                    &p.x,
                    &p.w,
                    &p.b,
                    &p.running_mean,
                    &p.running_var,
                    &mut output,
                    eps,
                    relu,
                );
                let want = p.x.iter().enumerate().map(|(i, &x)| {
                    let ch = (i / p.shape.plane()) % c;
                    let v = (x as f64 - p.running_mean[ch] as f64) / (p.running_var[ch] as f64 + eps as f64).sqrt()
                        * p.w[ch] as f64
                        + p.b[ch] as f64;
                    if relu {
                        v.max(0.0)
                    } else {
                        v
                    }
                });
                assert_close(&output, &want.collect::<Vec<_>>(), 1e-5, 1e-5, "eval output");
            }
        }
    }

    #[test]
    fn large_mean_small_spread_keeps_variance_accurate() {
        let shape = Nchw::new("test", 4, 1, 16, 16).unwrap();
        let mut rng = Rng::new(25);
        let x: Vec<f32> = rng.vec(1024).iter().map(|v| 1000.0 + 0.01 * v).collect();
        let p = Problem {
            shape,
            x,
            w: vec![1.0],
            b: vec![0.0],
            running_mean: vec![0.0],
            running_var: vec![1.0],
            r: vec![0.0; 1024],
        };
        let f = p.train(0.1, 0.0, false).unwrap();
        let (_, _, vars) = reference_train(shape, &to_f64(&p.x), &[1.0], &[0.0], 0.0, false);
        assert_close(&f.save_invstd, &[1.0 / vars[0].sqrt()], 1e-5, 0.0, "save_invstd");
    }

    #[test]
    fn one_value_per_channel_is_an_error_and_empty_batch_a_no_op() {
        let mut rng = Rng::new(26);
        let err = Problem::new(&mut rng, 1, 3, 1, 1).train(0.1, EPS, false).unwrap_err();
        assert_eq!(
            err,
            "batch_norm2d_forward_train: Expected more than 1 value per channel when training, got input size [1, 3, 1, 1]"
        );
        let p = Problem::new(&mut rng, 0, 3, 4, 4);
        let f = p.train(0.1, EPS, true).unwrap();
        assert_eq!((&f.running_mean, &f.running_var), (&p.running_mean, &p.running_var));
        assert_eq!((&f.save_mean, &f.save_invstd), (&vec![0.0; 3], &vec![0.0; 3]));
        let [gi, gw, gb] = p.backward(&f, false);
        assert!(gi.is_empty());
        assert_eq!((gw, gb), (vec![0.0; 3], vec![0.0; 3]));
        assert!(Nchw::new("op", usize::MAX, 2, 1, 1).unwrap_err().contains("op: tensor of shape"));
    }

    #[test]
    fn results_are_identical_on_one_and_two_threads() {
        let _guard = POOL_LOCK.lock().unwrap();
        let mut rng = Rng::new(27);
        let p = Problem::new(&mut rng, 3, 7, 23, 21);
        let run = |n: usize| {
            threads::start_native_pool(n).unwrap();
            threads::run(|| {
                let f = p.train(0.1, EPS, true).unwrap();
                let grads = p.backward(&f, true);
                let mut eval = vec![0.0; p.x.len()];
                batch_norm2d_forward_eval(
                    p.shape,
                    &p.x,
                    &p.w,
                    &p.b,
                    &p.running_mean,
                    &p.running_var,
                    &mut eval,
                    EPS,
                    false,
                );
                (f.output, f.running_mean, f.running_var, f.save_mean, f.save_invstd, grads, eval)
            })
        };
        let one = run(1);
        assert!(one == run(2));
        threads::stop_pool();
    }
}
