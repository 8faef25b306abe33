//! The standard normal distribution in f32, for the exact GELU: the Gaussian `exp(−x²/2)` and the
//! cumulative distribution `Φ(x) = ½·erfc(−x/√2)`. Their *relative* error is below 2e-7 and 4e-7
//! (the tests check it against float64 on dense grids) everywhere their results are normal f32
//! numbers, i.e. for |x| below about 13; beyond, results under f32's smallest normal number are
//! flushed to 0.
//!
//! Algorithm:
//! - `exp(−x²/2)` by Cody and Waite's reduction `2ⁿ·exp(r)`, `|r| ≤ ln2/2`, with `exp(r)` by its
//!   Taylor polynomial of degree 7 (truncation error 5e-9). The argument `x²/2` is not rounded
//!   before the reduction: `x = hi + lo` with `hi` the top 12 bits of `x`, so that `hi²/2` is
//!   exact and the small rest `lo·(x + hi)/2` is added after the exact step `hi²/2 − n·ln2_hi`.
//!   (Rounding `x²` first would cost up to `x²/2 · 2⁻²⁴` of absolute error in the exponent, i.e.
//!   5e-7 relative at x = 4.)
//! - `erfc(z) = t·exp(−z²)·S(t)` for `z ≥ 0`, `t = 1/(1 + P·z)`, with `S` a degree-9 polynomial
//!   fitted to the minimax relative error (2e-8, below f32's rounding) by scripts/fit-erfc.py,
//!   which prints [`ERFC_S`]; the rounding of `t` is corrected to first order (see
//!   [`erfc_scaled`]). Then `Φ(x) = ½·erfc(|x|/√2)` for `x < 0` and `1 − ½·erfc(x/√2)`
//!   otherwise: computing the small side directly keeps the negative tail accurate, where
//!   `½·(1 + erf(x/√2))` (PyTorch's float32 formula) cancels to 0 from x ≈ −5.9. The same
//!   `exp(−x²/2)` serves `Φ` and the density, so GELU's backward needs one exponential.
//!
//! Everything is branch-free (selects, bit operations, no calls or table lookups), so a loop
//! mapping these over a tensor vectorises (wasm simd128: four lanes). Results depend only on
//! the input, never on how a tensor is split between threads.

/// `P` of `t = 1/(1 + P·z)`: exact in binary, as in the fit.
const ERFC_P: f32 = 0.328125;
/// `S(t) = Σ ERFC_S[k]·tᵏ`, from scripts/fit-erfc.py (relative error 2.1e-8 on z in [0, 9.4]).
const ERFC_S: [f32; 10] = [
    0.185_076_52,
    0.186_158_72,
    0.165_434_39,
    0.207_929_21,
    -0.054_854_825,
    0.508_394_24,
    -0.567_871_33,
    0.632_812_74,
    -0.320_758_16,
    0.057_678_487,
];

/// `1/√2`.
const FRAC_1_SQRT_2: f32 = std::f32::consts::FRAC_1_SQRT_2;
/// `2/√π`.
const FRAC_2_SQRT_PI: f32 = std::f32::consts::FRAC_2_SQRT_PI;
/// `1/√(2π)`, the density's factor.
const FRAC_1_SQRT_2PI: f32 = 0.398_942_3;
/// `log2(e)`.
const LOG2_E: f32 = std::f32::consts::LOG2_E;
/// `ln 2` in two parts: `LN2_HI` has 15 significant bits, so `n·LN2_HI` is exact for |n| < 512.
const LN2_HI: f32 = 0.693_145_75; // 0x3F31_7200
const LN2_LO: f32 = 1.428_606_8e-6;
/// `1.5·2²³`: adding it rounds a float of magnitude below 2²² to an integer (in its low bits).
const ROUNDER: f32 = 12_582_912.0;
/// `exp(−e)` for `e` above this is flushed to 0: it is below f32's smallest normal number
/// (`exp(−87.3365)`), and `2ⁿ` would leave the normal range.
const MAX_HALF_SQUARE: f32 = 87.33;

/// `exp(−x²/2)`: the Gaussian, unnormalised. 0 where `x²/2 > 87.33` (and for infinite `x`),
/// NaN for NaN.
#[inline(always)]
pub fn gaussian(x: f32) -> f32 {
    // x = hi + lo, hi with 12 significant bits: hi² is exact, and x² = hi² + lo·(x + hi).
    let hi = f32::from_bits(x.to_bits() & 0xFFFF_F000);
    let lo = x - hi;
    let (big, small) = (0.5 * hi * hi, 0.5 * lo * (x + hi));
    // exp(−(big + small)) = 2ⁿ·exp(r), n = round(−(big + small)·log2 e).
    let shifted = -(big + small) * LOG2_E + ROUNDER;
    let n = shifted - ROUNDER;
    let r = ((-big - n * LN2_HI) - small) - n * LN2_LO;
    let two_n = f32::from_bits((shifted.to_bits().wrapping_sub(ROUNDER.to_bits()).wrapping_add(127)) << 23);
    let value = exp_reduced(r) * two_n;
    // Also true for infinite x (whose `small` is NaN); false for NaN x, which stays NaN.
    if big > MAX_HALF_SQUARE {
        0.0
    } else {
        value
    }
}

/// `exp(r)` for `|r| ≤ ln2/2` by Horner's rule on the Taylor polynomial of degree 7.
#[inline(always)]
fn exp_reduced(r: f32) -> f32 {
    const C: [f32; 8] = [1.0, 1.0, 1.0 / 2.0, 1.0 / 6.0, 1.0 / 24.0, 1.0 / 120.0, 1.0 / 720.0, 1.0 / 5040.0];
    C.iter().rev().fold(0.0, |acc, &c| acc * r + c)
}

/// `erfc(|x|/√2)·exp(x²/2)` for `a = |x|`, as `t·S(t)` with `t = 1/(1 + P·z)`, `z = a/√2`.
///
/// `R(t) = t·S(t)` is steep near `t = 1` (`d ln R / d ln t ≈ 3.4` there), so the f32 rounding
/// of `t` alone would cost up to 4e-7 of relative error for small `z`. It is corrected to first
/// order: the exact `1/(1 + w)` is `t·(1 + ρ)` with `ρ = 1 − t·(1 + w)`, computed without
/// cancellation as `(1 − t) − t·w`, and `dR/dt = (2/√π − 2z·R)·(1 + w)²/P` (from
/// `d(erfc(z)·exp(z²))/dz = 2z·erfc(z)·exp(z²) − 2/√π`).
#[inline(always)]
fn erfc_scaled(a: f32) -> f32 {
    let w = (ERFC_P * FRAC_1_SQRT_2) * a;
    let d = 1.0 + w;
    let t = 1.0 / d;
    let s = ERFC_S.iter().rev().fold(0.0, |acc, &c| acc * t + c);
    let r = t * s;
    // t_exact = t·(1 + ρ), so R(t_exact) ≈ R + t·ρ·dR/dt = R + ρ·(2/√π − 2z·R)·d/P.
    let rho = (1.0 - t) - t * w;
    let z = a * FRAC_1_SQRT_2;
    r + rho * ((FRAC_2_SQRT_PI - 2.0 * z * r) * (d * (1.0 / ERFC_P)))
}

/// `(Φ(x), exp(−x²/2))`: the standard normal CDF and the Gaussian it was computed from.
#[inline(always)]
pub fn normal_cdf_and_gaussian(x: f32) -> (f32, f32) {
    let e = gaussian(x);
    // Past 14, e is 0: the clamp keeps erfc_scaled finite there (∞·0 would make NaN).
    let a = x.abs();
    let tail = 0.5 * e * erfc_scaled(if a > 14.0 { 14.0 } else { a });
    let cdf = if x < 0.0 { tail } else { 1.0 - tail };
    (cdf, e)
}

/// `Φ(x)`, the standard normal CDF.
#[inline(always)]
pub fn normal_cdf(x: f32) -> f32 {
    normal_cdf_and_gaussian(x).0
}

/// `φ(x) = exp(−x²/2)/√(2π)`, the standard normal density.
#[inline(always)]
pub fn normal_pdf(x: f32) -> f32 {
    gaussian(x) * FRAC_1_SQRT_2PI
}

/// `(Φ(x), φ(x))`.
#[inline(always)]
pub fn normal_cdf_and_pdf(x: f32) -> (f32, f32) {
    let (cdf, e) = normal_cdf_and_gaussian(x);
    (cdf, e * FRAC_1_SQRT_2PI)
}

#[cfg(test)]
pub mod reference {
    //! Float64 references for the tests, by series that converge for every argument.

    /// `erfc(z)` to about 1e-15 relative: for `z < 3`, `1 − erf(z)` with
    /// `erf(z) = 2/√π·exp(−z²)·Σ 2ⁿ z²ⁿ⁺¹/(1·3·…·(2n+1))` (positive terms, no cancellation);
    /// for `z ≥ 3`, the continued fraction `erfc(z) = exp(−z²)/√π · 1/(z + ½/(z + 1/(z + 3/2/(z + …))))`
    /// evaluated by Lentz's method; `2 − erfc(−z)` for negative `z`.
    pub fn erfc(z: f64) -> f64 {
        if z < 0.0 {
            return 2.0 - erfc(-z);
        }
        let frac_2_sqrt_pi = std::f64::consts::FRAC_2_SQRT_PI;
        if z < 3.0 {
            let (mut term, mut sum, mut n) = (z, z, 0.0);
            while term > sum * 1e-17 {
                n += 1.0;
                term *= 2.0 * z * z / (2.0 * n + 1.0);
                sum += term;
            }
            return 1.0 - frac_2_sqrt_pi * (-z * z).exp() * sum;
        }
        // K = z + a1/(z + a2/(z + ...)), a_k = k/2.
        let tiny = 1e-300;
        let (mut f, mut c, mut d) = (z, z, 0.0);
        for k in 1..200 {
            let a = k as f64 / 2.0;
            d = z + a * d;
            d = if d == 0.0 { tiny } else { 1.0 / d };
            c = z + a / c;
            let delta = c * d;
            f *= delta;
            if (delta - 1.0).abs() < 1e-16 {
                break;
            }
        }
        0.5 * frac_2_sqrt_pi * (-z * z).exp() / f
    }

    /// `Φ(x) = ½·erfc(−x/√2)`.
    pub fn normal_cdf(x: f64) -> f64 {
        0.5 * erfc(-x / std::f64::consts::SQRT_2)
    }

    /// `φ(x)`.
    pub fn normal_pdf(x: f64) -> f64 {
        (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
    }
}

#[cfg(test)]
mod tests {
    use super::reference;
    use super::*;

    /// Every f32 in `[lo, hi)` spaced `step` apart, plus the ends.
    fn grid(lo: f32, hi: f32, step: f32) -> Vec<f32> {
        let count = ((hi - lo) / step) as usize;
        (0..=count).map(|i| lo + i as f32 * step).chain([hi]).collect()
    }

    /// Largest relative error of `f` against `want` over `xs`, skipping results below f32's
    /// smallest normal number.
    fn worst_relative_error(xs: &[f32], f: impl Fn(f32) -> f32, want: impl Fn(f64) -> f64) -> (f64, f32) {
        let mut worst = (0.0, 0.0);
        for &x in xs {
            let want = want(x as f64);
            if want.abs() < f32::MIN_POSITIVE as f64 {
                continue;
            }
            let err = ((f(x) as f64 - want) / want).abs();
            assert!(err.is_finite(), "f({x}) = {}, want {want}", f(x));
            if err > worst.0 {
                worst = (err, x);
            }
        }
        worst
    }

    #[test]
    fn the_float64_reference_agrees_with_known_values() {
        // erfc(0) = 1, and two values from the 15-digit tables.
        assert_eq!(reference::erfc(0.0), 1.0);
        let tables = [(0.5, 0.479_500_122_186_953_5), (1.0, 0.157_299_207_050_285_13), (4.0, 1.541_725_790_028_002e-8)];
        for (z, want) in tables {
            assert!((reference::erfc(z) / want - 1.0).abs() < 1e-14, "erfc({z})");
        }
        // Both branches meet at 3, and erfc(−z) = 2 − erfc(z).
        let (below, above) = (reference::erfc(3.0 - 1e-12), reference::erfc(3.0));
        assert!((below / above - 1.0).abs() < 1e-10, "{below} vs {above}");
        assert!((reference::erfc(-0.7) + reference::erfc(0.7) - 2.0).abs() < 1e-15);
        // The continued fraction's derivative matches −2/√π·exp(−z²) (a check of its shape).
        let (z, h) = (5.0, 1e-5);
        let slope = (reference::erfc(z + h) - reference::erfc(z - h)) / (2.0 * h);
        let want = -std::f64::consts::FRAC_2_SQRT_PI * (-z * z).exp();
        assert!((slope / want - 1.0).abs() < 1e-6, "{slope} vs {want}");
    }

    #[test]
    fn gaussian_is_accurate_to_a_few_roundings_where_it_is_normal() {
        let xs = grid(-13.2, 13.2, 1e-3);
        let (err, at) = worst_relative_error(&xs, gaussian, |x| (-0.5 * x * x).exp());
        assert!(err < 2e-7, "exp(-x²/2): relative error {err:e} at x = {at}");
        assert_eq!(gaussian(0.0), 1.0);
        assert_eq!(gaussian(13.5), 0.0);
        assert_eq!(gaussian(f32::INFINITY), 0.0);
        assert_eq!(gaussian(f32::NEG_INFINITY), 0.0);
        assert!(gaussian(f32::NAN).is_nan());
    }

    #[test]
    fn normal_cdf_and_pdf_are_accurate_relative_to_float64() {
        let xs = grid(-13.0, 8.0, 7e-4);
        let (err, at) = worst_relative_error(&xs, normal_cdf, reference::normal_cdf);
        assert!(err < 4e-7, "Φ: relative error {err:e} at x = {at}");
        let (err, at) = worst_relative_error(&xs, normal_pdf, reference::normal_pdf);
        assert!(err < 4e-7, "φ: relative error {err:e} at x = {at}");
        // Small arguments, where Φ ≈ ½ + x·φ(0).
        let tiny = grid(-1e-3, 1e-3, 1e-6);
        let (err, at) = worst_relative_error(&tiny, normal_cdf, reference::normal_cdf);
        assert!(err < 3e-7, "Φ near 0: relative error {err:e} at x = {at}");
        let (cdf, pdf) = normal_cdf_and_pdf(-2.5);
        assert_eq!((cdf, pdf), (normal_cdf(-2.5), normal_pdf(-2.5)));
    }

    #[test]
    fn normal_cdf_saturates_and_propagates_nan() {
        assert_eq!(normal_cdf(0.0), 0.5);
        assert_eq!(normal_cdf(f32::INFINITY), 1.0);
        assert_eq!(normal_cdf(f32::NEG_INFINITY), 0.0);
        assert_eq!(normal_cdf(20.0), 1.0);
        assert_eq!(normal_cdf(-20.0), 0.0);
        assert!(normal_cdf(f32::NAN).is_nan());
        // Monotone across the join of the two sides at 0.
        let around: Vec<f32> = grid(-1e-6, 1e-6, 1e-8).into_iter().map(normal_cdf).collect();
        assert!(around.windows(2).all(|w| w[0] <= w[1]), "{around:?}");
    }
}
