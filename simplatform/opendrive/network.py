"""``RoadNetwork``: the questions the rest of the platform asks about a road map.

The split follows esmini (STYLE.md): this class answers (road, lane, s, t) ↔
world questions; it never knows about scenarios.  Poses and lanes are
computed from compiled per-road frames (``road_frame``), the inverse from a
KD-tree locator (``locate``).  Routing, lane graph, signals and objects are
built on the same model by their own modules and reached from here
(``network_features``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from simplatform.errors import RoadNetworkError
from simplatform.opendrive import model as m
from simplatform.opendrive.lanes import LaneBorderTables, RoadLanes
from simplatform.opendrive.locate import Locator
from simplatform.opendrive.network_features import NetworkFeatures
from simplatform.opendrive.parser import load_document, parse_document
from simplatform.opendrive.positions import LanePosition, LocateResult, Pose, PoseArray
from simplatform.opendrive.road_frame import RoadFrame


SPEED_TOLERANCE_S = 1e-12  # a record applies from its start s on, to the same tolerance as the scalar queries


@dataclass(frozen=True)
class _LastRecord:
    """Records keyed by a start value, answering "the last record in file order among those
    with start <= v" for many v at once (what ``active[-1]`` of the scalar queries picks)."""

    starts: np.ndarray   # ascending
    values: np.ndarray   # value of the record chosen once starts[:i + 1] are active

    @classmethod
    def of(cls, starts: list[float], values: list[float]) -> "_LastRecord":
        starts_a = np.asarray(starts, dtype=float)
        order = np.argsort(starts_a, kind="stable")
        chosen = np.maximum.accumulate(order)
        return cls(starts_a[order], np.asarray(values, dtype=float)[chosen])

    def __call__(self, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(value, active): NaN and False where no record has started."""
        if not self.starts.size:
            return np.full(np.shape(v), np.nan), np.zeros(np.shape(v), dtype=bool)
        j = np.searchsorted(self.starts, v, side="right") - 1
        active = j >= 0
        return np.where(active, self.values[np.maximum(j, 0)], np.nan), active


@dataclass(frozen=True)
class _SideLanes:
    """One side of a road (+1 left, 0 centre, −1 right): the lane sections that define it
    (§11.2 singleSide), and per section and lane rank the lane type and <speed> records."""

    section_s: np.ndarray            # start s of each defining section
    count: np.ndarray                # lanes on this side in each defining section
    types: np.ndarray                # (sections, max rank) str, "" where no lane
    speeds: dict[tuple[int, int], _LastRecord]   # (section k, rank r) -> lane <speed> records

    @classmethod
    def of(cls, lanes: RoadLanes, side: int) -> "_SideLanes":
        eff = lanes.side_sections[side] if side else list(range(len(lanes.sections)))
        secs = [lanes.sections[k] for k in eff]
        per = [(sec.center,) if side == 0 else (sec.left if side > 0 else sec.right) for sec in secs]
        count = np.array([len(p) for p in per], dtype=np.int64)
        types = np.full((len(secs), max(1, int(count.max(initial=0)))), "", dtype=object)
        speeds = {}
        for k, lanes_k in enumerate(per):
            for r, lane in enumerate(lanes_k):
                types[k, r] = lane.type
                if lane.speeds:
                    speeds[(k, r)] = _LastRecord.of([sp.s_offset for sp in lane.speeds], [sp.max for sp in lane.speeds])
        return cls(np.array([sec.s for sec in secs]), count, types.astype(str), speeds)

    def locate(self, lane_ids: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Defining section k, rank r (clipped into the tables) and whether the lane exists there."""
        k = np.maximum(np.searchsorted(self.section_s, s, side="right") - 1, 0)
        r = np.maximum(np.abs(lane_ids) - 1, 0)   # rank 0 is the centre lane on side 0
        exists = (r < self.count[k]) & np.isfinite(s)
        return k, np.minimum(r, self.types.shape[1] - 1), exists


class _LaneAttributes:
    """Lane types and speed limits of one road, compiled for array queries (built on first use)."""

    def __init__(self, frame: RoadFrame) -> None:
        self.sides = {side: _SideLanes.of(frame.lanes, side) for side in (1, 0, -1)}
        types = frame.road.types
        self.road_speed = _LastRecord.of([rt.s for rt in types],
                                         [np.nan if rt.speed is None else rt.speed for rt in types])
        self.type_dtype = np.result_type(*(t.types.dtype for t in self.sides.values()))

    def query(self, lane_ids: np.ndarray, s: np.ndarray, speeds: bool) -> np.ndarray:
        """Types ("" where no lane) or speed limits (NaN where none) at flat arrays of lane ids and s."""
        if not lane_ids.size:
            return np.zeros(0) if speeds else np.zeros(0, dtype=self.type_dtype)
        lo, hi = int(lane_ids.min()), int(lane_ids.max())
        if lo > 0 or hi < 0 or lo == hi:   # one side only (the usual case): no split
            return self._side_query(self.sides[(lo > 0) - (lo < 0)], lane_ids, s, speeds)
        out = np.full(s.shape, np.nan) if speeds else np.full(s.shape, "", dtype=self.type_dtype)
        side_of = np.sign(lane_ids)
        for side, table in self.sides.items():
            rows = np.flatnonzero(side_of == side)
            if rows.size:
                out[rows] = self._side_query(table, lane_ids[rows], s[rows], speeds)
        return out

    def _side_query(self, table: _SideLanes, lane_ids: np.ndarray, s: np.ndarray, speeds: bool) -> np.ndarray:
        k, r, exists = table.locate(lane_ids, s)
        everywhere = bool(exists.all())
        if not speeds:
            types = table.types[k, r]
            return types if everywhere else np.where(exists, types, "").astype(self.type_dtype)
        # §11.7.3 lane <speed> first, then the road <type><speed> (§8.4), as ``speed_limit``
        limit, _ = self.road_speed(s + SPEED_TOLERANCE_S)
        if table.speeds:
            width = table.types.shape[1]
            keys = k * width + r
            for key in np.unique(keys[exists]).tolist():
                records = table.speeds.get(divmod(key, width))
                if records is not None:
                    sel = (keys == key) & exists
                    value, active = records(s[sel] - table.section_s[key // width] + SPEED_TOLERANCE_S)
                    limit[sel] = np.where(active, value, limit[sel])
        return limit if everywhere else np.where(exists, limit, np.nan)

class RoadNetwork(NetworkFeatures):
    """A parsed OpenDRIVE map with its geometry compiled for queries."""

    def __init__(self, document: m.OpenDriveDocument) -> None:
        self.document = document
        self.source: str = document.source
        self.header: m.Header = document.header
        self.roads: dict[str, m.Road] = dict(document.roads)
        self.junctions: dict[str, m.Junction] = dict(document.junctions)
        self.controllers: dict[str, m.Controller] = dict(document.controllers)
        self.problems: list[str] = list(document.problems)
        self._frames: dict[str, RoadFrame] = {}
        for road in self.roads.values():
            frame = RoadFrame(road, self.source)
            self._frames[road.id] = frame
            self.problems.extend(frame.plan.continuity_problems(road.id, self.source))
        self.road_id_list: list[str] = list(self.roads)

    # ------------------------------------------------------------- internals
    def frame(self, road_id: str) -> RoadFrame:
        """The compiled frame of a road; RoadNetworkError naming the road if unknown."""
        try:
            return self._frames[road_id]
        except KeyError:
            raise RoadNetworkError(f"the road network has no road {road_id!r}", file=self.source) from None

    @cached_property
    def locator(self) -> Locator:
        """KD-tree locator, built on first use (lane samples every metre)."""
        return Locator([self._frames[r] for r in self.road_id_list])

    # ------------------------------------------------------------------ poses
    def road_pose(self, road_id: str, s: float, t: float = 0.0) -> Pose:
        """Pose at road coordinates (s, t): z from elevation and superelevation."""
        return Pose(*self.frame(road_id).pose(float(s), float(t)))

    def road_poses(self, road_id: str, s: np.ndarray, t: np.ndarray) -> PoseArray:
        """Vectorised ``road_pose`` for one road."""
        s, t = np.broadcast_arrays(np.asarray(s, dtype=float), np.asarray(t, dtype=float))
        return PoseArray(*self.frame(road_id).poses(s, t))

    def lane_pose(self, road_id: str, lane_id: int, s: float, offset: float = 0.0) -> Pose:
        """Pose at ``offset`` from the centre of a lane; heading along the reference line."""
        return self.lane_pose_t(road_id, lane_id, s, offset)[0]

    def lane_pose_t(self, road_id: str, lane_id: int, s: float, offset: float = 0.0) -> tuple[Pose, float]:
        """``lane_pose`` together with the lane centre's t, from one boundary lookup.

        The engine moves lane-following entities every step and needs both; asking
        for them separately doubled the per-entity cost of a step.
        """
        frame = self.frame(road_id)
        s = float(s)
        inner, outer = frame.lanes.boundaries_scalar(lane_id, s)
        center_t = 0.5 * (inner + outer)
        t = center_t + float(offset)
        x, y, z, h, pitch, roll = frame.pose(s, t)
        if frame.lanes.has_heights:
            z += frame.lanes.height_scalar(lane_id, s, inner, outer, t)
        return Pose(x, y, z, h, pitch, roll), center_t

    def lane_poses(self, road_id: str, lane_id: int, s: np.ndarray, offset: np.ndarray) -> PoseArray:
        """Vectorised ``lane_pose`` for one lane of one road (NaN where the lane does not exist)."""
        frame = self.frame(road_id)
        s, offset = np.broadcast_arrays(np.asarray(s, dtype=float), np.asarray(offset, dtype=float))
        inner, outer = frame.lanes.boundaries(lane_id, s)
        t = 0.5 * (inner + outer) + offset
        x, y, z, h, pitch, roll = frame.poses(s, t)
        if frame.lanes.has_heights:
            z = z + frame.lanes.heights(lane_id, s, inner, outer, t)
        return PoseArray(x, y, z, h, pitch, roll)

    # ---------------------------------------------------------------- inverse
    def locate(self, x: float, y: float, z: float | None = None) -> list[LanePosition]:
        """Every lane containing (x, y), best first: closest road surface z when ``z``
        is given, then smallest |offset| from the lane centre; [] off road."""
        found = self.locator.locate_point(float(x), float(y))
        if z is None:
            found.sort(key=lambda c: abs(c[4]))
        else:
            dz = {id(c): abs(self.lane_pose(self.road_id_list[c[0]], c[1], c[2], c[4]).z - z) for c in found}
            found.sort(key=lambda c: (dz[id(c)], abs(c[4])))
        return [LanePosition(self.road_id_list[r], lane, s, off) for r, lane, s, _, off in found]

    def locate_many(self, xy: np.ndarray) -> LocateResult:
        """Vectorised 2D locate: the best lane per point (smallest |offset|)."""
        xy = np.asarray(xy, dtype=float).reshape(-1, 2)
        n = len(xy)
        point, road, lane, s, t, off = self.locator.locate_pairs(xy)
        order = np.lexsort((np.abs(off), point))
        point, road, lane, s, t, off = point[order], road[order], lane[order], s[order], t[order], off[order]
        first = np.ones(len(point), dtype=bool)
        first[1:] = point[1:] != point[:-1]
        rows = point[first]
        road_index = np.full(n, -1, dtype=np.int64)
        out_lane = np.zeros(n, dtype=np.int64)
        out_s, out_t, out_off = (np.full(n, np.nan) for _ in range(3))
        road_index[rows] = road[first]
        out_lane[rows] = lane[first]
        out_s[rows], out_t[rows], out_off[rows] = s[first], t[first], off[first]
        return LocateResult(road_index, self.road_id_list, out_lane, out_s, out_t, out_off, road_index >= 0)

    def project(self, road_id: str, x: float, y: float) -> tuple[float, float]:
        """Exact foot point (s, t) of (x, y) on one road's reference line (s clamped to the road)."""
        self.frame(road_id)
        return self.locator.project_one(self.road_id_list.index(road_id), float(x), float(y))

    # ---------------------------------------------------------- lane queries
    def lane_section_at(self, road_id: str, s: float) -> m.LaneSection:
        return self.frame(road_id).lanes.section_at(float(s))

    def lane_ids(self, road_id: str, s: float) -> list[int]:
        """Lane ids at s from the leftmost to the rightmost, 0 included."""
        return self.frame(road_id).lanes.lane_ids(float(s))

    def lane(self, road_id: str, lane_id: int, s: float) -> m.Lane:
        """The lane record at s (RoadNetworkError if the road has no such lane there)."""
        return self.frame(road_id).lanes.lane(int(lane_id), float(s))

    def lane_width(self, road_id: str, lane_id: int, s: float) -> float:
        inner, outer = self.lane_boundaries(road_id, lane_id, s)
        return abs(outer - inner)

    def lane_type(self, road_id: str, lane_id: int, s: float) -> str:
        return self.lane(road_id, lane_id, s).type

    def lane_boundaries(self, road_id: str, lane_id: int, s: float) -> tuple[float, float]:
        """(t_inner, t_outer) of a lane from the reference line."""
        lanes = self.frame(road_id).lanes
        lanes.lane(int(lane_id), float(s))
        return lanes.boundaries_scalar(int(lane_id), float(s))

    def lane_center_t(self, road_id: str, lane_id: int, s: float) -> float:
        inner, outer = self.lane_boundaries(road_id, lane_id, s)
        return 0.5 * (inner + outer)

    def lane_center_line(self, road_id: str, lane_id: int, step: float = 1.0) -> np.ndarray:
        """(M, 4) array of s, x, y, z along a lane's centre where the lane exists."""
        length = self.frame(road_id).road.length
        s = np.linspace(0.0, length, max(2, int(math.ceil(length / step)) + 1))
        poses = self.lane_poses(road_id, lane_id, s, np.zeros_like(s))
        keep = np.isfinite(poses.x)
        return np.column_stack([s[keep], poses.x[keep], poses.y[keep], poses.z[keep]])

    def road_heading(self, road_id: str, s: float) -> float:
        return self.frame(road_id).plan.evaluate_scalar(float(s))[2]

    def road_curvature(self, road_id: str, s: float) -> float:
        return self.frame(road_id).plan.evaluate_scalar(float(s))[3]

    def speed_limit(self, road_id: str, lane_id: int, s: float) -> float | None:
        """m/s from the lane's <speed> (§11.7.3), else the road <type><speed> (§8.4); None if neither."""
        frame = self.frame(road_id)
        s = float(s)
        lane = frame.lanes.lane(int(lane_id), s)
        side = (lane_id > 0) - (lane_id < 0)
        sec = frame.lanes.sections[frame.lanes.section_index(s, side)]
        active = [sp for sp in lane.speeds if sp.s_offset <= s - sec.s + 1e-12]
        if active:
            return active[-1].max
        types = [rt for rt in frame.road.types if rt.s <= s + 1e-12]
        return types[-1].speed if types else None

    def road_marks(self, road_id: str, lane_id: int, s: float) -> list[m.RoadMark]:
        """The road mark in force on the lane's outer edge at s (§11.8), [] if none."""
        frame = self.frame(road_id)
        s = float(s)
        lane = frame.lanes.lane(int(lane_id), s)
        side = (lane_id > 0) - (lane_id < 0)
        sec = frame.lanes.sections[frame.lanes.section_index(s, side)]
        active = [rm for rm in lane.road_marks if rm.s_offset <= s - sec.s + 1e-12]
        return active[-1:] if active else []

    # ----------------------------------------------------- array lane queries
    # One road, many s (and lane ids): what per-step observers (metrics) ask over a block of
    # steps.  Each answers exactly what the scalar query of the same name answers at each
    # point, except that a lane that does not exist at s gives NaN / "" instead of an error.

    def lane_boundaries_many(self, road_id: str, lane_ids: int | np.ndarray,
                             s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(t_inner, t_outer) of lanes at many s, like ``lane_boundaries``; ``lane_ids`` one id or
        an array broadcast against ``s``; both NaN where the lane does not exist at s."""
        frame = self.frame(road_id)
        if np.ndim(lane_ids) == 0:   # one lane: straight to its boundary tables
            lane_id = int(lane_ids)
            if lane_id != lane_ids:
                raise ValueError(f"lane ids must be integers, got {lane_ids!r}")
            s = np.asarray(s, dtype=float)
            inner, outer = frame.lanes.boundaries(lane_id, s.reshape(-1))
            inner = np.where(np.isnan(outer), np.nan, inner)
            return inner.reshape(s.shape), outer.reshape(s.shape)
        ids, s, shape = self._lane_query_arrays(lane_ids, s)
        inner, outer = np.full(s.shape, np.nan), np.full(s.shape, np.nan)
        for lane_id in np.unique(ids).tolist():
            rows = ids == lane_id
            inner[rows], outer[rows] = frame.lanes.boundaries(int(lane_id), s[rows])
        inner[np.isnan(outer)] = np.nan
        return inner.reshape(shape), outer.reshape(shape)

    def lane_types_many(self, road_id: str, lane_ids: int | np.ndarray, s: np.ndarray) -> np.ndarray:
        """Lane types (§11.6 ``type`` strings as written, e.g. "driving", "sidewalk", "none"),
        like ``lane_type``; a numpy str array shaped like ``s``, "" where the lane does not
        exist at s (OpenDRIVE has no empty type, so "" is never a lane's type)."""
        ids, s, shape = self._lane_query_arrays(lane_ids, s)
        return self._lane_attributes(road_id).query(ids, s, speeds=False).reshape(shape)

    def speed_limits_many(self, road_id: str, lane_ids: int | np.ndarray, s: np.ndarray) -> np.ndarray:
        """Speed limits in m/s, like ``speed_limit``: the lane's <speed> (§11.7.3), else the road
        <type><speed> (§8.4); NaN where neither applies (``speed_limit`` says None) or the lane
        does not exist at s; ``inf`` for a "no limit" record."""
        ids, s, shape = self._lane_query_arrays(lane_ids, s)
        return self._lane_attributes(road_id).query(ids, s, speeds=True).reshape(shape)

    def reference_poses_many(self, road_id: str,
                             s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(x, y, heading, curvature) of the reference line (§9 plan view) at many s: the planar
        pose of ``road_pose(road_id, s, 0)`` with ``road_heading`` and ``road_curvature``."""
        return self.frame(road_id).plan.evaluate(np.asarray(s, dtype=float))

    def reference_headings_many(self, road_id: str, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(heading, curvature) of the reference line at many s: those of ``reference_poses_many``,
        bit for bit, without computing the x, y (most of its cost)."""
        return self.frame(road_id).plan.heading_curvature(np.asarray(s, dtype=float))

    def reference_line_tables(self, road_id: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The plan view's geometry records as arrays (start s, start heading, start curvature,
        curvature rate, kind: 0 line/arc, 1 spiral, 2 poly3/paramPoly3), for callers that evaluate
        ``reference_headings_many`` in their own compiled loop: geometry index
        clip(searchsorted(s0, s, "right") − 1, 0, n − 1), ds = s − s0; a line/arc has heading
        h0 + 2·(0.5·κ0·ds) and curvature κ0 + 0·ds (§9.3, §9.5), a spiral h0 + κ0·ds + 0.5·rate·ds·ds
        and κ0 + rate·ds (§9.4); a parametric geometry needs ``reference_headings_many``."""
        plan = self.frame(road_id).plan
        return plan.s0, plan.h0, plan.k0, plan.rate, plan.kind

    def lane_border_tables(self, road_id: str, lane_id: int) -> LaneBorderTables:
        """The piecewise-cubic tables ``lane_boundaries_many`` evaluates for one lane (lane offset
        §11.3, width/border records §11.5 of each rank out to the lane), for callers that evaluate
        them in their own compiled loop (``LaneBorderTables`` says how, operation by operation)."""
        return self.frame(road_id).lanes.border_tables(int(lane_id))

    @staticmethod
    def _lane_query_arrays(lane_ids: int | np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray, tuple]:
        """Lane ids and s broadcast together and flattened, with the shape to give the answer."""
        ids = np.asarray(lane_ids)
        if ids.dtype.kind not in "iu" and not np.all(ids == np.round(ids)):
            raise ValueError(f"lane ids must be integers, got {lane_ids!r}")
        ids, s = np.broadcast_arrays(ids.astype(np.int64), np.asarray(s, dtype=float))
        return ids.ravel(), s.ravel(), s.shape

    def _lane_attributes(self, road_id: str) -> _LaneAttributes:
        table = self._lane_attribute_tables.get(road_id)
        if table is None:
            table = self._lane_attribute_tables[road_id] = _LaneAttributes(self.frame(road_id))
        return table

    @cached_property
    def _lane_attribute_tables(self) -> dict[str, _LaneAttributes]:
        return {}

def parse_opendrive(text: str | bytes, source: str = "<string>") -> RoadNetwork:
    """Parse OpenDRIVE text into a ``RoadNetwork`` (RoadNetworkError on bad input)."""
    return RoadNetwork(parse_document(text, source))


def load_opendrive(path: str | Path) -> RoadNetwork:
    """Load an .xodr file into a ``RoadNetwork`` (RoadNetworkError on bad input)."""
    return RoadNetwork(load_document(path))
