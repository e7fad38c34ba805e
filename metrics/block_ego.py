"""The ego's own per-step quantities of a block (``metrics.block.StepBlock``'s ``EgoViews`` part).

Why its own module: most metrics read the ego alone — its columns (speed, accelerations, yaw
rate, position), its box, its lane as the backend filled it and the road model's view of it —
and each of these is taken out of the block once and shared by the metrics (issue #7: per
block, each numpy call costs several µs on arrays that have left the cache).  ``StepBlock``
keeps the block-wide columns and geometry; this mixin reads them (``state``, ``_cols``,
``box_rows``, ``centers``, ``cos_sin``, ``corners``) and the block's buffer.
"""

from __future__ import annotations

import weakref
from itertools import chain, repeat
from operator import attrgetter, is_not, itemgetter
from typing import Sequence

import numpy as np

from metrics.block_buffer import _BOX_QUAD_NAMES
from metrics import road_kernels, road_pass_kernels
from metrics.lazy import lazy
from simplatform.world import STATE_INDEX

_ROAD_ID, _LANE_ID, _S, _T = (attrgetter(name) for name in ("road_id", "lane_id", "s", "t"))
_LANES = attrgetter("lanes")
_ROW_S, _ROW_T, _ROW_LANE_ID = (STATE_INDEX[name] for name in ("lane_s", "lane_t", "lane_id"))


class EgoViews:
    """The ego's columns, box, lane and road view over a block (mixed into ``StepBlock``)."""

    def ego_col(self, name: str) -> np.ndarray:
        """The ego's value of a column per step (T,): a view of the stacked column when that is
        there, else only the ego's values (speed, accelerations and yaw rate are read for it alone)."""
        out = self._ego_cols.get(name)
        if out is None:
            e = self.ego_index
            if name in self._cols:
                out = self._cols[name][:, e]
            elif self._has_states and name in STATE_INDEX:
                out = np.ascontiguousarray(self.state[:, STATE_INDEX[name], e])
            elif name in _BOX_QUAD_NAMES:
                rows = self.box_rows[name]
                out = np.full(self.size, rows[0, e]) if rows.shape[0] == 1 else np.ascontiguousarray(rows[:, e])
            else:
                out = np.fromiter(map(itemgetter(e), self._buffer.field(name)), float, self.size)
            self._ego_cols[name] = out
        return out

    @lazy
    def ego_centre(self) -> tuple[np.ndarray, np.ndarray]:
        """World x, y of the ego box centre (T,) each: the ego's column of ``centers`` when the
        block has them, else computed for the ego alone (the same operations, so the same floats)."""
        if "_geometry" in self.__dict__:
            cx, cy = self.centers
            e = self.ego_index
            return np.ascontiguousarray(cx[:, e]), np.ascontiguousarray(cy[:, e])
        c, s = self._ego_cos_sin
        bx, by = self.ego_col("bbox_center_x"), self.ego_col("bbox_center_y")
        return self.ego_col("x") + c * bx - s * by, self.ego_col("y") + s * bx + c * by

    @lazy
    def _ego_cos_sin(self) -> tuple[np.ndarray, np.ndarray]:
        """cos and sin of the ego heading (T,) each: the ego's column of ``cos_sin`` when the block
        has it (``math.cos``/``sin`` there are numpy's values, tested), else numpy's."""
        if "_geometry" in self.__dict__:
            c, s = self.cos_sin
            e = self.ego_index
            return np.ascontiguousarray(c[:, e]), np.ascontiguousarray(s[:, e])
        h = self.ego_col("heading")
        return np.cos(h), np.sin(h)

    @lazy
    def ego_corners(self) -> np.ndarray:
        """The ego's box corners (T, 4, 2), C-contiguous: ``corners[:, ego]``, the same floats,
        without the other entities' (a metric that needs only the ego's box need not make the
        (T, N, 4, 2) array)."""
        e = self.ego_index
        if "corners" in self.__dict__:
            return np.ascontiguousarray(self.corners[:, e])
        cx, cy = self.centers
        c, s = self.cos_sin
        box = self.box_rows
        # read in place (``road_kernels.entity_corners``: ``corners_from_rows``'s loop for the one column)
        return road_kernels.entity_corners(cx, cy, c, s, box["length"], box["width"], e)

    @lazy
    def ego_long_lat_accel(self) -> tuple[np.ndarray, np.ndarray]:
        """Ego acceleration in its own frame (ISO 8855), from the world-frame (ax, ay)."""
        c, s = self._ego_cos_sin
        ax, ay = self.ego_col("ax"), self.ego_col("ay")
        return ax * c + ay * s, -ax * s + ay * c

    @lazy
    def ego_lanes(self) -> tuple[np.ndarray, Sequence[str], np.ndarray, np.ndarray, np.ndarray]:
        """The ego's ``LaneLocation`` per step as the backend filled it: (known mask (T,), road ids
        of the known steps, their lane ids, s and t), read from the snapshots once per block."""
        e = self.ego_index
        if self._has_states:
            return self._ego_lanes_from_state(e)
        try:
            locs = list(map(itemgetter(e), map(_LANES, self.snapshots)))
        except IndexError:   # a backend whose lanes tuple is shorter than its entities
            locs = [lanes[e] if e < len(lanes) else None for lanes in map(_LANES, self.snapshots)]
        # by identity: list.count(None) would call each LaneLocation's dataclass __eq__
        known = np.fromiter(map(is_not, locs, repeat(None)), bool, self.size)
        if not known.any():
            empty = np.zeros(0)
            return known, (), empty.astype(np.int64), empty, empty
        given = locs if known.all() else [loc for loc in locs if loc is not None]
        n = len(given)
        return (known, list(map(_ROAD_ID, given)), np.fromiter(map(_LANE_ID, given), np.int64, n),
                np.fromiter(map(_S, given), float, n), np.fromiter(map(_T, given), float, n))

    def _ego_lanes_from_state(self, e: int) -> tuple[np.ndarray, Sequence[str], np.ndarray, np.ndarray, np.ndarray]:
        """``ego_lanes`` out of the stacked state matrices: their lane rows hold the values of the
        snapshots' ``LaneLocation``s, and ``lane_roads`` their road ids."""
        runs = self._buffer.runs_of("lane_roads")
        if runs is not None:   # an arena block: the ego's road id once per change of the shared road ids
            ego_runs = [(start, stop, roads[e]) for start, stop, roads in runs]
            if len(ego_runs) == 1:
                roads = [ego_runs[0][2]] * self.size
            else:
                roads = list(chain.from_iterable(repeat(road, stop - start) for start, stop, road in ego_runs))
            every = all(road is not None for _, _, road in ego_runs)
            if every:   # the rows in one compiled pass (``road_pass_kernels.ego_lane_rows``: the same values)
                ids, rows, known = road_pass_kernels.ego_lane_rows(self.state, e, _ROW_LANE_ID, _ROW_S, _ROW_T)
                # viewed as numpy's own dtypes: an array numba hands back carries a dtype object of its
                # own, which arrays made from it (|t|, the lane-centre series) keep, and a pickle of
                # the results then differs in its memo from one of the arrays numpy makes
                rows = rows.view(np.float64)
                return known.view(np.bool_), roads, ids.view(np.int64), rows[0], rows[1]
            known = np.fromiter(map(is_not, roads, repeat(None)), bool, self.size)
        else:
            roads = list(map(itemgetter(e), self._buffer.field("lane_roads")))
            known = np.fromiter(map(is_not, roads, repeat(None)), bool, self.size)
            every = bool(known.all())
        ego = self.state[:, :, e]
        if every:   # (``known.all()`` is not asked again of the ones made above)
            rows = ego
        elif not known.any():
            empty = np.zeros(0)
            return known, (), empty.astype(np.int64), empty, empty
        else:
            rows = ego[known]
            roads = [r for r in roads if r is not None]
        # each row on its own: one copy of the three rows at once (T, 3) walks them three values at
        # a time, twice as slow
        return (known, roads, rows[:, _ROW_LANE_ID].astype(np.int64), np.ascontiguousarray(rows[:, _ROW_S]),
                np.ascontiguousarray(rows[:, _ROW_T]))

    @lazy
    def ego_road(self):
        """The road model's view of the ego per step (``metrics.road_block.EgoRoadBlock``), None without a road.

        The view reads the block back through a weak proxy.  Why: with a strong reference the
        block and its view are a reference cycle, so a block evaluated by the suite was not freed
        when it was dropped but at the collector's next pass, some 100 steps later, and that
        pass paid for freeing the block's ~1,000 snapshots (~1.5 ms in the 20-traffic cut-in,
        counted as GC; issue #7).  The block holds its view, so the view never outlives it
        through this property (``EgoRoadBlock.build`` on its own keeps its strong reference)."""
        if self.context.road is None or self.ego_index is None:
            return None
        from metrics.road_block import EgoRoadBlock
        view = EgoRoadBlock.build(self)
        view.block = weakref.proxy(self)
        return view

    def ego_inside(self, region) -> np.ndarray:
        """Per step, whether the ego's reference point is inside ``region`` (a ``GoalRegion``:
        ``contains_many`` of the ego's x and y), computed once per block and region for the
        metrics that ask (goal, blocked, timeout).  Read-only by convention, as every shared column."""
        got = self._ego_regions.get(id(region))
        if got is None or got[0] is not region:
            got = self._ego_regions[id(region)] = (region, region.contains_many(self.ego_col("x"), self.ego_col("y")))
        return got[1]
