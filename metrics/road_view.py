"""Array questions to a road model, with what does not change cached for the life of the run.

``RoadView`` wraps the duck-typed road (``metrics.context``) with array
queries: the public array queries of ``simplatform.opendrive.RoadNetwork``
(``lane_boundaries_many``, ``lane_types_many``, ``speed_limits_many``,
``reference_poses_many``: one call per road and lane run of a block) when the
road has them, and the scalar ones per step otherwise.  Where the road also
gives ``reference_headings_many`` (heading and curvature without the x, y) and
``lane_border_tables`` / ``reference_line_tables`` (the tables its lane borders
and reference line are evaluated from, read in compiled loops), those are used: the same floats for a fraction of the cost (issue #7).  Per-lane constants
(driving direction, junction membership, road length) are asked once; lane
types and speed limits once per (road, lane, s-interval) between the records
that can change them (lane sections §11.2, lane ``<speed>`` §11.7.3, road
``<type>`` §8.4), read from the road's public OpenDRIVE model when it has one.
"""

from __future__ import annotations

import math
import weakref
from typing import Any

import numpy as np

from metrics import road_kernels

ATTRIBUTE_MARGIN = 1e-6
"""m kept from a record's start before a cached lane type or speed limit is reused: the road model
applies records from their start to ~1e-12 m, so points nearer than this are asked for."""
_VIEWS: "weakref.WeakKeyDictionary[Any, RoadView]" = weakref.WeakKeyDictionary()


class RoadView:
    """Array questions to a road model: boundaries, heading, curvature, lane types, speed limits;
    cached per-lane constants."""

    def __init__(self, road: Any) -> None:
        self.road = road
        self._arrays = all(hasattr(road, name) for name in (
            "lane_boundaries_many", "lane_types_many", "speed_limits_many", "reference_poses_many"))
        self._tables = self._arrays and hasattr(road, "lane_border_tables")
        self._headings = self._arrays and hasattr(road, "reference_headings_many")
        self._plans = self._headings and hasattr(road, "reference_line_tables")
        self._border_tables: dict[tuple[str, int], Any] = {}
        self._plan_tables: dict[str, tuple[np.ndarray, ...]] = {}
        self._direction: dict[tuple[str, int], int] = {}
        self._junction: dict[str, bool] = {}
        self._length: dict[str, float] = {}
        self._length_table = np.zeros(0)
        self._codes: dict[str, int] = {}
        self._breaks: dict[str, np.ndarray | None] = {}
        self._constant: dict[tuple, Any] = {}
        self.names: list[str] = []
        """Road id of each road code (``codes``)."""
        self.type_names: list[str | None] = [None]
        """Lane type string of each lane-type code (``lane_type_codes``); code 0 is None (no lane)."""
        self._type_code: dict[str | None, int] = {None: 0}
        self._type_tables: dict[frozenset[str], np.ndarray] = {}

    def codes(self, road_ids) -> np.ndarray:
        """A small integer per road id (the same for the life of the view), so steps group by array keys."""
        table = self._codes
        first = road_ids[0] if len(road_ids) else None
        if first in table and road_ids.count(first) == len(road_ids):   # one road (the usual block)
            return np.full(len(road_ids), table[first], dtype=np.int64)
        for rid in set(road_ids).difference(table):
            table[rid] = len(self.names)
            self.names.append(rid)
        return np.fromiter(map(table.__getitem__, road_ids), np.int64, len(road_ids))

    def code(self, rid: str) -> int:
        """``codes([rid])[0]`` as an int, without the array (a block on one road asks for one)."""
        code = self._codes.get(rid)
        if code is None:
            code = self._codes[rid] = len(self.names)
            self.names.append(rid)
        return code

    def boundaries(self, rid: str, lane: int, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(low, high) t of a lane's borders from the reference line at each s.  With the road's
        ``lane_border_tables`` (asked once per lane), one compiled pass over them
        (``road_kernels.lane_borders``: ``lane_boundaries_many``'s operations, bit for bit)
        instead of a score of numpy calls per block."""
        if self._tables:
            key = (rid, int(lane))
            tables = self._border_tables.get(key)
            if tables is None:
                tables = self._border_tables[key] = self.road.lane_border_tables(rid, int(lane))
            return road_kernels.lane_borders(np.ascontiguousarray(s, dtype=float), tables.side, tables.ranks,
                                             tables.offset_s, tables.offset_coef, tables.start, tables.origin,
                                             tables.coef, tables.border, tables.rank_start)
        if self._arrays:
            a, b = self.road.lane_boundaries_many(rid, int(lane), s)
        else:
            pairs = np.array([self.road.lane_boundaries(rid, int(lane), float(v)) for v in s.tolist()]).reshape(-1, 2)
            a, b = pairs[:, 0], pairs[:, 1]
        return np.minimum(a, b), np.maximum(a, b)

    def border_tables(self, rid: str, lane: int):
        """The road's ``lane_border_tables`` of one lane (asked once per lane), None where the road
        model has none (``boundaries`` then asks it otherwise)."""
        if not self._tables:
            return None
        key = (rid, int(lane))
        tables = self._border_tables.get(key)
        if tables is None:
            tables = self._border_tables[key] = self.road.lane_border_tables(rid, int(lane))
        return tables

    def heading(self, rid: str, s: np.ndarray) -> np.ndarray:
        if self._arrays:
            return self.road.reference_poses_many(rid, s)[2]
        return np.array([self.road.road_heading(rid, float(v)) for v in s.tolist()])

    def plan_tables(self, rid: str) -> tuple[np.ndarray, ...] | None:
        """The road's ``reference_line_tables`` of one road, C-contiguous (asked once per road), None
        where the road model has none (``heading_curvature`` then asks it otherwise)."""
        if not self._plans:
            return None
        plan = self._plan_tables.get(rid)
        if plan is None:
            plan = tuple(np.ascontiguousarray(a) for a in self.road.reference_line_tables(rid))
            self._plan_tables[rid] = plan
        return plan

    def heading_curvature(self, rid: str, s: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Reference-line heading and curvature at each s; curvature None when the road model cannot say."""
        if self._plans:      # one compiled pass over the plan view's records (lines, arcs, spirals)
            plan = self.plan_tables(rid)
            h, k, done = road_kernels.reference_headings(np.ascontiguousarray(s, dtype=float), *plan)
            if done:
                return h, k
        if self._headings:   # without the x, y nobody here reads
            return self.road.reference_headings_many(rid, s)
        if self._arrays:
            _, _, h, k = self.road.reference_poses_many(rid, s)
            return h, k
        fn = getattr(self.road, "road_curvature", None)
        return self.heading(rid, s), None if fn is None else np.array([fn(rid, float(v)) for v in s.tolist()])

    def lane_types(self, rid: str, lanes: np.ndarray, s: np.ndarray) -> list[str | None]:
        """Lane type at each (lane, s) of one road; None where the lane does not exist."""
        key = self._interval_key(rid, lanes, s, "type")
        if key is not None:
            if key not in self._constant:
                self._constant[key] = self._lane_types(rid, lanes[:1], s[:1])[0]
            return [self._constant[key]] * len(s)
        return self._lane_types(rid, lanes, s)

    def lane_type_codes(self, rid: str, lanes: np.ndarray, s: np.ndarray,
                        interval: "tuple[str, int, int] | None | bool" = False) -> np.ndarray:
        """``lane_types`` as small integers (int64), indices into ``type_names`` (0: None): per-step
        lane types of a block without an object array or a string comparison per step (``interval``:
        as ``_interval_key``'s)."""
        code = self.one_type_code(rid, lanes, s, interval)
        if code is not None:
            return np.full(len(s), code, dtype=np.int64)
        return np.fromiter(map(self._type_code_of, self._lane_types(rid, lanes, s)), np.int64, len(s))

    def one_type_code(self, rid: str, lanes: np.ndarray, s: np.ndarray,
                      interval: "tuple[str, int, int] | None | bool" = False) -> int | None:
        """The one lane-type code of every (lane, s) when they lie in one record interval (then
        ``lane_type_codes`` is that code at every step), else None."""
        key = self._interval_key(rid, lanes, s, "type", interval)
        if key is None:
            return None
        if key not in self._constant:
            self._constant[key] = self._lane_types(rid, lanes[:1], s[:1])[0]
        return self._type_code_of(self._constant[key])

    def _type_code_of(self, kind: str | None) -> int:
        code = self._type_code.get(kind)
        if code is None:
            code = self._type_code[kind] = len(self.type_names)
            self.type_names.append(kind)
        return code

    def type_table(self, kinds: frozenset[str]) -> np.ndarray:
        """bool per lane-type code: the type, in lower case, is one of ``kinds`` (None never is)."""
        table = self._type_tables.get(kinds)
        if table is None or table.size != len(self.type_names):
            table = np.array([kind is not None and kind.lower() in kinds for kind in self.type_names], dtype=bool)
            self._type_tables[kinds] = table
        return table

    def _lane_types(self, rid: str, lanes: np.ndarray, s: np.ndarray) -> list[str | None]:
        if self._arrays:
            return [t or None for t in self.road.lane_types_many(rid, lanes, s).tolist()]
        return [self.road.lane_type(rid, int(lane), float(v)) for lane, v in zip(lanes.tolist(), s.tolist())]

    def speed_limits(self, rid: str, lanes: np.ndarray, s: np.ndarray,
                     interval: "tuple[str, int, int] | None | bool" = False) -> np.ndarray:
        """Speed limit (m/s) at each (lane, s) of one road; NaN where none applies (``interval``: as
        ``_interval_key``'s)."""
        key = self._interval_key(rid, lanes, s, "speed", interval)
        if key is not None:
            if key not in self._constant:
                self._constant[key] = float(self._speed_limits(rid, lanes[:1], s[:1])[0])
            return np.full(len(s), self._constant[key])
        return self._speed_limits(rid, lanes, s)

    def _speed_limits(self, rid: str, lanes: np.ndarray, s: np.ndarray) -> np.ndarray:
        if self._arrays:
            return self.road.speed_limits_many(rid, lanes, s)
        limits = [self.road.speed_limit(rid, int(lane), float(v)) for lane, v in zip(lanes.tolist(), s.tolist())]
        return np.array([math.nan if v is None else v for v in limits], dtype=float)

    def _interval_key(self, rid: str, lanes: np.ndarray, s: np.ndarray, what: str,
                      interval: "tuple[str, int, int] | None | bool" = False) -> tuple | None:
        """(road, lane, interval, what) when every s lies in one interval between the records that can
        change a lane's type or speed limit, at least ``ATTRIBUTE_MARGIN`` from both ends, on one lane;
        None otherwise (and for a road model that does not describe its records).  ``interval``:
        the ``interval`` of these arrays when the caller has it already (False: work it out)."""
        if not len(s):
            return None
        found = self.interval(rid, lanes, s) if interval is False else interval
        return None if found is None else (*found, what)

    def interval(self, rid: str, lanes: np.ndarray, s: np.ndarray) -> tuple[str, int, int] | None:
        """(road, lane, index of the record interval) holding every (lane, s) of the arrays, at least
        ``ATTRIBUTE_MARGIN`` inside it, all on one lane; None otherwise.  One interval means one
        lane type and one speed limit there (``lane_type_codes``, ``speed_limits``)."""
        if not len(s):
            return None
        breaks = self._breaks.get(rid, False)
        if breaks is False:
            breaks = self._breaks[rid] = _record_starts(getattr(self.road, "roads", {}).get(rid))
        if breaks is None:
            return None
        lane = lanes[0]
        if (type(lanes) is np.ndarray and type(s) is np.ndarray and lanes.dtype == np.int64 and s.dtype == np.float64
                and lanes.shape == s.shape and s.ndim == 1):   # the blocks' arrays: one compiled pass
            i = road_kernels.record_interval(np.ascontiguousarray(lanes), np.ascontiguousarray(s), breaks,
                                             ATTRIBUTE_MARGIN)
            return None if i < 0 else (rid, int(lane), i)
        if not (lanes == lane).all():
            return None
        lo, hi = float(s.min()), float(s.max())
        if not (math.isfinite(lo) and math.isfinite(hi)):
            return None
        i = int(np.searchsorted(breaks, lo, side="right"))
        if i != int(np.searchsorted(breaks, hi, side="right")):
            return None
        if (i > 0 and lo - breaks[i - 1] < ATTRIBUTE_MARGIN) or (i < breaks.size and breaks[i] - hi < ATTRIBUTE_MARGIN):
            return None
        return rid, int(lane), i

    def direction(self, rid: str, lane: int) -> int:
        key = (rid, lane)
        if key not in self._direction:
            self._direction[key] = int(self.road.driving_direction(rid, lane))
        return self._direction[key]

    def in_junction(self, rid: str) -> bool:
        if rid not in self._junction:
            road_obj = getattr(self.road, "roads", {}).get(rid)
            self._junction[rid] = getattr(road_obj, "junction", None) is not None
        return self._junction[rid]

    def lengths(self) -> np.ndarray:
        """``length`` of every road code so far, indexed by code (float64)."""
        table = self._length_table
        if table.size != len(self.names):
            table = self._length_table = np.array([self.length(rid) for rid in self.names], dtype=float)
        return table

    def length(self, rid: str) -> float:
        if rid not in self._length:
            road_obj = getattr(self.road, "roads", {}).get(rid)
            self._length[rid] = float(getattr(road_obj, "length", math.inf))
        return self._length[rid]


def _record_starts(road_obj: Any) -> np.ndarray | None:
    """Sorted s at which a lane type or speed limit of the road may change: lane section starts
    (§11.2), lane ``<speed>`` starts (section s + sOffset, §11.7.3) and road ``<type>`` starts (§8.4);
    None when the road object does not list them (then nothing is cached)."""
    sections = getattr(road_obj, "lane_sections", None)
    types = getattr(road_obj, "types", None)
    if not sections or types is None:
        return None
    starts = [float(rt.s) for rt in types]
    for sec in sections:
        starts.append(float(sec.s))
        for lane in (sec.center, *sec.left, *sec.right):
            starts.extend(float(sec.s) + float(sp.s_offset) for sp in lane.speeds)
    return np.unique(np.array(starts, dtype=float))


def road_view(road: Any) -> RoadView:
    """The shared view of a road model (its per-lane caches outlive one block)."""
    try:
        view = _VIEWS.get(road)
        if view is None:
            view = _VIEWS[road] = RoadView(road)
        return view
    except TypeError:   # not weak-referenceable
        return RoadView(road)
