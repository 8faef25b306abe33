//! 3x3, stride-1, padding-1 convolutions by Winograd's minimal filtering (Lavin and Gray, "Fast
//! Algorithms for Convolutional Neural Networks", 2015): the forward pass, grad_input (the same
//! convolution of grad_output with the kernels rotated by 180° and their channels swapped) and
//! grad_weight.
//!
//! With F(2x2, 3x3), each 2x2 output tile comes from a 4x4 input tile `d` and a 3x3 kernel `g` as
//! `Y = Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A`: 16 multiplies instead of 36. Summed over input channels,
//! the element-wise products become 16 independent GEMMs, one per position `ξ` of the 4x4
//! transformed tile: `M[ξ] = U[ξ] · V[ξ]` with `U[ξ]` `[C2, C1]` the transformed kernels and
//! `V[ξ]` `[C1, tiles]` the transformed input tiles. The GEMMs do 2.25x fewer multiply-adds than
//! im2col's; the transforms cost `O(C·tiles)` against the GEMMs' `O(C1·C2·tiles)`, which is why
//! this path is taken only for layers with at least [`MIN_CHANNELS`] channels on both sides and
//! [`MIN_TILES`] tiles in the batch (the kernels' transform costs `O(C1·C2)` a call).
//! F(2x2, 3x3)'s transforms have coefficients 0, ±1 and ±1/2 only, so it is about as accurate as
//! the direct convolution.
//!
//! F(4x4, 3x3) makes 4x4 output tiles from 6x6 input tiles: 36 GEMMs and 2.25 multiplies an
//! output pixel instead of 9 (4x fewer; F(2x2) does 4). Its transforms (points 0, ±1, ±2) cost
//! more and lose about one more digit, so all three passes take it only for layers with at least
//! [`F4_MIN_CHANNELS`] channels on both sides, where the GEMMs dominate (SENet's conv3-conv5:
//! inference 1.4x faster).
//!
//! grad_weight differentiates the same formula with respect to `g`: summed over all tiles,
//! `∂L/∂g = Gᵀ [Σ (A dY Aᵀ) ⊙ (Bᵀ d B)] G`, where `dY` is an output tile of grad_output. The
//! sums are again 16 (or 36) GEMMs, `dU[ξ] = Z[ξ] · V[ξ]ᵀ` `[Cout, Cin]` with `Z[ξ]` `[Cout,
//! tiles]` the transformed grad_output tiles, accumulated over the chunks in order.
//!
//! Images are processed in chunks (a fixed number per chunk, from the shape only) so that the
//! scratch stays within [`SCRATCH_FLOATS`]; within a chunk the input transform runs in parallel
//! over input channels, the 16 or 36 GEMMs in parallel (each on one thread), and the output
//! transform in parallel over output channels. Nothing depends on the thread count, so neither
//! do results.
//! Odd heights and widths are covered by partial tiles at the bottom and right.

use crate::conv::Conv2dShape;
use crate::gemm::{gemm_on, MatRef, Start};
use crate::scratch::{self, Slot};
use crate::threads::SharedMut;
use rayon::prelude::*;
use std::ops::{Add, Mul, Sub};

/// Fewest channels (in and out) for which the transforms pay off.
pub const MIN_CHANNELS: usize = 16;
/// Fewest channels on both sides for F(4x4, 3x3): its transforms cost about twice F(2x2)'s per
/// output pixel, against GEMMs with 1.78x fewer multiply-adds, so it wins only where the GEMMs
/// are deep (SENet's conv3 to conv5, bench:kernels).
pub const F4_MIN_CHANNELS: usize = 128;
/// Fewest tiles (over the whole batch) for which the kernel transform, `O(C1·C2)` a call, pays
/// off: SENet's conv5 at batch 1 has 4 tiles and would spend most of its time on it.
pub const MIN_TILES: usize = 128;
/// GEMM width (tiles) a chunk of images aims for.
const TARGET_TILES: usize = 512;
/// Most floats the chunk's transformed input and products may hold together (32 MB).
const SCRATCH_FLOATS: usize = 8 << 20;

/// Transformed kernels `U`, `[positions, C2, C1]` (or their gradients in grad_weight).
static KERNELS: Slot<f32> = Slot::new();
/// The chunk's transformed input tiles `V`, `[C1, positions, tiles]`.
static TILES: Slot<f32> = Slot::new();
/// The chunk's products `M`, `[positions, C2, tiles]`.
static PRODUCTS: Slot<f32> = Slot::new();

/// The output tile: F(2x2, 3x3) (4x4 input tiles, 16 GEMMs) or F(4x4, 3x3) (6x6 input tiles, 36
/// GEMMs with 2.25 multiplies an output pixel instead of 4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tile {
    F2,
    F4,
}

impl Tile {
    /// The tiling for a convolution from `c1` to `c2` channels.
    fn for_channels(c1: usize, c2: usize) -> Tile {
        if c1 >= F4_MIN_CHANNELS && c2 >= F4_MIN_CHANNELS {
            Tile::F4
        } else {
            Tile::F2
        }
    }

    /// Output pixels along a side of a tile.
    fn size(self) -> usize {
        match self {
            Tile::F2 => 2,
            Tile::F4 => 4,
        }
    }

    /// Positions in a transformed tile: `(size + 2)²`, one GEMM each.
    fn positions(self) -> usize {
        (self.size() + 2).pow(2)
    }
}

/// Whether `s` is a 3x3, stride-1, padding-1 convolution with enough channels and tiles for
/// this path.
pub fn applies(s: &Conv2dShape) -> bool {
    (s.kernel_h, s.kernel_w, s.stride_h, s.stride_w, s.pad_h, s.pad_w) == (3, 3, 1, 1, 1, 1)
        && s.in_channels >= MIN_CHANNELS
        && s.out_channels >= MIN_CHANNELS
        && s.batch.saturating_mul(s.height.div_ceil(2) * s.width.div_ceil(2)) >= MIN_TILES
}

/// `output = conv(input, weight) + bias` for a shape that [`applies`].
pub fn forward(s: &Conv2dShape, input: &[f32], weight: &[f32], bias: Option<&[f32]>, output: &mut [f32]) {
    forward_tiled(Tile::for_channels(s.in_channels, s.out_channels), s, input, weight, bias, output);
}

fn forward_tiled(tile: Tile, s: &Conv2dShape, input: &[f32], weight: &[f32], bias: Option<&[f32]>, output: &mut [f32]) {
    let plan = Plan::new(tile, s.batch, s.in_channels, s.out_channels, s.height, s.width);
    scratch::lend(&KERNELS, |u| {
        transform_kernels(tile, weight, s.out_channels, s.in_channels, false, u);
        convolve(&plan, input, u, bias, output);
    });
}

/// `grad_input` from `grad_output` for a shape that [`applies`]: the convolution of
/// `grad_output` (channels `Cout`) with the rotated kernels (`Cout` -> `Cin`), padding 1.
pub fn grad_input(s: &Conv2dShape, grad_output: &[f32], weight: &[f32], grad_input: &mut [f32]) {
    grad_input_tiled(Tile::for_channels(s.out_channels, s.in_channels), s, grad_output, weight, grad_input);
}

fn grad_input_tiled(tile: Tile, s: &Conv2dShape, grad_output: &[f32], weight: &[f32], grad_input: &mut [f32]) {
    let plan = Plan::new(tile, s.batch, s.out_channels, s.in_channels, s.height, s.width);
    scratch::lend(&KERNELS, |u| {
        transform_kernels(tile, weight, s.out_channels, s.in_channels, true, u);
        convolve(&plan, grad_output, u, None, grad_input);
    });
}

/// `grad_weight` `[Cout, Cin, 3, 3]` (overwritten) from `input` and `grad_output`, summed over
/// the batch, for a shape that [`applies`].
pub fn grad_weight(s: &Conv2dShape, input: &[f32], grad_output: &[f32], grad_weight: &mut [f32]) {
    grad_weight_tiled(Tile::for_channels(s.in_channels, s.out_channels), s, input, grad_output, grad_weight);
}

fn grad_weight_tiled(tile: Tile, s: &Conv2dShape, input: &[f32], grad_output: &[f32], grad_weight: &mut [f32]) {
    let plan = Plan::new(tile, s.batch, s.in_channels, s.out_channels, s.height, s.width);
    let (cin, cout, plane, positions) = (s.in_channels, s.out_channels, s.height * s.width, tile.positions());
    let nb = plan.images_per_chunk();
    scratch::lend(&KERNELS, |du| {
        du.resize(positions * cout * cin, 0.0);
        for (c, first) in (0..s.batch).step_by(nb).enumerate() {
            let images = nb.min(s.batch - first);
            let width = images * plan.tiles();
            let input = &input[first * cin * plane..][..images * cin * plane];
            let grad_output = &grad_output[first * cout * plane..][..images * cout * plane];
            scratch::lend(&TILES, |v| {
                transform_planes(input, cin, images, v, width, positions, |image, v, at| match tile {
                    Tile::F2 => transform_input_plane(&plan, image, v, at, width),
                    Tile::F4 => transform_input_plane_f4(&plan, image, v, at, width),
                });
                scratch::lend(&PRODUCTS, |z| {
                    transform_planes(grad_output, cout, images, z, width, positions, |g, z, at| match tile {
                        Tile::F2 => transform_grad_plane(&plan, g, z, at, width),
                        Tile::F4 => transform_grad_plane_f4(&plan, g, z, at, width),
                    });
                    let start = if c == 0 { Start::Zero } else { Start::Accumulate };
                    du.par_chunks_mut(cout * cin).enumerate().for_each(|(xi, du)| {
                        let a = MatRef { data: &z[xi * width..], ld: positions * width, transposed: false };
                        let b = MatRef { data: &v[xi * width..], ld: positions * width, transposed: true };
                        gemm_on(cout, cin, width, a, b, du, cin, start, false).expect("winograd GEMM shapes");
                    });
                });
            });
        }
        let block = cout * cin;
        grad_weight.par_chunks_mut(cin * 9).enumerate().for_each(|(co, rows)| {
            for (ci, dst) in rows.chunks_mut(9).enumerate() {
                let t = |xi: usize| du[xi * block + co * cin + ci];
                dst.copy_from_slice(&match tile {
                    Tile::F2 => kernel_gradient(&std::array::from_fn(t)),
                    Tile::F4 => kernel_gradient_f4(&std::array::from_fn(t)),
                });
            }
        });
    });
}

/// A convolution from `c1` to `c2` channels of `batch` images of `h x w`, in tiles.
#[derive(Debug)]
struct Plan {
    tile: Tile,
    batch: usize,
    c1: usize,
    c2: usize,
    h: usize,
    w: usize,
    tiles_h: usize,
    tiles_w: usize,
}

impl Plan {
    fn new(tile: Tile, batch: usize, c1: usize, c2: usize, h: usize, w: usize) -> Plan {
        let size = tile.size();
        Plan { tile, batch, c1, c2, h, w, tiles_h: h.div_ceil(size), tiles_w: w.div_ceil(size) }
    }

    /// Output tiles per image.
    fn tiles(&self) -> usize {
        self.tiles_h * self.tiles_w
    }

    /// Images per chunk: enough for [`TARGET_TILES`] GEMM columns, within [`SCRATCH_FLOATS`],
    /// evened out so that all chunks but the last have the same size.
    fn images_per_chunk(&self) -> usize {
        let per_image = self.tiles() * self.tile.positions() * (self.c1 + self.c2);
        let most = TARGET_TILES.div_ceil(self.tiles()).min(SCRATCH_FLOATS / per_image).clamp(1, self.batch);
        self.batch.div_ceil(self.batch.div_ceil(most))
    }
}

/// `U[ξ][r][c] = (G g Gᵀ)[ξ]` for every kernel: with `rotated` false, `g = W[r][c]` (rows `Cout`,
/// columns `Cin`); with `rotated` true, `g = W[c][r]` turned by 180° (rows `Cin`, columns `Cout`).
fn transform_kernels(tile: Tile, weight: &[f32], cout: usize, cin: usize, rotated: bool, u: &mut Vec<f32>) {
    let (rows, cols) = if rotated { (cin, cout) } else { (cout, cin) };
    u.resize(tile.positions() * rows * cols, 0.0);
    let block = rows * cols;
    let out = SharedMut(u.as_mut_ptr());
    (0..rows).into_par_iter().for_each(|r| {
        let out = &out;
        // SAFETY: task `r` alone writes row `r` of every block `ξ`, inside `u`.
        let write = |xi: usize, c: usize, v: f32| unsafe { *out.0.add(xi * block + r * cols + c) = v };
        // Tap `i` of kernel `g` at column `c`.
        let tap = |c: usize, i: usize| {
            let (co, ci) = if rotated { (c, r) } else { (r, c) };
            weight[(co * cin + ci) * 9 + if rotated { 8 - i } else { i }]
        };
        let mut c = 0;
        if tile == Tile::F4 {
            // Four columns at a time, in SIMD lanes.
            while c + 4 <= cols {
                let g: [Lanes; 9] = std::array::from_fn(|i| Lanes(std::array::from_fn(|lane| tap(c + lane, i))));
                for (xi, v) in kernel_tile_f4(g).into_iter().enumerate() {
                    v.0.into_iter().enumerate().for_each(|(lane, v)| write(xi, c + lane, v));
                }
                c += 4;
            }
        }
        for c in c..cols {
            let g: [f32; 9] = std::array::from_fn(|i| tap(c, i));
            match tile {
                Tile::F2 => kernel_tile(&g).into_iter().enumerate().for_each(|(xi, v)| write(xi, c, v)),
                Tile::F4 => kernel_tile_f4(g).into_iter().enumerate().for_each(|(xi, v)| write(xi, c, v)),
            }
        }
    });
}

/// `G g Gᵀ` of a 3x3 kernel (row-major), with `G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1]`.
fn kernel_tile(g: &[f32; 9]) -> [f32; 16] {
    let row = |i: usize| [g[3 * i], g[3 * i + 1], g[3 * i + 2]];
    let [r0, r1, r2] = [row(0), row(1), row(2)];
    let mut gg = [[0.0f32; 3]; 4];
    for j in 0..3 {
        gg[0][j] = r0[j];
        gg[1][j] = 0.5 * (r0[j] + r1[j] + r2[j]);
        gg[2][j] = 0.5 * (r0[j] - r1[j] + r2[j]);
        gg[3][j] = r2[j];
    }
    let mut t = [0.0f32; 16];
    for (i, [a, b, c]) in gg.into_iter().enumerate() {
        t[4 * i..4 * i + 4].copy_from_slice(&[a, 0.5 * (a + b + c), 0.5 * (a - b + c), c]);
    }
    t
}

/// `output[n, c2] = Σ_c1 conv(input[n, c1], U) (+ bias[c2])` by tiles, chunk by chunk.
fn convolve(plan: &Plan, input: &[f32], u: &[f32], bias: Option<&[f32]>, output: &mut [f32]) {
    let (c1, c2, plane, positions) = (plan.c1, plan.c2, plan.h * plan.w, plan.tile.positions());
    let nb = plan.images_per_chunk();
    for (c, out) in output.chunks_mut(nb * c2 * plane).enumerate() {
        let images = out.len() / (c2 * plane);
        let input = &input[c * nb * c1 * plane..][..images * c1 * plane];
        let width = images * plan.tiles();
        scratch::lend(&TILES, |v| {
            transform_planes(input, c1, images, v, width, positions, |image, v, at| match plan.tile {
                Tile::F2 => transform_input_plane(plan, image, v, at, width),
                Tile::F4 => transform_input_plane_f4(plan, image, v, at, width),
            });
            scratch::lend(&PRODUCTS, |m| {
                m.resize(positions * c2 * width, 0.0);
                m.par_chunks_mut(c2 * width).enumerate().for_each(|(xi, m)| {
                    let a = MatRef { data: &u[xi * c2 * c1..][..c2 * c1], ld: c1, transposed: false };
                    let b = MatRef { data: &v[xi * width..], ld: positions * width, transposed: false };
                    gemm_on(c2, width, c1, a, b, m, width, Start::Zero, false).expect("winograd GEMM shapes");
                });
                // One task an output channel, whose products are contiguous in each `M[ξ]`.
                let out = SharedMut(out.as_mut_ptr());
                (0..c2).into_par_iter().for_each(|ch| {
                    transform_output_channel(plan, m, ch, width, bias.map_or(0.0, |b| b[ch]), &out);
                });
            });
        });
    }
}

/// Transforms the planes of `images` images of `channels` channels into `out` `[channels,
/// positions, width]`, in parallel over channels: `transform(plane, out[channel], first tile of
/// the image)`.
fn transform_planes(
    images_data: &[f32],
    channels: usize,
    images: usize,
    out: &mut Vec<f32>,
    width: usize,
    positions: usize,
    transform: impl Fn(&[f32], &mut [f32], usize) + Sync + Send,
) {
    let plane = images_data.len() / (images * channels);
    let tiles = width / images;
    out.resize(channels * positions * width, 0.0);
    out.par_chunks_mut(positions * width).enumerate().for_each(|(ch, out)| {
        for n in 0..images {
            transform(&images_data[(n * channels + ch) * plane..][..plane], out, n * tiles);
        }
    });
}

/// Writes `Bᵀ d B` of every 4x4 input tile of one `h x w` plane into `v[ξ·width + first + t]`,
/// with `Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1]`. Tile `(ty, tx)` reads rows `2ty − 1 ..=
/// 2ty + 2` and columns `2tx − 1 ..= 2tx + 2`, zero outside the plane (the padding).
fn transform_input_plane(plan: &Plan, image: &[f32], v: &mut [f32], first: usize, width: usize) {
    let (h, w) = (plan.h as isize, plan.w as isize);
    for ty in 0..plan.tiles_h {
        for tx in 0..plan.tiles_w {
            let (y0, x0) = (2 * ty as isize - 1, 2 * tx as isize - 1);
            let mut d = [[0.0f32; 4]; 4];
            for (i, row) in d.iter_mut().enumerate() {
                let y = y0 + i as isize;
                if y < 0 || y >= h {
                    continue;
                }
                for (j, value) in row.iter_mut().enumerate() {
                    let x = x0 + j as isize;
                    if x >= 0 && x < w {
                        *value = image[(y * w + x) as usize];
                    }
                }
            }
            // Bᵀ d, then (Bᵀ d) B.
            let col = |a: [f32; 4], b: [f32; 4], f: fn(f32, f32) -> f32| -> [f32; 4] { std::array::from_fn(|j| f(a[j], b[j])) };
            let t = [
                col(d[0], d[2], |a, b| a - b),
                col(d[1], d[2], |a, b| a + b),
                col(d[2], d[1], |a, b| a - b),
                col(d[1], d[3], |a, b| a - b),
            ];
            let at = first + ty * plan.tiles_w + tx;
            for (i, [a, b, c, e]) in t.into_iter().enumerate() {
                let row = [a - c, b + c, c - b, b - e];
                for (j, value) in row.into_iter().enumerate() {
                    v[(4 * i + j) * width + at] = value;
                }
            }
        }
    }
}

/// What the kernel and output transforms compute with: one tile's values (`f32`) or four tiles'
/// side by side ([`Lanes`], which the compiler maps to SIMD).
trait Value: Copy + Add<Output = Self> + Sub<Output = Self> + Mul<f32, Output = Self> {}
impl Value for f32 {}

#[derive(Clone, Copy, Debug)]
struct Lanes([f32; 4]);
impl Value for Lanes {}

impl Add for Lanes {
    type Output = Lanes;
    fn add(self, o: Lanes) -> Lanes {
        Lanes(std::array::from_fn(|i| self.0[i] + o.0[i]))
    }
}

impl Sub for Lanes {
    type Output = Lanes;
    fn sub(self, o: Lanes) -> Lanes {
        Lanes(std::array::from_fn(|i| self.0[i] - o.0[i]))
    }
}

impl Mul<f32> for Lanes {
    type Output = Lanes;
    fn mul(self, k: f32) -> Lanes {
        Lanes(self.0.map(|v| v * k))
    }
}

/// `G = [¼ 0 0; −⅙ −⅙ −⅙; −⅙ ⅙ −⅙; 1/24 1/12 ⅙; 1/24 −1/12 ⅙; 0 0 1]` times a column `(a, b, c)`.
#[inline(always)]
fn g_f4<T: Value>([a, b, c]: [T; 3]) -> [T; 6] {
    let (even, odd) = (a + c, b);
    let (even_sixth, small) = ((a * (1.0 / 24.0)) + (c * (1.0 / 6.0)), b * (1.0 / 12.0));
    [a * 0.25, (even + odd) * (-1.0 / 6.0), (even - odd) * (-1.0 / 6.0), even_sixth + small, even_sixth - small, c]
}

/// `Bᵀ d` for F(4x4, 3x3), `Bᵀ = [4 0 −5 0 1 0; 0 −4 −4 1 1 0; 0 4 −4 −1 1 0; 0 −2 −1 2 1 0;
/// 0 2 −1 −2 1 0; 0 4 0 −5 0 1]`, on six columns at once (`d[k][j]`: row `k`, column `j`).
#[inline(always)]
fn bt_f4(d: [[f32; 6]; 6]) -> [[f32; 6]; 6] {
    let mut out = [[0.0f32; 6]; 6];
    for j in 0..6 {
        out[0][j] = 4.0 * d[0][j] - 5.0 * d[2][j] + d[4][j];
        out[1][j] = d[3][j] + d[4][j] - 4.0 * (d[1][j] + d[2][j]);
        out[2][j] = d[4][j] - d[3][j] + 4.0 * (d[1][j] - d[2][j]);
        out[3][j] = d[4][j] - d[2][j] + 2.0 * (d[3][j] - d[1][j]);
        out[4][j] = d[4][j] - d[2][j] + 2.0 * (d[1][j] - d[3][j]);
        out[5][j] = 4.0 * d[1][j] - 5.0 * d[3][j] + d[5][j];
    }
    out
}

/// `Aᵀ m` for F(4x4, 3x3), `Aᵀ = [1 1 1 1 1 0; 0 1 −1 2 −2 0; 0 1 1 4 4 0; 0 1 −1 8 −8 1]`, on
/// `C` columns at once.
#[inline(always)]
fn at_f4<T: Value, const C: usize>(m: [[T; C]; 6]) -> [[T; C]; 4] {
    let mut out = [[m[0][0]; C]; 4];
    for j in 0..C {
        let (a, b) = (m[1][j] + m[2][j], m[1][j] - m[2][j]);
        let (c, d) = (m[3][j] + m[4][j], m[3][j] - m[4][j]);
        out[0][j] = m[0][j] + a + c;
        out[1][j] = b + d * 2.0;
        out[2][j] = a + c * 4.0;
        out[3][j] = b + d * 8.0 + m[5][j];
    }
    out
}

/// Transposes an `R x C` block.
#[inline(always)]
fn transposed<T: Copy, const R: usize, const C: usize>(m: [[T; C]; R]) -> [[T; R]; C] {
    std::array::from_fn(|j| std::array::from_fn(|i| m[i][j]))
}

/// `G g Gᵀ` (6x6, row-major) of a 3x3 kernel (row-major) for F(4x4, 3x3).
#[inline(always)]
fn kernel_tile_f4<T: Value>(g: [T; 9]) -> [T; 36] {
    let columns: [[T; 6]; 3] = std::array::from_fn(|j| g_f4([g[j], g[3 + j], g[6 + j]]));
    let rows: [[T; 6]; 6] = std::array::from_fn(|i| g_f4([columns[0][i], columns[1][i], columns[2][i]]));
    std::array::from_fn(|xi| rows[xi / 6][xi % 6])
}

/// F(4x4, 3x3)'s [`transform_input_plane`]: writes `Bᵀ d B` of every 6x6 input tile into
/// `v[ξ·width + first + t]`, `ξ < 36`. Tile `(ty, tx)` reads rows `4ty − 1 ..= 4ty + 4` and
/// columns `4tx − 1 ..= 4tx + 4`, zero outside the plane (the padding).
fn transform_input_plane_f4(plan: &Plan, image: &[f32], v: &mut [f32], first: usize, width: usize) {
    let (h, w) = (plan.h as isize, plan.w);
    for ty in 0..plan.tiles_h {
        for tx in 0..plan.tiles_w {
            let x0 = 4 * tx as isize - 1;
            let d: [[f32; 6]; 6] = std::array::from_fn(|k| {
                let y = 4 * ty as isize - 1 + k as isize;
                if y < 0 || y >= h {
                    return [0.0; 6];
                }
                let row = &image[y as usize * w..][..w];
                if x0 >= 0 && x0 as usize + 6 <= w {
                    return row[x0 as usize..][..6].try_into().unwrap();
                }
                std::array::from_fn(|j| {
                    let x = x0 + j as isize;
                    if x >= 0 && (x as usize) < w {
                        row[x as usize]
                    } else {
                        0.0
                    }
                })
            });
            // Bᵀ d, then (Bᵀ d) B = (Bᵀ (Bᵀ d)ᵀ)ᵀ: t[j][i] is (Bᵀ d B)[i][j].
            let t = bt_f4(transposed(bt_f4(d)));
            let at = first + ty * plan.tiles_w + tx;
            for (j, column) in t.iter().enumerate() {
                for (i, &value) in column.iter().enumerate() {
                    v[(6 * i + j) * width + at] = value;
                }
            }
        }
    }
}

/// `Aᵀ m` for F(2x2, 3x3), `Aᵀ = [1 1 1 0; 0 1 −1 −1]`, on `C` columns at once.
#[inline(always)]
fn at_f2<T: Value, const C: usize>(m: [[T; C]; 4]) -> [[T; C]; 2] {
    [std::array::from_fn(|j| m[0][j] + m[1][j] + m[2][j]), std::array::from_fn(|j| m[1][j] - m[2][j] - m[3][j])]
}

/// Writes `Aᵀ M A + add` of every tile of the chunk into output channel `ch` of its image:
/// `M[ξ]` of tile `t` is `m[(ξ·C2 + ch)·width + t]`, and the plane of image `n` of the chunk
/// starts at `out + (n·C2 + ch)·h·w`. Four tiles at a time in SIMD lanes (their products are
/// contiguous in each `M[ξ]`); partial tiles at the bottom and right edges write only their
/// pixels inside the plane.
fn transform_output_channel(plan: &Plan, m: &[f32], ch: usize, width: usize, add: f32, out: &SharedMut<f32>) {
    match plan.tile {
        Tile::F2 => output_tiles::<4, 2>(plan, m, ch, width, add, out, |p| at_f2(transposed(at_f2(p))), |p| at_f2(transposed(at_f2(p)))),
        Tile::F4 => output_tiles::<6, 4>(plan, m, ch, width, add, out, |p| at_f4(transposed(at_f4(p))), |p| at_f4(transposed(at_f4(p)))),
    }
}

/// [`transform_output_channel`] for `S x S` transformed tiles and `T x T` output tiles, with
/// `lanes` and `single` the output transform `(Aᵀ (Aᵀ M)ᵀ)ᵀ` (`y[j][i]` is pixel `(i, j)`).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn output_tiles<const S: usize, const T: usize>(
    plan: &Plan,
    m: &[f32],
    ch: usize,
    width: usize,
    add: f32,
    out: &SharedMut<f32>,
    lanes: impl Fn([[Lanes; S]; S]) -> [[Lanes; T]; T],
    single: impl Fn([[f32; S]; S]) -> [[f32; T]; T],
) {
    let c2 = plan.c2;
    let streams: [[&[f32]; S]; S] = std::array::from_fn(|i| std::array::from_fn(|j| &m[((S * i + j) * c2 + ch) * width..][..width]));
    // Writes output tile `at` of the chunk, pixel (i, j) being `value(i, j)`.
    let write = |at: usize, value: &dyn Fn(usize, usize) -> f32| {
        let (n, t) = (at / plan.tiles(), at % plan.tiles());
        let (y0, x0) = (T * (t / plan.tiles_w), T * (t % plan.tiles_w));
        let plane = plan.h * plan.w;
        for i in 0..T.min(plan.h - y0) {
            for j in 0..T.min(plan.w - x0) {
                // SAFETY: pixel (y0 + i, x0 + j) lies in plane (n, ch), which this task alone writes.
                unsafe { *out.0.add((n * c2 + ch) * plane + (y0 + i) * plan.w + x0 + j) = value(i, j) + add };
            }
        }
    };
    let mut at = 0;
    while at + 4 <= width {
        let p = std::array::from_fn(|i| std::array::from_fn(|j| Lanes(streams[i][j][at..at + 4].try_into().unwrap())));
        let y = lanes(p);
        for lane in 0..4 {
            write(at + lane, &|i, j| y[j][i].0[lane]);
        }
        at += 4;
    }
    for at in at..width {
        let y = single(std::array::from_fn(|i| std::array::from_fn(|j| streams[i][j][at])));
        write(at, &|i, j| y[j][i]);
    }
}

/// Writes `A dY Aᵀ` of every 2x2 tile of one grad_output plane into `z[ξ·width + first + t]`,
/// with `A = [1 0; 1 1; 1 −1; 0 −1]`; pixels of partial tiles outside the plane count as 0.
fn transform_grad_plane(plan: &Plan, grad: &[f32], z: &mut [f32], first: usize, width: usize) {
    let (h, w) = (plan.h, plan.w);
    let at = |y: usize, x: usize| if y < h && x < w { grad[y * w + x] } else { 0.0 };
    for ty in 0..plan.tiles_h {
        for tx in 0..plan.tiles_w {
            let (y, x) = (2 * ty, 2 * tx);
            let [p, q, r, t] = [at(y, x), at(y, x + 1), at(y + 1, x), at(y + 1, x + 1)];
            // A dY, then (A dY) Aᵀ.
            let rows = [[p, q], [p + r, q + t], [p - r, q - t], [-r, -t]];
            let column = first + ty * plan.tiles_w + tx;
            for (i, [a, b]) in rows.into_iter().enumerate() {
                for (j, value) in [a, a + b, a - b, -b].into_iter().enumerate() {
                    z[(4 * i + j) * width + column] = value;
                }
            }
        }
    }
}

/// `Gᵀ t G` (3x3, row-major) of a 4x4 tile, the adjoint of [`kernel_tile`].
fn kernel_gradient(t: &[f32; 16]) -> [f32; 9] {
    let fold = |[a, b, c, d]: [f32; 4]| [a + 0.5 * (b + c), 0.5 * (b - c), 0.5 * (b + c) + d];
    let rows: [[f32; 3]; 4] = std::array::from_fn(|i| fold([t[4 * i], t[4 * i + 1], t[4 * i + 2], t[4 * i + 3]]));
    let mut out = [0.0f32; 9];
    for j in 0..3 {
        let [a, b, c] = fold([rows[0][j], rows[1][j], rows[2][j], rows[3][j]]);
        out[j] = a;
        out[3 + j] = b;
        out[6 + j] = c;
    }
    out
}

/// F(4x4, 3x3)'s [`transform_grad_plane`]: writes `A dY Aᵀ` of every 4x4 tile of one
/// grad_output plane into `z[ξ·width + first + t]`, `ξ < 36`, with `A` the transpose of
/// [`at_f4`]'s `Aᵀ`; pixels of partial tiles outside the plane count as 0.
fn transform_grad_plane_f4(plan: &Plan, grad: &[f32], z: &mut [f32], first: usize, width: usize) {
    let (h, w) = (plan.h, plan.w);
    // A v for a 4-vector v: [v0, v0 + v1 + v2 + v3, v0 − v1 + v2 − v3, v0 + 2v1 + 4v2 + 8v3, v0 − 2v1 + 4v2 − 8v3, v3].
    let a = |v: [f32; 4]| {
        let (even, odd) = (v[0] + v[2], v[1] + v[3]);
        let (even4, odd8) = (v[0] + 4.0 * v[2], 2.0 * v[1] + 8.0 * v[3]);
        [v[0], even + odd, even - odd, even4 + odd8, even4 - odd8, v[3]]
    };
    for ty in 0..plan.tiles_h {
        for tx in 0..plan.tiles_w {
            let (y0, x0) = (4 * ty, 4 * tx);
            let d: [[f32; 4]; 4] = std::array::from_fn(|i| {
                std::array::from_fn(|j| if y0 + i < h && x0 + j < w { grad[(y0 + i) * w + x0 + j] } else { 0.0 })
            });
            // A dY (6x4, column by column), then (A dY) Aᵀ (row by row).
            let columns: [[f32; 6]; 4] = std::array::from_fn(|j| a([d[0][j], d[1][j], d[2][j], d[3][j]]));
            let column = first + ty * plan.tiles_w + tx;
            for i in 0..6 {
                for (j, value) in a([columns[0][i], columns[1][i], columns[2][i], columns[3][i]]).into_iter().enumerate() {
                    z[(6 * i + j) * width + column] = value;
                }
            }
        }
    }
}

/// `Gᵀ t G` (3x3, row-major) of a 6x6 tile, the adjoint of [`kernel_tile_f4`].
fn kernel_gradient_f4(t: &[f32; 36]) -> [f32; 9] {
    // Gᵀ w for a 6-vector w.
    let fold = |w: [f32; 6]| {
        let (sum, difference) = (w[1] + w[2], w[2] - w[1]);
        let (sum4, difference4) = (w[3] + w[4], w[3] - w[4]);
        [
            w[0] / 4.0 - sum / 6.0 + sum4 / 24.0,
            difference / 6.0 + difference4 / 12.0,
            sum4 / 6.0 - sum / 6.0 + w[5],
        ]
    };
    let rows: [[f32; 3]; 6] = std::array::from_fn(|i| fold(std::array::from_fn(|j| t[6 * i + j])));
    let mut out = [0.0f32; 9];
    for j in 0..3 {
        let [a, b, c] = fold(std::array::from_fn(|i| rows[i][j]));
        out[j] = a;
        out[3 + j] = b;
        out[6 + j] = c;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{assert_close, Rng, POOL_LOCK};
    use crate::threads;

    fn shape(batch: usize, cin: usize, h: usize, w: usize, cout: usize) -> Conv2dShape {
        Conv2dShape {
            batch,
            in_channels: cin,
            height: h,
            width: w,
            out_channels: cout,
            kernel_h: 3,
            kernel_w: 3,
            stride_h: 1,
            stride_w: 1,
            pad_h: 1,
            pad_w: 1,
        }
    }

    /// The direct 3x3 padding-1 convolution in f64: `out[n, o] = Σ_i x[n, i] ⋆ k(o, i) (+ b)`,
    /// with `k(o, i)` the 9 taps `w[(o, i)]` as `index(o, i)` picks them.
    fn reference(
        batch: usize,
        c1: usize,
        c2: usize,
        h: usize,
        w: usize,
        x: &[f32],
        tap: impl Fn(usize, usize, usize, usize) -> f32,
        bias: Option<&[f32]>,
    ) -> Vec<f64> {
        let mut out = vec![0.0f64; batch * c2 * h * w];
        for n in 0..batch {
            for o in 0..c2 {
                for y in 0..h {
                    for xx in 0..w {
                        let mut sum = bias.map_or(0.0, |b| b[o] as f64);
                        for i in 0..c1 {
                            for ky in 0..3 {
                                for kx in 0..3 {
                                    let (sy, sx) = (y as isize + ky as isize - 1, xx as isize + kx as isize - 1);
                                    if sy >= 0 && sy < h as isize && sx >= 0 && sx < w as isize {
                                        let v = x[((n * c1 + i) * h + sy as usize) * w + sx as usize] as f64;
                                        sum += v * tap(o, i, ky, kx) as f64;
                                    }
                                }
                            }
                        }
                        out[((n * c2 + o) * h + y) * w + xx] = sum;
                    }
                }
            }
        }
        out
    }

    /// `∂L/∂w[o, i, ky, kx] = Σ_n Σ_(y, x) grad_output[n, o, y, x] · x[n, i, y + ky − 1, x + kx − 1]`.
    fn reference_grad_weight(s: &Conv2dShape, x: &[f32], gy: &[f32]) -> Vec<f64> {
        let (n, cin, cout, h, w) = (s.batch, s.in_channels, s.out_channels, s.height, s.width);
        let mut out = vec![0.0f64; cout * cin * 9];
        for b in 0..n {
            for o in 0..cout {
                for i in 0..cin {
                    for ky in 0..3 {
                        for kx in 0..3 {
                            let mut sum = 0.0;
                            for y in 0..h {
                                for xx in 0..w {
                                    let (sy, sx) = (y as isize + ky as isize - 1, xx as isize + kx as isize - 1);
                                    if sy >= 0 && sy < h as isize && sx >= 0 && sx < w as isize {
                                        let v = x[((b * cin + i) * h + sy as usize) * w + sx as usize] as f64;
                                        sum += v * gy[((b * cout + o) * h + y) * w + xx] as f64;
                                    }
                                }
                            }
                            out[(o * cin + i) * 9 + ky * 3 + kx] += sum;
                        }
                    }
                }
            }
        }
        out
    }

    struct Run {
        output: Vec<f32>,
        grad_input: Vec<f32>,
        grad_weight: Vec<f32>,
    }

    /// The three passes by `tile`.
    fn run(tile: Tile, s: &Conv2dShape, x: &[f32], weight: &[f32], bias: Option<&[f32]>, grad_output: &[f32]) -> Run {
        let mut r = Run {
            output: vec![f32::NAN; s.batch * s.out_channels * s.height * s.width],
            grad_input: vec![f32::NAN; x.len()],
            grad_weight: vec![f32::NAN; weight.len()],
        };
        threads::run(|| {
            forward_tiled(tile, s, x, weight, bias, &mut r.output);
            grad_input_tiled(tile, s, grad_output, weight, &mut r.grad_input);
            grad_weight_tiled(tile, s, x, grad_output, &mut r.grad_weight);
        });
        r
    }

    #[test]
    fn matches_the_direct_convolution_in_all_three_passes() {
        let _guard = POOL_LOCK.lock().unwrap();
        threads::start_native_pool(2).unwrap();
        // Odd and even sizes (partial tiles), 1x1 and 1-row images, one and several chunks.
        // (The path is also right below MIN_TILES, where `applies` turns it down.)
        for (i, s) in [
            shape(2, 16, 7, 5, 16),
            shape(3, 32, 8, 8, 48),
            shape(2, 17, 1, 1, 20),
            shape(1, 16, 1, 6, 16),
            shape(5, 24, 4, 4, 16),
            shape(40, 16, 6, 6, 16),
            shape(130, 16, 1, 2, 16),
            shape(2, 256, 9, 8, 24),
        ]
        .into_iter()
        .enumerate()
        {
            let mut rng = Rng::new(40 + i as u64);
            let (n, cin, cout, h, w) = (s.batch, s.in_channels, s.out_channels, s.height, s.width);
            let x = rng.vec(n * cin * h * w);
            let weight = rng.vec(cout * cin * 9);
            let bias = rng.vec(cout);
            let grad_output = rng.vec(n * cout * h * w);
            let tap = |o: usize, i: usize, ky: usize, kx: usize| weight[(o * cin + i) * 9 + ky * 3 + kx];
            let want_output = reference(n, cin, cout, h, w, &x, tap, Some(&bias));
            // grad_input: grad_output convolved with the rotated kernels, channels swapped.
            let rotated = |i: usize, o: usize, ky: usize, kx: usize| weight[(o * cin + i) * 9 + (2 - ky) * 3 + (2 - kx)];
            let want_grad_input = reference(n, cout, cin, h, w, &grad_output, rotated, None);
            let want_grad_weight = reference_grad_weight(&s, &x, &grad_output);
            // F(4x4)'s transforms have coefficients up to 8 and 1/24 and lose about one more digit
            // than F(2x2): its errors are allowed 3e-5 of the outputs' root mean square.
            let atol = |tile: Tile, want: &[f64]| match tile {
                Tile::F2 => 1e-4,
                Tile::F4 => 1e-4f64.max(3e-5 * (want.iter().map(|v| v * v).sum::<f64>() / want.len() as f64).sqrt()),
            };
            for tile in [Tile::F2, Tile::F4] {
                let got = run(tile, &s, &x, &weight, Some(&bias), &grad_output);
                let what = format!("{tile:?} output of {s:?}");
                assert_close(&got.output, &want_output, 1e-4, atol(tile, &want_output), &what);
                let what = format!("{tile:?} grad_input of {s:?}");
                assert_close(&got.grad_input, &want_grad_input, 1e-4, atol(tile, &want_grad_input), &what);
                let what = format!("{tile:?} grad_weight of {s:?}");
                assert_close(&got.grad_weight, &want_grad_weight, 1e-4, atol(tile, &want_grad_weight), &what);
            }
        }
        threads::stop_pool();
    }

    #[test]
    fn results_are_identical_for_1_2_and_3_threads() {
        let _guard = POOL_LOCK.lock().unwrap();
        let s = shape(40, 16, 6, 6, 24);
        let mut rng = Rng::new(7);
        let x = rng.vec(40 * 16 * 36);
        let weight = rng.vec(24 * 16 * 9);
        let bias = rng.vec(24);
        let grad_output = rng.vec(40 * 24 * 36);
        for tile in [Tile::F2, Tile::F4] {
            threads::start_native_pool(1).unwrap();
            let one = run(tile, &s, &x, &weight, Some(&bias), &grad_output);
            for n in [2, 3] {
                threads::start_native_pool(n).unwrap();
                let more = run(tile, &s, &x, &weight, Some(&bias), &grad_output);
                assert_eq!(one.output, more.output, "{tile:?} output on {n} threads");
                assert_eq!(one.grad_input, more.grad_input, "{tile:?} grad_input on {n} threads");
                assert_eq!(one.grad_weight, more.grad_weight, "{tile:?} grad_weight on {n} threads");
            }
        }
        threads::stop_pool();
    }

    #[test]
    fn applies_to_senets_deep_layers_at_training_batch_sizes() {
        let senet = |cin, size, cout| shape(128, cin, size, size, cout);
        assert!(!applies(&senet(3, 32, 64)));
        assert!([senet(64, 16, 128), senet(128, 8, 256), senet(256, 8, 512), senet(512, 4, 1024)].iter().all(applies));
        // conv5 has 4 tiles an image: 32 images make MIN_TILES; conv4 has 16: 8 images do.
        assert!(applies(&shape(32, 512, 4, 4, 1024)) && !applies(&shape(31, 512, 4, 4, 1024)));
        assert!(applies(&shape(8, 256, 8, 8, 512)) && !applies(&shape(7, 256, 8, 8, 512)));
        let mut strided = senet(64, 16, 128);
        strided.stride_h = 2;
        assert!(!applies(&strided));
    }

    #[test]
    fn chunks_keep_the_scratch_bounded() {
        // SENet's conv5 forward (512 -> 1024 at 4x4, 4 tiles an image): 85 images would fill
        // 32 MB, evened out to 2 chunks of 64; conv2 (64 -> 128 at 16x16): 8 images, 512 tiles.
        let plan = Plan::new(Tile::F2, 128, 512, 1024, 4, 4);
        assert_eq!(plan.images_per_chunk(), 64);
        assert!(64 * 4 * Tile::F2.positions() * (512 + 1024) <= SCRATCH_FLOATS);
        assert_eq!(Plan::new(Tile::F2, 128, 64, 128, 16, 16).images_per_chunk(), 8);
        assert_eq!(Plan::new(Tile::F2, 1, 64, 128, 16, 16).images_per_chunk(), 1);
        // F(4x4) at conv5: one 6x6 tile an image, 36 positions: 151 images fit, so one chunk.
        assert_eq!(Plan::new(Tile::F4, 128, 512, 1024, 4, 4).images_per_chunk(), 128);
        assert_eq!(Tile::for_channels(512, 1024), Tile::F4);
        assert_eq!(Tile::for_channels(64, 128), Tile::F2);
        assert_eq!(Tile::for_channels(128, 64), Tile::F2);
    }
}
