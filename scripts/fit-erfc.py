#!/usr/bin/python3
"""Derive the coefficients of crate/src/special.rs's erfc approximation (run with /usr/bin/python3).

The form is erfc(z) = t * exp(-z^2) * S(t) with t = 1 / (1 + P z) for z >= 0, where S is a
polynomial of degree DEGREE in t. S(t) = erfc(z) exp(z^2) / t is smooth on (0, 1] (it tends to
1 / (P sqrt(pi)) as z grows), so a low-degree polynomial fits it closely. The fit minimises the
largest *relative* error of S (hence of erfc) over z in [0, Z_MAX], beyond which erfc(z) is
below f32's smallest normal number: a least-squares fit on Chebyshev nodes in t, reweighted by
Lawson's algorithm towards the minimax fit, with the reference S from mpmath at 40 digits.
The coefficients are then rounded to f32 and the fit's error is reported with them rounded.

Needs numpy and mpmath (Debian's python3-numpy, python3-mpmath). Prints the Rust constants.
"""

import mpmath as mp
import numpy as np

mp.mp.dps = 40
P = 21 / 64          # exact in binary, so the f32 kernel maps z to t exactly as the fit does
DEGREE = 9
Z_MAX = 9.4          # erfc(9.4) = 2e-40: below f32's smallest normal number (1.2e-38)
NODES = 3000
ITERATIONS = 200


def s_reference(t):
    z = (1 / t - 1) / P
    return mp.erfc(z) * mp.exp(z * z) / t


def main():
    t_min = 1 / (1 + P * Z_MAX)
    k = np.arange(NODES)
    ts = (t_min + 1) / 2 + (1 - t_min) / 2 * np.cos(np.pi * (k + 0.5) / NODES)
    ys = np.array([float(s_reference(mp.mpf(t))) for t in ts])
    vander = np.vander(ts, DEGREE + 1, increasing=True)
    weights = np.ones(NODES)
    for _ in range(ITERATIONS):
        scale = np.sqrt(weights) / ys
        coef, *_ = np.linalg.lstsq(vander * scale[:, None], ys * scale, rcond=None)
        error = np.abs(vander @ coef - ys) / ys
        weights *= error
        weights /= weights.sum()
    rounded = coef.astype(np.float32).astype(np.float64)
    error = np.abs(vander @ rounded - ys) / ys
    print(f'// Fit of S on t in [{t_min:.6f}, 1] (z in [0, {Z_MAX}]), P = {P}: largest relative error '
          f'{error.max():.2e} with the coefficients rounded to f32.')
    print(f'const ERFC_P: f32 = {P};')
    print(f'const ERFC_S: [f32; {DEGREE + 1}] = [')
    for c in rounded:
        print(f'    {np.float32(c)!r:>16},'.replace('np.float32(', '').replace(')', ''))
    print('];')


if __name__ == '__main__':
    main()
