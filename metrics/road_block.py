"""Where the ego is on the road over a block of steps, asking the road model as little as possible.

Why: a global inverse query (``locate_many``: grid look-up, Newton projection
on every candidate road) costs hundreds of µs per call, while the engine
already knows each entity's lane (``WorldSnapshot.lanes``: road, lane, s and
offset from the lane centre, OpenDRIVE 1.8 §9 lane frame).  So:

* the reference point comes from ``snapshot.lanes``; the road model is asked
  (one ``locate_many`` per block) only where the snapshot has no lane (off
  road, or a backend that does not fill it) or the point lies outside the
  lane it names;
* the box corners, which lane departure and sidewalk checks need, are put in
  the lane frame at the reference point: t_corner = t_ref + (corner − ref)·n,
  with n the road normal at s_ref.  This is exact on a straight reference
  line; on one of curvature κ the error is about κ u² / (2 (1 − κ t)) for a
  corner u metres ahead of the reference point (the sagitta).  A step is
  settled this way only when every corner stays inside the reference lane by
  more than twice that bound plus ``LATERAL_GUARD`` and on the same road;
  the steps near a lane line (the ones whose results matter: crossings and
  their interpolated times) are located exactly, in one ``locate_many`` per
  block.  A road model without ``road_curvature`` gets every step located.

Corners that must be located exactly are handled in ``metrics.road_corners`` (``CornerViews``, mixed in).

The road model is asked through ``metrics.road_view.RoadView`` (array
queries, per-lane constants and per-interval lane attributes cached).

Why a one-lane path: in the usual block the snapshots put the ego on one lane
throughout; every query is then one call over the whole block, on the
snapshot's own arrays, without the grouping and scattering by road and lane
that a block crossing lanes needs (issue #7: per block, each numpy call costs
several µs on arrays that have left the cache).  Lane types are small integer
codes (``RoadView.lane_type_codes``), so off-road and sidewalk masks are table
look-ups rather than string comparisons on object arrays.
"""

from __future__ import annotations

import math
from typing import Iterator

import numpy as np

from metrics import road_kernels, road_lane_kernels
from metrics.lazy import lazy as _lazy
from metrics.road_corners import CornerState, CornerViews  # noqa: F401  (CornerState: re-exported)
from metrics.road_pass import SIDEWALK, WRONG_WAY_ANGLE, OnePassViews, _groups  # noqa: F401
from metrics.road_pass_kernels import ROW_HEADING, ROW_KAPPA, ROW_KNOWN, ROW_WRONG
from metrics.road_view import RoadView, road_view  # noqa: F401  (RoadView: re-exported)

LATERAL_GUARD = 0.05   # m added to the curvature bound before a corner is trusted without a locate
DRIVABLE_LANE_TYPES = frozenset({
    "driving", "entry", "exit", "onramp", "offramp", "connectingramp", "bidirectional", "sliplane", "parking",
})


_LANE_SPAN = 1 << 16   # (road code, lane id) → one int64 key: code · 2¹⁶ + lane (OpenDRIVE lane ids are small)


class EgoRoadBlock(CornerViews, OnePassViews):
    """The ego reference point on the road per step of a block: on_road, road_ids (``road_code``:
    the view's code of the road, −1 off road), lane_id, s, t (from the reference line), offset
    (from the lane centre), and the lane's (low, high) borders.  Steps are grouped by road and lane
    with integer keys, so a block costs a few array operations per road and lane it visits."""

    def __init__(self, block, view: RoadView) -> None:
        self.block = block
        self.view = view
        self.road = view.road
        T = block.size
        self.on_road = np.zeros(T, dtype=bool)
        self.road_code = np.full(T, -1, dtype=np.int64)
        self.lane_id = np.zeros(T, dtype=np.int64)
        self.s, self.t, self.offset, self.low, self.high = np.full((5, T), np.nan)
        self._one: tuple[str, int] | None = None
        """(road, lane) when every step of the block is on that one lane (the usual block): each
        query is then one call over the whole block, without grouping or scattering."""

    @classmethod
    def build(cls, block) -> "EgoRoadBlock":
        view = road_view(block.context.road)
        known, rids, lanes, ss, ts = block.ego_lanes
        T = block.size
        if (T and len(rids) == T and rids.count(rids[0]) == T and lanes[0] == lanes[-1]
                and road_kernels.all_equal(lanes)):
            return cls._on_one_lane(block, view, rids[0], int(lanes[0]), lanes, ss, ts)
        return cls._by_lanes(block, view, known, rids, lanes, ss, ts)

    @classmethod
    def _by_lanes(cls, block, view: RoadView, known: np.ndarray, rids, lanes: np.ndarray, ss: np.ndarray,
                  ts: np.ndarray) -> "EgoRoadBlock":
        """``build`` for any block: steps grouped by road and lane, the rest located."""
        st = cls(block, view)
        rows = np.flatnonzero(known)
        if rows.size:
            st.road_code[rows] = st.view.codes(rids)
            st.lane_id[rows], st.s[rows], st.offset[rows] = lanes, ss, ts
            st._fill_lanes(rows)
        # a snapshot lane that does not contain the point (a tracked lane during a lane change) is not trusted
        with np.errstate(invalid="ignore"):
            inside = known & (st.low <= st.t) & (st.t <= st.high)
        missing = np.flatnonzero(~inside)
        if missing.size:
            st._locate(missing)
        st.on_road |= inside
        st.road_code[~st.on_road] = -1
        return st

    @classmethod
    def _on_one_lane(cls, block, view: RoadView, rid: str, lane: int, lanes: np.ndarray, ss: np.ndarray,
                     ts: np.ndarray) -> "EgoRoadBlock":
        """``build`` where the snapshots put every step of the block on one lane: the same values
        (the general path's operations on the whole block instead of its rows), with the snapshot's
        arrays taken over unless a step must be located, which writes into them."""
        st = cls.__new__(cls)
        st.block, st.view, st.road = block, view, view.road
        T = block.size
        code = view.code(rid)
        tables = view.border_tables(rid, lane)
        if tables is not None:   # the borders, then t and inside, in one compiled pass (road_lane_kernels)
            lo, hi, t, inside, every = road_lane_kernels.one_lane_frame(
                np.ascontiguousarray(ss, dtype=float), np.ascontiguousarray(ts, dtype=float), tables.side, tables.ranks,
                tables.offset_s, tables.offset_coef, tables.start, tables.origin, tables.coef, tables.border,
                tables.rank_start)
        else:
            lo, hi = view.boundaries(rid, lane, ss)
            # t = 0.5·(lo + hi) + offset and lo ≤ t ≤ hi in one compiled pass (numpy's operations)
            t, inside, every = road_kernels.lane_t(lo, hi, np.ascontiguousarray(ts, dtype=float))
        st.low, st.high, st.t = lo, hi, t
        if every:
            st.on_road, st.road_code, st._one = inside, np.full(T, code, dtype=np.int64), (rid, lane)
            st.lane_id, st.s, st.offset = lanes, ss, ts   # the block's own arrays: nothing writes into them
            return st
        st._one = None
        st.on_road = np.zeros(T, dtype=bool)
        st.road_code = np.full(T, code, dtype=np.int64)
        st.lane_id, st.s, st.offset = lanes.copy(), ss.copy(), ts.copy()
        st._locate(np.flatnonzero(~inside))
        st.on_road |= inside
        st.road_code[~st.on_road] = -1
        return st

    @staticmethod
    def _guard() -> float:
        """``LATERAL_GUARD`` as this module holds it now (``metrics.road_pass`` reads it here)."""
        return LATERAL_GUARD

    @property
    def one_lane(self) -> tuple[str, int] | None:
        """(road, lane) when every step of the block is on that one lane, else None."""
        return self._one

    def _keys(self) -> np.ndarray:
        return self.road_code * _LANE_SPAN + self.lane_id

    def _lane_groups(self, rows: np.ndarray) -> list[tuple[tuple[str, int], np.ndarray]]:
        names = self.view.names
        out = []
        for key, idx in _groups(self._keys(), rows):
            code = (key + _LANE_SPAN // 2) // _LANE_SPAN
            out.append(((names[code], key - code * _LANE_SPAN), idx))
        return out

    def _fill_lanes(self, idx: np.ndarray) -> None:
        """Lane borders at s, and t from the lane centre and offset, for the steps ``idx``."""
        for (rid, lane), rows in self._lane_groups(idx):
            lo, hi = self.view.boundaries(rid, lane, self.s[rows])
            self.low[rows], self.high[rows] = lo, hi
            self.t[rows] = 0.5 * (lo + hi) + self.offset[rows]

    def _locate(self, idx: np.ndarray) -> None:
        x, y = self.block.ego_col("x")[idx], self.block.ego_col("y")[idx]
        res = self.road.locate_many(np.stack([x, y], axis=1))
        on = np.asarray(res.on_road, dtype=bool)
        self.on_road[idx] = on
        codes = self.view.codes(res.road_ids) if len(res.road_ids) else np.zeros(1, dtype=np.int64)
        self.road_code[idx] = np.where(on, codes[np.maximum(np.asarray(res.road_index), 0)], -1)
        self.lane_id[idx] = np.where(on, np.asarray(res.lane_id), 0)
        self.s[idx], self.t[idx], self.offset[idx] = res.s, res.t, res.offset
        self.low[idx] = self.high[idx] = np.nan
        for (rid, lane), rows in self._lane_groups(idx[on]):
            self.low[rows], self.high[rows] = self.view.boundaries(rid, lane, self.s[rows])

    # ---------------------------------------------------------------- queries
    @_lazy
    def road_ids(self) -> list[str | None]:
        """The road id per step (None off road)."""
        names = self.view.names
        return [names[c] if c >= 0 else None for c in self.road_code.tolist()]

    def road_id(self, k: int) -> str | None:
        """``road_ids[k]`` without the whole list (the metrics name one step's road in an event)."""
        code = int(self.road_code[k])
        return self.view.names[code] if code >= 0 else None

    @_lazy
    def _on_rows(self) -> np.ndarray:
        if self._one is not None:
            return np.arange(self.block.size)
        return np.flatnonzero(self.on_road)

    def runs(self) -> Iterator[tuple[tuple[str, int], np.ndarray]]:
        """((road, lane), step indices) of the on-road steps."""
        return iter(self._runs)

    @_lazy
    def _runs(self) -> list[tuple[tuple[str, int], np.ndarray]]:
        if self._one is not None:
            return [(self._one, self._on_rows)]
        return self._lane_groups(self._on_rows)

    def road_runs(self) -> Iterator[tuple[str, np.ndarray]]:
        """(road, s of the on-road steps there)."""
        for rid, idx in self._road_steps():
            yield rid, self.s[idx]

    def road_rows(self) -> list[tuple[str, np.ndarray]]:
        """(road, indices of the on-road steps there), in ``road_runs``' order."""
        return self._road_groups

    def _road_steps(self) -> list[tuple[str, np.ndarray]]:
        return self._road_groups

    @_lazy
    def _road_groups(self) -> list[tuple[str, np.ndarray]]:
        if self._one is not None:
            return [(self._one[0], self._on_rows)]
        names = self.view.names
        return [(names[code], idx) for code, idx in _groups(self.road_code, self._on_rows)]

    @_lazy
    def _type_codes(self) -> np.ndarray:
        """Lane-type code per step (``RoadView.type_names``; 0 off road or where the lane does not
        exist): one array query per road, no object array."""
        if self._one is not None:
            code = self._one_type
            if code is not None:
                return np.full(self.block.size, code, dtype=np.int64)
            return self.view.lane_type_codes(self._one[0], self.lane_id, self.s, self._one_interval)
        out = np.zeros(self.block.size, dtype=np.int64)
        for rid, idx in self._road_steps():
            out[idx] = self.view.lane_type_codes(rid, self.lane_id[idx], self.s[idx])
        return out

    @_lazy
    def _one_type(self) -> int | None:
        """The lane-type code of every step when the block is on one lane within one record
        interval (the usual block), else None: type masks are then one table look-up."""
        if self._one is None:
            return None
        return self.view.one_type_code(self._one[0], self.lane_id, self.s, self._one_interval)

    @_lazy
    def lane_type(self) -> list[str | None]:
        """Lane type of the reference point per step (None off road): one array query per road."""
        return list(map(self.view.type_names.__getitem__, self._type_codes.tolist()))

    @_lazy
    def _one_interval(self) -> tuple[str, int, int] | None:
        """``RoadView.interval`` of a block on one lane, asked once for its lane types and speed limits."""
        return self.view.interval(self._one[0], self.lane_id, self.s)

    def lane_type_at(self, k: int) -> str | None:
        """``lane_type[k]`` without the whole list."""
        return self.view.type_names[int(self._type_codes[k])]

    def _type_mask(self, kinds: frozenset[str]) -> np.ndarray:
        """Per step: the reference lane's type (lower case) is one of ``kinds``; decided once per type string."""
        one = self._one_type
        if one is not None:   # the same bools as the look-up at every step
            return np.full(self.block.size, bool(self.view.type_table(kinds)[one]))
        codes = self._type_codes
        return self.view.type_table(kinds)[codes]

    @_lazy
    def speed_limit(self) -> np.ndarray:
        """Speed limit (m/s) of the reference point's lane per step (OpenDRIVE 1.8 §11.7.3 lane
        ``<speed>``, else §8.4 road ``<type><speed>``); NaN off road or where no limit is given."""
        if self._one is not None:
            return np.asarray(self.view.speed_limits(self._one[0], self.lane_id, self.s, self._one_interval),
                              dtype=float)
        out = np.full(self.block.size, np.nan)
        for rid, idx in self._road_steps():
            out[idx] = self.view.speed_limits(rid, self.lane_id[idx], self.s[idx])
        return out

    @_lazy
    def _reference(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Reference-line heading and curvature at each on-road step (NaN off road), one road-model
        query per road for the lane-direction and lane-frame corner checks, and whether the road model
        gave the curvature there."""
        T = self.block.size
        if self._one is not None:
            fused = self._one_pass   # the one-lane pass (``metrics.road_pass``), where it applies
            if fused is not None:
                return fused[0][ROW_HEADING], fused[0][ROW_KAPPA], fused[1][ROW_KNOWN]
            h, k = self.view.heading_curvature(self._one[0], self.s)   # read, never written into
            if k is None:
                return np.asarray(h, dtype=float), np.full(T, np.nan), np.zeros(T, dtype=bool)
            self._kappa_everywhere = True   # ``known`` all True: ``corners`` need not ask it
            return np.asarray(h, dtype=float), np.asarray(k, dtype=float), np.ones(T, dtype=bool)
        heading, kappa, known = np.full(T, np.nan), np.full(T, np.nan), np.zeros(T, dtype=bool)
        for rid, idx in self._road_steps():
            h, k = self.view.heading_curvature(rid, self.s[idx])
            heading[idx] = h
            if k is not None:
                kappa[idx], known[idx] = k, True
        return heading, kappa, known

    @_lazy
    def travel_heading(self) -> np.ndarray:
        """Heading of legal travel in the ego's lane (road heading, +π against s); NaN off road."""
        if self._one is not None:
            heading = self._reference[0]
            return heading + math.pi if self.view.direction(*self._one) <= 0 else heading.copy()
        out = self._reference[0].copy()
        for (rid, lane), idx in self.runs():
            if self.view.direction(rid, lane) <= 0:
                out[idx] += math.pi
        return out

    @property
    def offroad_constant(self) -> bool | None:
        """``offroad`` at every step when the block is on one lane of one lane type (then one
        value: the metrics need not make the mask), else None."""
        one = self._one_type
        return None if one is None else not self.view.type_table(DRIVABLE_LANE_TYPES)[one]

    @_lazy
    def offroad(self) -> np.ndarray:
        """Reference point on no drivable lane (OpenDRIVE 1.8 §11.6 types; CARLA OffRoadTest: driving, parking)."""
        return ~self._type_mask(DRIVABLE_LANE_TYPES)

    @_lazy
    def wrong_way(self) -> np.ndarray:
        """Heading more than 120° from the lane's travel direction, outside junctions
        (ScenarioRunner ``WrongLaneTest.MAX_ALLOWED_ANGLE``)."""
        if self._one is not None:
            if self.view.in_junction(self._one[0]):
                return np.zeros(self.block.size, dtype=bool)
            if "travel_heading" not in self.__dict__:   # the same decisions without the travel and junction arrays
                fused = self._one_pass   # made by the one-lane pass where it applies (``metrics.road_pass``)
                if fused is not None:
                    return fused[1][ROW_WRONG]
                return road_lane_kernels.one_lane_wrong_way(
                    np.ascontiguousarray(self.block.ego_col("heading")), np.ascontiguousarray(self._reference[0]),
                    self.view.direction(*self._one) <= 0, WRONG_WAY_ANGLE)
        # one compiled pass (``road_kernels.wrong_way_mask``): numpy's
        # on_road & ~in_junction & (|(heading − travel + π) % 2π − π| > angle), decision for decision
        return road_kernels.wrong_way_mask(np.ascontiguousarray(self.block.ego_col("heading")), self.travel_heading,
                                           self.on_road, self.in_junction, WRONG_WAY_ANGLE)

    @_lazy
    def in_junction(self) -> np.ndarray:
        if self._one is not None:
            return np.full(self.block.size, self.view.in_junction(self._one[0]))
        out = np.zeros(self.block.size, dtype=bool)
        for rid, idx in self._road_steps():
            if self.view.in_junction(rid):
                out[idx] = True
        return out
