"""Closed-form, vectorised evaluation of the OpenDRIVE plan-view primitives.

Each function takes the start pose of one or many geometries (arrays that
broadcast with ``ds``, the distance from the geometry start) and returns
x, y, heading and curvature.  ASAM OpenDRIVE 1.8.0 §9:

* line and arc (§9.3, §9.5): one chord formula ``2 sin(κ ds/2)/κ`` written with
  ``numpy.sinc`` so that κ → 0 (a line) is exact and cancellation-free;
* spiral (§9.4): the Euler spiral (clothoid) through Fresnel integrals.  A
  clothoid with curvature κ0 + c·ds is a piece of the standard clothoid
  κ = c·u shifted by u0 = κ0/c and rotated by θz = h0 − κ0²/(2c) (Meek &
  Walton, "An arc spline approximation to a clothoid", J. Comput. Appl. Math.
  170 (2004); the same shift/rotate as esmini and libOpenDRIVE use).  When the
  Fresnel arguments grow large (a near-arc: |u0|/√(π/|c|) > 30) the difference
  of two large Fresnel values loses digits, so those points are integrated by
  Gauss–Legendre quadrature of exp(iθ(s)) instead, which is exact to round-off
  for the smooth quadratic phase;
* poly3 / paramPoly3 (§9.6, §9.7) live in ``parametric.py``.
"""

from __future__ import annotations

import numpy as np
from scipy.special import fresnel

_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(24)
FRESNEL_LIMIT = 30.0


def arc_xy(x0, y0, h0, curvature, ds):
    """Point, heading and curvature on a line/arc at distance ``ds`` from its start."""
    half = 0.5 * curvature * ds
    chord = ds * np.sinc(half / np.pi)
    mid = h0 + half
    return x0 + chord * np.cos(mid), y0 + chord * np.sin(mid), h0 + 2.0 * half, curvature + 0.0 * ds


def arc_heading(h0, curvature, ds):
    """Heading and curvature of ``arc_xy`` alone: its operations on its values (the same floats),
    without the chord, sinc and trigonometry that the point needs."""
    half = 0.5 * curvature * ds
    return h0 + 2.0 * half, curvature + 0.0 * ds


def spiral_heading(h0, k0, rate, ds):
    """Heading and curvature of ``spiral_xy`` alone (the same floats), without its Fresnel integrals."""
    h0, k0, rate, ds = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (h0, k0, rate, ds)))
    return h0 + k0 * ds + 0.5 * rate * ds * ds, k0 + rate * ds


def _spiral_fresnel(x0, y0, h0, k0, rate, ds):
    """Clothoid by the shift/rotate of the standard clothoid (rate ≠ 0)."""
    a = np.sqrt(np.pi / np.abs(rate))
    sign = np.sign(rate)
    u0 = k0 / rate
    s_a, c_a = fresnel(u0 / a)
    s_b, c_b = fresnel((u0 + ds) / a)
    lx = a * (c_b - c_a)
    ly = sign * a * (s_b - s_a)
    theta_z = h0 - 0.5 * k0 * k0 / rate
    ct, st = np.cos(theta_z), np.sin(theta_z)
    return x0 + ct * lx - st * ly, y0 + st * lx + ct * ly


def _spiral_quadrature(x0, y0, h0, k0, rate, ds):
    """∫₀^ds exp(iθ(v)) dv with θ = h0 + k0 v + rate v²/2 by composite Gauss–Legendre.

    The number of panels follows the largest heading change in the batch so each
    panel sees at most ~4 rad of phase (24 nodes are then exact to round-off).
    """
    ds = np.asarray(ds, dtype=float)
    sweep = np.abs(k0 * ds) + np.abs(0.5 * rate * ds * ds)
    panels = int(max(1, np.ceil(np.max(sweep, initial=0.0) / 4.0)))
    edges = np.linspace(0.0, 1.0, panels + 1)
    xs = np.zeros(np.broadcast(x0, ds).shape)
    ys = np.zeros_like(xs)
    for i in range(panels):
        lo, hi = edges[i], edges[i + 1]
        frac = lo + (hi - lo) * 0.5 * (_GL_NODES + 1.0)  # (n,)
        v = ds[..., None] * frac
        th = np.asarray(h0)[..., None] + np.asarray(k0)[..., None] * v + 0.5 * np.asarray(rate)[..., None] * v * v
        w = _GL_WEIGHTS * 0.5 * (hi - lo)
        xs = xs + ds * (np.cos(th) @ w)
        ys = ys + ds * (np.sin(th) @ w)
    return x0 + xs, y0 + ys


def spiral_xy(x0, y0, h0, k0, rate, ds):
    """Point, heading and curvature on a clothoid with curvature k0 + rate·ds."""
    x0, y0, h0, k0, rate, ds = np.broadcast_arrays(
        *(np.asarray(v, dtype=float) for v in (x0, y0, h0, k0, rate, ds))
    )
    heading = h0 + k0 * ds + 0.5 * rate * ds * ds
    curvature = k0 + rate * ds
    x = np.empty(ds.shape)
    y = np.empty(ds.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        reach = (np.abs(k0) + np.abs(rate * ds)) / np.sqrt(np.pi * np.abs(rate))
    good = (rate != 0.0) & (reach < FRESNEL_LIMIT)
    if good.any():
        x[good], y[good] = _spiral_fresnel(x0[good], y0[good], h0[good], k0[good], rate[good], ds[good])
    rest = ~good
    if rest.any():
        x[rest], y[rest] = _spiral_quadrature(x0[rest], y0[rest], h0[rest], k0[rest], rate[rest], ds[rest])
    return x, y, heading, curvature


def cubic(a, b, c, d, ds):
    """a + b ds + c ds² + d ds³ and its first derivative (Horner)."""
    value = a + ds * (b + ds * (c + ds * d))
    slope = b + ds * (2.0 * c + ds * 3.0 * d)
    return value, slope
