"""Inverse road coordinates: world (x, y) → (road, lane, s, t, offset).

The method (as in esmini's RoadManager and libOpenDRIVE, re-derived here):

1. Every road is sampled once every ``spacing`` metres along its reference line
   and its lane centre lines; the samples go into a ``scipy.spatial.cKDTree``
   with the (road, s) they came from.  A point inside a lane lies within half
   a lane width (laterally) and half a spacing (longitudinally) of one of its
   own lane's samples, so the nearest samples name every road that can
   contain the point, with an s to start from.  The scalar path asks the tree
   for the k nearest; the vectorised path hashes points into a grid of the
   same samples (``cell_index``), which costs far less per point.
2. For each candidate road the exact foot point on the reference line is
   found by Newton's method on f(s) = (P(s) − Q)·T(s) = 0, whose derivative is
   1 − κ(s)·t (steps bounded to two spacings, s kept on the road; a point
   whose foot point falls beyond a road end is not on that road).
3. t = (Q − P)·N gives the lane from the boundary tables (``lanes``).

Everything after the tree query is grouped by road and vectorised.
"""

from __future__ import annotations

import math
from functools import cached_property

import numpy as np
from scipy.spatial import cKDTree

from simplatform.opendrive.cell_index import CellIndex

from simplatform.opendrive.road_frame import RoadFrame

NEWTON_ITERATIONS = 16
NEWTON_TOLERANCE = 1e-9
END_TOLERANCE = 1e-6


class Locator:
    """KD-tree of lane samples over a set of roads, with exact projection."""

    def __init__(self, frames: list[RoadFrame], spacing: float = 1.0, k: int = 8) -> None:
        self.frames = frames
        self.spacing = spacing
        self.k = k
        xs, ys, roads, ss, hs = [], [], [], [], []
        self.slices: list[slice] = []
        reach = 0.0
        start = 0
        for r, frame in enumerate(frames):
            length = frame.road.length
            s = np.linspace(0.0, length, max(2, int(np.ceil(length / spacing)) + 1))
            offset, _ = frame.lanes.offset(s)
            ts = [offset]
            for side in (1, -1):
                outer = frame.lanes.all_outer(side, s)
                inner = np.vstack([offset[None, :], outer[:-1]]) if len(outer) else outer
                centre = 0.5 * (inner + outer)
                ts.extend(centre)
                if len(outer):
                    width = np.abs(outer - inner)
                    reach = max(reach, float(np.nanmax(width, initial=0.0)) * 0.5)
            t_all = np.concatenate(ts)
            s_all = np.tile(s, len(ts))
            keep = np.isfinite(t_all)
            t_all, s_all = t_all[keep], s_all[keep]
            x, y, h, _ = frame.plan.evaluate(s_all)
            t_all = frame.horizontal_t(s_all, t_all)
            xs.append(x - t_all * np.sin(h))
            ys.append(y + t_all * np.cos(h))
            hs.append(h)
            roads.append(np.full(len(s_all), r, dtype=np.int32))
            ss.append(s_all)
            self.slices.append(slice(start, start + len(s_all)))
            start += len(s_all)
        self.xy = np.column_stack([np.concatenate(xs), np.concatenate(ys)])
        self.sample_road = np.concatenate(roads)
        self.sample_s = np.concatenate(ss)
        heading = np.concatenate(hs)
        self.sample_cos, self.sample_sin = np.cos(heading), np.sin(heading)
        self.tree = cKDTree(self.xy)
        self.bound = reach + spacing + 1e-6

    # ------------------------------------------------------------ candidates
    @cached_property
    def cells(self) -> CellIndex:
        """Grid index for the vectorised path (built on first ``locate_pairs``)."""
        return CellIndex(self.xy, self.sample_road, self.bound)

    def candidates(self, xy: np.ndarray):
        """Unique (point, road, s guess) triples: every road with a lane sample
        within reach of the point (grid cell look-up)."""
        point, sample = self.cells.query(xy)
        # first-order foot point from the sample's tangent: saves Newton iterations
        along = ((xy[point, 0] - self.xy[sample, 0]) * self.sample_cos[sample]
                 + (xy[point, 1] - self.xy[sample, 1]) * self.sample_sin[sample])
        s_guess = self.sample_s[sample] + np.clip(along, -3.0 * self.bound, 3.0 * self.bound)
        return point, self.sample_road[sample], s_guess

    # ------------------------------------------------------------ projection
    def project(self, frame: RoadFrame, x: np.ndarray, y: np.ndarray, s: np.ndarray):
        """Newton foot points on ``frame``'s reference line: s, t and a validity mask.

        A point is done when its tangential residual |f| is below tolerance, or
        when it sits on a road end with the foot point beyond it (then not valid)."""
        length = frame.road.length
        limit = 2.0 * self.bound
        s = np.clip(np.asarray(s, dtype=float), 0.0, length)
        t_out = np.full(s.shape, np.nan)
        f_out = np.full(s.shape, np.inf)
        idx = np.arange(len(s))
        for _ in range(NEWTON_ITERATIONS + 1):
            if idx.size == 0:
                break
            si = s[idx]
            px, py, h, k = frame.plan.evaluate(si)
            dx, dy = px - x[idx], py - y[idx]
            c, sn = np.cos(h), np.sin(h)
            f = dx * c + dy * sn
            t = dx * sn - dy * c  # (Q - P)·N with N = (-sin h, cos h), here dx, dy = P - Q
            t_out[idx], f_out[idx] = t, f
            stuck = ((si <= 0.0) & (f > 0.0)) | ((si >= length) & (f < 0.0))
            done = (np.abs(f) < NEWTON_TOLERANCE) | stuck
            if done.all():
                break
            slope = 1.0 - k * t
            step = np.where(np.abs(slope) > 0.1, f / np.where(slope == 0, 1.0, slope), f)
            step = np.clip(step, -limit, limit)
            keep = ~done
            idx = idx[keep]
            s[idx] = np.clip(si[keep] - step[keep], 0.0, length)
        ok = np.abs(f_out) < END_TOLERANCE + 1e-9 * np.abs(t_out)
        return s, frame.t_from_horizontal(s, t_out), ok

    def project_one(self, frame_index: int, x: float, y: float) -> tuple[float, float]:
        """Exact projection on one road: the nearest of its samples, then Newton."""
        sl = self.slices[frame_index]
        d2 = (self.xy[sl, 0] - x) ** 2 + (self.xy[sl, 1] - y) ** 2
        s0 = self.sample_s[sl][int(np.argmin(d2))]
        s, t, _ = self.project(self.frames[frame_index], np.array([x]), np.array([y]), np.array([s0]))
        return float(s[0]), float(t[0])

    # ------------------------------------------------------------------ lanes
    @staticmethod
    def classify(frame: RoadFrame, s: np.ndarray, t: np.ndarray):
        """Lane id, offset from the lane centre, lane centre t and an inside mask."""
        lanes = frame.lanes
        offset0, _ = lanes.offset(s)
        n = len(s)
        lane_id = np.zeros(n, dtype=np.int64)
        centre = np.full(n, np.nan)
        inside = np.zeros(n, dtype=bool)
        for side in (1, -1):
            mask = (t > offset0) if side > 0 else (t <= offset0)
            if not mask.any() or not lanes.tables[side]:
                continue
            idx = np.flatnonzero(mask)
            tt = t[idx]
            outer = lanes.all_outer(side, s[idx])  # (ranks, m)
            passed = (outer <= tt) if side > 0 else (outer >= tt)
            rank = passed.sum(axis=0) + 1
            valid = rank <= len(outer)
            r = np.minimum(rank, len(outer)) - 1
            cols = np.arange(len(idx))
            out_t = outer[r, cols]
            in_t = np.where(r > 0, outer[np.maximum(r - 1, 0), cols], offset0[idx])
            valid &= np.isfinite(out_t)
            lane_id[idx] = np.where(valid, side * rank, 0)
            centre[idx] = 0.5 * (in_t + out_t)
            inside[idx] = valid
        return lane_id, t - centre, centre, inside

    # ---------------------------------------------------------------- queries
    def locate_pairs(self, xy: np.ndarray):
        """Every (point, road, lane, s, t, offset) where a point lies in a lane."""
        xy = np.asarray(xy, dtype=float).reshape(-1, 2)
        point, road, s_guess = self.candidates(xy)
        order = np.argsort(road, kind="stable")
        point, road, s_guess = point[order], road[order], s_guess[order]
        bounds = np.flatnonzero(np.diff(road)) + 1
        starts = np.concatenate([[0], bounds])
        ends = np.concatenate([bounds, [len(road)]])
        s_out = np.empty(len(road))
        t_out = np.empty(len(road))
        lane_out = np.zeros(len(road), dtype=np.int64)
        off_out = np.empty(len(road))
        ok_out = np.zeros(len(road), dtype=bool)
        for a, b in zip(starts, ends):
            if a == b:
                continue
            frame = self.frames[int(road[a])]
            px, py = xy[point[a:b], 0], xy[point[a:b], 1]
            s, t, ok = self.project(frame, px, py, s_guess[a:b])
            lane, off, _, inside = self.classify(frame, s, t)
            s_out[a:b], t_out[a:b], lane_out[a:b], off_out[a:b] = s, t, lane, off
            ok_out[a:b] = ok & inside
        keep = ok_out
        return point[keep], road[keep], lane_out[keep], s_out[keep], t_out[keep], off_out[keep]

    # ----------------------------------------------------------- scalar path
    def locate_point(self, x: float, y: float, k: int = 24) -> list[tuple[int, int, float, float, float]]:
        """Every (road index, lane id, s, t, offset) containing one point, in plain
        Python floats: the engine asks this per entity per step, where numpy's
        per-call overhead would dominate."""
        k = min(k, len(self.xy))
        dist, idx = self.tree.query((x, y), k=k, distance_upper_bound=self.bound)
        guesses: dict[int, float] = {}
        n = len(self.xy)
        for d, i in zip(np.atleast_1d(dist).tolist(), np.atleast_1d(idx).tolist()):
            if i >= n:
                break
            r = int(self.sample_road[i])
            if r not in guesses:
                guesses[r] = float(self.sample_s[i])
        out = []
        for r, s0 in guesses.items():
            frame = self.frames[r]
            found = _project_scalar(frame, x, y, s0, 2.0 * self.spacing)
            if found is None:
                continue
            s, t = found
            lane = _classify_scalar(frame, s, t)
            if lane is not None:
                out.append((r, lane[0], s, t, lane[1]))
        return out


def _project_scalar(frame: RoadFrame, x: float, y: float, s: float, limit: float):
    length = frame.road.length
    plan = frame.plan
    for _ in range(NEWTON_ITERATIONS):
        px, py, h, k = plan.evaluate_scalar(s)
        dx, dy = px - x, py - y
        c, sn = math.cos(h), math.sin(h)
        f = dx * c + dy * sn
        t = dx * sn - dy * c  # (Q - P)·N; dx, dy = P - Q
        slope = 1.0 - k * t
        step = f / slope if abs(slope) > 0.1 else f
        step = min(max(step, -limit), limit)
        new = min(max(s - step, 0.0), length)
        converged = abs(new - s) < NEWTON_TOLERANCE
        s = new
        if converged:
            break
    px, py, h, _ = plan.evaluate_scalar(s)
    dx, dy = x - px, y - py
    c, sn = math.cos(h), math.sin(h)
    along = dx * c + dy * sn
    t = dy * c - dx * sn
    if abs(along) >= END_TOLERANCE + 1e-9 * abs(t):
        return None
    return s, (frame.t_from_horizontal_scalar(s, t) if frame.has_superelevation else t)


def _classify_scalar(frame: RoadFrame, s: float, t: float):
    """(lane id, offset from lane centre) of road coordinate (s, t), None outside all lanes."""
    lanes = frame.lanes
    offset = lanes.offset_scalar(s)
    side = 1 if t > offset else -1
    inner = offset
    for j, table in enumerate(lanes.tables[side]):
        value, border = table.evaluate_scalar(s)
        outer = offset + value if border else inner + side * value
        if outer != outer:
            return None
        if (side > 0 and t < outer) or (side < 0 and t > outer):
            return side * (j + 1), t - 0.5 * (inner + outer)
        inner = outer
    return None
