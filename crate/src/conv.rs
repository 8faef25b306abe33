//! 2-D convolution (PyTorch's `Conv2d`): forward, grad_input, grad_weight and grad_bias.
//!
//! Layout: NCHW f32 row-major; input `[N, Cin, H, W]`, weight `[Cout, Cin, kh, kw]`, bias
//! `[Cout]`, output `[N, Cout, OH, OW]` with `OH = (H + 2·ph − kh) / sh + 1` (floor), likewise
//! `OW`. Any kernel size, stride, zero padding and batch.
//!
//! Algorithm: im2col + GEMM ([`gemm_on`]). With `K = Cin·kh·kw` and `P = OH·OW`, the images are
//! processed in chunks of `nb` consecutive images whose column matrix `col[K, nb·P]` (row
//! `(c, i, j)`, column `(n, oy, ox)`) is built in a scratch buffer, so that one GEMM covers the
//! whole chunk:
//! - forward:     `out[Cout, nb·P] = W[Cout, K] · col` (+ bias), scattered to NCHW;
//! - grad_input:  `dcol[K, nb·P] = Wᵀ · dout[Cout, nb·P]`, then col2im (scatter-add);
//! - grad_weight: `grad_weight[Cout, K] (+)= dout · colᵀ` (or its transpose, see
//!   [`Conv2dShape::grad_weight_transposed`]), summed over the chunks.
//!
//! Why chunks: at the small spatial sizes of deep layers (4x4, 8x8) a per-image GEMM has only
//! 16–64 columns, so packing `W` would cost as much as the multiply; batching images until the
//! GEMM has about [`TARGET_COLUMNS`] columns makes it efficient, and the NCHW ⇄ `[C, nb·P]`
//! copies that batching needs cost `1/K` of the GEMM. Large images use one image per chunk,
//! which needs no copies: the GEMM reads and writes the NCHW image directly. A 1x1 stride-1
//! unpadded convolution of one image needs no im2col either (the image `[Cin, H·W]` is its own
//! column matrix). Chunks are bounded by [`SCRATCH_FLOATS`] and depend only on the shape.
//!
//! Threads: when there are enough chunks (see [`in_parallel`]), the chunks run in parallel,
//! each one entirely on one thread (its im2col, GEMM and copies, with its own scratch):
//! the threads meet once per pass, instead of at every step of every chunk, which is what
//! small layers need to scale (conv1's chunk is one 3.5 MFLOP image). Otherwise the chunks run
//! in order, each spread over the pool. grad_weight, a sum over all chunks, is split into a
//! fixed number of partial sums for this (see [`conv2d_grad_weight`]). The chunking, the
//! grouping and the summation order depend only on the shape, and a GEMM's result does not
//! depend on how it is run, so results are the same on any number of threads.
//!
//! im2col and col2im work a whole output row at a time: the range of output columns whose input
//! lies inside the image (see [`Span`]) is computed once per kernel tap, so the interior is
//! copied without per-element bounds checks and only the padded border is zero-filled; with
//! stride 1 (e.g. the 3x3 stride-1 padding-1 convolutions of SENet) a row is one contiguous copy.
//!
//! ResNet's downsampling layers (the 3x3 stride-2 padding-1 convolution and the 1x1 stride-2
//! projection) have fast paths for a stride of 2 along the width, in the copies only, the GEMMs
//! being the same: im2col reads every other element of a contiguous stretch, which vectorises
//! (shuffles) where a strided gather does not; col2im sums each plane as its even and odd
//! columns, by contiguous adds, and interleaves them ([`col2im_by_column_phases`]), or for the
//! unpadded 1x1 writes each pixel once ([`col2im_subsampled`]), where the generic scatter does a
//! scalar read-modify-write per tap and pixel. At ResNet-20's sizes the generic copies are a
//! sizeable fraction of the GEMMs (K = 16 for the projection: its col2im touches every input
//! pixel for 16 multiply-adds per column-matrix entry). Both paths give exactly the generic
//! results (the same additions in the same order).
//!
//! 3x3 stride-1 padding-1 layers with at least 16 channels in and out (SENet's conv2-conv5) take
//! Winograd's minimal filtering instead for all three passes (see [`crate::winograd`]): F(2x2,
//! 3x3), 2.25x fewer multiply-adds, or for layers with at least 128 channels on both sides
//! F(4x4, 3x3), 4x fewer.
//!
//! Every pass OVERWRITES its output (grad_weight and grad_bias included): nothing has to be
//! zeroed beforehand, and gradients are not accumulated into existing values.

use crate::gemm::{gemm_on, MatRef, Start, MR, NR};
use crate::scratch::{self, Slot};
use crate::winograd;
use rayon::prelude::*;
use std::ops::Range;

/// GEMM width (columns, i.e. `nb·P`) a chunk of images aims for.
const TARGET_COLUMNS: usize = 1024;
/// Most floats a chunk's two scratch matrices (`[K, nb·P]` and `[Cout, nb·P]`) may hold
/// together (8 MB), unless a single image needs more. Every thread has its own when chunks run
/// in parallel; and the bound gives the deepest layers enough chunks for that (SENet's conv5:
/// 6 chunks rather than 3, which 2 threads cannot share evenly).
const SCRATCH_FLOATS: usize = 2 << 20;
/// Smallest amount of work (in floats) worth a separate rayon task in the copy loops.
const MIN_TASK_FLOATS: usize = 4096;
/// Most partial sums of grad_weight (see [`Conv2dShape::grad_weight_groups`]): an even share
/// for 2 or 4 threads.
const MAX_GROUPS: usize = 8;
/// Most floats the scratch copies of grad_weight's partial sums may hold together (16 MB).
const PARTIAL_FLOATS: usize = 4 << 20;

/// The chunk's column matrix `col` / `dcol`, `[K, nb·P]`.
static COLUMNS: Slot<f32> = Slot::new();
/// The chunk's output or grad_output in channel-major order, `[Cout, nb·P]`.
static CHANNEL_MAJOR: Slot<f32> = Slot::new();
/// grad_weight's partial sums, one `[Cout, K]` (or `[K, Cout]`) matrix per group.
static PARTIALS: Slot<f32> = Slot::new();
/// One plane's even and odd columns in [`col2im_by_column_phases`], `[2, H, ⌈W/2⌉]`.
static PHASES: Slot<f32> = Slot::new();

/// Shape and hyper-parameters of a 2-D convolution. Call [`Conv2dShape::validate`] before any
/// other method: the sizes are only meaningful (and free of overflow) for a valid shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Conv2dShape {
    pub batch: usize,
    pub in_channels: usize,
    pub height: usize,
    pub width: usize,
    pub out_channels: usize,
    pub kernel_h: usize,
    pub kernel_w: usize,
    pub stride_h: usize,
    pub stride_w: usize,
    pub pad_h: usize,
    pub pad_w: usize,
}

impl Conv2dShape {
    /// Output height `(H + 2·ph − kh) / sh + 1`.
    pub fn out_h(&self) -> usize {
        (self.height + 2 * self.pad_h - self.kernel_h) / self.stride_h + 1
    }

    /// Output width `(W + 2·pw − kw) / sw + 1`.
    pub fn out_w(&self) -> usize {
        (self.width + 2 * self.pad_w - self.kernel_w) / self.stride_w + 1
    }

    /// `[N, Cin, H, W]`: input and grad_input.
    pub fn input_shape(&self) -> [usize; 4] {
        [self.batch, self.in_channels, self.height, self.width]
    }

    /// `[Cout, Cin, kh, kw]`: weight and grad_weight.
    pub fn weight_shape(&self) -> [usize; 4] {
        [self.out_channels, self.in_channels, self.kernel_h, self.kernel_w]
    }

    /// `[Cout]`: bias and grad_bias.
    pub fn bias_shape(&self) -> [usize; 1] {
        [self.out_channels]
    }

    /// `[N, Cout, OH, OW]`: output and grad_output.
    pub fn output_shape(&self) -> [usize; 4] {
        [self.batch, self.out_channels, self.out_h(), self.out_w()]
    }

    /// Checks that every size is at least 1, the padded input is at least as large as the
    /// kernel, and every tensor's element count fits in `usize`. Errors name `op`.
    pub fn validate(&self, op: &str) -> Result<(), String> {
        let input = format_dims(&self.input_shape());
        if [self.batch, self.in_channels, self.height, self.width, self.out_channels].contains(&0) {
            return Err(format!(
                "{op}: every size must be at least 1, got input {input} and {} output channels",
                self.out_channels
            ));
        }
        let (kh, kw) = (self.kernel_h, self.kernel_w);
        if kh == 0 || kw == 0 {
            return Err(format!("{op}: the kernel must be at least 1x1, got {kh}x{kw}"));
        }
        if self.stride_h == 0 || self.stride_w == 0 {
            return Err(format!("{op}: the stride must be at least 1, got {}x{}", self.stride_h, self.stride_w));
        }
        let too_large = || format!("{op}: input {input} with kernel {kh}x{kw} is too large to address");
        let padded_h = padded(self.height, self.pad_h).ok_or_else(too_large)?;
        let padded_w = padded(self.width, self.pad_w).ok_or_else(too_large)?;
        if padded_h < kh || padded_w < kw {
            return Err(format!(
                "{op}: input {input} is smaller than the kernel {kh}x{kw} with padding {}x{}",
                self.pad_h, self.pad_w
            ));
        }
        let [n, cin, h, w] = self.input_shape();
        let (cout, out_h, out_w) = (self.out_channels, self.out_h(), self.out_w());
        let sizes = [
            vec![n, cin, h, w],
            vec![cout, cin, kh, kw],
            vec![n, cout, out_h, out_w],
            // One image's column matrix [K, P].
            vec![cin, kh, kw, out_h, out_w],
        ];
        if sizes.iter().all(|dims| checked_product(dims).is_some()) {
            Ok(())
        } else {
            Err(too_large())
        }
    }

    /// `K = Cin·kh·kw`: rows of the column matrix, columns of the weight matrix.
    fn patch_len(&self) -> usize {
        self.in_channels * self.kernel_h * self.kernel_w
    }

    /// `P = OH·OW`: output pixels per image and channel.
    fn out_plane(&self) -> usize {
        self.out_h() * self.out_w()
    }

    /// A 1x1, stride-1, unpadded convolution: an image `[Cin, H·W]` is its own column matrix.
    fn is_pointwise(&self) -> bool {
        (self.kernel_h, self.kernel_w, self.stride_h, self.stride_w, self.pad_h, self.pad_w) == (1, 1, 1, 1, 0, 0)
    }

    /// Images per chunk: enough for [`TARGET_COLUMNS`] GEMM columns, within [`SCRATCH_FLOATS`],
    /// then evened out so that all chunks but the last have the same size.
    fn images_per_chunk(&self) -> usize {
        let p = self.out_plane();
        let per_image = p.saturating_mul(self.patch_len().saturating_add(self.out_channels));
        let most = TARGET_COLUMNS.div_ceil(p).min(SCRATCH_FLOATS / per_image).clamp(1, self.batch);
        self.batch.div_ceil(self.batch.div_ceil(most))
    }

    /// Number of chunks of [`Self::images_per_chunk`] images that cover the batch.
    fn chunk_count(&self) -> usize {
        self.batch.div_ceil(self.images_per_chunk())
    }

    /// `(first image, image count)` of chunk `c`.
    fn chunk(&self, c: usize) -> (usize, usize) {
        let nb = self.images_per_chunk();
        (c * nb, nb.min(self.batch - c * nb))
    }

    /// Number of partial sums grad_weight is split into (see [`conv2d_grad_weight`]): the most,
    /// up to [`MAX_GROUPS`] (and one per chunk), whose scratch copies fit in [`PARTIAL_FLOATS`].
    /// It depends on the shape only, never on the thread count, so the result does not either.
    fn grad_weight_groups(&self) -> usize {
        let size = self.out_channels * self.patch_len();
        let transposed = self.grad_weight_transposed();
        (2..=self.chunk_count().min(MAX_GROUPS))
            .rev()
            .find(|&groups| scratch_copies(groups, transposed) * size <= PARTIAL_FLOATS)
            .unwrap_or(1)
    }

    /// Whether grad_weight is computed transposed, `[K, Cout] = col · grad_outᵀ`, rather than
    /// `[Cout, K] = grad_out · colᵀ`: whichever wastes less of the GEMM's micro-tiles on
    /// padding. (conv1's K = 27 fills 4-row strips better than 8-wide ones.)
    fn grad_weight_transposed(&self) -> bool {
        let padded = |len: usize, multiple: usize| len.div_ceil(multiple) * multiple;
        let (k, cout) = (self.patch_len(), self.out_channels);
        padded(k, MR) * padded(cout, NR) < padded(cout, MR) * padded(k, NR)
    }
}

/// Checks a `grad_output` shape `[batch, channels, out_h, out_w]` for [`conv2d_grad_bias`]:
/// every size at least 1 and the element count fits in `usize`. Errors name `op`.
pub fn validate_grad_output(op: &str, shape: [usize; 4]) -> Result<(), String> {
    let dims = format_dims(&shape);
    if shape.contains(&0) {
        return Err(format!("{op}: every size must be at least 1, got grad_output {dims}"));
    }
    checked_product(&shape).map(|_| ()).ok_or_else(|| format!("{op}: grad_output {dims} is too large to address"))
}

fn padded(len: usize, pad: usize) -> Option<usize> {
    pad.checked_mul(2)?.checked_add(len)
}

fn checked_product(dims: &[usize]) -> Option<usize> {
    dims.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d))
}

fn format_dims(dims: &[usize]) -> String {
    let dims: Vec<String> = dims.iter().map(|d| d.to_string()).collect();
    format!("[{}]", dims.join(", "))
}

/// `output = conv(input, weight) + bias` (no bias when `None`). Shapes as in [`Conv2dShape`];
/// `output` is overwritten. The shape must be valid and every slice exactly its size.
pub fn conv2d_forward(
    s: &Conv2dShape,
    input: &[f32],
    weight: &[f32],
    bias: Option<&[f32]>,
    output: &mut [f32],
) -> Result<(), String> {
    if winograd::applies(s) {
        winograd::forward(s, input, weight, bias, output);
        return Ok(());
    }
    forward_by_im2col(s, input, weight, bias, output)
}

/// [`conv2d_forward`] by im2col + GEMM, for any shape.
fn forward_by_im2col(
    s: &Conv2dShape,
    input: &[f32],
    weight: &[f32],
    bias: Option<&[f32]>,
    output: &mut [f32],
) -> Result<(), String> {
    let (k, p, cout) = (s.patch_len(), s.out_plane(), s.out_channels);
    let (in_image, out_image) = (s.in_channels * s.height * s.width, cout * p);
    let nb = s.images_per_chunk();
    let w = MatRef { data: weight, ld: k, transposed: false };
    for_each_chunk(output, nb * out_image, |c, out, parallel| {
        let images = out.len() / out_image;
        let width = images * p;
        let input = &input[c * nb * in_image..][..images * in_image];
        scratch::lend(&COLUMNS, |columns| {
            let col = MatRef { data: column_matrix(s, input, images, columns, parallel), ld: width, transposed: false };
            if images == 1 {
                // One image's [Cout, P] output is already NCHW; the GEMM adds the bias.
                let start = bias.map_or(Start::Zero, Start::RowBias);
                return gemm_on(cout, width, k, w, col, out, width, start, parallel);
            }
            scratch::lend(&CHANNEL_MAJOR, |channel_major| {
                channel_major.resize(cout * width, 0.0);
                gemm_on(cout, width, k, w, col, channel_major, width, Start::Zero, parallel)?;
                to_images(channel_major, images, cout, p, bias, out, parallel);
                Ok(())
            })
        })
    })
}

/// `grad_input = ∂L/∂input` from `grad_output = ∂L/∂output` `[N, Cout, OH, OW]` and `weight`;
/// `grad_input` `[N, Cin, H, W]` is overwritten.
pub fn conv2d_grad_input(
    s: &Conv2dShape,
    grad_output: &[f32],
    weight: &[f32],
    grad_input: &mut [f32],
) -> Result<(), String> {
    if winograd::applies(s) {
        winograd::grad_input(s, grad_output, weight, grad_input);
        return Ok(());
    }
    grad_input_by_im2col(s, grad_output, weight, grad_input)
}

/// [`conv2d_grad_input`] by GEMM + col2im, for any shape.
fn grad_input_by_im2col(
    s: &Conv2dShape,
    grad_output: &[f32],
    weight: &[f32],
    grad_input: &mut [f32],
) -> Result<(), String> {
    let (k, p, cout) = (s.patch_len(), s.out_plane(), s.out_channels);
    let (in_image, out_image) = (s.in_channels * s.height * s.width, cout * p);
    let nb = s.images_per_chunk();
    let w_t = MatRef { data: weight, ld: k, transposed: true };
    for_each_chunk(grad_input, nb * in_image, |c, grad_images, parallel| {
        let images = grad_images.len() / in_image;
        let width = images * p;
        let grad_out = &grad_output[c * nb * out_image..][..images * out_image];
        scratch::lend(&CHANNEL_MAJOR, |channel_major| {
            let grad_out = MatRef {
                data: to_channel_major(grad_out, images, cout, p, channel_major, parallel),
                ld: width,
                transposed: false,
            };
            if images == 1 && s.is_pointwise() {
                return gemm_on(k, width, cout, w_t, grad_out, grad_images, width, Start::Zero, parallel);
            }
            scratch::lend(&COLUMNS, |columns| {
                columns.resize(k * width, 0.0);
                gemm_on(k, width, cout, w_t, grad_out, columns, width, Start::Zero, parallel)?;
                col2im(s, columns, images, grad_images, parallel);
                Ok(())
            })
        })
    })
}

/// `grad_weight = ∂L/∂weight` `[Cout, Cin, kh, kw]` from `input` and `grad_output`, summed over
/// the batch. `grad_weight` is overwritten, not accumulated into.
///
/// The sum over the batch is a GEMM with a long inner dimension (every chunk's columns) and a
/// smaller output, so it is split so that threads can share it without meeting at every chunk:
/// the chunks are dealt into a fixed number of groups (see
/// [`Conv2dShape::grad_weight_groups`]), each group sums its chunks into its own partial sum
/// (the first one in grad_weight itself, the others in scratch), the groups run in parallel,
/// and the partial sums are added in group order. The largest layers (whose weights are too
/// large to copy) have one group: every chunk, its GEMM on the pool, accumulates into
/// grad_weight.
pub fn conv2d_grad_weight(
    s: &Conv2dShape,
    input: &[f32],
    grad_output: &[f32],
    grad_weight: &mut [f32],
) -> Result<(), String> {
    if winograd::applies(s) {
        winograd::grad_weight(s, input, grad_output, grad_weight);
        return Ok(());
    }
    grad_weight_in_groups(s, input, grad_output, grad_weight, s.grad_weight_groups(), s.grad_weight_transposed())
}

/// [`conv2d_grad_weight`] as `groups` partial sums, each computed transposed or not.
fn grad_weight_in_groups(
    s: &Conv2dShape,
    input: &[f32],
    grad_output: &[f32],
    grad_weight: &mut [f32],
    groups: usize,
    transposed: bool,
) -> Result<(), String> {
    let (k, p, cout) = (s.patch_len(), s.out_plane(), s.out_channels);
    let (in_image, out_image) = (s.in_channels * s.height * s.width, cout * p);
    // Stores chunk c's product in `out` ([Cout, K], or [K, Cout] when transposed), or adds it.
    let chunk = |c: usize, out: &mut [f32], accumulate: bool, parallel: bool| -> Result<(), String> {
        let (n0, images) = s.chunk(c);
        let width = images * p;
        let start = if accumulate { Start::Accumulate } else { Start::Zero };
        scratch::lend(&COLUMNS, |columns| {
            scratch::lend(&CHANNEL_MAJOR, |channel_major| {
                let images_in = &input[n0 * in_image..][..images * in_image];
                let col = column_matrix(s, images_in, images, columns, parallel);
                let grad_out = &grad_output[n0 * out_image..][..images * out_image];
                let grad_out = to_channel_major(grad_out, images, cout, p, channel_major, parallel);
                let col = MatRef { data: col, ld: width, transposed: false };
                let grad_out = MatRef { data: grad_out, ld: width, transposed: false };
                if transposed {
                    let grad_out_t = MatRef { transposed: true, ..grad_out };
                    gemm_on(k, cout, width, col, grad_out_t, out, cout, start, parallel)
                } else {
                    let col_t = MatRef { transposed: true, ..col };
                    gemm_on(cout, k, width, grad_out, col_t, out, k, start, parallel)
                }
            })
        })
    };
    let (chunks, size) = (s.chunk_count(), cout * k);
    // Group g sums chunks [g·chunks/groups, (g+1)·chunks/groups) into `out`.
    let group = |g: usize, out: &mut [f32], parallel: bool| {
        let first = g * chunks / groups;
        (first..(g + 1) * chunks / groups).try_for_each(|c| chunk(c, out, c > first, parallel))
    };
    scratch::lend(&PARTIALS, |partials| {
        partials.resize(scratch_copies(groups, transposed) * size, 0.0);
        // Group 0 sums straight into grad_weight, unless it is computed transposed.
        let first = (!transposed).then_some(&mut *grad_weight);
        if in_parallel(groups) {
            let outs = first.into_par_iter().chain(partials.par_chunks_mut(size));
            outs.enumerate().try_for_each(|(g, out)| group(g, out, false))?;
        } else {
            let outs = first.into_iter().chain(partials.chunks_mut(size));
            outs.enumerate().try_for_each(|(g, out)| group(g, out, true))?;
        }
        add_partials(partials, transposed, cout, k, grad_weight);
        Ok(())
    })
}

/// How many of grad_weight's partial sums need a scratch copy: all, or all but the first, which
/// is summed in grad_weight itself unless it is transposed.
fn scratch_copies(groups: usize, transposed: bool) -> usize {
    if transposed {
        groups
    } else {
        groups - 1
    }
}

/// Adds the `[Cout, K]` partial sums to grad_weight one after another, in group order; or, when
/// `transposed`, sets grad_weight to the sum of the `[K, Cout]` partial sums, transposed.
fn add_partials(partials: &[f32], transposed: bool, cout: usize, k: usize, grad_weight: &mut [f32]) {
    if partials.is_empty() {
        return; // one group, summed in grad_weight
    }
    let size = cout * k;
    for_each_piece(grad_weight, k, true, |co, row| {
        if transposed {
            for (j, g_out) in row.iter_mut().enumerate() {
                *g_out = partials.iter().skip(j * cout + co).step_by(size).fold(0.0, |sum, v| sum + v);
            }
        } else {
            for partial in partials.chunks_exact(size) {
                row.iter_mut().zip(&partial[co * k..][..k]).for_each(|(g_out, v)| *g_out += v);
            }
        }
    });
}

/// Whether `units` independent pieces of a pass (chunks, or grad_weight's groups) run in
/// parallel, each on one thread with its GEMM on that thread, rather than one after another
/// with each GEMM on the whole pool: when there are enough of them to keep every thread busy.
/// Then the pass synchronises the threads once instead of several times per chunk, which is
/// what lets the small early layers scale. Both ways give the same result.
fn in_parallel(units: usize) -> bool {
    units >= 2 * rayon::current_num_threads()
}

/// Runs `f(c, piece, parallel)` on each `len`-float piece `c` of `data`: all pieces in
/// parallel with `parallel` false when [`in_parallel`], else in order with `parallel` true (so
/// that `f` spreads its own work over the pool).
fn for_each_chunk(
    data: &mut [f32],
    len: usize,
    f: impl Fn(usize, &mut [f32], bool) -> Result<(), String> + Sync + Send,
) -> Result<(), String> {
    if in_parallel(data.len().div_ceil(len)) {
        data.par_chunks_mut(len).enumerate().try_for_each(|(c, piece)| f(c, piece, false))
    } else {
        data.chunks_mut(len).enumerate().try_for_each(|(c, piece)| f(c, piece, true))
    }
}

/// Calls `f(i, piece)` on each `len`-float piece of `data`: on the pool, in tasks of at least
/// [`MIN_TASK_FLOATS`], when `parallel`; else in order on this thread.
fn for_each_piece(data: &mut [f32], len: usize, parallel: bool, f: impl Fn(usize, &mut [f32]) + Sync + Send) {
    if parallel {
        data.par_chunks_mut(len).with_min_len(MIN_TASK_FLOATS.div_ceil(len)).enumerate().for_each(|(i, x)| f(i, x));
    } else {
        data.chunks_mut(len).enumerate().for_each(|(i, x)| f(i, x));
    }
}

/// `grad_bias[c] = Σ_{n, oy, ox} grad_output[n, c, oy, ox]` for `grad_output`
/// `[batch, channels, plane]`; `grad_bias` `[channels]` is overwritten. Each channel is summed
/// in a fixed order, so the result is the same for any thread count.
pub fn conv2d_grad_bias(grad_output: &[f32], batch: usize, channels: usize, plane: usize, grad_bias: &mut [f32]) {
    grad_bias.par_iter_mut().enumerate().for_each(|(c, g)| {
        let total: f64 =
            (0..batch).map(|n| plane_sum(&grad_output[(n * channels + c) * plane..][..plane]) as f64).sum();
        *g = total as f32;
    });
}

/// Sum of `x` in 8 interleaved partial sums (vectorisable, and in a fixed order).
fn plane_sum(x: &[f32]) -> f32 {
    let mut lanes = [0.0f32; 8];
    let chunks = x.chunks_exact(8);
    let rest: f32 = chunks.remainder().iter().sum();
    for chunk in chunks {
        for (l, v) in lanes.iter_mut().zip(chunk) {
            *l += v;
        }
    }
    lanes.iter().sum::<f32>() + rest
}

/// The column matrix `[K, nb·P]` of `nb` consecutive images `[nb, Cin, H, W]`: built in
/// `buf`, except for one image of a pointwise convolution, which is its own column matrix.
fn column_matrix<'a>(
    s: &Conv2dShape,
    images: &'a [f32],
    nb: usize,
    buf: &'a mut Vec<f32>,
    parallel: bool,
) -> &'a [f32] {
    if nb == 1 && s.is_pointwise() {
        return images;
    }
    buf.resize(s.patch_len() * nb * s.out_plane(), 0.0);
    im2col(s, images, nb, buf, parallel);
    buf
}

/// The output positions along one axis whose input coordinate `o·stride + tap − pad` lies
/// inside the input (`range`), and the input coordinate of the first of them (`first`).
struct Span {
    range: Range<usize>,
    first: usize,
}

impl Span {
    fn new(out_len: usize, in_len: usize, stride: usize, pad: usize, tap: usize) -> Span {
        // o·stride + tap ≥ pad  and  o·stride < in_len + pad − tap.
        let lo = pad.saturating_sub(tap).div_ceil(stride);
        let hi = if in_len + pad > tap { (in_len + pad - tap).div_ceil(stride).min(out_len) } else { 0 };
        let range = lo.min(hi)..hi;
        let first = if range.is_empty() { 0 } else { lo * stride + tap - pad };
        Span { range, first }
    }
}

/// Fills `columns` `[K, nb·P]` from `images` `[nb, Cin, H, W]`: row `(c, i, j)`, column
/// `(n, oy, ox)` holds `images[n, c, oy·sh + i − ph, ox·sw + j − pw]`, or 0 in the padding.
/// Rows are filled in parallel when `parallel`.
fn im2col(s: &Conv2dShape, images: &[f32], nb: usize, columns: &mut [f32], parallel: bool) {
    let (out_h, out_w, p) = (s.out_h(), s.out_w(), s.out_plane());
    let (taps, plane) = (s.kernel_h * s.kernel_w, s.height * s.width);
    let row_len = nb * p;
    for_each_piece(columns, row_len, parallel, |r, row| {
        let (c, i, j) = (r / taps, r % taps / s.kernel_w, r % s.kernel_w);
        let ys = Span::new(out_h, s.height, s.stride_h, s.pad_h, i);
        let xs = Span::new(out_w, s.width, s.stride_w, s.pad_w, j);
        for (n, dst) in row.chunks_exact_mut(p).enumerate() {
            let src = &images[(n * s.in_channels + c) * plane..][..plane];
            dst[..ys.range.start * out_w].fill(0.0);
            dst[ys.range.end * out_w..].fill(0.0);
            for (t, oy) in ys.range.clone().enumerate() {
                let y = ys.first + t * s.stride_h;
                gather_row(&src[y * s.width..][..s.width], &xs, s.stride_w, &mut dst[oy * out_w..][..out_w]);
            }
        }
    });
}

/// One output row of im2col: `dst[ox] = src[xs.first + (ox − xs.range.start)·stride]` inside
/// `xs.range`, 0 outside. Strides 1 and 2 are contiguous reads (a copy; every other element,
/// which LLVM vectorises with shuffles); larger strides are read one element at a time.
fn gather_row(src: &[f32], xs: &Span, stride: usize, dst: &mut [f32]) {
    let Range { start, end } = xs.range;
    dst[..start].fill(0.0);
    dst[end..].fill(0.0);
    let inner = &mut dst[start..end];
    match (stride, inner.split_last_mut()) {
        (_, None) => {}
        (1, _) => inner.copy_from_slice(&src[xs.first..xs.first + inner.len()]),
        (2, Some((last, rest))) => {
            // Pairs for all but the last, whose odd partner may lie past the row.
            let pairs = &src[xs.first..xs.first + 2 * rest.len()];
            rest.iter_mut().zip(pairs.chunks_exact(2)).for_each(|(d, pair)| *d = pair[0]);
            *last = src[xs.first + 2 * rest.len()];
        }
        _ => {
            for (d, &v) in inner.iter_mut().zip(src[xs.first..].iter().step_by(stride)) {
                *d = v;
            }
        }
    }
}

/// The adjoint of [`im2col`]: `grad_images` `[nb, Cin, H, W]` = the sum of every `columns`
/// `[K, nb·P]` entry into the input pixel it was read from (0 where none). A stride of 2 along
/// the width has the faster [`col2im_by_column_phases`] (or, for ResNet's 1x1 unpadded
/// projection, [`col2im_subsampled`]); both give exactly the result of [`col2im_by_taps`].
fn col2im(s: &Conv2dShape, columns: &[f32], nb: usize, grad_images: &mut [f32], parallel: bool) {
    if s.stride_w != 2 {
        col2im_by_taps(s, columns, nb, grad_images, parallel);
    } else if (s.kernel_h, s.kernel_w, s.pad_h, s.pad_w) == (1, 1, 0, 0) {
        col2im_subsampled(s, columns, nb, grad_images, parallel);
    } else {
        col2im_by_column_phases(s, columns, nb, grad_images, parallel);
    }
}

/// [`col2im`] for any shape: each `(n, c)` plane (a parallel task when `parallel`) is zeroed,
/// then every tap's rows are added into the pixels they were read from, in tap order.
fn col2im_by_taps(s: &Conv2dShape, columns: &[f32], nb: usize, grad_images: &mut [f32], parallel: bool) {
    let (out_h, out_w, p) = (s.out_h(), s.out_w(), s.out_plane());
    let plane = s.height * s.width;
    for_each_piece(grad_images, plane, parallel, |q, dst| {
        let (n, c) = (q / s.in_channels, q % s.in_channels);
        dst.fill(0.0);
        for i in 0..s.kernel_h {
            let ys = Span::new(out_h, s.height, s.stride_h, s.pad_h, i);
            for j in 0..s.kernel_w {
                let xs = Span::new(out_w, s.width, s.stride_w, s.pad_w, j);
                let row = (c * s.kernel_h + i) * s.kernel_w + j;
                let src = &columns[row * nb * p + n * p..][..p];
                for (t, oy) in ys.range.clone().enumerate() {
                    let y = ys.first + t * s.stride_h;
                    scatter_add_row(&src[oy * out_w..][..out_w], &xs, s.stride_w, &mut dst[y * s.width..][..s.width]);
                }
            }
        }
    });
}

/// [`col2im`] for a stride of 2 along the width (ResNet's 3x3 stride-2 convolutions): output
/// column `ox` of tap `j` reads input column `2·ox + j − pw`, so each tap's row lands on input
/// columns of one parity only, *contiguously* in that parity. Each plane is therefore summed
/// as two phase planes, the even and the odd columns `[H, ⌈W/2⌉]`, by contiguous (vectorised)
/// adds in tap order, then interleaved into the plane, each pixel written once. The generic
/// scatter instead adds into every other pixel one at a time, a read-modify-write per tap and
/// pixel. Same additions in the same order as [`col2im_by_taps`], so the same result exactly.
fn col2im_by_column_phases(s: &Conv2dShape, columns: &[f32], nb: usize, grad_images: &mut [f32], parallel: bool) {
    let (out_h, out_w, p) = (s.out_h(), s.out_w(), s.out_plane());
    let (h, w) = (s.height, s.width);
    let half = w.div_ceil(2);
    for_each_piece(grad_images, h * w, parallel, |q, dst| {
        let (n, c) = (q / s.in_channels, q % s.in_channels);
        scratch::lend(&PHASES, |phases| {
            phases.clear();
            phases.resize(2 * h * half, 0.0);
            let (even, odd) = phases.split_at_mut(h * half);
            for i in 0..s.kernel_h {
                let ys = Span::new(out_h, h, s.stride_h, s.pad_h, i);
                for j in 0..s.kernel_w {
                    let xs = Span::new(out_w, w, 2, s.pad_w, j);
                    if xs.range.is_empty() {
                        continue;
                    }
                    // Input column xs.first + 2·t is column xs.first / 2 + t of its phase.
                    let phase = if xs.first.is_multiple_of(2) { &mut *even } else { &mut *odd };
                    let row = (c * s.kernel_h + i) * s.kernel_w + j;
                    let src = &columns[row * nb * p + n * p..][..p];
                    for (t, oy) in ys.range.clone().enumerate() {
                        let y = ys.first + t * s.stride_h;
                        let from = &src[oy * out_w..][xs.range.clone()];
                        let to = &mut phase[y * half + xs.first / 2..][..from.len()];
                        to.iter_mut().zip(from).for_each(|(d, v)| *d += v);
                    }
                }
            }
            for (y, row) in dst.chunks_exact_mut(w).enumerate() {
                interleave(&even[y * half..][..half], &odd[y * half..][..w / 2], row);
            }
        });
    });
}

/// [`col2im`] of a 1x1 unpadded convolution with a stride of 2 along the width (ResNet's
/// projection shortcut): each input pixel was read at most once, so the plane is written
/// directly: a row read by output row `oy` is that row's values interleaved with zeros (the odd
/// columns), any other row zeros. Equal to [`col2im_by_taps`]'s result (which adds each value
/// to a zero).
fn col2im_subsampled(s: &Conv2dShape, columns: &[f32], nb: usize, grad_images: &mut [f32], parallel: bool) {
    let (out_w, p) = (s.out_w(), s.out_plane());
    let (w, sh) = (s.width, s.stride_h);
    for_each_piece(grad_images, s.height * w, parallel, |q, dst| {
        let (n, c) = (q / s.in_channels, q % s.in_channels);
        let src = &columns[c * nb * p + n * p..][..p];
        for (y, row) in dst.chunks_exact_mut(w).enumerate() {
            if y.is_multiple_of(sh) {
                interleave_with_zeros(&src[y / sh * out_w..][..out_w], row);
            } else {
                row.fill(0.0);
            }
        }
    });
}

/// `row[2·v] = even[v]`, `row[2·v + 1] = odd[v]`; `even` has `⌈len/2⌉` values, `odd` `⌊len/2⌋`.
fn interleave(even: &[f32], odd: &[f32], row: &mut [f32]) {
    let mut pairs = row.chunks_exact_mut(2);
    pairs.by_ref().zip(even.iter().zip(odd)).for_each(|(pair, (&e, &o))| pair.copy_from_slice(&[e, o]));
    if let [last] = pairs.into_remainder() {
        *last = even[odd.len()];
    }
}

/// `row[2·v] = even[v]`, `row[2·v + 1] = 0`; `even` has `⌈len/2⌉` values.
fn interleave_with_zeros(even: &[f32], row: &mut [f32]) {
    let mut pairs = row.chunks_exact_mut(2);
    pairs.by_ref().zip(even).for_each(|(pair, &e)| pair.copy_from_slice(&[e, 0.0]));
    if let [last] = pairs.into_remainder() {
        *last = even[even.len() - 1];
    }
}

/// The adjoint of [`gather_row`]: `dst[xs.first + (ox − xs.range.start)·stride] += src[ox]`
/// inside `xs.range`.
fn scatter_add_row(src: &[f32], xs: &Span, stride: usize, dst: &mut [f32]) {
    let inner = &src[xs.range.clone()];
    if stride == 1 {
        for (d, v) in dst[xs.first..xs.first + inner.len()].iter_mut().zip(inner) {
            *d += v;
        }
    } else {
        for (d, v) in dst[xs.first..].iter_mut().step_by(stride).zip(inner) {
            *d += v;
        }
    }
}

/// `images` `[nb, channels, p]` as the matrix `[channels, nb·p]` (row `c` holds channel `c`
/// of each image in turn): built in `buf`, except for one image, which already is that matrix.
fn to_channel_major<'a>(
    images: &'a [f32],
    nb: usize,
    channels: usize,
    p: usize,
    buf: &'a mut Vec<f32>,
    parallel: bool,
) -> &'a [f32] {
    if nb == 1 {
        return images;
    }
    buf.resize(channels * nb * p, 0.0);
    for_each_piece(buf, p, parallel, |q, dst| {
        let (c, n) = (q / nb, q % nb);
        dst.copy_from_slice(&images[(n * channels + c) * p..][..p]);
    });
    buf
}

/// The inverse of [`to_channel_major`], adding `bias[c]` to channel `c` when given:
/// `images[n, c, :] = channel_major[c, n·p..(n+1)·p] + bias[c]`.
fn to_images(
    channel_major: &[f32],
    nb: usize,
    channels: usize,
    p: usize,
    bias: Option<&[f32]>,
    images: &mut [f32],
    parallel: bool,
) {
    for_each_piece(images, p, parallel, |q, dst| {
        let (n, c) = (q / channels, q % channels);
        let src = &channel_major[(c * nb + n) * p..][..p];
        match bias {
            Some(bias) => dst.iter_mut().zip(src).for_each(|(d, v)| *d = v + bias[c]),
            None => dst.copy_from_slice(src),
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{assert_close, Rng, POOL_LOCK};
    use crate::threads;

    #[allow(clippy::too_many_arguments)]
    fn shape(
        batch: usize,
        cin: usize,
        h: usize,
        w: usize,
        cout: usize,
        k: (usize, usize),
        stride: (usize, usize),
        pad: (usize, usize),
    ) -> Conv2dShape {
        Conv2dShape {
            batch,
            in_channels: cin,
            height: h,
            width: w,
            out_channels: cout,
            kernel_h: k.0,
            kernel_w: k.1,
            stride_h: stride.0,
            stride_w: stride.1,
            pad_h: pad.0,
            pad_w: pad.1,
        }
    }

    fn len(dims: &[usize]) -> usize {
        dims.iter().product()
    }

    /// Direct convolution in f64.
    fn reference_forward(s: &Conv2dShape, x: &[f64], w: &[f64], b: Option<&[f64]>) -> Vec<f64> {
        let (oh, ow) = (s.out_h(), s.out_w());
        let mut out = vec![0.0; len(&s.output_shape())];
        for n in 0..s.batch {
            for co in 0..s.out_channels {
                for oy in 0..oh {
                    for ox in 0..ow {
                        let mut acc = b.map_or(0.0, |b| b[co]);
                        for ci in 0..s.in_channels {
                            for i in 0..s.kernel_h {
                                for j in 0..s.kernel_w {
                                    let y = (oy * s.stride_h + i) as isize - s.pad_h as isize;
                                    let xx = (ox * s.stride_w + j) as isize - s.pad_w as isize;
                                    if y < 0 || xx < 0 || y >= s.height as isize || xx >= s.width as isize {
                                        continue;
                                    }
                                    let xi = ((n * s.in_channels + ci) * s.height + y as usize) * s.width + xx as usize;
                                    let wi = ((co * s.in_channels + ci) * s.kernel_h + i) * s.kernel_w + j;
                                    acc += x[xi] * w[wi];
                                }
                            }
                        }
                        out[((n * s.out_channels + co) * oh + oy) * ow + ox] = acc;
                    }
                }
            }
        }
        out
    }

    fn to_f64(v: &[f32]) -> Vec<f64> {
        v.iter().map(|&x| x as f64).collect()
    }

    struct Data {
        x: Vec<f32>,
        w: Vec<f32>,
        b: Option<Vec<f32>>,
        r: Vec<f32>,
    }

    impl Data {
        fn new(s: &Conv2dShape, with_bias: bool, rng: &mut Rng) -> Data {
            Data {
                x: rng.vec(len(&s.input_shape())),
                w: rng.vec(len(&s.weight_shape())),
                b: with_bias.then(|| rng.vec(s.out_channels)),
                r: rng.vec(len(&s.output_shape())),
            }
        }
    }

    /// Every pass of the kernel; outputs start as NaN to check that they are overwritten.
    struct Passes {
        output: Vec<f32>,
        grad_input: Vec<f32>,
        grad_weight: Vec<f32>,
        grad_bias: Vec<f32>,
    }

    fn run_passes(s: &Conv2dShape, d: &Data) -> Passes {
        s.validate("test").unwrap();
        let mut p = Passes {
            output: vec![f32::NAN; len(&s.output_shape())],
            grad_input: vec![f32::NAN; len(&s.input_shape())],
            grad_weight: vec![f32::NAN; len(&s.weight_shape())],
            grad_bias: vec![f32::NAN; s.out_channels],
        };
        threads::run(|| {
            conv2d_forward(s, &d.x, &d.w, d.b.as_deref(), &mut p.output).unwrap();
            conv2d_grad_input(s, &d.r, &d.w, &mut p.grad_input).unwrap();
            conv2d_grad_weight(s, &d.x, &d.r, &mut p.grad_weight).unwrap();
            conv2d_grad_bias(&d.r, s.batch, s.out_channels, s.out_plane(), &mut p.grad_bias);
        });
        p
    }

    /// At most about 80 indices of `0..n`, evenly spread, always including the last.
    fn sample(n: usize) -> Vec<usize> {
        let step = n.div_ceil(80).max(1);
        let mut idx: Vec<usize> = (0..n).step_by(step).collect();
        if idx.last() != Some(&(n - 1)) {
            idx.push(n - 1);
        }
        idx
    }

    /// Central difference of L = Σ reference_forward · R with respect to element `i` of the
    /// tensor `which` (0 input, 1 weight, 2 bias).
    fn finite_difference(
        s: &Conv2dShape,
        params: &mut [Vec<f64>; 3],
        has_bias: bool,
        r: &[f64],
        which: usize,
        i: usize,
    ) -> f64 {
        let eps = 1e-3;
        let loss = |params: &[Vec<f64>; 3]| -> f64 {
            let b = has_bias.then_some(&params[2][..]);
            reference_forward(s, &params[0], &params[1], b).iter().zip(r).map(|(o, r)| o * r).sum()
        };
        let orig = params[which][i];
        params[which][i] = orig + eps;
        let plus = loss(params);
        params[which][i] = orig - eps;
        let minus = loss(params);
        params[which][i] = orig;
        (plus - minus) / (2.0 * eps)
    }

    fn check_against_reference(s: Conv2dShape, with_bias: bool, seed: u64) {
        let d = Data::new(&s, with_bias, &mut Rng::new(seed));
        let got = run_passes(&s, &d);
        let what = format!("{s:?}");
        let b64 = d.b.as_deref().map(to_f64);
        let want = reference_forward(&s, &to_f64(&d.x), &to_f64(&d.w), b64.as_deref());
        assert_close(&got.output, &want, 1e-4, 1e-4, &format!("output of {what}"));

        let r = to_f64(&d.r);
        let mut params = [to_f64(&d.x), to_f64(&d.w), b64.clone().unwrap_or_default()];
        let grads: [(&str, &[f32]); 3] =
            [("grad_input", &got.grad_input), ("grad_weight", &got.grad_weight), ("grad_bias", &got.grad_bias)];
        for (which, (name, grad)) in grads.into_iter().enumerate().take(if with_bias { 3 } else { 2 }) {
            let idx = sample(grad.len());
            let want: Vec<f64> =
                idx.iter().map(|&i| finite_difference(&s, &mut params, with_bias, &r, which, i)).collect();
            let got: Vec<f32> = idx.iter().map(|&i| grad[i]).collect();
            assert_close(&got, &want, 1e-4, 1e-4, &format!("{name} (sampled) of {what}"));
        }
    }

    #[test]
    fn matches_finite_differences_of_a_f64_reference() {
        // Kernels read the pool while they run: no other test may swap it meanwhile.
        let _guard = POOL_LOCK.lock().unwrap();
        let cases = [
            // SENet's 3x3, stride 1, padding 1, on odd non-square inputs.
            (shape(3, 3, 7, 5, 4, (3, 3), (1, 1), (1, 1)), true),
            (shape(1, 5, 5, 7, 2, (3, 3), (1, 1), (1, 1)), true),
            // Pointwise: one image (no im2col) and a batched chunk.
            (shape(1, 5, 7, 5, 2, (1, 1), (1, 1), (0, 0)), true),
            (shape(3, 5, 7, 5, 2, (1, 1), (1, 1), (0, 0)), true),
            // Pointwise, one large image per chunk, two chunks.
            (shape(2, 3, 33, 32, 4, (1, 1), (1, 1), (0, 0)), true),
            // Non-square kernel, stride and padding, no bias.
            (shape(3, 5, 7, 5, 2, (3, 2), (2, 1), (1, 0)), false),
            (shape(1, 3, 7, 5, 4, (3, 2), (2, 1), (1, 0)), false),
            (shape(1, 3, 9, 6, 4, (5, 5), (2, 2), (2, 2)), true),
            (shape(3, 2, 7, 5, 3, (5, 5), (2, 2), (2, 2)), true),
            // Padding wider than the kernel, stride larger than the kernel, a 1-pixel image.
            (shape(2, 2, 5, 4, 3, (2, 2), (3, 3), (3, 2)), true),
            (shape(2, 2, 1, 1, 3, (5, 5), (1, 2), (2, 2)), true),
            (shape(2, 2, 1, 3, 3, (1, 3), (1, 1), (0, 0)), false),
            // One large image per chunk (no copies), and uneven multi-image chunks [3, 2].
            (shape(2, 2, 32, 32, 3, (3, 3), (1, 1), (1, 1)), true),
            (shape(5, 2, 20, 15, 3, (3, 3), (1, 1), (1, 1)), true),
            // Like SENet's conv1 (3 -> 64): grad_weight transposed, in 2 groups [3, 2].
            (shape(5, 3, 20, 20, 64, (3, 3), (1, 1), (1, 1)), true),
            // ResNet's stride-2 layers (col2im by column phases, or subsampled for 1x1): even
            // and odd sizes, batched chunks and one large image per chunk.
            (shape(3, 4, 8, 8, 6, (3, 3), (2, 2), (1, 1)), false),
            (shape(2, 3, 9, 11, 5, (3, 3), (2, 2), (1, 1)), true),
            (shape(2, 2, 33, 34, 3, (3, 3), (2, 2), (1, 1)), false),
            (shape(3, 4, 8, 8, 6, (1, 1), (2, 2), (0, 0)), false),
            (shape(2, 3, 9, 11, 5, (1, 1), (2, 2), (0, 0)), true),
            (shape(2, 2, 33, 34, 3, (1, 1), (2, 2), (0, 0)), false),
            // Stride 2 along the width only, and a padded 1x1 (both by column phases).
            (shape(2, 3, 7, 9, 4, (1, 1), (1, 2), (0, 0)), true),
            (shape(2, 3, 7, 9, 4, (1, 1), (2, 2), (1, 1)), false),
        ];
        for (i, (s, with_bias)) in cases.into_iter().enumerate() {
            check_against_reference(s, with_bias, 100 + i as u64);
        }
    }

    /// The column matrix's adjoint by the generic scatter and by [`col2im`] (which takes the
    /// fast paths for a width stride of 2), from random columns of a 2-image chunk.
    fn col2im_both_ways(s: &Conv2dShape) -> (Vec<f32>, Vec<f32>) {
        let nb = 2;
        let s = Conv2dShape { batch: nb, ..*s };
        let columns = Rng::new(31).vec(s.patch_len() * nb * s.out_plane());
        let mut generic = vec![f32::NAN; len(&s.input_shape())];
        col2im_by_taps(&s, &columns, nb, &mut generic, false);
        let mut fast = vec![f32::NAN; generic.len()];
        col2im(&s, &columns, nb, &mut fast, false);
        (generic, fast)
    }

    #[test]
    fn stride_2_col2im_gives_exactly_the_generic_scatter() {
        for s in [
            shape(1, 3, 8, 8, 1, (3, 3), (2, 2), (1, 1)),
            shape(1, 3, 9, 11, 1, (3, 3), (2, 2), (1, 1)),
            shape(1, 2, 1, 1, 1, (3, 3), (2, 2), (1, 1)),
            shape(1, 2, 7, 5, 1, (5, 4), (3, 2), (2, 3)),
            shape(1, 2, 6, 9, 1, (2, 2), (2, 2), (0, 0)),
            shape(1, 3, 8, 8, 1, (1, 1), (2, 2), (0, 0)),
            shape(1, 3, 9, 11, 1, (1, 1), (2, 2), (0, 0)),
            shape(1, 3, 9, 1, 1, (1, 1), (3, 2), (0, 0)),
            shape(1, 3, 9, 11, 1, (1, 1), (2, 2), (1, 0)),
        ] {
            s.validate("test").unwrap();
            let (generic, fast) = col2im_both_ways(&s);
            assert_eq!(generic, fast, "{s:?}");
        }
    }

    #[test]
    fn stride_2_gather_reads_every_other_element() {
        let src: Vec<f32> = (0..23).map(|v| v as f32).collect();
        for (out_len, pad, tap) in [(12, 1, 0), (12, 1, 1), (11, 1, 2), (12, 0, 0), (3, 2, 0), (1, 1, 1)] {
            let xs = Span::new(out_len, src.len(), 2, pad, tap);
            let mut got = vec![f32::NAN; out_len];
            gather_row(&src, &xs, 2, &mut got);
            let want: Vec<f32> = (0..out_len)
                .map(|o| (o * 2 + tap).checked_sub(pad).filter(|&x| x < src.len()).map_or(0.0, |x| src[x]))
                .collect();
            assert_eq!(got, want, "out_len {out_len}, pad {pad}, tap {tap}");
        }
    }

    #[test]
    fn chunks_cover_the_batch_in_even_gemm_sized_pieces() {
        let chunks = |s: Conv2dShape| (0..s.chunk_count()).map(|c| s.chunk(c)).collect::<Vec<_>>();
        // The stride-2 shapes of the thread test.
        assert_eq!(chunks(shape(8, 4, 64, 64, 8, (3, 3), (2, 2), (1, 1))).len(), 8);
        assert_eq!(chunks(shape(19, 6, 16, 16, 12, (1, 1), (2, 2), (0, 0))), [(0, 10), (10, 9)]);
        assert_eq!(chunks(shape(40, 6, 16, 15, 12, (3, 3), (2, 2), (1, 1))), [(0, 14), (14, 14), (28, 12)]);
        assert_eq!(chunks(shape(5, 2, 20, 15, 3, (3, 3), (1, 1), (1, 1))), [(0, 3), (3, 2)]);
        assert_eq!(chunks(shape(2, 2, 32, 32, 3, (3, 3), (1, 1), (1, 1))), [(0, 1), (1, 1)]);
        // SENet's last conv, 512 -> 1024 at 4x4: 23 images fill the 8 MB of scratch, so 6
        // chunks, evened out to 22 images.
        let last = shape(128, 512, 4, 4, 1024, (3, 3), (1, 1), (1, 1));
        assert_eq!(chunks(last), [(0, 22), (22, 22), (44, 22), (66, 22), (88, 22), (110, 18)]);
        const { assert!(23 * 16 * (512 * 9 + 1024) <= SCRATCH_FLOATS && 24 * 16 * (512 * 9 + 1024) > SCRATCH_FLOATS) };
    }

    #[test]
    fn grad_weight_is_split_for_small_layers_only() {
        let senet = |cin, size, cout| shape(128, cin, size, size, cout, (3, 3), (1, 1), (1, 1));
        let split = |s: Conv2dShape| (s.grad_weight_groups(), s.grad_weight_transposed());
        // conv1: 128 one-image chunks; K = 27 fills 4-row strips (28) better than 8-wide (32).
        assert_eq!(split(senet(3, 32, 64)), (MAX_GROUPS, MR == 4));
        assert_eq!(split(senet(64, 16, 128)).0, MAX_GROUPS);
        assert_eq!(split(senet(128, 8, 256)).0, MAX_GROUPS);
        // conv4: 3 scratch copies of its 512 x 2304 weights take 14 MB; conv5: one of its
        // 1024 x 4608 would take 19 MB.
        assert_eq!(split(senet(256, 8, 512)), (4, false));
        assert_eq!(split(senet(512, 4, 1024)), (1, false));
        // A batch of one has nothing to split.
        assert_eq!(shape(1, 3, 32, 32, 64, (3, 3), (1, 1), (1, 1)).grad_weight_groups(), 1);
    }

    #[test]
    fn results_are_identical_for_1_2_and_3_threads() {
        let _guard = POOL_LOCK.lock().unwrap();
        // Chunks (and grad_weight groups) run in parallel on every thread count, on some, or
        // on none, each GEMM then running on the pool: 8 chunks of one image (conv1-like:
        // grad_weight transposed, in 8 groups), 3 chunks of 3 images, 2 chunks, 1 chunk.
        for (s, with_bias) in [
            (shape(8, 3, 32, 32, 64, (3, 3), (1, 1), (1, 1)), true),
            (shape(9, 3, 20, 20, 64, (3, 3), (1, 1), (1, 1)), false),
            (shape(5, 8, 20, 15, 16, (3, 3), (1, 1), (1, 1)), true),
            (shape(3, 6, 9, 7, 10, (3, 2), (2, 1), (1, 0)), false),
            // ResNet's stride-2 layers: 8 one-image chunks, chunks of [10, 9] and [14, 14, 12].
            (shape(8, 4, 64, 64, 8, (3, 3), (2, 2), (1, 1)), false),
            (shape(19, 6, 16, 16, 12, (1, 1), (2, 2), (0, 0)), false),
            (shape(40, 6, 16, 15, 12, (3, 3), (2, 2), (1, 1)), true),
        ] {
            let d = Data::new(&s, with_bias, &mut Rng::new(9));
            threads::start_native_pool(1).unwrap();
            let one = run_passes(&s, &d);
            for threads in [2, 3] {
                threads::start_native_pool(threads).unwrap();
                let more = run_passes(&s, &d);
                assert_eq!(one.output, more.output, "output of {s:?} on {threads} threads");
                assert_eq!(one.grad_input, more.grad_input, "grad_input of {s:?} on {threads} threads");
                assert_eq!(one.grad_weight, more.grad_weight, "grad_weight of {s:?} on {threads} threads");
                assert_eq!(one.grad_bias, more.grad_bias, "grad_bias of {s:?} on {threads} threads");
            }
            threads::stop_pool();
        }
    }

    #[test]
    fn grad_weight_is_the_same_sum_in_any_grouping_and_orientation() {
        let _guard = POOL_LOCK.lock().unwrap();
        threads::start_native_pool(2).unwrap();
        // 8 chunks of one image.
        let s = shape(8, 3, 32, 32, 64, (3, 3), (1, 1), (1, 1));
        assert_eq!((s.chunk_count(), s.grad_weight_groups(), s.grad_weight_transposed()), (8, 8, true));
        let d = Data::new(&s, false, &mut Rng::new(5));
        let run = |groups: usize, transposed: bool| {
            let mut grad_weight = vec![f32::NAN; len(&s.weight_shape())];
            threads::run(|| grad_weight_in_groups(&s, &d.x, &d.r, &mut grad_weight, groups, transposed)).unwrap();
            grad_weight
        };
        // One sum straight into grad_weight, as large layers do.
        let want = to_f64(&run(1, false));
        for (groups, transposed) in [(8, true), (8, false), (1, true), (3, true), (5, false)] {
            let what = format!("grad_weight in {groups} groups, transposed: {transposed}");
            assert_close(&run(groups, transposed), &want, 1e-5, 1e-3, &what);
        }
        threads::stop_pool();
    }

    #[test]
    fn output_size_is_floored_like_pytorch() {
        let s = shape(1, 1, 7, 5, 1, (3, 2), (2, 2), (1, 0));
        assert_eq!((s.out_h(), s.out_w()), (4, 2));
        assert_eq!(s.output_shape(), [1, 1, 4, 2]);
        let s = shape(2, 3, 32, 32, 64, (3, 3), (1, 1), (1, 1));
        assert_eq!(s.output_shape(), [2, 64, 32, 32]);
        assert_eq!((s.input_shape(), s.weight_shape(), s.bias_shape()), ([2, 3, 32, 32], [64, 3, 3, 3], [64]));
    }

    #[test]
    fn validate_rejects_bad_shapes_naming_op_and_shapes() {
        let ok = shape(1, 3, 2, 2, 4, (3, 3), (1, 1), (1, 1));
        assert_eq!(ok.validate("op"), Ok(()));
        let err = |s: Conv2dShape| s.validate("conv2d_forward").unwrap_err();
        assert_eq!(
            err(Conv2dShape { pad_h: 0, pad_w: 0, ..ok }),
            "conv2d_forward: input [1, 3, 2, 2] is smaller than the kernel 3x3 with padding 0x0"
        );
        assert!(err(Conv2dShape { pad_w: 0, ..ok }).contains("smaller than the kernel 3x3 with padding 1x0"));
        assert_eq!(err(Conv2dShape { stride_w: 0, ..ok }), "conv2d_forward: the stride must be at least 1, got 1x0");
        assert_eq!(err(Conv2dShape { kernel_h: 0, ..ok }), "conv2d_forward: the kernel must be at least 1x1, got 0x3");
        for zero in [
            Conv2dShape { batch: 0, ..ok },
            Conv2dShape { in_channels: 0, ..ok },
            Conv2dShape { height: 0, ..ok },
            Conv2dShape { width: 0, ..ok },
            Conv2dShape { out_channels: 0, ..ok },
        ] {
            assert!(err(zero).starts_with("conv2d_forward: every size must be at least 1, got input ["), "{zero:?}");
        }
        let huge = usize::MAX / 2;
        assert!(err(Conv2dShape { pad_h: huge, ..ok }).contains("too large"));
        assert!(err(Conv2dShape { batch: huge, ..ok }).contains("too large"));
        assert!(err(Conv2dShape { out_channels: huge, in_channels: 4, ..ok }).contains("too large"));
    }

    #[test]
    fn validate_grad_output_rejects_empty_and_huge_shapes() {
        assert_eq!(validate_grad_output("op", [1, 2, 3, 4]), Ok(()));
        assert_eq!(
            validate_grad_output("conv2d_grad_bias", [2, 0, 3, 4]),
            Err("conv2d_grad_bias: every size must be at least 1, got grad_output [2, 0, 3, 4]".into())
        );
        let huge = usize::MAX / 2;
        assert!(validate_grad_output("op", [huge, 4, 1, 1]).unwrap_err().contains("too large"));
    }

    #[test]
    fn spans_cover_exactly_the_taps_inside_the_input() {
        for (out_len, in_len, stride, pad, tap) in
            [(5, 5, 1, 1, 0), (5, 5, 1, 1, 2), (2, 4, 3, 2, 0), (3, 1, 1, 2, 4), (1, 1, 2, 2, 0)]
        {
            let span = Span::new(out_len, in_len, stride, pad, tap);
            let inside: Vec<usize> =
                (0..out_len).filter(|&o| (o * stride + tap) >= pad && o * stride + tap - pad < in_len).collect();
            assert_eq!(span.range.clone().collect::<Vec<_>>(), inside, "{out_len} {in_len} {stride} {pad} {tap}");
            if let Some(&o) = inside.first() {
                assert_eq!(span.first, o * stride + tap - pad);
            }
        }
    }
}
