//! Element-wise arithmetic on flat f32 tensors of one shape (any shape): `add` (`out = a + b`),
//! `add_into` (`dst += src`, how the autograd tape accumulates gradients), the fused residual
//! join `add_relu` (`out = max(a + b, 0)`) and `scale` (`out = a·s`); and the parallel maps that
//! these and the activations ([`crate::activation`]) are built from.
//!
//! Backward passes need no kernels of their own: `add`'s gradient is grad_output itself, for
//! both inputs; `add_relu`'s is ReLU's backward on its output
//! ([`crate::activation::relu_backward`]: grad_output where the output is > 0), again the same
//! for both inputs; `scale`'s is `scale` of grad_output by the same factor.
//!
//! Threads: a tensor is cut into fixed chunks of [`CHUNK`] elements, run as parallel tasks; a
//! tensor of at most one chunk is done on the calling thread without rayon, and [`run`] (which
//! the bindings go through) then does not wake the pool either: the tape accumulates many small
//! gradients (biases, BatchNorm parameters), each far cheaper than a round trip to the pool.
//! Every element is computed alone, so results never depend on the thread count or the
//! chunking. All maps share one non-generic driver ([`for_each_chunk`]), so that rayon's code is
//! compiled once. SIMD: the loops are plain zips over slices, which LLVM vectorises (simd128).

use crate::activation::relu;
use rayon::prelude::*;

/// Elements per parallel task: large enough to amortise scheduling, small enough to balance.
pub const CHUNK: usize = 1 << 14;

/// Runs the element-wise kernel `op` over `len` elements: inside the pool
/// ([`crate::threads::run`]) when it has more than one chunk, else directly on this thread.
pub fn run<R: Send>(len: usize, op: impl FnOnce() -> R + Send) -> R {
    if len > CHUNK {
        crate::threads::run(op)
    } else {
        op()
    }
}

/// `out = a + b`; all the same length.
pub fn add(a: &[f32], b: &[f32], out: &mut [f32]) {
    zip_map(a, b, out, |a, b| a + b);
}

/// `dst += src`; both the same length.
pub fn add_into(dst: &mut [f32], src: &[f32]) {
    zip_map_in_place(dst, src, |d, s| d + s);
}

/// `out = max(a + b, 0)` (NaN propagates, as in PyTorch's `relu(a + b)`); all the same length.
pub fn add_relu(a: &[f32], b: &[f32], out: &mut [f32]) {
    zip_map(a, b, out, |a, b| relu(a + b));
}

/// [`add_relu`] written over one of the inputs: `dst = max(dst + other, 0)` (addition is
/// commutative, so `dst` may be either input).
pub fn add_relu_in_place(dst: &mut [f32], other: &[f32]) {
    zip_map_in_place(dst, other, |d, o| relu(d + o));
}

/// `out = a·s`; both the same length.
pub fn scale(a: &[f32], s: f32, out: &mut [f32]) {
    map(a, out, |v| v * s);
}

/// [`scale`] written over the input: `data *= s`.
pub fn scale_in_place(data: &mut [f32], s: f32) {
    map_in_place(data, |v| v * s);
}

/// `out[i] = f(a[i])`, in parallel chunks.
pub fn map(a: &[f32], out: &mut [f32], f: impl Fn(f32) -> f32 + Sync) {
    for_each_chunk(out, &|o, at| {
        let a = &a[at..][..o.len()];
        o.iter_mut().zip(a).for_each(|(o, &a)| *o = f(a));
    });
}

/// `data[i] = f(data[i])`, in parallel chunks.
pub fn map_in_place(data: &mut [f32], f: impl Fn(f32) -> f32 + Sync) {
    for_each_chunk(data, &|d, _| d.iter_mut().for_each(|v| *v = f(*v)));
}

/// `out[i] = f(a[i], b[i])`, in parallel chunks.
pub fn zip_map(a: &[f32], b: &[f32], out: &mut [f32], f: impl Fn(f32, f32) -> f32 + Sync) {
    for_each_chunk(out, &|o, at| {
        let (a, b) = (&a[at..][..o.len()], &b[at..][..o.len()]);
        o.iter_mut().zip(a.iter().zip(b)).for_each(|(o, (&a, &b))| *o = f(a, b));
    });
}

/// `a[i] = f(a[i], b[i])`, in parallel chunks.
pub fn zip_map_in_place(a: &mut [f32], b: &[f32], f: impl Fn(f32, f32) -> f32 + Sync) {
    for_each_chunk(a, &|a, at| {
        let b = &b[at..][..a.len()];
        a.iter_mut().zip(b).for_each(|(a, &b)| *a = f(*a, b));
    });
}

/// Calls `body(piece, offset)` on each [`CHUNK`]-long piece of `data`, which starts at element
/// `offset`: in parallel, or directly when `data` is one chunk. Not generic, so that rayon's
/// machinery is compiled once for all the maps rather than once per kernel (`body` is called
/// once a chunk).
fn for_each_chunk(data: &mut [f32], body: &(dyn Fn(&mut [f32], usize) + Sync)) {
    if data.len() <= CHUNK {
        body(data, 0);
    } else {
        data.par_chunks_mut(CHUNK).enumerate().for_each(|(c, piece)| body(piece, c * CHUNK));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activation::relu_backward;
    use crate::test_support::{assert_close, Rng, POOL_LOCK};
    use crate::threads;

    /// Lengths around the chunk boundaries: the sequential path, one full chunk, several chunks.
    const LENGTHS: [usize; 5] = [1, 7, CHUNK, CHUNK + 1, 3 * CHUNK + 17];

    /// `f(a, b)` in float64, rounded to f32: for a sum or product of two f32s this is the
    /// correctly rounded f32 result (float64 has more than 2·24 + 2 bits), so it must equal the
    /// kernel's exactly.
    fn rounded(a: &[f32], b: &[f32], f: impl Fn(f64, f64) -> f64) -> Vec<f32> {
        a.iter().zip(b).map(|(&a, &b)| f(a as f64, b as f64) as f32).collect()
    }

    /// Run `op` on a pool of `threads` threads (the pool lock must be held).
    fn on_pool<R: Send>(threads: usize, op: impl FnOnce() -> R + Send) -> R {
        threads::start_native_pool(threads).unwrap();
        threads::run(op)
    }

    #[test]
    fn add_add_into_and_scale_are_correctly_rounded() {
        let _guard = POOL_LOCK.lock().unwrap();
        let mut rng = Rng::new(21);
        for len in LENGTHS {
            // Magnitudes spread over many binades, so that sums round.
            let a: Vec<f32> = rng.vec(len).into_iter().map(|v| v * 1e3).collect();
            let b: Vec<f32> = rng.vec(len).into_iter().map(|v| v * v * v).collect();
            let want_sum = rounded(&a, &b, |a, b| a + b);
            let got = on_pool(2, || {
                let mut out = vec![f32::NAN; len];
                add(&a, &b, &mut out);
                out
            });
            assert_eq!(got, want_sum, "add of {len}");
            let mut dst = a.clone();
            on_pool(2, || add_into(&mut dst, &b));
            assert_eq!(dst, want_sum, "add_into of {len}");

            let s = -0.37f32;
            let want_scaled = rounded(&a, &vec![s; len], |a, s| a * s);
            let got = on_pool(2, || {
                let mut out = vec![f32::NAN; len];
                scale(&a, s, &mut out);
                out
            });
            assert_eq!(got, want_scaled, "scale of {len}");
            let mut data = a.clone();
            on_pool(2, || scale_in_place(&mut data, s));
            assert_eq!(data, want_scaled, "scale_in_place of {len}");
        }
        threads::stop_pool();
    }

    #[test]
    fn add_relu_forward_and_backward_match_float64_and_finite_differences() {
        let _guard = POOL_LOCK.lock().unwrap();
        let mut rng = Rng::new(22);
        for len in LENGTHS {
            let (a, r) = (rng.vec(len), rng.vec(len));
            // b keeps a + b at least 1e-3 away from ReLU's kink at 0.
            let b: Vec<f32> = rng
                .vec(len)
                .into_iter()
                .zip(&a)
                .map(|(b, &a)| if (a + b).abs() < 1e-3 { 0.5 - a } else { b })
                .collect();
            let want: Vec<f32> = rounded(&a, &b, |a, b| (a + b).max(0.0));
            let (out, grad) = on_pool(2, || {
                let mut out = vec![f32::NAN; len];
                add_relu(&a, &b, &mut out);
                let mut grad = vec![f32::NAN; len];
                relu_backward(&r, &out, &mut grad);
                (out, grad)
            });
            assert_eq!(out, want, "add_relu of {len}");
            // L = Σ r·relu(a + b): ∂L/∂a and ∂L/∂b by central differences in float64.
            let h = 1e-6;
            let loss = |a: f64, b: f64, r: f32| (a + b).max(0.0) * r as f64;
            let fd_a: Vec<f64> = (0..len)
                .map(|i| {
                    (loss(a[i] as f64 + h, b[i] as f64, r[i]) - loss(a[i] as f64 - h, b[i] as f64, r[i])) / (2.0 * h)
                })
                .collect();
            let fd_b: Vec<f64> = (0..len)
                .map(|i| {
                    (loss(a[i] as f64, b[i] as f64 + h, r[i]) - loss(a[i] as f64, b[i] as f64 - h, r[i])) / (2.0 * h)
                })
                .collect();
            assert_close(&grad, &fd_a, 1e-6, 1e-7, "add_relu grad_a");
            assert_close(&grad, &fd_b, 1e-6, 1e-7, "add_relu grad_b");

            for first in [true, false] {
                let (mut dst, other) = if first { (a.clone(), &b) } else { (b.clone(), &a) };
                on_pool(2, || add_relu_in_place(&mut dst, other));
                assert_eq!(dst, want, "add_relu_in_place of {len} over input {}", if first { "a" } else { "b" });
            }
        }
        threads::stop_pool();
    }

    #[test]
    fn add_relu_follows_pytorch_on_zero_and_nan() {
        let a = [1.0, -1.0, f32::NAN, 0.0, -0.0];
        let b = [-1.0, 0.5, 1.0, -0.0, -0.0];
        let mut out = [9.0; 5];
        add_relu(&a, &b, &mut out);
        assert_eq!(&out[..2], &[0.0, 0.0]);
        assert!(out[2].is_nan());
        assert_eq!(&out[3..], &[0.0, 0.0]);
    }

    #[test]
    fn small_tensors_run_on_the_calling_thread() {
        // No pool, and no rayon: `run` calls the kernel directly.
        let _guard = POOL_LOCK.lock().unwrap();
        threads::stop_pool();
        let caller = std::thread::current().id();
        let (a, b) = (vec![1.5; CHUNK], vec![2.0; CHUNK]);
        let (thread, out) = run(CHUNK, || {
            let mut out = vec![0.0; CHUNK];
            add(&a, &b, &mut out);
            (std::thread::current().id(), out)
        });
        assert_eq!(thread, caller);
        assert!(out.iter().all(|&v| v == 3.5));
    }

    #[test]
    fn results_are_identical_on_1_2_and_3_threads() {
        let _guard = POOL_LOCK.lock().unwrap();
        let mut rng = Rng::new(23);
        let len = 5 * CHUNK + 3;
        let (a, b) = (rng.vec(len), rng.vec(len));
        let all = |threads: usize| {
            on_pool(threads, || {
                let (mut sum, mut joined, mut scaled) = (vec![0.0; len], vec![0.0; len], vec![0.0; len]);
                add(&a, &b, &mut sum);
                add_relu(&a, &b, &mut joined);
                scale(&a, 3.3, &mut scaled);
                let mut accumulated = a.clone();
                add_into(&mut accumulated, &b);
                [sum, joined, scaled, accumulated]
            })
        };
        let one = all(1);
        assert_eq!(one, all(2));
        assert_eq!(one, all(3));
        threads::stop_pool();
    }
}
