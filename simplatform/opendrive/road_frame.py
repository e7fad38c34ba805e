"""The road coordinate frame of one road: (s, t) → (x, y, z, heading, pitch, roll).

ASAM OpenDRIVE 1.8.0 §10: the reference line (plan view) gives x, y and
heading; the elevation profile (§10.4) gives z and the slope; superelevation
(§10.5.1) is the roll of the road cross section about the reference line and
the lateral shape (§10.5.2) adds a height profile across it, linearly blended
between consecutive shape s positions.

Frame choices, stated once: t is measured in the superelevated cross section
(§8.3: the t-axis "is angled relative to the x/y plane according to the road
superelevation"; a lane's @width keeps its value, its projection on the x/y
plane shrinks), so a point at t lies t·cos(roll) along the horizontal left
normal and t·sin(roll) above the reference line, as libOpenDRIVE's
Road::get_xyz places it.  The inverse xy → (s, t) stays a planar problem:
``horizontal_t`` is t·cos(roll) and ``t_from_horizontal`` undoes it.  Angles
follow the right-hand rule of the inertial frame (z up): pitch about the
lateral axis is positive nose-down, so a road rising with s has pitch
−atan(dz/ds); roll is the superelevation (positive lowers the right side).
OpenDRIVE 1.4/1.5 ``<crossfall>`` (``crossfall``) lowers each side outward,
added vertically like the shape.  Lanes with ``level="true"`` are kept out of
superelevation, shape and crossfall: on such roads the cross section is walked
lane by lane (``level_lanes``), a level lane flat (roll 0) at its inner
border's height and covering its full width in x/y.  Pitch is the surface's
slope along s at fixed t (elevation, and a changing bank, shape or crossfall).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from simplatform.opendrive import model as m
from simplatform.opendrive.crossfall import Crossfall
from simplatform.opendrive.lanes import RoadLanes
from simplatform.opendrive.level_lanes import LevelCrossSection
from simplatform.opendrive.plan_view import CubicTable, PlanView

_DS = 1e-4  # metres: half-step of the central difference for the cross section's rise along s


@dataclass(frozen=True)
class ShapeProfile:
    """§10.5.2 shapes grouped by s: each group a piecewise cubic in t."""

    s: np.ndarray
    groups: tuple[CubicTable, ...]

    @classmethod
    def of(cls, shapes: tuple[m.ShapeRecord, ...]) -> "ShapeProfile | None":
        if not shapes:
            return None
        by_s: dict[float, list[m.ShapeRecord]] = {}
        for r in shapes:
            by_s.setdefault(r.s, []).append(r)
        keys = sorted(by_s)
        groups = tuple(CubicTable(np.array([r.t for r in by_s[k]]), np.array([[r.a, r.b, r.c, r.d] for r in by_s[k]]))
                       for k in keys)
        return cls(np.array(keys), groups)

    def __call__(self, s: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Height at (s, t): the profiles at the neighbouring s positions, blended linearly."""
        i = np.clip(np.searchsorted(self.s, s, side="right") - 1, 0, len(self.s) - 1)
        j = np.minimum(i + 1, len(self.s) - 1)
        out = np.zeros(np.shape(s))
        for g in np.unique(np.concatenate([i, j])):
            for idx in (i, j):
                mask = idx == g
                if not mask.any():
                    continue
                value = self._first_record_aware(self.groups[int(g)], t[mask])
                span = self.s[j[mask]] - self.s[i[mask]]
                with np.errstate(invalid="ignore", divide="ignore"):
                    frac = np.where(span > 0, np.clip((s[mask] - self.s[i[mask]]) / span, 0.0, 1.0), 0.0)
                weight = 1.0 - frac if idx is i else frac
                out[mask] += weight * value
        return out

    def slope(self, s: np.ndarray, t: np.ndarray) -> np.ndarray:
        """d height / ds at fixed t: the blend's rate between the neighbouring profiles."""
        s = np.asarray(s, dtype=float)
        i = np.clip(np.searchsorted(self.s, s, side="right") - 1, 0, len(self.s) - 1)
        j = np.minimum(i + 1, len(self.s) - 1)
        span = self.s[j] - self.s[i]
        inside = (span > 0) & (s >= self.s[i]) & (s < self.s[j])
        out = np.zeros(np.shape(s))
        if not inside.any():
            return out
        for g in np.unique(np.concatenate([i[inside], j[inside]])):
            for idx, sign in ((i, -1.0), (j, 1.0)):
                mask = inside & (idx == g)
                if mask.any():
                    out[mask] += sign * self._first_record_aware(self.groups[int(g)], t[mask]) / span[mask]
        return out

    @staticmethod
    def _first_record_aware(table: CubicTable, t: np.ndarray) -> np.ndarray:
        # a shape applies from its first t on; before it (t < first t) the first record extends
        clamped = np.maximum(t, table.s[0])
        value, _ = table(clamped)
        return value


class RoadFrame:
    """Compiled plan view, profiles and lanes of one road."""

    def __init__(self, road: m.Road, source: str = "") -> None:
        self.road = road
        self.plan = PlanView(road.plan_view)
        self.elevation = CubicTable.of(road.elevations)
        self.superelevation = CubicTable.of(road.superelevations)
        self.shape = ShapeProfile.of(road.shapes)
        self.lanes = RoadLanes(road, source)
        self.crossfall = Crossfall.of(road)
        self.flat = (self.elevation.empty and self.superelevation.empty and self.shape is None
                     and self.crossfall is None)
        self._elev_s = [r.s for r in road.elevations]
        self._elev_rows = [(r.s, r.a, r.b, r.c, r.d) for r in road.elevations]
        self._super_s = [r.s for r in road.superelevations]
        self._super_rows = [(r.s, r.a, r.b, r.c, r.d) for r in road.superelevations]
        self.has_superelevation = bool(road.superelevations)
        # lanes kept level (lane @level) only change anything where the cross section tilts or bends
        self.level = (LevelCrossSection.of(self.lanes)
                      if self.has_superelevation or self.shape is not None or self.crossfall is not None else None)
        self._lateral = self._lateral_height if self.shape is not None or self.crossfall is not None else None

    def poses(self, s: np.ndarray, t: np.ndarray):
        """x, y, z, heading, pitch, roll at many (s, t) of this road."""
        s = np.asarray(s, dtype=float)
        t = np.asarray(t, dtype=float)
        x, y, h, _ = self.plan.evaluate(s)
        if self.level is not None:
            return self._level_poses(s, t, x, y, h)
        if self.superelevation.empty:
            roll = None
            lateral = t
        else:
            roll, _ = self.superelevation(s)
            lateral = t * np.cos(roll)
        x = x - lateral * np.sin(h)
        y = y + lateral * np.cos(h)
        if self.flat:
            zero = np.zeros(s.shape)
            return x, y, zero, h, zero, zero
        z, slope = self.elevation(s)
        if roll is None:
            roll = np.zeros(np.shape(s))
            z = z + t * np.tan(roll)
        else:
            z = z + t * np.sin(roll)
            # a changing bank lifts an off-centre point along s: d(t·sin roll)/ds = t·cos(roll)·roll'
            slope = slope + t * np.cos(roll) * self.superelevation(s)[1]
        if self.shape is not None:
            z = z + self.shape(s, t)
            slope = slope + self.shape.slope(s, t)
        if self.crossfall is not None:
            dz, dz_ds, droll = self.crossfall(s, t)
            z, slope, roll = z + dz, slope + dz_ds, roll + droll
        return x, y, z, h, -np.arctan(slope), roll

    def _lateral_height(self, s: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Height the shape and the crossfall add at (s, t) (what a level lane leaves out)."""
        z = self.shape(s, t) if self.shape is not None else np.zeros(np.shape(t))
        if self.crossfall is not None:
            z = z + self.crossfall(s, t)[0]
        return z

    def _level_poses(self, s: np.ndarray, t: np.ndarray, x: np.ndarray, y: np.ndarray, h: np.ndarray):
        """``poses`` on a road with level lanes (``level_lanes``): a level lane is flat
        across (roll 0) at the height of its inner border."""
        s, t = np.broadcast_arrays(s, t)
        roll, _ = self.superelevation(s)
        _, lateral, z_lat, level = self.level.evaluate(s, t, roll, self._lateral)
        x = x - lateral * np.sin(h)
        y = y + lateral * np.cos(h)
        z, slope = self.elevation(s)
        # the cross section's rise along s at fixed t (a changing bank or shape), by central difference
        ahead = self.level.evaluate(s + _DS, t, self.superelevation(s + _DS)[0], self._lateral)[2]
        behind = self.level.evaluate(s - _DS, t, self.superelevation(s - _DS)[0], self._lateral)[2]
        slope = slope + (ahead - behind) / (2.0 * _DS)
        if self.crossfall is not None:
            roll = roll + self.crossfall(s, t)[2]
        return x, y, z + z_lat, h, -np.arctan(slope), np.where(level, 0.0, roll)

    def horizontal_t(self, s: np.ndarray, t: np.ndarray) -> np.ndarray:
        """The x/y-plane distance from the reference line of road coordinate t (§8.3)."""
        if self.superelevation.empty:
            return t
        roll, _ = self.superelevation(np.asarray(s, dtype=float))
        if self.level is not None:
            return self.level.evaluate(s, t, roll, self._lateral)[1]
        return t * np.cos(roll)

    def t_from_horizontal(self, s: np.ndarray, t_h: np.ndarray) -> np.ndarray:
        """Road coordinate t of a point ``t_h`` from the reference line in the x/y plane."""
        if self.superelevation.empty:
            return t_h
        roll, _ = self.superelevation(np.asarray(s, dtype=float))
        if self.level is not None:
            return self.level.evaluate(s, t_h, roll, self._lateral, horizontal=True)[0]
        return t_h / np.cos(roll)

    def t_from_horizontal_scalar(self, s: float, t_h: float) -> float:
        if not self._super_s:
            return t_h
        if self.level is not None:
            roll = _cubic_scalar(self._super_s, self._super_rows, s)[0]
            return self.level.evaluate_scalar(s, t_h, roll, self._lateral_scalar, horizontal=True)[0]
        roll, _ = _cubic_scalar(self._super_s, self._super_rows, s)
        return t_h / math.cos(roll)

    def _lateral_scalar(self, s: float, t: float) -> float:
        z = float(self.shape(np.array([s]), np.array([t]))[0]) if self.shape is not None else 0.0
        if self.crossfall is not None:
            z += self.crossfall.scalar(s, t)[0]
        return z

    def _level_pose(self, s: float, t: float) -> tuple[float, float, float, float, float, float]:
        """``pose`` on a road with level lanes, in Python floats (see ``_level_poses``)."""
        x, y, h, _ = self.plan.evaluate_scalar(s)
        roll = _cubic_scalar(self._super_s, self._super_rows, s)[0]
        _, lateral, z_lat, level = self.level.evaluate_scalar(s, t, roll, self._lateral_scalar)
        z, slope = _cubic_scalar(self._elev_s, self._elev_rows, s)
        ahead = self.level.evaluate_scalar(s + _DS, t, _cubic_scalar(self._super_s, self._super_rows, s + _DS)[0],
                                           self._lateral_scalar)[2]
        behind = self.level.evaluate_scalar(s - _DS, t, _cubic_scalar(self._super_s, self._super_rows, s - _DS)[0],
                                            self._lateral_scalar)[2]
        slope += (ahead - behind) / (2.0 * _DS)
        if self.crossfall is not None:
            roll += self.crossfall.scalar(s, t)[2]
        return (x - lateral * math.sin(h), y + lateral * math.cos(h), z + z_lat, h, -math.atan(slope),
                0.0 if level else roll)

    def pose(self, s: float, t: float) -> tuple[float, float, float, float, float, float]:
        """Scalar pose without array allocation for flat line/arc roads (the hot path)."""
        if self.level is not None:
            return self._level_pose(s, t)
        x, y, h, _ = self.plan.evaluate_scalar(s)
        if self._super_s:
            roll, _ = _cubic_scalar(self._super_s, self._super_rows, s)
            lateral = t * math.cos(roll)
        else:
            roll, lateral = 0.0, t
        x -= lateral * math.sin(h)
        y += lateral * math.cos(h)
        if self.flat:
            return x, y, 0.0, h, 0.0, 0.0
        z, slope = _cubic_scalar(self._elev_s, self._elev_rows, s)
        if self._super_s:
            z += t * math.sin(roll)
            slope += t * math.cos(roll) * _cubic_scalar(self._super_s, self._super_rows, s)[1]
        else:
            z += t * math.tan(roll)
        if self.shape is not None:
            z += float(self.shape(np.array([s]), np.array([t]))[0])
            slope += float(self.shape.slope(np.array([s]), np.array([t]))[0])
        if self.crossfall is not None:
            dz, dz_ds, droll = self.crossfall.scalar(s, t)
            z, slope, roll = z + dz, slope + dz_ds, roll + droll
        return x, y, z, h, -math.atan(slope), roll


def _cubic_scalar(starts: list, rows: list, s: float) -> tuple[float, float]:
    import bisect

    if not starts:
        return 0.0, 0.0
    i = bisect.bisect_right(starts, s) - 1
    if i < 0:
        return 0.0, 0.0
    s0, a, b, c, d = rows[i]
    ds = s - s0
    return a + ds * (b + ds * (c + ds * d)), b + ds * (2.0 * c + 3.0 * d * ds)
