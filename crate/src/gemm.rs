//! Single-precision matrix multiply: `C (+)= op(A) · op(B)`, all row-major, where `op` is the
//! identity or the transpose (the forms convolution needs for forward, grad-input and
//! grad-weight).
//!
//! The loop nest is GotoBLAS/BLIS's: for each `NC`-wide column panel and each `KC`-deep slice of
//! the inner dimension, `op(B)` is packed into `NR`-wide strips (kept in L2/L3); every task packs
//! an `MC x KC` block of `op(A)` into `MR`-tall strips (kept in L2) and runs the `MR x NR`
//! micro-kernel over it, each B strip staying in L1. Tasks (A row blocks times column chunks) run
//! in parallel on the rayon pool. Every element of C sums its products in the same order whatever
//! the thread count, so results do not depend on it.
//!
//! Micro-kernel shapes follow V8's 16 SIMD registers: 4x8 (8 accumulators) with plain SIMD, 3x12
//! (9 accumulators) with relaxed-SIMD fused multiply-add.

use crate::scratch;
use crate::threads::{self, SharedMut};
use rayon::prelude::*;
use std::cell::Cell;

#[cfg(all(target_arch = "wasm32", target_feature = "relaxed-simd"))]
mod micro {
    //! 3x12 relaxed-SIMD kernel: one fused multiply-add per 4 lanes.
    use core::arch::wasm32::*;
    pub const MR: usize = 3;
    pub const NR: usize = 12;

    /// `tile = A_strip · B_strip` over `kc` steps; `a` holds `kc x MR`, `b` holds `kc x NR`.
    #[inline(never)]
    pub unsafe fn kernel(kc: usize, a: *const f32, b: *const f32, tile: &mut [f32; MR * NR]) {
        let z = f32x4_splat(0.0);
        let (mut c00, mut c01, mut c02) = (z, z, z);
        let (mut c10, mut c11, mut c12) = (z, z, z);
        let (mut c20, mut c21, mut c22) = (z, z, z);
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
        let t = tile.as_mut_ptr() as *mut v128;
        for (i, v) in [c00, c01, c02, c10, c11, c12, c20, c21, c22].into_iter().enumerate() {
            v128_store(t.add(i), v);
        }
    }
}

#[cfg(all(target_arch = "wasm32", not(target_feature = "relaxed-simd")))]
mod micro {
    //! 4x8 plain-SIMD kernel: a multiply and an add per 4 lanes.
    use core::arch::wasm32::*;
    pub const MR: usize = 4;
    pub const NR: usize = 8;

    /// `tile = A_strip · B_strip` over `kc` steps; `a` holds `kc x MR`, `b` holds `kc x NR`.
    #[inline(never)]
    pub unsafe fn kernel(kc: usize, a: *const f32, b: *const f32, tile: &mut [f32; MR * NR]) {
        let z = f32x4_splat(0.0);
        let (mut c00, mut c01, mut c10, mut c11) = (z, z, z, z);
        let (mut c20, mut c21, mut c30, mut c31) = (z, z, z, z);
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
        let t = tile.as_mut_ptr() as *mut v128;
        for (i, v) in [c00, c01, c10, c11, c20, c21, c30, c31].into_iter().enumerate() {
            v128_store(t.add(i), v);
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod micro {
    //! Portable kernel for native builds (`cargo test`); same tile shape as plain SIMD.
    pub const MR: usize = 4;
    pub const NR: usize = 8;

    /// `tile = A_strip · B_strip` over `kc` steps; `a` holds `kc x MR`, `b` holds `kc x NR`.
    pub unsafe fn kernel(kc: usize, a: *const f32, b: *const f32, tile: &mut [f32; MR * NR]) {
        let a = std::slice::from_raw_parts(a, kc * MR);
        let b = std::slice::from_raw_parts(b, kc * NR);
        *tile = [0.0; MR * NR];
        for (ap, bp) in a.chunks_exact(MR).zip(b.chunks_exact(NR)) {
            for r in 0..MR {
                for c in 0..NR {
                    tile[r * NR + c] += ap[r] * bp[c];
                }
            }
        }
    }
}

pub use micro::{MR, NR};

/// Depth of one packed slice of the inner dimension.
const KC: usize = 256;
/// Largest row block of A packed per task (a multiple of both kernels' MR: 3 and 4).
const MC: usize = 120;
/// Widest column panel of B packed at once (a multiple of both kernels' NR: 8 and 12).
const NC: usize = 1536;

/// A read-only row-major matrix operand with an optional transpose: `op(M)[i][j]` is
/// `data[i * ld + j]`, or `data[j * ld + i]` when `transposed`.
#[derive(Clone, Copy)]
pub struct MatRef<'a> {
    pub data: &'a [f32],
    pub ld: usize,
    pub transposed: bool,
}

impl MatRef<'_> {
    #[inline(always)]
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

/// `C = op(A) · op(B)` (or `C += ...` when `accumulate`), with `op(A)` of shape `m x k`,
/// `op(B)` of shape `k x n` and `C` of shape `m x n` with leading dimension `ldc`.
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
    a.check("A", m, k)?;
    b.check("B", k, n)?;
    check_storage("C", c.len(), ldc, m, n)?;
    if m == 0 || n == 0 {
        return Ok(());
    }
    if k == 0 {
        if !accumulate {
            for row in c.chunks_mut(ldc).take(m) {
                row[..n].fill(0.0);
            }
        }
        return Ok(());
    }
    threads::run(|| gemm_blocked(m, n, k, a, b, SharedMut(c.as_mut_ptr()), ldc, accumulate));
    Ok(())
}

fn gemm_blocked(
    m: usize,
    n: usize,
    k: usize,
    a: MatRef,
    b: MatRef,
    c: SharedMut<f32>,
    ldc: usize,
    accumulate: bool,
) {
    let mc = balanced_block(m, MC, MR);
    let row_blocks = m.div_ceil(mc);
    // Split columns further when there are too few row blocks to keep every thread busy.
    let want_tasks = 4 * rayon::current_num_threads();
    let col_chunks_wanted = want_tasks.div_ceil(row_blocks).max(1);
    scratch::lend(&PACKED_B, |packed_b| {
        for jc in (0..n).step_by(NC) {
            let nc = NC.min(n - jc);
            let strips = nc.div_ceil(NR);
            let strips_per_chunk = strips.div_ceil(col_chunks_wanted.min(strips));
            let col_chunks = strips.div_ceil(strips_per_chunk);
            for pc in (0..k).step_by(KC) {
                let kc = KC.min(k - pc);
                pack_b(b, pc, kc, jc, nc, packed_b);
                let packed_b: &[f32] = packed_b;
                let load_c = accumulate || pc > 0;
                (0..row_blocks * col_chunks).into_par_iter().for_each(|task| {
                    let (ib, chunk) = (task / col_chunks, task % col_chunks);
                    let (ic, mc) = (ib * mc, mc.min(m - ib * mc));
                    let first_strip = chunk * strips_per_chunk;
                    let last_strip = strips.min(first_strip + strips_per_chunk);
                    scratch::lend(&PACKED_A, |packed_a| {
                        pack_a(a, ic, mc, pc, kc, packed_a);
                        for s in first_strip..last_strip {
                            let b_strip = &packed_b[s * kc * NR..(s + 1) * kc * NR];
                            let j = jc + s * NR;
                            let cols = NR.min(jc + nc - j);
                            for (r, a_strip) in packed_a.chunks_exact(kc * MR).enumerate() {
                                let i = ic + r * MR;
                                let rows = MR.min(ic + mc - i);
                                let mut tile = [0.0f32; MR * NR];
                                // SAFETY: both strips hold kc steps of MR (NR) values.
                                unsafe { micro::kernel(kc, a_strip.as_ptr(), b_strip.as_ptr(), &mut tile) };
                                // SAFETY: (i..i+rows, j..j+cols) lies in C, and tasks write disjoint tiles.
                                unsafe { store_tile(&tile, c, ldc, i, j, rows, cols, load_c) };
                            }
                        }
                    });
                });
            }
        }
    });
}

/// Block size near `max_block` (a multiple of `multiple`) that splits `len` into equal blocks.
fn balanced_block(len: usize, max_block: usize, multiple: usize) -> usize {
    let blocks = len.div_ceil(max_block);
    len.div_ceil(blocks).div_ceil(multiple) * multiple
}

/// Writes (or adds, when `load_c`) the top-left `rows x cols` of `tile` to C at `(i, j)`.
#[inline(always)]
unsafe fn store_tile(
    tile: &[f32; MR * NR],
    c: SharedMut<f32>,
    ldc: usize,
    i: usize,
    j: usize,
    rows: usize,
    cols: usize,
    load_c: bool,
) {
    for r in 0..rows {
        let dst = std::slice::from_raw_parts_mut(c.0.add((i + r) * ldc + j), cols);
        let src = &tile[r * NR..r * NR + cols];
        if load_c {
            dst.iter_mut().zip(src).for_each(|(d, s)| *d += s);
        } else {
            dst.copy_from_slice(src);
        }
    }
}

/// Packs `op(B)[pc..pc+kc, jc..jc+nc]` into `NR`-wide strips, each `kc x NR`, zero-padded.
/// Strips are packed in parallel: with few row blocks, packing B serially would idle threads.
fn pack_b(b: MatRef, pc: usize, kc: usize, jc: usize, nc: usize, out: &mut Vec<f32>) {
    let strips = nc.div_ceil(NR);
    out.resize(strips * kc * NR, 0.0);
    out.par_chunks_exact_mut(kc * NR).enumerate().for_each(|(s, strip)| {
        let j0 = jc + s * NR;
        let cols = NR.min(jc + nc - j0);
        if b.transposed {
            // B is stored [n, k]: read each stored row contiguously, write one strip column.
            if cols < NR {
                strip.fill(0.0);
            }
            for q in 0..cols {
                let row = &b.data[(j0 + q) * b.ld + pc..][..kc];
                for (p, &v) in row.iter().enumerate() {
                    strip[p * NR + q] = v;
                }
            }
        } else {
            for (p, dst) in strip.chunks_exact_mut(NR).enumerate() {
                let row = (pc + p) * b.ld + j0;
                dst[..cols].copy_from_slice(&b.data[row..row + cols]);
                dst[cols..].fill(0.0);
            }
        }
    });
}

/// Packs `op(A)[ic..ic+mc, pc..pc+kc]` into `MR`-tall strips, each `kc x MR`, zero-padded.
fn pack_a(a: MatRef, ic: usize, mc: usize, pc: usize, kc: usize, out: &mut Vec<f32>) {
    let strips = mc.div_ceil(MR);
    out.resize(strips * kc * MR, 0.0);
    for (s, strip) in out.chunks_exact_mut(kc * MR).enumerate() {
        let i0 = ic + s * MR;
        let rows = MR.min(ic + mc - i0);
        for (p, dst) in strip.chunks_exact_mut(MR).enumerate() {
            if a.transposed {
                let row = (pc + p) * a.ld + i0;
                dst[..rows].copy_from_slice(&a.data[row..row + rows]);
            } else {
                for (r, d) in dst[..rows].iter_mut().enumerate() {
                    *d = a.at(i0 + r, pc + p);
                }
            }
            dst[rows..].fill(0.0);
        }
    }
}

thread_local! {
    static PACKED_A: Cell<Vec<f32>> = const { Cell::new(Vec::new()) };
    static PACKED_B: Cell<Vec<f32>> = const { Cell::new(Vec::new()) };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{Rng, POOL_LOCK};

    fn reference(m: usize, n: usize, k: usize, a: MatRef, b: MatRef, c: &mut [f32], ldc: usize, acc: bool) {
        for i in 0..m {
            for j in 0..n {
                let s: f64 = (0..k).map(|p| a.at(i, p) as f64 * b.at(p, j) as f64).sum();
                let d = &mut c[i * ldc + j];
                *d = if acc { *d + s as f32 } else { s as f32 };
            }
        }
    }

    fn check_case(m: usize, n: usize, k: usize, ta: bool, tb: bool, acc: bool, rng: &mut Rng) {
        let (lda, ldb, ldc) = (if ta { m } else { k } + 3, if tb { k } else { n } + 1, n + 2);
        let a = rng.vec(if ta { k } else { m } * lda);
        let b = rng.vec(if tb { n } else { k } * ldb);
        let c0 = rng.vec(m * ldc);
        let (ar, br) = (MatRef { data: &a, ld: lda, transposed: ta }, MatRef { data: &b, ld: ldb, transposed: tb });
        let mut want = c0.clone();
        reference(m, n, k, ar, br, &mut want, ldc, acc);
        let mut got = c0.clone();
        gemm(m, n, k, ar, br, &mut got, ldc, acc).unwrap();
        for i in 0..m {
            for j in 0..ldc {
                let (g, w) = (got[i * ldc + j], want[i * ldc + j]);
                if j >= n {
                    assert_eq!(g, c0[i * ldc + j], "padding column {j} of row {i} was written");
                } else {
                    let tol = 1e-5 * (k as f32).sqrt() * (1.0 + w.abs());
                    assert!((g - w).abs() <= tol, "m={m} n={n} k={k} ta={ta} tb={tb} acc={acc}: C[{i}][{j}] = {g}, want {w}");
                }
            }
        }
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
        }
        threads::stop_pool();
    }

    #[test]
    fn result_is_identical_for_any_thread_count() {
        let _guard = POOL_LOCK.lock().unwrap();
        let mut rng = Rng::new(3);
        let (m, n, k) = (301, 95, 700);
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
        assert_eq!(one, run(2));
        assert_eq!(one, run(3));
        threads::stop_pool();
    }

    #[test]
    fn zero_depth_clears_or_keeps_c() {
        let a: [f32; 0] = [];
        let (ar, br) = (MatRef { data: &a, ld: 0, transposed: false }, MatRef { data: &a, ld: 2, transposed: false });
        let mut c = vec![5.0; 4];
        gemm(2, 2, 0, ar, br, &mut c, 2, true).unwrap();
        assert_eq!(c, [5.0; 4]);
        gemm(2, 2, 0, ar, br, &mut c, 2, false).unwrap();
        assert_eq!(c, [0.0; 4]);
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
    }
}
