//! Pooling over the planes of NCHW f32 tensors:
//! - max pooling, exactly PyTorch's `nn.MaxPool2d` in floor mode with dilation 1: padding counts
//!   as -inf, the forward also writes each output's arg-max as a `u32` index `h·W + w` into its
//!   input plane (PyTorch's `return_indices`), and the backward scatters `grad_output` to those
//!   indices. Ties keep the first maximum in scan order (row, then column) and NaN wins, as in
//!   PyTorch's `if (val > maxval || isnan(val))`. A 2x2 stride-2 unpadded window has a fast path.
//! - adaptive average pooling to 1x1 (`nn.AdaptiveAvgPool2d(1)`): the mean of each plane.
//!
//! Planes run in parallel and each plane is computed by one task in a fixed order, so results
//! are bit-identical for any thread count.

use rayon::prelude::*;

/// A validated max-pool: input shape `[N, C, H, W]`, window, stride, padding and the output
/// size `[OH, OW]` (floor mode). Build it with [`MaxPool2d::new`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MaxPool2d {
    input: [usize; 4],
    kernel: [usize; 2],
    stride: [usize; 2],
    padding: [usize; 2],
    output: [usize; 2],
}

impl MaxPool2d {
    /// Checks a max-pool as PyTorch does (positive kernel and stride, non-empty `C, H, W`,
    /// padding at most half the kernel, at least one output row and column) and computes its
    /// output size. `input` is `[N, C, H, W]`; `kernel`, `stride`, `padding` are `[h, w]`.
    /// Errors name `op`.
    pub fn new(
        op: &str,
        input: [usize; 4],
        kernel: [usize; 2],
        stride: [usize; 2],
        padding: [usize; 2],
    ) -> Result<Self, String> {
        let [_, channels, height, width] = input;
        if kernel.contains(&0) {
            return Err(format!("{op}: kernel size must be positive, got {}x{}", kernel[0], kernel[1]));
        }
        if stride.contains(&0) {
            return Err(format!("{op}: stride must be positive, got {}x{}", stride[0], stride[1]));
        }
        if channels == 0 || height == 0 || width == 0 {
            return Err(format!(
                "{op}: input {} has an empty channel or spatial dimension",
                crate::api::format_shape(&input)
            ));
        }
        for (p, k) in padding.into_iter().zip(kernel) {
            if p > k / 2 {
                return Err(format!("{op}: padding {p} must be at most half the kernel {k}"));
            }
        }
        let size = |i: usize| {
            let span = input[2 + i].checked_add(2 * padding[i])?.checked_sub(kernel[i])?;
            Some(span / stride[i] + 1)
        };
        let (Some(out_h), Some(out_w)) = (size(0), size(1)) else {
            return Err(format!(
                "{op}: output size is too small: input {height}x{width} with kernel {}x{} and padding {}x{} leaves no window",
                kernel[0], kernel[1], padding[0], padding[1]
            ));
        };
        let pool = MaxPool2d { input, kernel, stride, padding, output: [out_h, out_w] };
        check_numel(op, &pool.input_shape())?;
        check_numel(op, &pool.output_shape())?;
        if height * width - 1 > u32::MAX as usize {
            return Err(format!("{op}: a {height}x{width} plane is too large for u32 indices"));
        }
        Ok(pool)
    }

    /// `[N, C, H, W]`.
    pub fn input_shape(&self) -> [usize; 4] {
        self.input
    }

    /// `[N, C, OH, OW]` (also the shape of the indices).
    pub fn output_shape(&self) -> [usize; 4] {
        [self.input[0], self.input[1], self.output[0], self.output[1]]
    }

    fn input_plane(&self) -> usize {
        self.input[2] * self.input[3]
    }

    fn output_plane(&self) -> usize {
        self.output[0] * self.output[1]
    }

    fn is_2x2_stride_2(&self) -> bool {
        self.kernel == [2, 2] && self.stride == [2, 2] && self.padding == [0, 0]
    }

    /// The input rows (`dim` 0) or columns (`dim` 1) under output position `o`, clipped to
    /// the input (never empty, since the padding is at most half the kernel). In i64, which
    /// holds any 32-bit (wasm32) geometry without overflow.
    fn window(&self, dim: usize, o: usize) -> std::ops::Range<usize> {
        let start = o as i64 * self.stride[dim] as i64 - self.padding[dim] as i64;
        let end = (start + self.kernel[dim] as i64).min(self.input[2 + dim] as i64);
        start.max(0) as usize..end as usize
    }
}

/// Checks that a tensor of `shape`, and any product of some of its dimensions, has a countable
/// number of elements (zero dimensions count as 1, so they do not hide an overflow elsewhere).
fn check_numel(op: &str, shape: &[usize]) -> Result<(), String> {
    match shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d.max(1))) {
        Some(_) => Ok(()),
        None => Err(format!("{op}: tensor of shape {} has too many elements", crate::api::format_shape(shape))),
    }
}

/// Max-pool forward. `input`: `[N, C, H, W]`; `output` and `indices`: `[N, C, OH, OW]` (see
/// [`MaxPool2d::output_shape`]); `indices` gets each output's arg-max `h·W + w` in its plane.
pub fn max_pool2d_forward(pool: &MaxPool2d, input: &[f32], output: &mut [f32], indices: &mut [u32]) {
    let (in_plane, out_plane) = (pool.input_plane(), pool.output_plane());
    let fast = pool.is_2x2_stride_2();
    let planes = output.par_chunks_mut(out_plane).zip(indices.par_chunks_mut(out_plane));
    planes.zip(input.par_chunks(in_plane)).for_each(|((y, idx), x)| {
        if fast {
            forward_plane_2x2(pool, x, y, idx)
        } else {
            forward_plane(pool, x, y, idx)
        }
    });
}

/// Max-pool backward: `grad_input` (`[N, C, H, W]`, overwritten) gets each `grad_output`
/// element (`[N, C, OH, OW]`) added at its arg-max from `indices` (`[N, C, OH, OW]`, from
/// [`max_pool2d_forward`]); overlapping windows add up. Fails if an index lies outside its
/// plane.
pub fn max_pool2d_backward(
    pool: &MaxPool2d,
    grad_output: &[f32],
    indices: &[u32],
    grad_input: &mut [f32],
) -> Result<(), String> {
    let (in_plane, out_plane) = (pool.input_plane(), pool.output_plane());
    let planes = grad_output.par_chunks(out_plane).zip(indices.par_chunks(out_plane));
    grad_input.par_chunks_mut(in_plane).zip(planes).try_for_each(|(grad_in, (grad_out, idx))| {
        grad_in.fill(0.0);
        for (&g, &i) in grad_out.iter().zip(idx) {
            let Some(dst) = grad_in.get_mut(i as usize) else {
                let [_, _, h, w] = pool.input;
                return Err(format!("max_pool2d_backward: index {i} lies outside the {h}x{w} input plane"));
            };
            *dst += g;
        }
        Ok(())
    })
}

/// Keeps `(value, index)` as the running maximum unless `best` is larger or equal; NaN always
/// replaces it (PyTorch's `if (val > maxval || isnan(val))`).
#[inline(always)]
fn take_max(best: &mut (f32, u32), value: f32, index: usize) {
    if value > best.0 || value.is_nan() {
        *best = (value, index as u32);
    }
}

/// General max-pool of one plane.
fn forward_plane(pool: &MaxPool2d, x: &[f32], y: &mut [f32], idx: &mut [u32]) {
    let width = pool.input[3];
    let rows = y.chunks_exact_mut(pool.output[1]).zip(idx.chunks_exact_mut(pool.output[1]));
    for (oh, (y, idx)) in rows.enumerate() {
        let hs = pool.window(0, oh);
        for (ow, (y, idx)) in y.iter_mut().zip(idx).enumerate() {
            let ws = pool.window(1, ow);
            let mut best = (f32::NEG_INFINITY, (hs.start * width + ws.start) as u32);
            for h in hs.clone() {
                for w in ws.clone() {
                    take_max(&mut best, x[h * width + w], h * width + w);
                }
            }
            (*y, *idx) = best;
        }
    }
}

/// Max-pool of one plane with a 2x2 window, stride 2 and no padding (same results as
/// [`forward_plane`]). Without branches: on real data whether the next value is larger is a coin
/// toss, and mispredicted branches made this pass 4x slower.
fn forward_plane_2x2(pool: &MaxPool2d, x: &[f32], y: &mut [f32], idx: &mut [u32]) {
    let width = pool.input[3];
    let ow = pool.output[1];
    let rows = y.chunks_exact_mut(ow).zip(idx.chunks_exact_mut(ow));
    for (oh, (y, idx)) in rows.enumerate() {
        let top = 2 * oh * width;
        let (r0, r1) = (&x[top..][..2 * ow], &x[top + width..][..2 * ow]);
        let pairs = r0.chunks_exact(2).zip(r1.chunks_exact(2));
        for (w, ((y, idx), (a, b))) in y.iter_mut().zip(idx.iter_mut()).zip(pairs).enumerate() {
            let at = (top + 2 * w) as u32;
            let mut best = (a[0], at);
            best = select_max(best, a[1], at + 1);
            best = select_max(best, b[0], at + width as u32);
            best = select_max(best, b[1], at + width as u32 + 1);
            (*y, *idx) = best;
        }
    }
}

/// [`take_max`] as a select instead of a branch.
#[inline(always)]
fn select_max(best: (f32, u32), value: f32, index: u32) -> (f32, u32) {
    let take = (value > best.0) | value.is_nan();
    (if take { value } else { best.0 }, if take { index } else { best.1 })
}

/// Checks an adaptive average pool's input `[N, C, H, W]` as PyTorch does (non-empty `C, H,
/// W`); errors name `op`.
pub fn check_adaptive_avg_pool2d(op: &str, input: [usize; 4]) -> Result<(), String> {
    if input[1..].contains(&0) {
        return Err(format!(
            "{op}: input {} has an empty channel or spatial dimension",
            crate::api::format_shape(&input)
        ));
    }
    check_numel(op, &input)
}

/// Adaptive average pool to 1x1: `output[p]` (`[N, C, 1, 1]`) is the mean of plane `p` of
/// `input` (`[N, C, H, W]`, `plane = H·W` elements per plane), summed in f64.
pub fn adaptive_avg_pool2d_forward(plane: usize, input: &[f32], output: &mut [f32]) {
    if plane == 0 {
        return;
    }
    output.par_iter_mut().zip(input.par_chunks(plane)).for_each(|(y, x)| *y = (sum_f64(x) / plane as f64) as f32);
}

/// Adaptive average pool to 1x1, backward: every element of plane `p` of `grad_input`
/// (`[N, C, H, W]`, overwritten, `plane = H·W`) is `grad_output[p] / (H·W)`.
pub fn adaptive_avg_pool2d_backward(plane: usize, grad_output: &[f32], grad_input: &mut [f32]) {
    if plane == 0 {
        return;
    }
    grad_input.par_chunks_mut(plane).zip(grad_output.par_iter()).for_each(|(dx, &dy)| {
        dx.fill((dy as f64 / plane as f64) as f32);
    });
}

/// Σ x in four f64 accumulators (vectorisable, and exact enough for any plane size).
fn sum_f64(x: &[f32]) -> f64 {
    let (chunks, tail) = x.as_chunks::<4>();
    let mut acc = [0.0f64; 4];
    for c in chunks {
        for l in 0..4 {
            acc[l] += c[l] as f64;
        }
    }
    acc.iter().sum::<f64>() + tail.iter().map(|&v| v as f64).sum::<f64>()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{assert_close, Rng, POOL_LOCK};
    use crate::threads;

    /// `len` distinct values, 0.01 apart, in random order.
    fn distinct(rng: &mut Rng, len: usize) -> Vec<f32> {
        let mut v: Vec<f32> = (0..len).map(|i| i as f32 * 0.01 - 1.0).collect();
        for i in (1..len).rev() {
            let j = (((rng.next_f32() + 1.0) * 0.5 * (i + 1) as f32) as usize).min(i);
            v.swap(i, j);
        }
        v
    }

    /// Float64 max-pool: the outputs and the first arg-max of each window.
    fn reference(pool: &MaxPool2d, x: &[f64]) -> (Vec<f64>, Vec<u32>) {
        let [n, c, h, w] = pool.input;
        let [oh, ow] = pool.output;
        let (mut y, mut idx) = (vec![], vec![]);
        for plane in 0..n * c {
            for i in 0..oh {
                for j in 0..ow {
                    let mut best = (f64::NEG_INFINITY, 0);
                    for kr in 0..pool.kernel[0] {
                        for kc in 0..pool.kernel[1] {
                            let r = (i * pool.stride[0] + kr) as isize - pool.padding[0] as isize;
                            let q = (j * pool.stride[1] + kc) as isize - pool.padding[1] as isize;
                            if r < 0 || q < 0 || r >= h as isize || q >= w as isize {
                                continue;
                            }
                            let k = r as usize * w + q as usize;
                            if x[plane * h * w + k] > best.0 {
                                best = (x[plane * h * w + k], k as u32);
                            }
                        }
                    }
                    y.push(best.0);
                    idx.push(best.1);
                }
            }
        }
        (y, idx)
    }

    fn forward(pool: &MaxPool2d, x: &[f32]) -> (Vec<f32>, Vec<u32>) {
        let len = pool.output_shape().iter().product();
        let (mut y, mut idx) = (vec![f32::NAN; len], vec![u32::MAX; len]);
        max_pool2d_forward(pool, x, &mut y, &mut idx);
        (y, idx)
    }

    fn backward(pool: &MaxPool2d, grad_output: &[f32], idx: &[u32]) -> Vec<f32> {
        let mut grad_input = vec![f32::NAN; pool.input_shape().iter().product()];
        max_pool2d_backward(pool, grad_output, idx, &mut grad_input).unwrap();
        grad_input
    }

    /// Each plane computed by the general path alone.
    fn forward_general(pool: &MaxPool2d, x: &[f32]) -> (Vec<f32>, Vec<u32>) {
        let len = pool.output_shape().iter().product();
        let (mut y, mut idx) = (vec![0.0; len], vec![0; len]);
        let (ip, op) = (pool.input_plane(), pool.output_plane());
        for ((y, idx), x) in y.chunks_mut(op).zip(idx.chunks_mut(op)).zip(x.chunks(ip)) {
            forward_plane(pool, x, y, idx);
        }
        (y, idx)
    }

    fn to_f64(v: &[f32]) -> Vec<f64> {
        v.iter().map(|&x| x as f64).collect()
    }

    /// (input, kernel, stride, padding).
    type Case = ([usize; 4], [usize; 2], [usize; 2], [usize; 2]);

    /// Overlapping, non-square, the 2x2 fast path, odd sizes, batch 1.
    const CASES: [Case; 7] = [
        ([2, 3, 7, 9], [3, 3], [2, 2], [1, 1]),
        ([1, 2, 5, 6], [2, 3], [1, 1], [0, 0]),
        ([2, 2, 6, 7], [3, 2], [1, 2], [1, 1]),
        ([3, 1, 8, 6], [2, 2], [2, 2], [0, 0]),
        ([1, 3, 7, 5], [2, 2], [2, 2], [0, 0]),
        ([1, 1, 4, 3], [1, 1], [1, 1], [0, 0]),
        ([1, 2, 3, 3], [3, 3], [1, 1], [1, 1]),
    ];

    #[test]
    fn max_pool_matches_float64_and_finite_differences() {
        let mut rng = Rng::new(31);
        for (input, kernel, stride, padding) in CASES {
            let pool = MaxPool2d::new("test", input, kernel, stride, padding).unwrap();
            let what = |name: &str| format!("{name} for {input:?} k={kernel:?} s={stride:?} p={padding:?}");
            let len = input.iter().product();
            let x = distinct(&mut rng, len);
            let (y, idx) = forward(&pool, &x);
            let (want_y, want_idx) = reference(&pool, &to_f64(&x));
            assert_close(&y, &want_y, 0.0, 0.0, &what("output"));
            assert_eq!(idx, want_idx, "{}", what("indices"));

            let r = rng.vec(y.len());
            let grad_input = backward(&pool, &r, &idx);
            let (h, x64) = (1e-3, to_f64(&x));
            let loss = |x: &[f64]| reference(&pool, x).0.iter().zip(&r).map(|(y, &r)| y * r as f64).sum::<f64>();
            let want: Vec<f64> = (0..len)
                .map(|i| {
                    let mut p = x64.clone();
                    p[i] += h;
                    let up = loss(&p);
                    p[i] -= 2.0 * h;
                    (up - loss(&p)) / (2.0 * h)
                })
                .collect();
            assert_close(&grad_input, &want, 1e-6, 1e-6, &what("grad_input"));
        }
    }

    #[test]
    fn fast_path_equals_general_path_with_ties_and_nan() {
        let mut rng = Rng::new(32);
        for input in [[2, 3, 8, 6], [1, 2, 7, 9], [3, 1, 2, 2], [1, 1, 5, 3]] {
            let pool = MaxPool2d::new("test", input, [2, 2], [2, 2], [0, 0]).unwrap();
            assert!(pool.is_2x2_stride_2());
            let len = input.iter().product();
            // Few distinct values, so windows tie often; some NaN.
            let x: Vec<f32> =
                rng.vec(len).iter().map(|v| if *v > 0.9 { f32::NAN } else { (v * 2.0).round() }).collect();
            let (fast, general) = (forward(&pool, &x), forward_general(&pool, &x));
            assert_eq!(fast.1, general.1, "indices for {input:?}");
            let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&fast.0), bits(&general.0), "output for {input:?}");
        }
    }

    #[test]
    fn ties_take_the_first_maximum_and_nan_the_last_nan() {
        let pool = MaxPool2d::new("test", [1, 1, 3, 4], [3, 3], [2, 2], [1, 1]).unwrap();
        assert_eq!(pool.output_shape(), [1, 1, 2, 2]);
        let (y, idx) = forward(&pool, &[0.0; 12]);
        assert_eq!((y, idx), (vec![0.0; 4], vec![0, 1, 4, 5]));
        // Window (0, 0) covers rows 0-1, columns 0-1; NaN at 1 and 4 -> the later one wins.
        let mut x = [-1.0f32; 12];
        (x[1], x[4], x[5]) = (f32::NAN, f32::NAN, 7.0);
        let (y, idx) = forward(&pool, &x);
        assert!(y[0].is_nan() && idx[0] == 4);
        let (y, idx) = forward(&pool, &[f32::NEG_INFINITY; 12]);
        assert_eq!((y, idx), (vec![f32::NEG_INFINITY; 4], vec![0, 1, 4, 5]));
    }

    #[test]
    fn max_pool_checks_its_geometry_like_pytorch() {
        let op = "max_pool2d_forward";
        let err = |input, kernel, stride, padding| MaxPool2d::new(op, input, kernel, stride, padding).unwrap_err();
        assert_eq!(
            err([1, 1, 9, 9], [3, 5], [1, 1], [2, 1]),
            "max_pool2d_forward: padding 2 must be at most half the kernel 3"
        );
        assert_eq!(
            err([1, 1, 9, 9], [3, 3], [1, 1], [1, 2]),
            "max_pool2d_forward: padding 2 must be at most half the kernel 3"
        );
        assert_eq!(
            err([1, 1, 9, 9], [0, 3], [1, 1], [0, 0]),
            "max_pool2d_forward: kernel size must be positive, got 0x3"
        );
        assert_eq!(err([1, 1, 9, 9], [2, 2], [2, 0], [0, 0]), "max_pool2d_forward: stride must be positive, got 2x0");
        assert_eq!(
            err([2, 0, 9, 9], [2, 2], [2, 2], [0, 0]),
            "max_pool2d_forward: input [2, 0, 9, 9] has an empty channel or spatial dimension"
        );
        assert_eq!(
            err([1, 1, 2, 5], [3, 3], [1, 1], [0, 0]),
            "max_pool2d_forward: output size is too small: input 2x5 with kernel 3x3 and padding 0x0 leaves no window"
        );
        assert!(err([usize::MAX, 2, 3, 3], [1, 1], [1, 1], [0, 0]).contains("too many elements"));
        // Floor mode: (7 + 2 - 3) / 2 + 1 = 4, (9 - 3) / 2 + 1 = 4.
        let pool = MaxPool2d::new(op, [0, 2, 7, 9], [3, 3], [2, 2], [1, 0]).unwrap();
        assert_eq!(pool.output_shape(), [0, 2, 4, 4]);
        let (y, idx) = forward(&pool, &[]);
        assert!(y.is_empty() && idx.is_empty());
    }

    #[test]
    fn max_pool_backward_rejects_indices_outside_the_plane() {
        let pool = MaxPool2d::new("test", [1, 2, 2, 2], [2, 2], [2, 2], [0, 0]).unwrap();
        let mut grad_input = [0.0; 8];
        let err = max_pool2d_backward(&pool, &[1.0, 1.0], &[3, 4], &mut grad_input).unwrap_err();
        assert_eq!(err, "max_pool2d_backward: index 4 lies outside the 2x2 input plane");
    }

    #[test]
    fn adaptive_avg_pool_matches_float64_and_finite_differences() {
        let mut rng = Rng::new(33);
        for input in [[2, 3, 5, 7], [1, 4, 1, 1], [3, 2, 8, 8], [1, 1, 2, 9]] {
            check_adaptive_avg_pool2d("test", input).unwrap();
            let plane = input[2] * input[3];
            let x = rng.vec(input.iter().product());
            let mut y = vec![f32::NAN; input[0] * input[1]];
            adaptive_avg_pool2d_forward(plane, &x, &mut y);
            let mean = |x: &[f64]| x.chunks(plane).map(|p| p.iter().sum::<f64>() / plane as f64).collect::<Vec<_>>();
            let x64 = to_f64(&x);
            assert_close(&y, &mean(&x64), 1e-6, 1e-7, "adaptive output");

            let r = rng.vec(y.len());
            let mut grad_input = vec![f32::NAN; x.len()];
            adaptive_avg_pool2d_backward(plane, &r, &mut grad_input);
            let h = 1e-6;
            let loss = |x: &[f64]| mean(x).iter().zip(&r).map(|(y, &r)| y * r as f64).sum::<f64>();
            let want: Vec<f64> = (0..x.len())
                .map(|i| {
                    let mut p = x64.clone();
                    p[i] += h;
                    let up = loss(&p);
                    p[i] -= 2.0 * h;
                    (up - loss(&p)) / (2.0 * h)
                })
                .collect();
            assert_close(&grad_input, &want, 1e-6, 1e-8, "adaptive grad_input");
        }
        assert_eq!(
            check_adaptive_avg_pool2d("adaptive_avg_pool2d_forward", [1, 3, 0, 4]).unwrap_err(),
            "adaptive_avg_pool2d_forward: input [1, 3, 0, 4] has an empty channel or spatial dimension"
        );
    }

    #[test]
    fn results_are_identical_on_one_and_two_threads() {
        let _guard = POOL_LOCK.lock().unwrap();
        let mut rng = Rng::new(34);
        let shape = [4, 6, 17, 13];
        let x = rng.vec(shape.iter().product());
        let pools = [
            MaxPool2d::new("test", shape, [3, 3], [2, 2], [1, 1]).unwrap(),
            MaxPool2d::new("test", shape, [2, 2], [2, 2], [0, 0]).unwrap(),
        ];
        let run = |n: usize| {
            threads::start_native_pool(n).unwrap();
            threads::run(|| {
                let mut out = vec![];
                for pool in &pools {
                    let (y, idx) = forward(pool, &x);
                    let r: Vec<f32> = (0..y.len()).map(|i| (i % 7) as f32 - 3.0).collect();
                    let grad_input = backward(pool, &r, &idx);
                    out.push((y, idx, grad_input));
                }
                let mut avg = vec![0.0; shape[0] * shape[1]];
                adaptive_avg_pool2d_forward(shape[2] * shape[3], &x, &mut avg);
                let mut grad = vec![0.0; x.len()];
                adaptive_avg_pool2d_backward(shape[2] * shape[3], &avg, &mut grad);
                (out, avg, grad)
            })
        };
        let one = run(1);
        assert!(one == run(2));
        threads::stop_pool();
    }
}
