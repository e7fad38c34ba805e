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
from functools import cached_property
from pathlib import Path

import numpy as np

from simplatform.errors import RoadNetworkError
from simplatform.opendrive import model as m
from simplatform.opendrive.locate import Locator
from simplatform.opendrive.network_features import NetworkFeatures
from simplatform.opendrive.parser import load_document, parse_document
from simplatform.opendrive.positions import LanePosition, LocateResult, Pose, PoseArray
from simplatform.opendrive.road_frame import RoadFrame


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


def parse_opendrive(text: str | bytes, source: str = "<string>") -> RoadNetwork:
    """Parse OpenDRIVE text into a ``RoadNetwork`` (RoadNetworkError on bad input)."""
    return RoadNetwork(parse_document(text, source))


def load_opendrive(path: str | Path) -> RoadNetwork:
    """Load an .xodr file into a ``RoadNetwork`` (RoadNetworkError on bad input)."""
    return RoadNetwork(load_document(path))
