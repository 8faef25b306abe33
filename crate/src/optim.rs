//! Optimizer updates over every parameter of a model in one call, with the semantics of
//! `torch.optim.Adam`, `torch.optim.AdamW` and `torch.optim.SGD` (PyTorch 1.13's single-tensor
//! implementations; no amsgrad, no maximize).
//!
//! Layout: the caller keeps all parameters in one flat f32 buffer (each layer's tensors are
//! slices of it), their gradients in a second flat buffer of the same length and each optimizer
//! state (Adam's `exp_avg` / `exp_avg_sq`, SGD's `momentum_buffer`) in one more, indexed like
//! the parameters. The update is elementwise, so it runs in parallel over fixed chunks and is
//! bit-identical for any thread count.
//!
//! Like PyTorch's CPU kernels, the arithmetic is f32; scalars derived from the hyper-parameters
//! (bias corrections, step size, `1 - beta`) are computed in f64 from f64 hyper-parameters
//! (PyTorch's Python floats) and then rounded to f32.

use crate::scratch::{self, Slot};
use rayon::prelude::*;

/// Elements per parallel task.
const CHUNK: usize = 4096;

/// A chunk's effective gradient (with weight decay / momentum applied).
static CHUNK_GRADIENT: Slot<f32> = Slot::new();

/// Lends `f` this thread's chunk buffer, `len <= CHUNK` elements (contents unspecified).
fn with_chunk_gradient<R>(len: usize, f: impl FnOnce(&mut [f32]) -> R) -> R {
    scratch::lend(&CHUNK_GRADIENT, |buf| {
        if buf.len() < CHUNK {
            buf.resize(CHUNK, 0.0);
        }
        f(&mut buf[..len])
    })
}

/// Hyper-parameters of Adam (`decoupled == false`, L2 weight decay added to the gradient) or
/// AdamW (`decoupled == true`, `param *= 1 - lr * weight_decay` before the update).
#[derive(Clone, Copy, Debug)]
pub struct Adam {
    pub lr: f64,
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
    pub weight_decay: f64,
    pub decoupled: bool,
}

/// Hyper-parameters of SGD with optional momentum, dampening, Nesterov momentum and L2 weight
/// decay.
#[derive(Clone, Copy, Debug)]
pub struct Sgd {
    pub lr: f64,
    pub momentum: f64,
    pub dampening: f64,
    pub weight_decay: f64,
    pub nesterov: bool,
}

impl Adam {
    /// PyTorch's constructor checks, plus `step >= 1`.
    pub fn validate(&self, step: u32) -> Result<(), String> {
        let op = "adam_step";
        check_step(op, step)?;
        check_non_negative(op, "learning rate", self.lr)?;
        check_non_negative(op, "epsilon value", self.eps)?;
        for (index, beta) in [self.beta1, self.beta2].into_iter().enumerate() {
            if !(0.0..1.0).contains(&beta) {
                return Err(format!("{op}: Invalid beta parameter at index {index}: {beta} (must be in [0, 1))"));
            }
        }
        check_non_negative(op, "weight_decay value", self.weight_decay)
    }
}

impl Sgd {
    /// PyTorch's constructor checks, plus `step >= 1`.
    pub fn validate(&self, step: u32) -> Result<(), String> {
        let op = "sgd_step";
        check_step(op, step)?;
        check_non_negative(op, "learning rate", self.lr)?;
        check_non_negative(op, "momentum value", self.momentum)?;
        check_non_negative(op, "weight_decay value", self.weight_decay)?;
        if !self.dampening.is_finite() {
            return Err(format!("{op}: Invalid dampening value: {}", self.dampening));
        }
        if self.nesterov && (self.momentum <= 0.0 || self.dampening != 0.0) {
            return Err(format!(
                "{op}: Nesterov momentum requires a momentum and zero dampening (momentum {}, dampening {})",
                self.momentum, self.dampening
            ));
        }
        Ok(())
    }
}

fn check_step(op: &str, step: u32) -> Result<(), String> {
    if step == 0 {
        return Err(format!("{op}: step counts from 1, got 0"));
    }
    Ok(())
}

/// Rejects negative and NaN values, with PyTorch's wording.
fn check_non_negative(op: &str, what: &str, value: f64) -> Result<(), String> {
    if value >= 0.0 {
        Ok(())
    } else {
        Err(format!("{op}: Invalid {what}: {value}"))
    }
}

/// Checks that `buffers` (name, length) all have `params_len` elements.
fn check_lengths(op: &str, params_len: usize, buffers: &[(&str, usize)]) -> Result<(), String> {
    for &(name, len) in buffers {
        if len != params_len {
            return Err(format!("{op}: {name} has {len} elements, but params has {params_len}"));
        }
    }
    Ok(())
}

/// f32 scalars of one Adam step.
struct AdamScalars {
    beta1: f32,
    one_minus_beta1: f32,
    beta2: f32,
    one_minus_beta2: f32,
    eps: f32,
    /// `lr / (1 - beta1^step)`
    step_size: f32,
    /// `sqrt(1 - beta2^step)`
    bias_correction2_sqrt: f32,
    /// Coupled (L2) weight decay added to the gradient, or 0 for none.
    l2: f32,
    /// Decoupled decay factor `1 - lr * weight_decay`, or 1 for none.
    decay: f32,
}

impl AdamScalars {
    fn new(h: &Adam, step: u32) -> Self {
        let t = step as f64;
        let bias_correction1 = 1.0 - h.beta1.powf(t);
        let bias_correction2 = 1.0 - h.beta2.powf(t);
        AdamScalars {
            beta1: h.beta1 as f32,
            one_minus_beta1: (1.0 - h.beta1) as f32,
            beta2: h.beta2 as f32,
            one_minus_beta2: (1.0 - h.beta2) as f32,
            eps: h.eps as f32,
            step_size: (h.lr / bias_correction1) as f32,
            bias_correction2_sqrt: bias_correction2.sqrt() as f32,
            l2: if h.decoupled { 0.0 } else { h.weight_decay as f32 },
            decay: if h.decoupled { (1.0 - h.lr * h.weight_decay) as f32 } else { 1.0 },
        }
    }
}

/// One Adam / AdamW step (`step` counts from 1) over all parameters:
/// `m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g^2;`
/// `param -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)`.
/// `params`, `exp_avg`, `exp_avg_sq` are updated in place; `grads` is only read. All four have
/// the same length. Fails, changing nothing, on invalid hyper-parameters or lengths.
pub fn adam_step(
    params: &mut [f32],
    grads: &[f32],
    exp_avg: &mut [f32],
    exp_avg_sq: &mut [f32],
    step: u32,
    hyper: &Adam,
) -> Result<(), String> {
    hyper.validate(step)?;
    check_lengths(
        "adam_step",
        params.len(),
        &[("grads", grads.len()), ("exp_avg", exp_avg.len()), ("exp_avg_sq", exp_avg_sq.len())],
    )?;
    let s = AdamScalars::new(hyper, step);
    params
        .par_chunks_mut(CHUNK)
        .zip(grads.par_chunks(CHUNK))
        .zip(exp_avg.par_chunks_mut(CHUNK).zip(exp_avg_sq.par_chunks_mut(CHUNK)))
        .for_each(|((p, g), (m, v))| {
            if s.l2 != 0.0 {
                with_chunk_gradient(p.len(), |d| {
                    add_weight_decay(g, p, s.l2, d);
                    adam_update(p, d, m, v, &s);
                });
            } else {
                if s.decay != 1.0 {
                    p.iter_mut().for_each(|p| *p *= s.decay);
                }
                adam_update(p, g, m, v, &s);
            }
        });
    Ok(())
}

/// `out = g + weight_decay * p` (PyTorch's `grad.add(param, alpha=weight_decay)`).
fn add_weight_decay(g: &[f32], p: &[f32], weight_decay: f32, out: &mut [f32]) {
    for ((o, &g), &p) in out.iter_mut().zip(g).zip(p) {
        *o = g + weight_decay * p;
    }
}

/// The Adam moment and parameter update for one chunk (vectorises: plain slices, no branches).
fn adam_update(p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32], s: &AdamScalars) {
    let n = p.len();
    let (g, m, v) = (&g[..n], &mut m[..n], &mut v[..n]);
    for i in 0..n {
        let grad = g[i];
        let exp_avg = m[i] * s.beta1 + s.one_minus_beta1 * grad;
        let exp_avg_sq = v[i] * s.beta2 + s.one_minus_beta2 * grad * grad;
        m[i] = exp_avg;
        v[i] = exp_avg_sq;
        let denom = exp_avg_sq.sqrt() / s.bias_correction2_sqrt + s.eps;
        p[i] -= s.step_size * (exp_avg / denom);
    }
}

/// f32 scalars of one SGD step.
struct SgdScalars {
    lr: f32,
    weight_decay: f32,
    momentum: f32,
    one_minus_dampening: f32,
    nesterov: bool,
    /// Step 1: the momentum buffer starts as a copy of the gradient.
    first: bool,
}

/// One SGD step (`step` counts from 1) over all parameters:
/// `g += wd * param`; with momentum, `buf = g` on step 1, else `buf = momentum*buf +
/// (1-dampening)*g`, then `g = g + momentum*buf` (Nesterov) or `g = buf`; `param -= lr * g`.
/// `momentum_buffer` has the parameters' length when `momentum != 0` and is ignored (may be
/// empty) otherwise. Fails, changing nothing, on invalid hyper-parameters or lengths.
pub fn sgd_step(
    params: &mut [f32],
    grads: &[f32],
    momentum_buffer: &mut [f32],
    step: u32,
    hyper: &Sgd,
) -> Result<(), String> {
    hyper.validate(step)?;
    check_lengths("sgd_step", params.len(), &[("grads", grads.len())])?;
    let use_momentum = hyper.momentum != 0.0;
    if use_momentum {
        check_lengths("sgd_step", params.len(), &[("momentum_buffer", momentum_buffer.len())])?;
    }
    let s = SgdScalars {
        lr: hyper.lr as f32,
        weight_decay: hyper.weight_decay as f32,
        momentum: hyper.momentum as f32,
        one_minus_dampening: (1.0 - hyper.dampening) as f32,
        nesterov: hyper.nesterov,
        first: step == 1,
    };
    let chunks = params.par_chunks_mut(CHUNK).zip(grads.par_chunks(CHUNK));
    if use_momentum {
        chunks
            .zip(momentum_buffer.par_chunks_mut(CHUNK))
            .for_each(|((p, g), buf)| with_chunk_gradient(p.len(), |d| sgd_update(p, g, Some(buf), d, &s)));
    } else {
        chunks.for_each(|(p, g)| with_chunk_gradient(p.len(), |d| sgd_update(p, g, None, d, &s)));
    }
    Ok(())
}

/// The SGD update for one chunk; `buf` is the chunk's momentum buffer when momentum is used,
/// `d` (the chunk's length) holds the update direction. Each pass is a plain loop over slices
/// that vectorises.
fn sgd_update(p: &mut [f32], g: &[f32], buf: Option<&mut [f32]>, d: &mut [f32], s: &SgdScalars) {
    if s.weight_decay != 0.0 {
        add_weight_decay(g, p, s.weight_decay, d);
    } else {
        d.copy_from_slice(g);
    }
    if let Some(buf) = buf {
        if s.first {
            buf.copy_from_slice(d);
        } else {
            for (b, &d) in buf.iter_mut().zip(d.iter()) {
                *b = *b * s.momentum + s.one_minus_dampening * d;
            }
        }
        if s.nesterov {
            for (d, &b) in d.iter_mut().zip(buf.iter()) {
                *d += s.momentum * b;
            }
        } else {
            d.copy_from_slice(buf);
        }
    }
    for (p, &d) in p.iter_mut().zip(d.iter()) {
        *p -= s.lr * d;
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

    /// PyTorch's `_single_tensor_adam` / `_single_tensor_adamw` for one step, in f64.
    fn reference_adam(p: &mut [f64], g: &[f64], m: &mut [f64], v: &mut [f64], step: u32, h: &Adam) {
        let t = step as f64;
        let (bc1, bc2) = (1.0 - h.beta1.powf(t), 1.0 - h.beta2.powf(t));
        for i in 0..p.len() {
            let mut grad = g[i];
            if h.decoupled {
                p[i] *= 1.0 - h.lr * h.weight_decay;
            } else if h.weight_decay != 0.0 {
                grad += h.weight_decay * p[i];
            }
            m[i] = h.beta1 * m[i] + (1.0 - h.beta1) * grad;
            v[i] = h.beta2 * v[i] + (1.0 - h.beta2) * grad * grad;
            let denom = v[i].sqrt() / bc2.sqrt() + h.eps;
            p[i] -= h.lr / bc1 * m[i] / denom;
        }
    }

    /// PyTorch's `_single_tensor_sgd` for one step, in f64.
    fn reference_sgd(p: &mut [f64], g: &[f64], buf: &mut [f64], step: u32, h: &Sgd) {
        for i in 0..p.len() {
            let mut d = g[i] + h.weight_decay * p[i];
            if h.momentum != 0.0 {
                buf[i] = if step == 1 { d } else { h.momentum * buf[i] + (1.0 - h.dampening) * d };
                d = if h.nesterov { d + h.momentum * buf[i] } else { buf[i] };
            }
            p[i] -= h.lr * d;
        }
    }

    /// Gradients for 3 steps over `len` parameters (more than one chunk, with a ragged tail).
    fn gradients(rng: &mut Rng, len: usize) -> Vec<Vec<f32>> {
        (0..3).map(|_| rng.vec(len)).collect()
    }

    fn adam_configs() -> Vec<Adam> {
        let base = Adam { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.0, decoupled: false };
        vec![
            base,
            Adam { weight_decay: 0.1, ..base },
            Adam { weight_decay: 0.05, decoupled: true, ..base },
            Adam { decoupled: true, ..base },
            Adam { lr: 3e-3, beta1: 0.5, beta2: 0.9, eps: 1e-3, weight_decay: 0.2, decoupled: false },
        ]
    }

    fn sgd_configs() -> Vec<Sgd> {
        let base = Sgd { lr: 0.1, momentum: 0.0, dampening: 0.0, weight_decay: 0.0, nesterov: false };
        vec![
            base,
            Sgd { weight_decay: 5e-4, ..base },
            Sgd { momentum: 0.9, ..base },
            Sgd { momentum: 0.9, weight_decay: 1e-2, ..base },
            Sgd { momentum: 0.9, nesterov: true, ..base },
            Sgd { momentum: 0.9, nesterov: true, weight_decay: 1e-2, ..base },
            Sgd { momentum: 0.8, dampening: 0.3, ..base },
            Sgd { momentum: 0.8, dampening: 0.3, weight_decay: 1e-2, ..base },
        ]
    }

    #[test]
    fn adam_and_adamw_match_float64_pytorch_formulas_over_three_steps() {
        let _guard = POOL_LOCK.lock().unwrap();
        threads::start_native_pool(2).unwrap();
        let mut rng = Rng::new(31);
        for len in [1, 7, 2 * CHUNK + 5] {
            for h in adam_configs() {
                let mut p = rng.vec(len);
                let (mut m, mut v) = (vec![0.0; len], vec![0.0; len]);
                let (mut p64, mut m64, mut v64) = (to_f64(&p), vec![0.0; len], vec![0.0; len]);
                for (t, g) in gradients(&mut rng, len).iter().enumerate() {
                    let step = t as u32 + 1;
                    let g_before = g.clone();
                    adam_step(&mut p, g, &mut m, &mut v, step, &h).unwrap();
                    assert_eq!(g, &g_before, "grads are read only");
                    reference_adam(&mut p64, &to_f64(g), &mut m64, &mut v64, step, &h);
                    let what = format!("{h:?} len {len} step {step}");
                    assert_close(&p, &p64, 1e-5, 1e-6, &format!("params {what}"));
                    assert_close(&m, &m64, 1e-5, 1e-7, &format!("exp_avg {what}"));
                    assert_close(&v, &v64, 1e-5, 1e-8, &format!("exp_avg_sq {what}"));
                }
            }
        }
        threads::stop_pool();
    }

    #[test]
    fn sgd_matches_float64_pytorch_formulas_over_three_steps() {
        let _guard = POOL_LOCK.lock().unwrap();
        threads::start_native_pool(2).unwrap();
        let mut rng = Rng::new(41);
        for len in [1, 7, 2 * CHUNK + 5] {
            for h in sgd_configs() {
                let mut p = rng.vec(len);
                let mut buf = if h.momentum != 0.0 { vec![f32::NAN; len] } else { Vec::new() };
                let (mut p64, mut buf64) = (to_f64(&p), vec![0.0; len]);
                for (t, g) in gradients(&mut rng, len).iter().enumerate() {
                    let step = t as u32 + 1;
                    sgd_step(&mut p, g, &mut buf, step, &h).unwrap();
                    reference_sgd(&mut p64, &to_f64(g), &mut buf64, step, &h);
                    let what = format!("{h:?} len {len} step {step}");
                    assert_close(&p, &p64, 1e-5, 1e-6, &format!("params {what}"));
                    if h.momentum != 0.0 {
                        assert_close(&buf, &buf64, 1e-5, 1e-6, &format!("momentum_buffer {what}"));
                    }
                }
            }
        }
        threads::stop_pool();
    }

    #[test]
    fn updates_are_identical_for_one_and_two_threads() {
        let _guard = POOL_LOCK.lock().unwrap();
        let mut rng = Rng::new(51);
        let len = 5 * CHUNK + 123;
        let (p0, grads) = (rng.vec(len), gradients(&mut rng, len));
        let adam = Adam { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.01, decoupled: true };
        let sgd = Sgd { lr: 0.05, momentum: 0.9, dampening: 0.0, weight_decay: 1e-4, nesterov: true };
        let mut results = Vec::new();
        for n in [1, 2] {
            threads::start_native_pool(n).unwrap();
            let (mut p, mut m, mut v) = (p0.clone(), vec![0.0; len], vec![0.0; len]);
            let (mut q, mut buf) = (p0.clone(), vec![0.0; len]);
            for (t, g) in grads.iter().enumerate() {
                adam_step(&mut p, g, &mut m, &mut v, t as u32 + 1, &adam).unwrap();
                sgd_step(&mut q, g, &mut buf, t as u32 + 1, &sgd).unwrap();
            }
            results.push((p, m, v, q, buf));
        }
        threads::stop_pool();
        assert!(results[0] == results[1]);
    }

    #[test]
    fn invalid_hyper_parameters_and_lengths_are_rejected_before_any_change() {
        let adam = Adam { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.0, decoupled: false };
        let (mut p, g, mut m, mut v) = (vec![1.0f32; 4], vec![1.0f32; 4], vec![0.0f32; 4], vec![0.0f32; 4]);
        let mut adam_err = |h: Adam, step: u32, m: &mut [f32]| adam_step(&mut p, &g, m, &mut v, step, &h).unwrap_err();
        assert_eq!(adam_err(adam, 0, &mut m), "adam_step: step counts from 1, got 0");
        assert_eq!(adam_err(Adam { lr: -1.0, ..adam }, 1, &mut m), "adam_step: Invalid learning rate: -1");
        assert_eq!(adam_err(Adam { eps: f64::NAN, ..adam }, 1, &mut m), "adam_step: Invalid epsilon value: NaN");
        assert!(adam_err(Adam { beta2: 1.0, ..adam }, 1, &mut m).contains("Invalid beta parameter at index 1: 1"));
        assert!(adam_err(Adam { weight_decay: -0.1, ..adam }, 1, &mut m).contains("Invalid weight_decay value: -0.1"));
        assert_eq!(adam_err(adam, 1, &mut m[..3]), "adam_step: exp_avg has 3 elements, but params has 4");
        assert_eq!(p, [1.0; 4]);

        let sgd = Sgd { lr: 0.1, momentum: 0.9, dampening: 0.0, weight_decay: 0.0, nesterov: true };
        let mut buf = vec![0.0f32; 4];
        let mut sgd_err = |h: Sgd, buf: &mut [f32]| sgd_step(&mut p, &g, buf, 1, &h).unwrap_err();
        assert!(sgd_err(Sgd { dampening: 0.1, ..sgd }, &mut buf)
            .contains("Nesterov momentum requires a momentum and zero dampening"));
        assert!(sgd_err(Sgd { momentum: 0.0, ..sgd }, &mut buf)
            .contains("Nesterov momentum requires a momentum and zero dampening"));
        assert_eq!(
            sgd_err(Sgd { momentum: -0.5, nesterov: false, ..sgd }, &mut buf),
            "sgd_step: Invalid momentum value: -0.5"
        );
        assert_eq!(sgd_err(sgd, &mut []), "sgd_step: momentum_buffer has 0 elements, but params has 4");
        assert_eq!(p, [1.0; 4]);
        // Without momentum the buffer is not needed.
        sgd_step(&mut p, &g, &mut [], 1, &Sgd { momentum: 0.0, nesterov: false, ..sgd }).unwrap();
        assert_eq!(p, [0.9; 4]);
    }
}
