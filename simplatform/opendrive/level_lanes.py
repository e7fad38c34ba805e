"""The road cross section when lanes are kept level (lane ``@level``, OpenDRIVE 1.4–1.8).

ASAM OpenDRIVE 1.6 §9.5.8 / 1.8 §11 (lane attribute ``level``): "true = keep lane
on level, that is, do not apply superelevation"; a level lane "is excluded from
road superelevation and road shape definitions; the height of the lane is kept
on the level of the height of the inner connected lane", and "if a lane has
@level = true, then only lanes with @level = true shall follow up to the road
edge" (a sidewalk then a bicycle lane, both level, beside a banked carriageway).

Why a walk across the lanes: t is measured in the superelevated cross section
(§8.3, see ``road_frame``), so a tilted lane of width w covers w·cos(roll) of the
x/y plane and rises w·sin(roll) (+ the shape's change), while a level lane covers
its full width w horizontally and does not rise at all.  The cross section is then
a chain of pieces, one per lane from the centre lane outwards, each starting
where the one inside it ends: continuous by construction, also for a file that
breaks the rule above (a tilted lane outside a level one pivots at the level
lane's outer edge).  Where no lane at or inside a point's lane is level, the
plain formula (t·cos(roll), t·sin(roll) + shape) is used unchanged, so maps
without level lanes keep their numbers bit for bit.

A point belongs to the lane whose borders contain its t (its horizontal t for
the inverse); points beyond the outermost lane extend that lane's piece.
libOpenDRIVE (``Road::get_lane_surface_pt``) compensates the superelevation
inside a level lane in the same spirit; lane ``<height>`` records are added on
top by the caller, as for any lane (§11.7.4, an offset from the road surface).
"""

from __future__ import annotations

import bisect
import math
from typing import Callable

import numpy as np

from simplatform.opendrive.lanes import RoadLanes

ShapeFunction = Callable[[np.ndarray, np.ndarray], np.ndarray]


class LevelCrossSection:
    """The level flags of one road's lanes and the lane-by-lane cross-section walk."""

    def __init__(self, lanes: RoadLanes) -> None:
        self.lanes = lanes
        self.flags: dict[int, np.ndarray] = {}
        self.flag_s: dict[int, np.ndarray] = {}
        for side in (1, -1):
            ranks = len(lanes.tables[side])
            rows = []
            for k in lanes.side_sections[side]:
                sec = lanes.sections[k]
                side_lanes = sec.left if side > 0 else sec.right
                rows.append([j < len(side_lanes) and side_lanes[j].level for j in range(ranks)])
            self.flags[side] = np.array(rows, dtype=bool).reshape(len(rows), ranks)
            self.flag_s[side] = np.array(lanes.side_section_s[side], dtype=float)
        self._flag_rows = {side: [list(map(bool, row)) for row in self.flags[side]] for side in (1, -1)}
        self._flag_s_list = {side: list(lanes.side_section_s[side]) for side in (1, -1)}

    @classmethod
    def of(cls, lanes: RoadLanes) -> "LevelCrossSection | None":
        """The walk for a road with at least one level lane, else None."""
        if not any(lane.level for sec in lanes.sections for lane in (*sec.left, *sec.right)):
            return None
        return cls(lanes)

    def _side_flags(self, side: int, s: np.ndarray) -> np.ndarray:
        """(ranks, n) level flags of the section defining ``side`` at each s."""
        k = np.maximum(np.searchsorted(self.flag_s[side], s, side="right") - 1, 0)
        return self.flags[side][k].T

    def evaluate(self, s: np.ndarray, q: np.ndarray, roll: np.ndarray, shape: ShapeFunction | None,
                 horizontal: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """t, horizontal t, lateral z (superelevation + shape) and a level mask at (s, q).

        ``q`` is the road coordinate t, or with ``horizontal`` the x/y-plane distance
        from the reference line (the inverse).  Same shape as ``s``; 1-D or not."""
        shape_in = np.shape(s)
        s = np.ravel(np.asarray(s, dtype=float))
        q = np.ravel(np.broadcast_to(np.asarray(q, dtype=float), shape_in))
        roll = np.ravel(np.broadcast_to(np.asarray(roll, dtype=float), shape_in))
        cos_r, sin_r = np.cos(roll), np.sin(roll)
        lateral = (lambda t: shape(s, t)) if shape is not None else (lambda t: np.zeros_like(t))
        if horizontal:
            t = q / cos_r
        else:
            t = q.copy()
        t_h = t * cos_r
        z = t * sin_r + lateral(t)
        level_at = np.zeros(s.shape, dtype=bool)
        offset, _ = self.lanes.offset(s)
        offset_q = offset * cos_r if horizontal else offset
        for side in (1, -1):
            flags = self._side_flags(side, s)
            if not flags.any():
                continue
            on_side = (q > offset_q) if side > 0 else (q <= offset_q)
            outer_all = self.lanes.all_outer(side, s)
            # state of the lane piece each point falls in (or the outermost one it extends)
            sel_t0, sel_h0, sel_z0 = offset.copy(), offset * cos_r, offset * sin_r + lateral(offset)
            sel_level = np.zeros(s.shape, dtype=bool)
            sel_any = np.zeros(s.shape, dtype=bool)
            assigned = ~on_side
            in_t, in_h, in_z = sel_t0.copy(), sel_h0.copy(), sel_z0.copy()
            any_level = np.zeros(s.shape, dtype=bool)
            for j in range(len(outer_all)):
                out_t = outer_all[j]
                valid = np.isfinite(out_t)
                lvl = flags[j] & valid
                any_level = any_level | lvl
                width = out_t - in_t
                out_h = in_h + np.where(lvl, width, width * cos_r)
                out_z = np.where(lvl, in_z, in_z + width * sin_r + lateral(np.where(valid, out_t, 0.0))
                                 - lateral(in_t))
                take = valid & ~assigned
                sel_t0 = np.where(take, in_t, sel_t0)
                sel_h0 = np.where(take, in_h, sel_h0)
                sel_z0 = np.where(take, in_z, sel_z0)
                sel_level = np.where(take, lvl, sel_level)
                sel_any = np.where(take, any_level, sel_any)
                edge = out_h if horizontal else out_t
                inside = take & (side * (q - edge) < 0.0)
                assigned = assigned | inside
                in_t = np.where(valid, out_t, in_t)
                in_h = np.where(valid, out_h, in_h)
                in_z = np.where(valid, out_z, in_z)
            use = on_side & sel_any
            if not use.any():
                continue
            if horizontal:
                dt = np.where(sel_level, q - sel_h0, (q - sel_h0) / cos_r)
                t_w = sel_t0 + dt
            else:
                t_w = t
                dt = t - sel_t0
            h_w = sel_h0 + np.where(sel_level, dt, dt * cos_r)
            z_w = np.where(sel_level, sel_z0, sel_z0 + dt * sin_r + lateral(t_w) - lateral(sel_t0))
            t = np.where(use, t_w, t)
            t_h = np.where(use, h_w, t_h)
            z = np.where(use, z_w, z)
            level_at = level_at | (use & sel_level)
        return (t.reshape(shape_in), t_h.reshape(shape_in), z.reshape(shape_in), level_at.reshape(shape_in))

    def evaluate_scalar(self, s: float, q: float, roll: float, lateral: Callable[[float, float], float],
                        horizontal: bool = False) -> tuple[float, float, float, bool]:
        """``evaluate`` for one point with Python floats: the engine asks poses one entity at a
        time, and the array path costs a millisecond for one point."""
        cos_r, sin_r = math.cos(roll), math.sin(roll)
        t = q / cos_r if horizontal else q
        lanes = self.lanes
        offset = lanes.offset_scalar(s)
        side = 1 if q > (offset * cos_r if horizontal else offset) else -1
        k = max(bisect.bisect_right(self._flag_s_list[side], s) - 1, 0)
        row = self._flag_rows[side][k] if self._flag_rows[side] else []
        if not any(row):
            return t, t * cos_r, t * sin_r + lateral(s, t), False
        in_t, in_h, in_z = offset, offset * cos_r, offset * sin_r + lateral(s, offset)
        any_level, chosen = False, None
        for j, table in enumerate(lanes.tables[side]):
            value, border = table.evaluate_scalar(s)
            out_t = offset + value if border else in_t + side * value
            if out_t != out_t:  # NaN: no lane of this rank here (nor beyond)
                break
            level = row[j]
            any_level = any_level or level
            width = out_t - in_t
            out_h = in_h + (width if level else width * cos_r)
            out_z = in_z if level else in_z + width * sin_r + lateral(s, out_t) - lateral(s, in_t)
            chosen = (in_t, in_h, in_z, level, any_level)
            if side * (q - (out_h if horizontal else out_t)) < 0.0:
                break
            in_t, in_h, in_z = out_t, out_h, out_z
        if chosen is None or not chosen[4]:
            return t, t * cos_r, t * sin_r + lateral(s, t), False
        t0, h0, z0, level, _ = chosen
        if horizontal:
            dt = (q - h0) if level else (q - h0) / cos_r
            t = t0 + dt
        else:
            dt = t - t0
        h = h0 + (dt if level else dt * cos_r)
        z = z0 if level else z0 + dt * sin_r + lateral(s, t) - lateral(s, t0)
        return t, h, z, level
