"""poly3 and paramPoly3 (ASAM OpenDRIVE 1.8.0 §9.6, §9.7) evaluated at arc length.

Why arc length: s along an OpenDRIVE road is arc length of the reference line,
but a cubic is parametrised by u (poly3) or p (paramPoly3), whose speed is not
one.  The map s → p is solved exactly: a table of arc length at nodes every
≤ 0.5 m (24-point Gauss–Legendre per panel) gives a starting guess, and Newton
steps on S(p) − s with S from the nearest node by 8-point Gauss–Legendre
converge to round-off (S is smooth, S' = |(u', v')| > 0).  esmini keeps the
same s→p mapping for paramPoly3; tools that use p = s directly are off by the
difference between the two parametrisations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simplatform.opendrive.model import ParamPoly3, Poly3

_TABLE_NODES, _TABLE_WEIGHTS = np.polynomial.legendre.leggauss(24)
_NEWTON_NODES, _NEWTON_WEIGHTS = np.polynomial.legendre.leggauss(8)
_NEWTON_STEPS = 3


@dataclass(frozen=True)
class ParametricCubic:
    """u(p), v(p) cubics in the frame of the start pose, with an arc-length table."""

    x0: float
    y0: float
    hdg: float
    u: np.ndarray  # (4,) coefficients a, b, c, d
    v: np.ndarray
    p_nodes: np.ndarray
    s_nodes: np.ndarray

    @classmethod
    def from_geometry(cls, g: Poly3 | ParamPoly3) -> "ParametricCubic":
        if isinstance(g, Poly3):
            u = np.array([0.0, 1.0, 0.0, 0.0])
            v = np.array([g.a, g.b, g.c, g.d])
            p_end = g.length  # arc length >= u, so u(s = length) <= length
        else:
            u = np.array([g.a_u, g.b_u, g.c_u, g.d_u])
            v = np.array([g.a_v, g.b_v, g.c_v, g.d_v])
            p_end = g.length if g.p_range == "arcLength" else 1.0
        panels = max(8, int(np.ceil(g.length / 0.5)))
        p_nodes = np.linspace(0.0, p_end, panels + 1)
        half = 0.5 * (p_nodes[1:] - p_nodes[:-1])
        mid = 0.5 * (p_nodes[1:] + p_nodes[:-1])
        q = mid[:, None] + half[:, None] * _TABLE_NODES
        pieces = (_speed(u, v, q) @ _TABLE_WEIGHTS) * half
        s_nodes = np.concatenate([[0.0], np.cumsum(pieces)])
        return cls(g.x, g.y, g.hdg, u, v, p_nodes, s_nodes)

    def parameter(self, ds: np.ndarray) -> np.ndarray:
        """p with arc length S(p) = ds (Newton from the table's linear guess)."""
        ds = np.asarray(ds, dtype=float)
        k = np.clip(np.searchsorted(self.s_nodes, ds, side="right") - 1, 0, len(self.s_nodes) - 2)
        p_lo = self.p_nodes[k]
        s_lo = self.s_nodes[k]
        span = self.s_nodes[k + 1] - s_lo
        p = p_lo + (ds - s_lo) / span * (self.p_nodes[k + 1] - p_lo)
        for _ in range(_NEWTON_STEPS):
            half = 0.5 * (p - p_lo)
            q = (p_lo + half)[..., None] + half[..., None] * _NEWTON_NODES
            arc = s_lo + (_speed(self.u, self.v, q) @ _NEWTON_WEIGHTS) * half
            p = p - (arc - ds) / _speed(self.u, self.v, p)
        return p

    def evaluate(self, ds: np.ndarray):
        """x, y, heading, curvature at arc length ``ds`` from the geometry start."""
        p = self.parameter(ds)
        u, du, ddu = _poly(self.u, p)
        v, dv, ddv = _poly(self.v, p)
        c, s = np.cos(self.hdg), np.sin(self.hdg)
        x = self.x0 + c * u - s * v
        y = self.y0 + s * u + c * v
        heading = self.hdg + np.arctan2(dv, du)
        curvature = (du * ddv - dv * ddu) / np.power(du * du + dv * dv, 1.5)
        return x, y, heading, curvature


def _poly(coef: np.ndarray, p):
    a, b, c, d = coef
    value = a + p * (b + p * (c + p * d))
    first = b + p * (2.0 * c + p * 3.0 * d)
    second = 2.0 * c + 6.0 * d * p
    return value, first, second


def _speed(u: np.ndarray, v: np.ndarray, p):
    du = u[1] + p * (2.0 * u[2] + p * 3.0 * u[3])
    dv = v[1] + p * (2.0 * v[2] + p * 3.0 * v[3])
    return np.hypot(du, dv)
