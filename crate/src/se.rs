//! Squeeze-and-Excitation block, fused (Hu et al.; the reference model's `SEBlock(C, r)`):
//!
//! ```text
//! squeeze[n, c] = mean over (h, w) of input[n, c, h, w]          AdaptiveAvgPool2d(1)
//! hidden        = relu(squeeze · fc1^T)          [N, C/r]         Conv2d(C, C/r, 1, bias=False), ReLU
//! gate          = sigmoid(hidden · fc2^T)        [N, C]           Conv2d(C/r, C, 1, bias=False), Sigmoid
//! output        = input * gate (broadcast over h, w)
//! ```
//!
//! Layout: input / output / grad_output / grad_input are NCHW `[N, C, H, W]`; `fc1` is the
//! PyTorch weight `[C/r, C, 1, 1]` read as a `[hidden, C]` matrix, `fc2` is `[C, C/r, 1, 1]`
//! read as `[C, hidden]`. The forward saves `squeeze` `[N, C]`, `hidden` `[N, hidden]` and
//! `gate` `[N, C]` into caller buffers for the backward.
//!
//! The passes over the `N*C*H*W` tensors run in parallel over `(n, c)` planes, each plane
//! reduced in a fixed order; the small products run on [`gemm::gemm`]. Results are
//! bit-identical for any thread count.

use crate::gemm::{self, MatRef};
use crate::scratch::{self, Slot};
use rayon::prelude::*;

/// The sizes of one SE block call; `hidden` is `C / r` (PyTorch's `C // r`).
#[derive(Clone, Copy, Debug)]
pub struct SeShape {
    pub batch: usize,
    pub channels: usize,
    pub hidden: usize,
    pub height: usize,
    pub width: usize,
}

impl SeShape {
    /// Every size but the batch must be at least 1 (`op` names the caller in the message).
    pub fn validate(&self, op: &str) -> Result<(), String> {
        let SeShape { batch, channels, hidden, height, width } = *self;
        if channels == 0 || hidden == 0 || height == 0 || width == 0 {
            return Err(format!(
                "{op}: channels, hidden_channels, height and width must be at least 1, got \
                 input [{batch}, {channels}, {height}, {width}] with {hidden} hidden channels"
            ));
        }
        Ok(())
    }

    fn plane(&self) -> usize {
        self.height * self.width
    }
}

/// Gradient at the sigmoid's input, `[N, C]`.
static GRAD_GATE: Slot<f32> = Slot::new();
/// Gradient at the ReLU's input, `[N, hidden]`.
static GRAD_HIDDEN: Slot<f32> = Slot::new();
/// Gradient of the squeezed means, `[N, C]`.
static GRAD_SQUEEZE: Slot<f32> = Slot::new();

/// The forward pass: writes `output` `[N, C, H, W]` and saves `squeeze` `[N, C]`, `hidden`
/// `[N, hidden]` (after the ReLU) and `gate` `[N, C]` (after the sigmoid) for the backward.
/// Fails only if a buffer is smaller than the shape needs (the binding checks this first).
#[allow(clippy::too_many_arguments)]
pub fn se_forward(
    input: &[f32],
    fc1: &[f32],
    fc2: &[f32],
    squeeze: &mut [f32],
    hidden: &mut [f32],
    gate: &mut [f32],
    output: &mut [f32],
    shape: SeShape,
) -> Result<(), String> {
    let SeShape { batch, channels, hidden: hid, .. } = shape;
    let hw = shape.plane();
    let planes = batch * channels;
    let (squeeze, gate) = (&mut squeeze[..planes], &mut gate[..planes]);
    let hidden = &mut hidden[..batch * hid];

    let inv_hw = 1.0 / hw as f32;
    squeeze.par_iter_mut().zip(input.par_chunks_exact(hw)).for_each(|(s, x)| *s = plane_sum(x) * inv_hw);

    let s = MatRef { data: squeeze, ld: channels, transposed: false };
    let fc1_t = MatRef { data: fc1, ld: channels, transposed: true };
    gemm::gemm(batch, hid, channels, s, fc1_t, hidden, hid, false)?;
    hidden.iter_mut().filter(|h| **h < 0.0).for_each(|h| *h = 0.0); // ReLU, NaN passes through

    let h = MatRef { data: hidden, ld: hid, transposed: false };
    let fc2_t = MatRef { data: fc2, ld: hid, transposed: true };
    gemm::gemm(batch, channels, hid, h, fc2_t, gate, channels, false)?;
    gate.iter_mut().for_each(|g| *g = 1.0 / (1.0 + (-*g).exp()));

    output[..planes * hw]
        .par_chunks_exact_mut(hw)
        .zip(input.par_chunks_exact(hw))
        .zip(gate.par_iter())
        .for_each(|((y, x), &g)| y.iter_mut().zip(x).for_each(|(y, &x)| *y = x * g));
    Ok(())
}

/// The backward pass from `grad_output` `[N, C, H, W]`, using the forward's `input` and its
/// saved `squeeze`, `hidden` and `gate`. Writes (overwrites) `grad_input` `[N, C, H, W]`,
/// `grad_fc1` `[hidden, C]` and `grad_fc2` `[C, hidden]`.
/// Fails only if a buffer is smaller than the shape needs (the binding checks this first).
#[allow(clippy::too_many_arguments)]
pub fn se_backward(
    grad_output: &[f32],
    input: &[f32],
    fc1: &[f32],
    fc2: &[f32],
    squeeze: &[f32],
    hidden: &[f32],
    gate: &[f32],
    grad_input: &mut [f32],
    grad_fc1: &mut [f32],
    grad_fc2: &mut [f32],
    shape: SeShape,
) -> Result<(), String> {
    let SeShape { batch, channels, hidden: hid, .. } = shape;
    let hw = shape.plane();
    let planes = batch * channels;
    scratch::lend(&GRAD_GATE, |grad_gate| {
        scratch::lend(&GRAD_HIDDEN, |grad_hidden| {
            scratch::lend(&GRAD_SQUEEZE, |grad_squeeze| {
                grad_gate.resize(planes, 0.0);
                grad_hidden.resize(batch * hid, 0.0);
                grad_squeeze.resize(planes, 0.0);

                // d gate[n, c] = sum_hw dy * x, then through the sigmoid: * g * (1 - g).
                grad_gate
                    .par_iter_mut()
                    .zip(grad_output.par_chunks_exact(hw).zip(input.par_chunks_exact(hw)))
                    .zip(gate.par_iter())
                    .for_each(|((d, (dy, x)), &g)| *d = plane_dot(dy, x) * (g * (1.0 - g)));

                // grad_fc2 = grad_gate^T · hidden; grad_hidden = grad_gate · fc2, masked by the ReLU.
                let dg_t = MatRef { data: grad_gate, ld: channels, transposed: true };
                let h = MatRef { data: hidden, ld: hid, transposed: false };
                gemm::gemm(channels, hid, batch, dg_t, h, grad_fc2, hid, false)?;
                let dg = MatRef { data: grad_gate, ld: channels, transposed: false };
                let w2 = MatRef { data: fc2, ld: hid, transposed: false };
                gemm::gemm(batch, hid, channels, dg, w2, grad_hidden, hid, false)?;
                grad_hidden.iter_mut().zip(&hidden[..batch * hid]).for_each(|(d, &h)| {
                    if h <= 0.0 {
                        *d = 0.0;
                    }
                });

                // grad_fc1 = grad_hidden^T · squeeze; grad_squeeze = grad_hidden · fc1.
                let dh_t = MatRef { data: grad_hidden, ld: hid, transposed: true };
                let s = MatRef { data: squeeze, ld: channels, transposed: false };
                gemm::gemm(hid, channels, batch, dh_t, s, grad_fc1, channels, false)?;
                let dh = MatRef { data: grad_hidden, ld: hid, transposed: false };
                let w1 = MatRef { data: fc1, ld: channels, transposed: false };
                gemm::gemm(batch, channels, hid, dh, w1, grad_squeeze, channels, false)?;

                // grad_input = dy * g + grad_squeeze / (H*W), broadcast over the plane.
                let inv_hw = 1.0 / hw as f32;
                grad_input[..planes * hw]
                    .par_chunks_exact_mut(hw)
                    .zip(grad_output.par_chunks_exact(hw))
                    .zip(gate.par_iter().zip(grad_squeeze.par_iter()))
                    .for_each(|((dx, dy), (&g, &ds))| {
                        let mean_grad = ds * inv_hw;
                        dx.iter_mut().zip(dy).for_each(|(dx, &dy)| *dx = dy * g + mean_grad);
                    });
                Ok(())
            })
        })
    })
}

/// Lanes of the partial sums in [`plane_sum`] / [`plane_dot`] (two SIMD vectors).
const LANES: usize = 8;

/// `sum(x)` with `LANES` partial sums (vectorises), added in a fixed order.
fn plane_sum(x: &[f32]) -> f32 {
    let chunks = x.chunks_exact(LANES);
    let tail: f32 = chunks.remainder().iter().sum();
    let mut acc = [0.0f32; LANES];
    for c in chunks {
        for l in 0..LANES {
            acc[l] += c[l];
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// `sum(a * b)` with `LANES` partial sums (vectorises), added in a fixed order.
fn plane_dot(a: &[f32], b: &[f32]) -> f32 {
    let (ca, cb) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let tail: f32 = ca.remainder().iter().zip(cb.remainder()).map(|(a, b)| a * b).sum();
    let mut acc = [0.0f32; LANES];
    for (a, b) in ca.zip(cb) {
        for l in 0..LANES {
            acc[l] += a[l] * b[l];
        }
    }
    acc.iter().sum::<f32>() + tail
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{assert_close, Rng, POOL_LOCK};
    use crate::threads;

    fn to_f64(v: &[f32]) -> Vec<f64> {
        v.iter().map(|&x| x as f64).collect()
    }

    /// Float64 reference forward; returns (squeeze, hidden, gate, output).
    fn reference(x: &[f64], fc1: &[f64], fc2: &[f64], s: SeShape) -> [Vec<f64>; 4] {
        let (n_, c_, k_, hw) = (s.batch, s.channels, s.hidden, s.plane());
        let squeeze: Vec<f64> = x.chunks_exact(hw).map(|p| p.iter().sum::<f64>() / hw as f64).collect();
        let mut hidden = vec![0.0; n_ * k_];
        let mut gate = vec![0.0; n_ * c_];
        for n in 0..n_ {
            for k in 0..k_ {
                let z: f64 = (0..c_).map(|c| fc1[k * c_ + c] * squeeze[n * c_ + c]).sum();
                hidden[n * k_ + k] = z.max(0.0);
            }
            for c in 0..c_ {
                let z: f64 = (0..k_).map(|k| fc2[c * k_ + k] * hidden[n * k_ + k]).sum();
                gate[n * c_ + c] = 1.0 / (1.0 + (-z).exp());
            }
        }
        let output = x.iter().enumerate().map(|(i, &v)| v * gate[i / hw]).collect();
        [squeeze, hidden, gate, output]
    }

    /// Central differences of `L = sum(output * r)` with respect to every element of operand
    /// `which` (0 input, 1 fc1, 2 fc2).
    fn numeric_grad(ops: &[Vec<f64>; 3], r: &[f64], s: SeShape, which: usize) -> Vec<f64> {
        let mut ops = ops.clone();
        let loss = |ops: &[Vec<f64>; 3]| -> f64 {
            let [.., out] = reference(&ops[0], &ops[1], &ops[2], s);
            out.iter().zip(r).map(|(y, r)| y * r).sum()
        };
        let eps = 1e-5;
        (0..ops[which].len())
            .map(|i| {
                let orig = ops[which][i];
                ops[which][i] = orig + eps;
                let plus = loss(&ops);
                ops[which][i] = orig - eps;
                let minus = loss(&ops);
                ops[which][i] = orig;
                (plus - minus) / (2.0 * eps)
            })
            .collect()
    }

    /// Runs forward and backward; returns [squeeze, hidden, gate, output, grad_input, grad_fc1, grad_fc2].
    fn run_passes(x: &[f32], fc1: &[f32], fc2: &[f32], dy: &[f32], s: SeShape) -> [Vec<f32>; 7] {
        let (nc, nk, total) = (s.batch * s.channels, s.batch * s.hidden, s.batch * s.channels * s.plane());
        let (mut squeeze, mut hidden, mut gate) = (vec![f32::NAN; nc], vec![f32::NAN; nk], vec![f32::NAN; nc]);
        let mut output = vec![f32::NAN; total];
        se_forward(x, fc1, fc2, &mut squeeze, &mut hidden, &mut gate, &mut output, s).unwrap();
        let mut grad_input = vec![f32::NAN; total];
        let mut grad_fc1 = vec![f32::NAN; s.hidden * s.channels];
        let mut grad_fc2 = vec![f32::NAN; s.channels * s.hidden];
        se_backward(dy, x, fc1, fc2, &squeeze, &hidden, &gate, &mut grad_input, &mut grad_fc1, &mut grad_fc2, s)
            .unwrap();
        [squeeze, hidden, gate, output, grad_input, grad_fc1, grad_fc2]
    }

    fn random_case(rng: &mut Rng, s: SeShape) -> [Vec<f32>; 4] {
        let x = rng.vec(s.batch * s.channels * s.plane());
        // Larger weights so the ReLU and the sigmoid are exercised away from their linear parts.
        let fc1: Vec<f32> = rng.vec(s.hidden * s.channels).iter().map(|w| 3.0 * w).collect();
        let fc2: Vec<f32> = rng.vec(s.channels * s.hidden).iter().map(|w| 3.0 * w).collect();
        let dy = rng.vec(x.len());
        [x, fc1, fc2, dy]
    }

    #[test]
    fn se_block_matches_float64_reference_and_finite_differences() {
        let _guard = POOL_LOCK.lock().unwrap();
        threads::start_native_pool(2).unwrap();
        let mut rng = Rng::new(61);
        let shapes = [
            SeShape { batch: 2, channels: 48, hidden: 3, height: 5, width: 3 },
            SeShape { batch: 1, channels: 8, hidden: 2, height: 4, width: 7 },
            SeShape { batch: 3, channels: 5, hidden: 1, height: 1, width: 1 },
            SeShape { batch: 1, channels: 16, hidden: 4, height: 9, width: 2 },
        ];
        for s in shapes {
            let [x, fc1, fc2, r] = random_case(&mut rng, s);
            let got = run_passes(&x, &fc1, &fc2, &r, s);
            let ops = [to_f64(&x), to_f64(&fc1), to_f64(&fc2)];
            let want = reference(&ops[0], &ops[1], &ops[2], s);
            let r = to_f64(&r);
            for (i, name) in ["squeeze", "hidden", "gate", "output"].into_iter().enumerate() {
                assert_close(&got[i], &want[i], 1e-5, 1e-6, &format!("{name} {s:?}"));
            }
            for (i, name) in ["grad_input", "grad_fc1", "grad_fc2"].into_iter().enumerate() {
                let numeric = numeric_grad(&ops, &r, s, i);
                assert_close(&got[4 + i], &numeric, 1e-4, 1e-5, &format!("{name} {s:?}"));
            }
        }
        threads::stop_pool();
    }

    #[test]
    fn se_block_is_identical_for_one_and_two_threads() {
        let _guard = POOL_LOCK.lock().unwrap();
        let mut rng = Rng::new(71);
        let s = SeShape { batch: 5, channels: 64, hidden: 4, height: 9, width: 11 };
        let [x, fc1, fc2, dy] = random_case(&mut rng, s);
        let mut results = Vec::new();
        for n in [1, 2] {
            threads::start_native_pool(n).unwrap();
            results.push(run_passes(&x, &fc1, &fc2, &dy, s));
        }
        threads::stop_pool();
        assert!(results[0] == results[1]);
    }

    #[test]
    fn shape_validation_requires_a_hidden_channel_and_non_empty_planes() {
        let ok = SeShape { batch: 0, channels: 4, hidden: 1, height: 2, width: 2 };
        assert!(ok.validate("se_forward").is_ok());
        let err = SeShape { hidden: 0, ..ok }.validate("se_forward").unwrap_err();
        assert_eq!(
            err,
            "se_forward: channels, hidden_channels, height and width must be at least 1, \
             got input [0, 4, 2, 2] with 0 hidden channels"
        );
        assert!(SeShape { width: 0, ..ok }.validate("se_backward").unwrap_err().starts_with("se_backward: "));
    }
}
