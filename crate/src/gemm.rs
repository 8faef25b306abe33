//! Single-precision matrix multiply: `C = start + op(A) · op(B)`, all row-major, where `op` is
//! the identity or the transpose (the forms convolution needs for forward, grad-input and
//! grad-weight) and `start` is 0, C's current values (accumulate) or a per-row bias.
//!
//! The loop nest is GotoBLAS/BLIS's: for each `NC`-wide column panel and each `KC`-deep slice of
//! the inner dimension, `op(B)` is packed into `NR`-wide strips (kept in L2/L3); every task packs
//! an `MC x KC` block of `op(A)` into `MR`-tall strips (kept in L2) and runs the `MR x NR`
//! micro-kernel over it, each B strip staying in L1. The micro-kernel starts its accumulators
//! from C (or 0, or the bias) and stores them straight into C; only edge tiles go through a
//! local buffer.
//!
//! Two ways to run: [`gemm`] (and [`gemm_on`] with `parallel`) splits the product into tasks (A
//! row blocks times column chunks) on the rayon pool; [`gemm_on`] without `parallel` runs it on
//! the calling thread only, with no rayon dispatch at all, for callers that are already parallel
//! over many independent products (a convolution over chunks of images). Every element of C sums
//! its products in the same order (by slices of k whose size depends on k alone) however the
//! work is split, so results depend neither on the thread count nor on the way of running.
//!
//! Packing is vectorised: a non-transposed A and a transposed B are stored with k contiguous, so
//! their strips are built by 4x4 transposes; the other two forms copy whole strip rows, of a
//! fixed size so that they compile to SIMD moves rather than calls to `memory.copy`.
//!
//! Micro-kernel shapes follow V8's 16 SIMD registers: 4x8 (8 accumulators) with plain SIMD, 3x12
//! (9 accumulators) with relaxed-SIMD fused multiply-add.

use crate::scratch::{self, Slot};
use crate::threads::{self, SharedMut};
use rayon::prelude::*;

#[cfg(all(target_arch = "wasm32", target_feature = "relaxed-simd"))]
mod micro {
    //! 3x12 relaxed-SIMD kernel: one fused multiply-add per 4 lanes.
    use core::arch::wasm32::*;
    pub const MR: usize = 3;
    pub const NR: usize = 12;

    /// `c + a · b` in each lane, fused.
    #[inline(always)]
    pub fn madd(a: v128, b: v128, c: v128) -> v128 {
        f32x4_relaxed_madd(a, b, c)
    }

    /// `C_tile = start + A_strip · B_strip` over `kc` steps, where `C_tile` is the `MR x NR`
    /// block at `c` with row stride `ldc`, and `start` its current values when `load`, else
    /// `rows[r]` in row `r`. `a` holds `kc x MR` values, `b` holds `kc x NR`.
    #[inline(never)]
    pub unsafe fn kernel(
        kc: usize,
        a: *const f32,
        b: *const f32,
        c: *mut f32,
        ldc: usize,
        load: bool,
        rows: &[f32; MR],
    ) {
        let at = |r: usize, q: usize| c.add(r * ldc + 4 * q) as *mut v128;
        let (mut c00, mut c01, mut c02, mut c10, mut c11, mut c12, mut c20, mut c21, mut c22);
        if load {
            (c00, c01, c02) = (v128_load(at(0, 0)), v128_load(at(0, 1)), v128_load(at(0, 2)));
            (c10, c11, c12) = (v128_load(at(1, 0)), v128_load(at(1, 1)), v128_load(at(1, 2)));
            (c20, c21, c22) = (v128_load(at(2, 0)), v128_load(at(2, 1)), v128_load(at(2, 2)));
        } else {
            let (r0, r1, r2) = (f32x4_splat(rows[0]), f32x4_splat(rows[1]), f32x4_splat(rows[2]));
            (c00, c01, c02, c10, c11, c12, c20, c21, c22) = (r0, r0, r0, r1, r1, r1, r2, r2, r2);
        }
        let (mut a, mut b) = (a, b);
        for _ in 0..kc {
            let b0 = v128_load(b as *const v128);
            let b1 = v128_load(b.add(4) as *const v128);
            let b2 = v128_load(b.add(8) as *const v128);
            let a0 = v128_load32_splat(a as *const u32);
            c00 = f32x4_relaxed_madd(a0, b0, c00);
            c01 = f32x4_relaxed_madd(a0, b1, c01);
            c02 = f32x4_relaxed_madd(a0, b2, c02);
            let a1 = v128_load32_splat(a.add(1) as *const u32);
            c10 = f32x4_relaxed_madd(a1, b0, c10);
            c11 = f32x4_relaxed_madd(a1, b1, c11);
            c12 = f32x4_relaxed_madd(a1, b2, c12);
            let a2 = v128_load32_splat(a.add(2) as *const u32);
            c20 = f32x4_relaxed_madd(a2, b0, c20);
            c21 = f32x4_relaxed_madd(a2, b1, c21);
            c22 = f32x4_relaxed_madd(a2, b2, c22);
            a = a.add(MR);
            b = b.add(NR);
        }
        let rows = [[c00, c01, c02], [c10, c11, c12], [c20, c21, c22]];
        for (r, row) in rows.into_iter().enumerate() {
            for (q, v) in row.into_iter().enumerate() {
                v128_store(at(r, q), v);
            }
        }
    }
}

#[cfg(all(target_arch = "wasm32", not(target_feature = "relaxed-simd")))]
mod micro {
    //! 4x8 plain-SIMD kernel: a multiply and an add per 4 lanes.
    use core::arch::wasm32::*;
    pub const MR: usize = 4;
    pub const NR: usize = 8;

    /// `c + a · b` in each lane.
    #[inline(always)]
    pub fn madd(a: v128, b: v128, c: v128) -> v128 {
        f32x4_add(c, f32x4_mul(a, b))
    }

    /// `C_tile = start + A_strip · B_strip` over `kc` steps, where `C_tile` is the `MR x NR`
    /// block at `c` with row stride `ldc`, and `start` its current values when `load`, else
    /// `rows[r]` in row `r`. `a` holds `kc x MR` values, `b` holds `kc x NR`.
    #[inline(never)]
    pub unsafe fn kernel(
        kc: usize,
        a: *const f32,
        b: *const f32,
        c: *mut f32,
        ldc: usize,
        load: bool,
        rows: &[f32; MR],
    ) {
        let at = |r: usize, q: usize| c.add(r * ldc + 4 * q) as *mut v128;
        let (mut c00, mut c01, mut c10, mut c11, mut c20, mut c21, mut c30, mut c31);
        if load {
            (c00, c01, c10, c11) = (v128_load(at(0, 0)), v128_load(at(0, 1)), v128_load(at(1, 0)), v128_load(at(1, 1)));
            (c20, c21) = (v128_load(at(2, 0)), v128_load(at(2, 1)));
            (c30, c31) = (v128_load(at(3, 0)), v128_load(at(3, 1)));
        } else {
            let (r0, r1) = (f32x4_splat(rows[0]), f32x4_splat(rows[1]));
            let (r2, r3) = (f32x4_splat(rows[2]), f32x4_splat(rows[3]));
            (c00, c01, c10, c11, c20, c21, c30, c31) = (r0, r0, r1, r1, r2, r2, r3, r3);
        }
        let (mut a, mut b) = (a, b);
        for _ in 0..kc {
            let b0 = v128_load(b as *const v128);
            let b1 = v128_load(b.add(4) as *const v128);
            let a0 = v128_load32_splat(a as *const u32);
            c00 = f32x4_add(c00, f32x4_mul(a0, b0));
            c01 = f32x4_add(c01, f32x4_mul(a0, b1));
            let a1 = v128_load32_splat(a.add(1) as *const u32);
            c10 = f32x4_add(c10, f32x4_mul(a1, b0));
            c11 = f32x4_add(c11, f32x4_mul(a1, b1));
            let a2 = v128_load32_splat(a.add(2) as *const u32);
            c20 = f32x4_add(c20, f32x4_mul(a2, b0));
            c21 = f32x4_add(c21, f32x4_mul(a2, b1));
            let a3 = v128_load32_splat(a.add(3) as *const u32);
            c30 = f32x4_add(c30, f32x4_mul(a3, b0));
            c31 = f32x4_add(c31, f32x4_mul(a3, b1));
            a = a.add(MR);
            b = b.add(NR);
        }
        let rows = [[c00, c01], [c10, c11], [c20, c21], [c30, c31]];
        for (r, row) in rows.into_iter().enumerate() {
            for (q, v) in row.into_iter().enumerate() {
                v128_store(at(r, q), v);
            }
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod micro {
    //! Portable kernel for native builds (`cargo test`); same tile shape as plain SIMD.
    pub const MR: usize = 4;
    pub const NR: usize = 8;

    /// `C_tile = start + A_strip · B_strip` over `kc` steps, where `C_tile` is the `MR x NR`
    /// block at `c` with row stride `ldc`, and `start` its current values when `load`, else
    /// `rows[r]` in row `r`. `a` holds `kc x MR` values, `b` holds `kc x NR`.
    pub unsafe fn kernel(
        kc: usize,
        a: *const f32,
        b: *const f32,
        c: *mut f32,
        ldc: usize,
        load: bool,
        rows: &[f32; MR],
    ) {
        let a = std::slice::from_raw_parts(a, kc * MR);
        let b = std::slice::from_raw_parts(b, kc * NR);
        let mut tile = [0.0f32; MR * NR];
        for r in 0..MR {
            for q in 0..NR {
                tile[r * NR + q] = if load { *c.add(r * ldc + q) } else { rows[r] };
            }
        }
        for (ap, bp) in a.chunks_exact(MR).zip(b.chunks_exact(NR)) {
            for r in 0..MR {
                for q in 0..NR {
                    tile[r * NR + q] += ap[r] * bp[q];
                }
            }
        }
        for r in 0..MR {
            for q in 0..NR {
                *c.add(r * ldc + q) = tile[r * NR + q];
            }
        }
    }
}

pub use micro::{MR, NR};

#[cfg(target_arch = "wasm32")]
mod narrow {
    //! The micro-kernel for a last column strip of at most `4·Q < NR` columns: only `Q` vectors a
    //! row, so a product 16 columns wide (one image's conv5, 4x4 pixels) does not compute 24.
    use super::micro::{madd, MR, NR};
    use core::arch::wasm32::*;

    /// [`super::micro::kernel`] on the first `4·Q` columns of the strips (`b` still holds `kc x
    /// NR` values).
    #[inline(never)]
    pub unsafe fn kernel<const Q: usize>(
        kc: usize,
        a: *const f32,
        b: *const f32,
        c: *mut f32,
        ldc: usize,
        load: bool,
        rows: &[f32; MR],
    ) {
        let at = |r: usize, q: usize| c.add(r * ldc + 4 * q) as *mut v128;
        let mut acc: [[v128; Q]; MR] =
            std::array::from_fn(|r| std::array::from_fn(|q| if load { v128_load(at(r, q)) } else { f32x4_splat(rows[r]) }));
        let (mut a, mut b) = (a, b);
        for _ in 0..kc {
            let bq: [v128; Q] = std::array::from_fn(|q| v128_load(b.add(4 * q) as *const v128));
            for (r, row) in acc.iter_mut().enumerate() {
                let ar = v128_load32_splat(a.add(r) as *const u32);
                for (q, v) in row.iter_mut().enumerate() {
                    *v = madd(ar, bq[q], *v);
                }
            }
            a = a.add(MR);
            b = b.add(NR);
        }
        for (r, row) in acc.into_iter().enumerate() {
            for (q, v) in row.into_iter().enumerate() {
                v128_store(at(r, q), v);
            }
        }
    }
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod quad {
    //! Four floats in a SIMD register, for the packing transposes.
    use core::arch::wasm32::*;

    #[derive(Clone, Copy)]
    pub struct Quad(v128);

    /// The 4 floats at `x`.
    #[inline(always)]
    pub unsafe fn load(x: *const f32) -> Quad {
        Quad(v128_load(x as *const v128))
    }

    /// Rows to columns: `out[j]` lane `i` = `rows[i]` lane `j`.
    #[inline(always)]
    pub fn transpose([Quad(a), Quad(b), Quad(c), Quad(d)]: [Quad; 4]) -> [Quad; 4] {
        let (ab_lo, ab_hi) = (i32x4_shuffle::<0, 4, 1, 5>(a, b), i32x4_shuffle::<2, 6, 3, 7>(a, b));
        let (cd_lo, cd_hi) = (i32x4_shuffle::<0, 4, 1, 5>(c, d), i32x4_shuffle::<2, 6, 3, 7>(c, d));
        [
            Quad(i64x2_shuffle::<0, 2>(ab_lo, cd_lo)),
            Quad(i64x2_shuffle::<1, 3>(ab_lo, cd_lo)),
            Quad(i64x2_shuffle::<0, 2>(ab_hi, cd_hi)),
            Quad(i64x2_shuffle::<1, 3>(ab_hi, cd_hi)),
        ]
    }

    /// Stores the first `W` (3 or 4) lanes at `out`.
    #[inline(always)]
    pub unsafe fn store<const W: usize>(Quad(v): Quad, out: *mut f32) {
        match W {
            4 => v128_store(out as *mut v128, v),
            3 => {
                v128_store64_lane::<0>(v, out as *mut u64);
                v128_store32_lane::<2>(v, out.add(2) as *mut u32);
            }
            _ => unreachable!(),
        }
    }
}

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
mod quad {
    //! Portable stand-in for the SIMD version (native builds).
    #[derive(Clone, Copy)]
    pub struct Quad([f32; 4]);

    /// The 4 floats at `x`.
    pub unsafe fn load(x: *const f32) -> Quad {
        Quad(std::array::from_fn(|i| *x.add(i)))
    }

    /// Rows to columns: `out[j]` lane `i` = `rows[i]` lane `j`.
    pub fn transpose(rows: [Quad; 4]) -> [Quad; 4] {
        std::array::from_fn(|j| Quad(std::array::from_fn(|i| rows[i].0[j])))
    }

    /// Stores the first `W` (3 or 4) lanes at `out`.
    pub unsafe fn store<const W: usize>(Quad(v): Quad, out: *mut f32) {
        for (i, &x) in v.iter().take(W).enumerate() {
            *out.add(i) = x;
        }
    }
}

/// Depth of one packed slice of the inner dimension.
const KC: usize = 256;
/// Largest row block of A packed per task (a multiple of both kernels' MR: 3 and 4).
const MC: usize = 120;
/// Widest column panel of B packed at once (a multiple of both kernels' NR: 8 and 12). Wide
/// enough for SENet's conv5 grad_weight (K = 4608 columns) in one panel: each panel costs a round
/// of packing, and on the pool a synchronisation. The packed panel (4.5 MB) lives in L3.
const NC: usize = 4608;

/// Deepest slice of k (and, below, largest packed B in floats: 512 KB) for which the tiles go
/// over A strip by A strip rather than B strip by B strip. Usually each B strip stays in L1
/// while the A block streams from L2, and C is written down the whole block a tile's width at
/// a time. When k is short (conv1: K = 27, Cout = 64), writing C costs as much as computing it,
/// and writing a few whole rows at a time is much faster, especially on several threads; the B
/// strips then stream from L2 instead, so they must fit there.
const ROW_ORDER_KC: usize = 64;
const ROW_ORDER_FLOATS: usize = 128 << 10;

/// Largest B (`k x` panel width, in floats: 2 MB) that a parallel product packs whole and runs
/// in one parallel loop, each task going through every k slice. Narrow products (the
/// convolutions of a single image: conv5's im2col is 4608 x 16) would otherwise spend more on a
/// synchronisation and a round of packing per slice than on the slice's work.
const WHOLE_B_FLOATS: usize = 512 << 10;

// The transposing packers handle up to 4 rows of A per strip and 4-column groups of B strips.
const _: () = assert!(MR <= 4 && NR.is_multiple_of(4));

/// Stands in for the missing rows of an edge strip in the transposing packers.
static ZEROS: [f32; KC] = [0.0; KC];

/// A read-only row-major matrix operand with an optional transpose: `op(M)[i][j]` is
/// `data[i * ld + j]`, or `data[j * ld + i]` when `transposed`.
#[derive(Clone, Copy)]
pub struct MatRef<'a> {
    pub data: &'a [f32],
    pub ld: usize,
    pub transposed: bool,
}

impl MatRef<'_> {
    #[cfg(test)]
    fn at(&self, i: usize, j: usize) -> f32 {
        if self.transposed {
            self.data[j * self.ld + i]
        } else {
            self.data[i * self.ld + j]
        }
    }

    /// Checks that `op(M)` can be `rows x cols` with this storage; the message names `name`.
    fn check(&self, name: &str, rows: usize, cols: usize) -> Result<(), String> {
        let (stored_rows, stored_cols) = if self.transposed { (cols, rows) } else { (rows, cols) };
        check_storage(name, self.data.len(), self.ld, stored_rows, stored_cols)
    }

    /// Stored row `row` from column `col` on, `len` values.
    fn stored(&self, row: usize, col: usize, len: usize) -> &[f32] {
        &self.data[row * self.ld + col..][..len]
    }
}

fn check_storage(name: &str, len: usize, ld: usize, rows: usize, cols: usize) -> Result<(), String> {
    if rows == 0 || cols == 0 {
        return Ok(());
    }
    if ld < cols {
        return Err(format!("gemm: {name} has leading dimension {ld} < {cols} columns"));
    }
    let needed = (rows - 1) * ld + cols;
    if len < needed {
        return Err(format!(
            "gemm: {name} is stored as [{rows}, {cols}] with leading dimension {ld}, which needs {needed} elements, but has {len}"
        ));
    }
    Ok(())
}

/// What C holds before the product is added to it.
#[derive(Clone, Copy)]
pub enum Start<'a> {
    /// 0: `C = op(A) · op(B)`.
    Zero,
    /// C's current values: `C += op(A) · op(B)`.
    Accumulate,
    /// `bias[i]` in every column of row `i` (`bias` has at least `m` values).
    RowBias(&'a [f32]),
}

/// `C = op(A) · op(B)` (or `C += ...` when `accumulate`), with `op(A)` of shape `m x k`,
/// `op(B)` of shape `k x n` and `C` of shape `m x n` with leading dimension `ldc`, on the pool.
#[allow(clippy::too_many_arguments)]
pub fn gemm(
    m: usize,
    n: usize,
    k: usize,
    a: MatRef,
    b: MatRef,
    c: &mut [f32],
    ldc: usize,
    accumulate: bool,
) -> Result<(), String> {
    let start = if accumulate { Start::Accumulate } else { Start::Zero };
    gemm_on(m, n, k, a, b, c, ldc, start, true)
}

/// `C = start + op(A) · op(B)`, shapes as in [`gemm`]: on the pool when `parallel`, else on the
/// calling thread only. The result is the same either way.
#[allow(clippy::too_many_arguments)]
pub fn gemm_on(
    m: usize,
    n: usize,
    k: usize,
    a: MatRef,
    b: MatRef,
    c: &mut [f32],
    ldc: usize,
    start: Start,
    parallel: bool,
) -> Result<(), String> {
    a.check("A", m, k)?;
    b.check("B", k, n)?;
    check_storage("C", c.len(), ldc, m, n)?;
    if let Start::RowBias(bias) = start {
        if bias.len() < m {
            return Err(format!("gemm: the row bias has {} values for {m} rows", bias.len()));
        }
    }
    if m == 0 || n == 0 {
        return Ok(());
    }
    if k == 0 {
        for (i, row) in c.chunks_mut(ldc).take(m).enumerate() {
            match start {
                Start::Zero => row[..n].fill(0.0),
                Start::Accumulate => {}
                Start::RowBias(bias) => row[..n].fill(bias[i]),
            }
        }
        return Ok(());
    }
    let c = SharedMut(c.as_mut_ptr());
    if parallel {
        threads::run(|| gemm_blocked(m, n, k, a, b, c, ldc, start, true));
    } else {
        gemm_blocked(m, n, k, a, b, c, ldc, start, false);
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn gemm_blocked(
    m: usize,
    n: usize,
    k: usize,
    a: MatRef,
    b: MatRef,
    c: SharedMut<f32>,
    ldc: usize,
    start: Start,
    parallel: bool,
) {
    let mc = balanced_block(m, MC, MR);
    let row_blocks = m.div_ceil(mc);
    // Equal slices of k: a short last slice would cost a round of packing and (on the pool)
    // synchronisation for little work.
    let kc_block = balanced_block(k, KC, 4);
    // On the pool, split columns further when there are too few row blocks to keep every
    // thread busy, and into a multiple of the thread count (9 equal tasks take 2 threads as
    // long as 10).
    let col_chunks_wanted = if parallel {
        let threads = rayon::current_num_threads();
        let mut chunks = (4 * threads).div_ceil(row_blocks);
        while !(row_blocks * chunks).is_multiple_of(threads) {
            chunks += 1;
        }
        chunks
    } else {
        1
    };
    scratch::lend(&PACKED_B, |packed_b| {
        for jc in (0..n).step_by(NC) {
            let nc = NC.min(n - jc);
            let strips = nc.div_ceil(NR);
            let strips_per_chunk = strips.div_ceil(col_chunks_wanted.min(strips));
            let col_chunks = strips.div_ceil(strips_per_chunk);
            let slices: Vec<(usize, usize)> = (0..k).step_by(kc_block).map(|pc| (pc, kc_block.min(k - pc))).collect();
            // The task with A row block `task / col_chunks` and column chunk `task % col_chunks`,
            // over the k slices `slices[first..]`, whose packed B strips start at `packed_b`
            // (slice after slice).
            let task = |task: usize, first: usize, packed_b: &[f32], slices: &[(usize, usize)]| {
                let (ib, chunk) = (task / col_chunks, task % col_chunks);
                let (ic, mc) = (ib * mc, mc.min(m - ib * mc));
                let first_strip = chunk * strips_per_chunk;
                let last_strip = strips.min(first_strip + strips_per_chunk);
                let mut packed_b = packed_b;
                for (s, &(pc, kc)) in slices.iter().enumerate() {
                    // Later slices add to what the earlier ones stored.
                    let start = if first + s == 0 { start } else { Start::Accumulate };
                    // Where each row's accumulators start unless they load C: its bias, or 0.
                    let mut row_start = [0.0f32; MC];
                    if let Start::RowBias(bias) = start {
                        row_start[..mc].copy_from_slice(&bias[ic..ic + mc]);
                    }
                    let load = matches!(start, Start::Accumulate);
                    scratch::lend(&PACKED_A, |packed_a| {
                        pack_a(a, ic, mc, pc, kc, packed_a);
                        // The tile with A strip r and B strip s.
                        let run = |r: usize, s: usize| {
                            let a_strip = &packed_a[r * kc * MR..(r + 1) * kc * MR];
                            let b_strip = &packed_b[s * kc * NR..(s + 1) * kc * NR];
                            let (i, j) = (ic + r * MR, jc + s * NR);
                            let (rows, cols) = (MR.min(ic + mc - i), NR.min(jc + nc - j));
                            let init = row_start[r * MR..(r + 1) * MR].try_into().unwrap();
                            // SAFETY: the strips hold kc steps of MR (NR) values;
                            // (i..i+rows, j..j+cols) lies in C, and tasks write disjoint tiles.
                            unsafe { tile(kc, a_strip, b_strip, c, i * ldc + j, ldc, rows, cols, load, init) };
                        };
                        let (a_strips, b_strips) = (0..mc.div_ceil(MR), first_strip..last_strip);
                        if kc <= ROW_ORDER_KC && b_strips.len() * kc * NR <= ROW_ORDER_FLOATS {
                            a_strips.for_each(|r| b_strips.clone().for_each(|s| run(r, s)));
                        } else {
                            b_strips.for_each(|s| a_strips.clone().for_each(|r| run(r, s)));
                        }
                    });
                    packed_b = &packed_b[strips * kc * NR..];
                }
            };
            let tasks = row_blocks * col_chunks;
            if parallel && k * nc <= WHOLE_B_FLOATS {
                // A narrow B (a convolution of one image): packed whole, then one parallel loop
                // in which each task goes through every k slice, instead of a round of packing
                // and a synchronisation per slice.
                packed_b.resize(strips * NR * k, 0.0);
                let mut rest: &mut [f32] = packed_b;
                for &(pc, kc) in &slices {
                    let (slice, tail) = std::mem::take(&mut rest).split_at_mut(strips * kc * NR);
                    pack_into(b, pc, kc, jc, nc, slice, false);
                    rest = tail;
                }
                let packed_b: &[f32] = packed_b;
                (0..tasks).into_par_iter().for_each(|t| task(t, 0, packed_b, &slices));
                continue;
            }
            for (first, slice) in slices.chunks(1).enumerate() {
                let (pc, kc) = slice[0];
                pack_b(b, pc, kc, jc, nc, packed_b, parallel);
                let packed_b: &[f32] = packed_b;
                if parallel {
                    (0..tasks).into_par_iter().for_each(|t| task(t, first, packed_b, slice));
                } else {
                    (0..tasks).for_each(|t| task(t, first, packed_b, slice));
                }
            }
        }
    });
}

/// Block size near `max_block` (a multiple of `multiple`) that splits `len` into equal blocks.
fn balanced_block(len: usize, max_block: usize, multiple: usize) -> usize {
    let blocks = len.div_ceil(max_block);
    len.div_ceil(blocks).div_ceil(multiple) * multiple
}

/// Runs the micro-kernel for the `rows x cols` tile of C at `c + at`: in place when it is a whole
/// `MR x NR` tile, else through a local buffer (so that nothing outside it is touched).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn tile(
    kc: usize,
    a_strip: &[f32],
    b_strip: &[f32],
    c: SharedMut<f32>,
    at: usize,
    ldc: usize,
    rows: usize,
    cols: usize,
    load: bool,
    init: &[f32; MR],
) {
    let c = c.0.add(at);
    if rows == MR && cols == NR {
        micro::kernel(kc, a_strip.as_ptr(), b_strip.as_ptr(), c, ldc, load, init);
        return;
    }
    let mut buf = [[0.0f32; NR]; MR];
    if load {
        for (r, buf_row) in buf.iter_mut().enumerate().take(rows) {
            copy_row(&mut buf_row[..cols], std::slice::from_raw_parts(c.add(r * ldc), cols));
        }
    }
    let (a, b, out) = (a_strip.as_ptr(), b_strip.as_ptr(), buf.as_mut_ptr() as *mut f32);
    #[cfg(target_arch = "wasm32")]
    match cols {
        1..=4 if NR > 4 => narrow::kernel::<1>(kc, a, b, out, NR, load, init),
        5..=8 if NR > 8 => narrow::kernel::<2>(kc, a, b, out, NR, load, init),
        _ => micro::kernel(kc, a, b, out, NR, load, init),
    }
    #[cfg(not(target_arch = "wasm32"))]
    micro::kernel(kc, a, b, out, NR, load, init);
    for (r, buf_row) in buf.iter().enumerate().take(rows) {
        copy_row(std::slice::from_raw_parts_mut(c.add(r * ldc), cols), &buf_row[..cols]);
    }
}

/// `dst.copy_from_slice(src)` for at most `NR` floats: whole rows as one fixed-size move.
#[inline(always)]
fn copy_row(dst: &mut [f32], src: &[f32]) {
    if let (Ok(dst), Ok(src)) = (<&mut [f32; NR]>::try_from(&mut *dst), <&[f32; NR]>::try_from(src)) {
        *dst = *src;
    } else {
        dst.copy_from_slice(src);
    }
}

/// Packs `op(B)[pc..pc+kc, jc..jc+nc]` into `NR`-wide strips, each `kc x NR`, zero-padded.
/// On the pool (`parallel`) bands of strips are packed in parallel: with few row blocks,
/// packing B serially would idle threads.
fn pack_b(b: MatRef, pc: usize, kc: usize, jc: usize, nc: usize, out: &mut Vec<f32>, parallel: bool) {
    out.resize(nc.div_ceil(NR) * kc * NR, 0.0);
    pack_into(b, pc, kc, jc, nc, out, parallel);
}

/// [`pack_b`] into `out`, which holds exactly the strips.
fn pack_into(b: MatRef, pc: usize, kc: usize, jc: usize, nc: usize, out: &mut [f32], parallel: bool) {
    let strips = nc.div_ceil(NR);
    debug_assert_eq!(out.len(), strips * kc * NR);
    let band = if parallel { strips.div_ceil(4 * rayon::current_num_threads()) } else { strips };
    let pack = |(i, dst): (usize, &mut [f32])| {
        let j0 = jc + i * band * NR;
        let cols = (band * NR).min(jc + nc - j0);
        if b.transposed {
            // B is stored [n, k]: 4 stored rows at a time become 4 columns of a strip.
            for (t, strip) in dst.chunks_exact_mut(kc * NR).enumerate() {
                for q in (0..NR).step_by(4) {
                    let col = t * NR + q;
                    let row = |u: usize| {
                        if col + u < cols {
                            b.stored(j0 + col + u, pc, kc)
                        } else {
                            &ZEROS[..kc]
                        }
                    };
                    interleave::<4>([row(0), row(1), row(2), row(3)], &mut strip[q..], NR);
                }
            }
        } else {
            // Row by row across the band, reading B in stored order (sequential reads, which
            // the hardware prefetches, rather than NR floats from each of kc rows per strip).
            for p in 0..kc {
                for (t, src) in b.stored(pc + p, j0, cols).chunks(NR).enumerate() {
                    let dst = &mut dst[(t * kc + p) * NR..][..NR];
                    copy_row(&mut dst[..src.len()], src);
                    if src.len() < NR {
                        dst[src.len()..].fill(0.0);
                    }
                }
            }
        }
    };
    if parallel {
        out.par_chunks_mut(band * kc * NR).enumerate().for_each(pack);
    } else {
        pack((0, out));
    }
}

/// Packs `op(A)[ic..ic+mc, pc..pc+kc]` into `MR`-tall strips, each `kc x MR`, zero-padded.
fn pack_a(a: MatRef, ic: usize, mc: usize, pc: usize, kc: usize, out: &mut Vec<f32>) {
    let strips = mc.div_ceil(MR);
    out.resize(strips * kc * MR, 0.0);
    for (s, strip) in out.chunks_exact_mut(kc * MR).enumerate() {
        let i0 = ic + s * MR;
        let rows = MR.min(ic + mc - i0);
        if !a.transposed {
            // A is stored [m, k]: its MR rows become the strip's MR columns.
            let row = |r: usize| if r < rows { a.stored(i0 + r, pc, kc) } else { &ZEROS[..kc] };
            interleave::<MR>([row(0), row(1), row(2), row(3)], strip, MR);
        } else if rows == MR {
            for (p, dst) in strip.chunks_exact_mut(MR).enumerate() {
                let dst: &mut [f32; MR] = dst.try_into().unwrap();
                *dst = a.stored(pc + p, i0, MR).try_into().unwrap();
            }
        } else {
            for (p, dst) in strip.chunks_exact_mut(MR).enumerate() {
                dst[..rows].copy_from_slice(a.stored(pc + p, i0, rows));
                dst[rows..].fill(0.0);
            }
        }
    }
}
/// `out[p * stride + t] = rows[t][p]` for `t < W` and `p < kc` (the rows' length): the first
/// `W` (3 or 4) of 4 equally long rows interleaved, by 4x4 transposes.
fn interleave<const W: usize>(rows: [&[f32]; 4], out: &mut [f32], stride: usize) {
    let kc = rows[0].len();
    assert!(rows.iter().all(|row| row.len() == kc) && W <= stride);
    if kc == 0 {
        return;
    }
    assert!(out.len() >= (kc - 1) * stride + W);
    let (src, dst) = (rows.map(|row| row.as_ptr()), out.as_mut_ptr());
    let whole = kc / 4 * 4;
    for p in (0..whole).step_by(4) {
        // SAFETY: p + 4 <= kc, and (p + 3) * stride + W <= out.len() (checked above).
        unsafe {
            let columns = quad::transpose(src.map(|row| quad::load(row.add(p))));
            for (u, column) in columns.into_iter().enumerate() {
                quad::store::<W>(column, dst.add((p + u) * stride));
            }
        }
    }
    for p in whole..kc {
        for (t, row) in rows.iter().take(W).enumerate() {
            out[p * stride + t] = row[p];
        }
    }
}

static PACKED_A: Slot<f32> = Slot::new();
static PACKED_B: Slot<f32> = Slot::new();

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{Rng, POOL_LOCK};

    #[allow(clippy::too_many_arguments)]
    fn reference(m: usize, n: usize, k: usize, a: MatRef, b: MatRef, c: &mut [f32], ldc: usize, start: Start) {
        for i in 0..m {
            for j in 0..n {
                let s: f64 = (0..k).map(|p| a.at(i, p) as f64 * b.at(p, j) as f64).sum();
                let d = &mut c[i * ldc + j];
                *d = match start {
                    Start::Zero => s as f32,
                    Start::Accumulate => (*d as f64 + s) as f32,
                    Start::RowBias(bias) => (bias[i] as f64 + s) as f32,
                };
            }
        }
    }

    /// Runs `C = start + op(A)·op(B)` on the pool and on the calling thread: checks that both
    /// give the same bits, close to the f64 reference, and leave C's padding columns alone.
    fn check_case_from(m: usize, n: usize, k: usize, ta: bool, tb: bool, start: Start, rng: &mut Rng) {
        let (lda, ldb, ldc) = (if ta { m } else { k } + 3, if tb { k } else { n } + 1, n + 2);
        let a = rng.vec(if ta { k } else { m } * lda);
        let b = rng.vec(if tb { n } else { k } * ldb);
        let c0 = rng.vec(m * ldc);
        let (ar, br) = (MatRef { data: &a, ld: lda, transposed: ta }, MatRef { data: &b, ld: ldb, transposed: tb });
        let mut want = c0.clone();
        reference(m, n, k, ar, br, &mut want, ldc, start);
        let mut got = c0.clone();
        gemm_on(m, n, k, ar, br, &mut got, ldc, start, true).unwrap();
        let mut serial = c0.clone();
        gemm_on(m, n, k, ar, br, &mut serial, ldc, start, false).unwrap();
        assert_eq!(got, serial, "m={m} n={n} k={k} ta={ta} tb={tb}: pool and serial runs differ");
        for i in 0..m {
            for j in 0..ldc {
                let (g, w) = (got[i * ldc + j], want[i * ldc + j]);
                if j >= n {
                    assert_eq!(g, c0[i * ldc + j], "padding column {j} of row {i} was written");
                } else {
                    let tol = 1e-5 * (k as f32).sqrt() * (1.0 + w.abs());
                    assert!((g - w).abs() <= tol, "m={m} n={n} k={k} ta={ta} tb={tb}: C[{i}][{j}] = {g}, want {w}");
                }
            }
        }
    }

    fn check_case(m: usize, n: usize, k: usize, ta: bool, tb: bool, acc: bool, rng: &mut Rng) {
        check_case_from(m, n, k, ta, tb, if acc { Start::Accumulate } else { Start::Zero }, rng);
    }

    #[test]
    fn matches_reference_on_odd_sizes_all_transposes_and_thread_counts() {
        let _guard = POOL_LOCK.lock().unwrap();
        let mut rng = Rng::new(7);
        let sizes = [1, 7, 33, 257];
        for threads in [1, 2] {
            threads::start_native_pool(threads).unwrap();
            for &(m, n, k) in &[(1, 1, 1), (7, 33, 257), (257, 7, 33), (33, 257, 7), (130, 13, 300), (5, 1600, 3)] {
                for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
                    check_case(m, n, k, ta, tb, false, &mut rng);
                }
                check_case(m, n, k, false, true, true, &mut rng);
            }
            for &m in &sizes {
                check_case(m, m, m, false, false, true, &mut rng);
            }
            // A B too big to pack whole (k x n > WHOLE_B_FLOATS): a round of packing per slice.
            check_case(40, 1000, 600, false, false, true, &mut rng);
        }
        threads::stop_pool();
    }

    #[test]
    fn starts_from_zero_c_or_a_row_bias_on_the_pool_or_the_calling_thread() {
        let _guard = POOL_LOCK.lock().unwrap();
        let mut rng = Rng::new(11);
        // Edge strips in every direction, k with a remainder after 4x4 transposes and several
        // KC slices, and conv1's grad_weight shape (27 x 64, k = 1024).
        for threads in [1, 3] {
            threads::start_native_pool(threads).unwrap();
            for &(m, n, k) in &[(7, 33, 257), (130, 13, 530), (27, 64, 1024), (5, 1600, 3), (1, 1, 1)] {
                let bias = rng.vec(m);
                for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
                    for start in [Start::Zero, Start::Accumulate, Start::RowBias(&bias)] {
                        check_case_from(m, n, k, ta, tb, start, &mut rng);
                    }
                }
            }
        }
        threads::stop_pool();
    }

    #[test]
    fn result_is_identical_for_any_thread_count() {
        let _guard = POOL_LOCK.lock().unwrap();
        let mut rng = Rng::new(3);
        // B packed whole, and B packed slice by slice (k x n above WHOLE_B_FLOATS).
        for (m, n, k) in [(301, 95, 700), (40, 1000, 600)] {
            assert_eq!(k * n > WHOLE_B_FLOATS, n == 1000);
            let (a, b) = (rng.vec(m * k), rng.vec(k * n));
            let run = |threads: usize| {
                threads::start_native_pool(threads).unwrap();
                let mut c = vec![0.0; m * n];
                let ar = MatRef { data: &a, ld: k, transposed: false };
                let br = MatRef { data: &b, ld: n, transposed: false };
                gemm(m, n, k, ar, br, &mut c, n, false).unwrap();
                c
            };
            let one = run(1);
            assert_eq!(one, run(2), "{m}x{n}x{k} on 2 threads");
            assert_eq!(one, run(3), "{m}x{n}x{k} on 3 threads");
        }
        threads::stop_pool();
    }

    #[test]
    fn zero_depth_clears_keeps_or_sets_c_to_the_bias() {
        let a: [f32; 0] = [];
        let (ar, br) = (MatRef { data: &a, ld: 0, transposed: false }, MatRef { data: &a, ld: 2, transposed: false });
        let mut c = vec![5.0; 4];
        gemm(2, 2, 0, ar, br, &mut c, 2, true).unwrap();
        assert_eq!(c, [5.0; 4]);
        gemm(2, 2, 0, ar, br, &mut c, 2, false).unwrap();
        assert_eq!(c, [0.0; 4]);
        gemm_on(2, 2, 0, ar, br, &mut c, 2, Start::RowBias(&[1.0, 2.0]), false).unwrap();
        assert_eq!(c, [1.0, 1.0, 2.0, 2.0]);
    }

    #[test]
    fn rejects_storage_too_small_and_names_it() {
        let a = vec![0.0; 6];
        let b = vec![0.0; 6];
        let mut c = vec![0.0; 3];
        let ar = MatRef { data: &a, ld: 3, transposed: false };
        let br = MatRef { data: &b, ld: 2, transposed: false };
        let err = gemm(2, 2, 3, ar, br, &mut c, 2, false).unwrap_err();
        assert!(err.contains("C is stored as [2, 2]") && err.contains("has 3"), "{err}");
        let err = gemm(2, 2, 4, ar, br, &mut c, 2, false).unwrap_err();
        assert!(err.contains("A has leading dimension 3 < 4"), "{err}");
        let mut c = vec![0.0; 4];
        let err = gemm_on(2, 2, 3, ar, br, &mut c, 2, Start::RowBias(&[1.0]), false).unwrap_err();
        assert_eq!(err, "gemm: the row bias has 1 values for 2 rows");
    }
}
