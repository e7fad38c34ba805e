"""Lane tracking for a whole fleet at once: the vectorised form of :mod:`lane_tracking`.

Every model-driven vehicle's lane cursor advances by its displacement
projected on the lane direction, then two Newton steps on the projection
residual put s at the foot of the perpendicular; the residual across the lane
is the lateral offset (the local solution of OpenDRIVE 1.8 §7's reference-line
projection, as esmini's ``XYZ2TrackPos`` with a previous-position hint).  All
of it is one compiled loop over the fleet on the stacked lane tables
(:func:`simplatform.backends.traffic_kernels.advance` on a
:class:`~simplatform.backends.lane_stack.LaneStack`), and one more writes the
lane columns and the road under each vehicle into the entity table.

Vehicles whose step leaves the road's s range (road ends, junctions) or
whose lane has no samples at s (another lane section) fall back to the exact
scalar walk of the road adaptor, one by one; that is rare.  A vehicle whose
lane ends under it (the lane does not exist in the next lane section) is
located afresh.
"""

from __future__ import annotations

from operator import attrgetter

import numpy as np

from simplatform.backends import traffic_kernels as tk
from simplatform.backends.lane_stack import LaneStack
from simplatform.backends.lane_tracking import walk_cursor
from simplatform.errors import RoadNetworkError


class FleetLanes:
    """Per-member lane (its column in the lane stack) and driving direction, refreshed from the
    members' (road id, lane id) keys where they changed."""

    def __init__(self, road, stack: LaneStack) -> None:
        self.road = road
        self.stack = stack
        self.keys: list[tuple[str, int] | None] = []
        self.roads: list[str | None] = []
        self.ids = np.zeros(0, dtype=np.int64)
        self.lane_ids = np.zeros(0, dtype=np.int64)
        self.direction = np.zeros(0)

    def refresh(self, keys: list[tuple[str, int]]) -> None:
        n = len(keys)
        if len(self.keys) != n:
            self.keys = [None] * n
            self.roads = [None] * n
            self.ids = np.zeros(n, dtype=np.int64)
            self.lane_ids = np.zeros(n, dtype=np.int64)
            self.direction = np.ones(n)
        if keys == self.keys:
            return
        for k, key in enumerate(keys):
            if self.keys[k] != key:
                self.set(k, key)

    def set(self, k: int, key: tuple[str, int]) -> None:
        self.keys[k] = key
        self.roads[k] = key[0]
        self.lane_ids[k] = key[1]
        self.ids[k] = self.stack.lane(*key)
        self.direction[k] = self.road.direction(*key)


class FleetTracker:
    """The driven vehicles' lane cursors, moved with the vehicles; ``lanes`` holds their lanes."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.road = engine.road
        self.stack = LaneStack(engine.road.net)
        self.lanes = FleetLanes(engine.road, self.stack)
        self.reset(0)

    def reset(self, n: int) -> None:
        self.position: np.ndarray | None = None  # (2, n) x, y where the cursors were last moved to
        self.reset_buffers(n)

    def reset_buffers(self, n: int) -> None:
        self._out = np.empty((5, n))
        self._ok = np.empty(n, dtype=bool)
        self._bad = np.empty(n, dtype=bool)

    def start(self, x: np.ndarray, y: np.ndarray) -> None:
        """The first tracked displacement is measured from here (the fleet's first model step)."""
        if self.position is None:
            self.position = np.array((x, y))

    def pursuit_lanes(self, target_lane: list[int | None], lanes: FleetLanes | None = None) -> np.ndarray:
        """Lane-stack columns of the lane each vehicle (of ``lanes``, by default this tracker's) steers
        to: its target lane while changing."""
        lanes = self.lanes if lanes is None else lanes
        if target_lane.count(None) == len(target_lane):
            return lanes.ids
        ids = lanes.ids.copy()
        for k, target in enumerate(target_lane):
            key = lanes.keys[k]
            if target is not None and target != key[1]:
                ids[k] = self.stack.lane(key[0], target)
        return ids

    def track(self, members: list[int], rows: np.ndarray, cursors: list, s: np.ndarray,
              target_lane: list[int | None], lane_dir: np.ndarray, lanes: FleetLanes | None = None,
              position: np.ndarray | None = None) -> None:
        """Move the cursors of ``members`` (entity ``rows``, cursors at ``s`` on ``lanes``, by default
        this tracker's, refreshed by the caller) by the displacement since ``position`` (by default
        this tracker's; updated); write the lane columns into the table and each lane's driving
        direction into ``lane_dir``."""
        eng = self.engine
        t = eng.table
        road = self.road
        lanes = self.lanes if lanes is None else lanes
        position = self.position if position is None else position
        n = len(members)
        if self._ok.shape[0] != n:
            self.reset_buffers(n)
        mat, meta = self.stack.arrays()
        out, ok = self._out, self._ok
        all_ok = tk.advance(mat, meta, lanes.ids, lanes.direction, s, rows, t.x, t.y, position, out, ok) == 0
        s_new, offset = out[0], out[4]
        good = [True] * n if all_ok else ok.tolist()
        for c, sv, ov, m, fine in zip(cursors, s_new.tolist(), offset.tolist(), map(eng.controller.motions.__getitem__,
                                                                                     members), good):
            if fine:
                c.s = sv
                c.offset = ov
                m.end_of_road = False
                m.end_of_road_since = -1.0
        moved = []  # vehicles whose road or lane may have changed
        lost = []  # vehicles whose lane ended under them and that are on no lane now
        if not all_ok:
            for k in np.flatnonzero(~ok).tolist():
                c = cursors[k]
                try:
                    walk_cursor(eng, members[k], c, road.cursor_pose_t(c)[3], float(out[2, k]), float(out[3, k]),
                                newton_steps=2)
                except RoadNetworkError:  # the lane does not exist in the lane section it ran into
                    eng.controller.relocate(members[k])
                    c = cursors[k] = eng.controller.motions[members[k]].cursor
                    if c is None:
                        lost.append(k)
                        continue
                moved.append(k)
        if target_lane.count(None) != n:
            for k, target in enumerate(target_lane):
                if target is None or cursors[k] is None:
                    continue
                c = cursors[k]
                ct_now = road.cursor_center_t(c)
                ct_target = road.lane_center_t(c.road_id, target, c.s)
                off_target = c.offset + ct_now - ct_target
                if abs(off_target) < abs(c.offset):
                    c.lane_id, c.offset = target, off_target
                if c.lane_id == target and abs(c.offset) < 0.15:
                    target_lane[k] = None
                moved.append(k)
        for k in moved:
            c = cursors[k]
            s_new[k] = c.s
            offset[k] = c.offset
            key = (c.road_id, c.lane_id)
            if lanes.keys[k] != key:
                lanes.set(k, key)
        if moved:
            mat, meta = self.stack.arrays()
        bad = self._bad
        n_bad = tk.lane_columns(mat, meta, lanes.ids, lanes.direction, s_new, offset, rows, t.z, t.pitch, t.roll,
                                t.lane_s, t.lane_offset, t.road_t, bad)
        lane_road = t.lane_road
        for i, rid in zip(members, lanes.roads):
            lane_road[i] = rid
        t.lane_id[rows] = lanes.lane_ids
        if n_bad:
            for k in np.flatnonzero(bad).tolist():  # no table samples here: the road model answers
                if cursors[k] is None:
                    continue
                i = members[k]
                _, _, z, _, p, r, road_t = road.cursor_pose_t(cursors[k])
                t.z[i], t.pitch[i], t.roll[i], t.road_t[i] = z, p, r, road_t
        for k in lost:
            t.set_lane(members[k], None, 0, 0.0, 0.0, 0.0)
        lane_dir[:] = lanes.direction


CURSOR = attrgetter("cursor")
LANE_KEY = attrgetter("road_id", "lane_id")
S = attrgetter("s")
"""Attribute readers over motions and lane cursors (one C call per vehicle, no Python frame)."""
