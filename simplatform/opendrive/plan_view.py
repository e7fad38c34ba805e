"""A road's reference line (§9 plan view) and its s-indexed profiles, compiled
into arrays for vectorised evaluation.

Why compiled: the engine asks for poses of many entities every step.  The
geometry records are turned once into parameter arrays (start s, pose,
curvature, curvature rate, kind code) so that evaluating any number of s
values is one ``searchsorted`` plus a handful of array expressions per kind,
never a Python loop over points.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass

import numpy as np
from scipy.special import fresnel

from simplatform.opendrive import model as m
from simplatform.opendrive.geometry import FRESNEL_LIMIT, arc_heading, arc_xy, spiral_heading, spiral_xy
from simplatform.opendrive.parametric import ParametricCubic

LINE_ARC, SPIRAL, PARAMETRIC = 0, 1, 2
POSITION_TOLERANCE = 1e-3
HEADING_TOLERANCE = 1e-3


@dataclass(frozen=True)
class CubicTable:
    """Piecewise cubic in s (elevation, superelevation, lane offset): arrays of
    record start s and coefficients; zero where no record applies."""

    s: np.ndarray
    coef: np.ndarray  # (n, 4)

    @classmethod
    def of(cls, records, base: float = 0.0) -> "CubicTable":
        if not records:
            return cls(np.zeros(0), np.zeros((0, 4)))
        return cls(np.array([r.s + base for r in records]),
                   np.array([[r.a, r.b, r.c, r.d] for r in records]))

    @property
    def empty(self) -> bool:
        return self.s.size == 0

    def __call__(self, s):
        """Value and slope at s (value 0 before the first record / with none)."""
        s = np.asarray(s, dtype=float)
        if self.s.size == 0:
            z = np.zeros(s.shape)
            return z, z
        i = np.searchsorted(self.s, s, side="right") - 1
        before = i < 0
        i = np.maximum(i, 0)
        ds = s - self.s[i]
        a, b, c, d = self.coef[i].T if s.ndim else self.coef[i]
        value = a + ds * (b + ds * (c + ds * d))
        slope = b + ds * (2.0 * c + ds * 3.0 * d)
        if before.any():
            value = np.where(before, 0.0, value)
            slope = np.where(before, 0.0, slope)
        return value, slope


class PlanView:
    """Evaluates a road's reference line: x, y, heading, curvature at any s."""

    def __init__(self, geometries: tuple[m.Geometry, ...]) -> None:
        self.geometries = geometries
        self.s0 = np.array([g.s for g in geometries])
        self.x0 = np.array([g.x for g in geometries])
        self.y0 = np.array([g.y for g in geometries])
        self.h0 = np.array([g.hdg for g in geometries])
        self.length = np.array([g.length for g in geometries])
        self.k0 = np.zeros(len(geometries))
        self.rate = np.zeros(len(geometries))
        self.kind = np.zeros(len(geometries), dtype=np.int8)
        self.parametric: dict[int, ParametricCubic] = {}
        for i, g in enumerate(geometries):
            if isinstance(g, m.Arc):
                self.k0[i] = g.curvature
            elif isinstance(g, m.Spiral):
                self.k0[i] = g.curv_start
                self.rate[i] = (g.curv_end - g.curv_start) / g.length
                self.kind[i] = SPIRAL if self.rate[i] != 0.0 else LINE_ARC
            elif isinstance(g, (m.Poly3, m.ParamPoly3)):
                self.kind[i] = PARAMETRIC
                self.parametric[i] = ParametricCubic.from_geometry(g)
        self.only_line_arc = not bool(self.kind.any())
        self.s_end = float(self.s0[-1] + self.length[-1])
        self._s0_list = self.s0.tolist()
        self._last = len(geometries) - 1
        self._rows = [(g.s, g.x, g.y, g.hdg, float(self.k0[i])) if self.kind[i] == LINE_ARC else None
                      for i, g in enumerate(geometries)]
        self._spirals = [self._spiral_constants(i) if self.kind[i] == SPIRAL else None
                         for i in range(len(geometries))]

    def _spiral_constants(self, i: int):
        """Per-spiral constants of the Fresnel form (see ``geometry``) for the scalar path;
        None when the Fresnel form is ill-conditioned (near-arc) anywhere on it."""
        k0, rate = float(self.k0[i]), float(self.rate[i])
        a = math.sqrt(math.pi / abs(rate))
        u0 = k0 / rate
        if max(abs(u0), abs(u0 + float(self.length[i]))) / a >= FRESNEL_LIMIT:
            return None
        s_a, c_a = fresnel(u0 / a)
        theta_z = float(self.h0[i]) - 0.5 * k0 * k0 / rate
        return (float(self.s0[i]), float(self.x0[i]), float(self.y0[i]), float(self.h0[i]), k0, rate, a,
                math.copysign(1.0, rate), u0, float(s_a), float(c_a), math.cos(theta_z), math.sin(theta_z))

    def index(self, s: np.ndarray) -> np.ndarray:
        return np.clip(np.searchsorted(self.s0, s, side="right") - 1, 0, len(self.s0) - 1)

    def evaluate(self, s):
        """x, y, heading, curvature (arrays shaped like ``s``)."""
        return self._by_kind(s, self._arc_pose, self._spiral_pose, lambda x, y, h, k: (x, y, h, k), 4)

    def heading_curvature(self, s):
        """Heading and curvature of ``evaluate`` (the same floats, bit for bit), without the x, y
        that cost most of it (chord, sinc, sine and cosine, Fresnel integrals): for callers that
        need only the reference line's direction, e.g. lane-direction checks over many steps.
        Parametric geometries (§9.6, §9.7) get theirs from the full evaluation, which they need
        for the curve parameter anyway."""
        return self._by_kind(s, self._arc_heading, self._spiral_heading, lambda x, y, h, k: (h, k), 2)

    def _by_kind(self, s, arc, spiral, pick_parametric, width: int):
        """Evaluate ``width`` outputs at ``s``, each point by its own geometry's kind: lines and arcs by
        ``arc(i, ds)``, spirals by ``spiral(i, ds)``, parametric cubics by their own evaluation (picked
        from its x, y, heading, curvature).  One dispatch for ``evaluate`` and ``heading_curvature``,
        so the two agree on which formula serves which point."""
        s = np.asarray(s, dtype=float)
        i = self.index(s)
        ds = s - self.s0[i]
        if self.only_line_arc:
            return arc(i, ds)
        out = tuple(np.empty(s.shape) for _ in range(width))
        kinds = self.kind[i]
        for kind, formula in ((LINE_ARC, arc), (SPIRAL, spiral)):
            mask = kinds == kind
            if mask.any():
                for column, values in zip(out, formula(i[mask], ds[mask])):
                    column[mask] = values
        if (kinds == PARAMETRIC).any():
            for g in np.unique(i[kinds == PARAMETRIC]):
                mask = i == g
                for column, values in zip(out, pick_parametric(*self.parametric[int(g)].evaluate(ds[mask]))):
                    column[mask] = values
        return out

    def _arc_pose(self, i, ds):
        return arc_xy(self.x0[i], self.y0[i], self.h0[i], self.k0[i], ds)

    def _spiral_pose(self, i, ds):
        return spiral_xy(self.x0[i], self.y0[i], self.h0[i], self.k0[i], self.rate[i], ds)

    def _arc_heading(self, i, ds):
        return arc_heading(self.h0[i], self.k0[i], ds)

    def _spiral_heading(self, i, ds):
        return spiral_heading(self.h0[i], self.k0[i], self.rate[i], ds)

    def evaluate_scalar(self, s: float) -> tuple[float, float, float, float]:
        """One point without array overhead for lines and arcs (the common case)."""
        i = bisect.bisect_right(self._s0_list, s) - 1
        i = min(max(i, 0), self._last)
        row = self._rows[i]
        if row is not None:
            s0, x0, y0, h0, k = row
            ds = s - s0
            half = 0.5 * k * ds
            chord = ds * (math.sin(half) / half if half != 0.0 else 1.0)
            mid = h0 + half
            return x0 + chord * math.cos(mid), y0 + chord * math.sin(mid), h0 + 2.0 * half, k
        spiral = self._spirals[i]
        if spiral is not None:
            s0, x0, y0, h0, k0, rate, a, sign, u0, s_a, c_a, ct, st = spiral
            ds = s - s0
            arg = (u0 + ds) / a
            if abs(arg) < FRESNEL_LIMIT:
                s_b, c_b = fresnel(arg)
                lx = a * (float(c_b) - c_a)
                ly = sign * a * (float(s_b) - s_a)
                return (x0 + ct * lx - st * ly, y0 + st * lx + ct * ly,
                        h0 + k0 * ds + 0.5 * rate * ds * ds, k0 + rate * ds)
        x, y, h, k = self.evaluate(np.array([s]))
        return float(x[0]), float(y[0]), float(h[0]), float(k[0])

    def continuity_problems(self, road_id: str, source: str) -> list[str]:
        """Position (> 1 mm) and heading (> 1e-3 rad) jumps between consecutive geometries."""
        problems = []
        n = len(self.geometries)
        if n < 2:
            return problems
        ends = self.s0[1:]
        idx = np.arange(n - 1)
        ds = self.length[:-1]
        x = np.empty(n - 1)
        y = np.empty(n - 1)
        h = np.empty(n - 1)
        for j in idx:  # one evaluation per geometry boundary, at the end of geometry j
            xx, yy, hh, _ = self._evaluate_in(int(j), np.array([ds[j]]))
            x[j], y[j], h[j] = xx[0], yy[0], hh[0]
        dpos = np.hypot(x - self.x0[1:], y - self.y0[1:])
        dh = np.abs((self.h0[1:] - h + np.pi) % (2.0 * np.pi) - np.pi)
        for j in np.flatnonzero((dpos > POSITION_TOLERANCE) | (dh > HEADING_TOLERANCE)):
            g = self.geometries[j + 1]
            problems.append(
                f"{source}:{g.line or '?'}: road {road_id}: plan view discontinuity at s={ends[j]:.3f}: "
                f"position jump {dpos[j] * 1000:.1f} mm, heading jump {dh[j]:.4f} rad")
        return problems

    def _evaluate_in(self, i: int, ds: np.ndarray):
        if self.kind[i] == PARAMETRIC:
            return self.parametric[i].evaluate(ds)
        if self.kind[i] == SPIRAL:
            return spiral_xy(self.x0[i], self.y0[i], self.h0[i], self.k0[i], self.rate[i], ds)
        return arc_xy(self.x0[i], self.y0[i], self.h0[i], self.k0[i], ds)
