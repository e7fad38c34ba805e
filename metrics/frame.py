"""Per-step quantities for metrics written one step at a time, computed once and only when asked.

Why: several metrics look at the same step (ego box, its neighbours, where it
is on the road).  Each quantity is a ``cached_property``, so a step pays for a
road query or the pair geometry once, and not at all when no metric asks.
The built-in metrics evaluate blocks of steps instead (``metrics.block``);
this per-step view serves ``Metric.observe`` of custom metrics and tests.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from metrics.context import ScenarioContext
from metrics.geometry import box_corners, boxes_distance, wrap_angle
from metrics.road_block import DRIVABLE_LANE_TYPES, WRONG_WAY_ANGLE  # noqa: F401  (one definition for both views)
from simplatform.world import EntityKind, WorldSnapshot

NEAR_RANGE = 2.0   # m: box distances below this are always computed exactly (near-miss thresholds live here)


@dataclass(frozen=True)
class EgoNeighbours:
    """The ego's relation to every other entity (arrays indexed like ``index``).

    Ego frame is ISO 8855 (x forward, y left) at the ego box centre.
    ``in_path`` marks boxes ahead whose lateral extent overlaps the ego's:
    the constant-velocity "along the path" predecessor set.  ``gap`` is the
    bumper-to-bumper longitudinal gap, ``closing`` the closing speed along
    the ego heading (positive = approaching).
    """

    index: np.ndarray
    rel_x: np.ndarray
    rel_y: np.ndarray
    rel_vx: np.ndarray
    rel_vy: np.ndarray
    distance: np.ndarray
    in_path: np.ndarray
    gap: np.ndarray
    closing: np.ndarray
    radius_sum: np.ndarray


@dataclass(frozen=True)
class EgoRoadState:
    """Where the ego's reference point and box corners are on the road (``locate_many``)."""

    on_road: np.ndarray        # (6,) reference point, box centre, 4 corners
    road_ids: list[str | None]
    lane_id: np.ndarray
    s: np.ndarray
    t: np.ndarray
    offset: np.ndarray


_OTHERS: dict[tuple[int, int], np.ndarray] = {}


def _others(n: int, e: int) -> np.ndarray:
    """Indices 0..n-1 without e (cached: the same few shapes recur every step)."""
    key = (n, e)
    if key not in _OTHERS:
        _OTHERS[key] = np.delete(np.arange(n), e)
    return _OTHERS[key]


class StepFrame:
    """One snapshot plus lazily computed geometry for the metrics of one step."""

    def __init__(self, snapshot: WorldSnapshot, previous: "StepFrame | None", context: ScenarioContext) -> None:
        self.snapshot = snapshot
        self.previous = previous
        self.context = context
        self.time = snapshot.time
        self.dt = 0.0 if previous is None else snapshot.time - previous.time
        ego = context.ego or snapshot.ego
        self.ego: str | None = ego
        self.ego_index: int | None = (
            snapshot.names.index(ego) if ego is not None and ego in snapshot.names else None
        )

    def forget_previous(self) -> None:
        """Drop the link to the step before last so frames do not chain the whole run in memory."""
        self.previous = None

    @cached_property
    def cos_sin_heading(self) -> tuple[np.ndarray, np.ndarray]:
        h = self.snapshot.heading
        return np.cos(h), np.sin(h)

    @cached_property
    def centers(self) -> np.ndarray:
        """World (x, y) of every bounding-box centre (N, 2), as ``WorldSnapshot.bbox_centers``."""
        snap = self.snapshot
        c, s = self.cos_sin_heading
        return np.stack([snap.x + c * snap.bbox_center_x - s * snap.bbox_center_y,
                         snap.y + s * snap.bbox_center_x + c * snap.bbox_center_y], axis=1)

    @cached_property
    def _columns(self) -> np.ndarray:
        snap = self.snapshot
        c, s = self.cos_sin_heading
        return np.stack([self.centers[:, 0], self.centers[:, 1], snap.vx, snap.vy, c, s, snap.length, snap.width])

    @cached_property
    def corners(self) -> np.ndarray:
        """World box corners (N, 4, 2) of every entity."""
        return self.corners_of(slice(None))

    def corners_of(self, index) -> np.ndarray:
        """World box corners of some entities (an index array or slice); cheaper than all when few."""
        snap = self.snapshot
        if "corners" in self.__dict__:
            return self.corners[index]
        c = self.centers[index]
        return box_corners(c[:, 0], c[:, 1], snap.heading[index], snap.length[index], snap.width[index])

    @cached_property
    def radius(self) -> np.ndarray:
        """Half box diagonal of every entity: the bounding disc used for broad phases and 2-D TTC."""
        return 0.5 * np.hypot(self.snapshot.length, self.snapshot.width)

    @cached_property
    def velocity(self) -> np.ndarray:
        """World-frame velocity (N, 2)."""
        return np.stack([self.snapshot.vx, self.snapshot.vy], axis=1)

    @cached_property
    def ego_long_accel(self) -> float:
        i = self.ego_index
        s = self.snapshot
        return float(s.ax[i] * math.cos(s.heading[i]) + s.ay[i] * math.sin(s.heading[i]))

    @cached_property
    def ego_lat_accel(self) -> float:
        i = self.ego_index
        s = self.snapshot
        return float(-s.ax[i] * math.sin(s.heading[i]) + s.ay[i] * math.cos(s.heading[i]))

    @cached_property
    def ego_neighbours(self) -> EgoNeighbours:
        """Ego-relative geometry of every other entity.

        ``distance`` is the exact box-to-box distance for the entities that can
        be the nearest or within ``NEAR_RANGE``; for the others it is the disc
        lower bound (centre distance − both radii), which is larger than the
        minimum, so the minimum and every distance below the range are exact.
        """
        snap = self.snapshot
        e = self.ego_index
        idx = _others(len(snap), e)
        # One gather of the columns the pair geometry needs: rows x, y, vx, vy, cos h, sin h, length, width
        cols = self._columns
        o = cols[:, idx]
        me = cols[:, e]
        ch, sh = float(me[4]), float(me[5])
        dx, dy, dvx, dvy = o[0] - me[0], o[1] - me[1], o[2] - me[2], o[3] - me[3]
        rel_x = ch * dx + sh * dy
        rel_y = ch * dy - sh * dx
        rel_vx = ch * dvx + sh * dvy
        rel_vy = ch * dvy - sh * dvx
        cos_d = np.abs(o[4] * ch + o[5] * sh)      # |cos(ψ_other − ψ_ego)|
        sin_d = np.abs(o[5] * ch - o[4] * sh)      # |sin(ψ_other − ψ_ego)|
        half_l, half_w = o[6] / 2, o[7] / 2
        half_long = half_l * cos_d + half_w * sin_d
        half_lat = half_l * sin_d + half_w * cos_d
        in_path = (rel_x > 0) & (np.abs(rel_y) < me[7] / 2 + half_lat)
        gap = rel_x - me[6] / 2 - half_long
        radius_sum = self.radius[e] + self.radius[idx]
        centre = np.hypot(dx, dy)
        distance = np.maximum(centre - radius_sum, 0.0)
        exact = np.flatnonzero(distance <= max(float(centre.min(initial=np.inf)), NEAR_RANGE))
        if exact.size:
            ego_box = self.corners_of(np.array([e]))
            distance[exact] = boxes_distance(np.repeat(ego_box, exact.size, axis=0), self.corners_of(idx[exact]))
        return EgoNeighbours(idx, rel_x, rel_y, rel_vx, rel_vy, distance, in_path, gap, -rel_vx, radius_sum)

    @cached_property
    def lead(self) -> int | None:
        """Position in ``ego_neighbours`` of the nearest in-path entity ahead (None if none)."""
        nb = self.ego_neighbours
        cand = np.flatnonzero(nb.in_path)
        if cand.size == 0:
            return None
        return int(cand[np.argmin(nb.gap[cand])])

    @cached_property
    def ego_road(self) -> EgoRoadState | None:
        """The road model's view of the ego (None without a road or an ego)."""
        road = self.context.road
        if road is None or self.ego_index is None:
            return None
        snap = self.snapshot
        e = self.ego_index
        pts = np.vstack([[snap.x[e], snap.y[e]], self.centers[e], self.corners[e]])
        res = road.locate_many(pts)
        road_ids = [res.road_ids[k] if k >= 0 else None for k in np.asarray(res.road_index)]
        return EgoRoadState(np.asarray(res.on_road, dtype=bool), road_ids, np.asarray(res.lane_id),
                            np.asarray(res.s, dtype=float), np.asarray(res.t, dtype=float),
                            np.asarray(res.offset, dtype=float))

    @cached_property
    def ego_lane_type(self) -> str | None:
        st = self.ego_road
        if st is None or not st.on_road[0]:
            return None
        return self.context.road.lane_type(st.road_ids[0], int(st.lane_id[0]), float(st.s[0]))

    @cached_property
    def ego_travel_heading(self) -> float | None:
        """Heading of legal travel in the ego's lane (road heading, +π for lanes driven against s)."""
        st = self.ego_road
        if st is None or not st.on_road[0]:
            return None
        road: Any = self.context.road
        rid, lane = st.road_ids[0], int(st.lane_id[0])
        heading = road.road_heading(rid, float(st.s[0]))
        return float(heading + (0.0 if road.driving_direction(rid, lane) > 0 else math.pi))

    @cached_property
    def ego_offroad(self) -> bool:
        """Reference point on no drivable lane (OpenDRIVE 1.8 §11.6 types; CARLA OffRoadTest: driving, parking)."""
        lane_type = self.ego_lane_type
        return lane_type is None or lane_type.lower() not in DRIVABLE_LANE_TYPES

    @cached_property
    def ego_wrong_way(self) -> bool:
        """Heading more than 120° from the lane's travel direction, outside junctions
        (ScenarioRunner ``WrongLaneTest.MAX_ALLOWED_ANGLE``)."""
        travel = self.ego_travel_heading
        if travel is None:
            return False
        rid = self.ego_road.road_ids[0]
        road_obj = getattr(self.context.road, "roads", {}).get(rid)
        if getattr(road_obj, "junction", None) is not None:
            return False
        return abs(float(wrap_angle(self.snapshot.heading[self.ego_index] - travel))) > WRONG_WAY_ANGLE

    def kind_of(self, i: int) -> str:
        """Leaderboard collision class of entity ``i``: pedestrian, vehicle or static."""
        kind = self.snapshot.kinds[i]
        if kind is EntityKind.PEDESTRIAN:
            return "pedestrian"
        if kind is EntityKind.VEHICLE:
            return "vehicle"
        return "static"
