"""A straight two-road fake of ``simplatform.opendrive.RoadNetwork`` and snapshot builders.

Road "1" runs along +x from x=0 to 500, road "2" continues it to x=1000;
the reference line is y=0.  Lanes, right-hand traffic:

    +2 sidewalk  t in [3.5, 5.5]
    +1 driving   t in [0, 3.5]      traffic moves toward -x
    -1 driving   t in [-3.5, 0]     traffic moves toward +x
    -2 driving   t in [-7, -3.5]
    -3 sidewalk  t in [-9, -7]

Speed limit 50 km/h on every driving lane.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np

from simplatform.world import FLOAT_COLUMNS, BoundingBox, EntityKind, EntityState, LaneLocation, WorldSnapshot

LANES = {2: (3.5, 5.5, "sidewalk"), 1: (0.0, 3.5, "driving"), -1: (-3.5, 0.0, "driving"),
         -2: (-7.0, -3.5, "driving"), -3: (-9.0, -7.0, "sidewalk")}
ROAD_X0 = {"1": 0.0, "2": 500.0}
SPEED_LIMIT = 50 / 3.6


@dataclass
class LocateResult:
    road_index: np.ndarray
    road_ids: list
    lane_id: np.ndarray
    s: np.ndarray
    t: np.ndarray
    offset: np.ndarray
    on_road: np.ndarray


class FakeStraightRoad:
    """Duck-typed RoadNetwork: the subset of the contract the metrics use."""

    def __init__(self) -> None:
        types = (SimpleNamespace(s=0.0, type="town", speed=SPEED_LIMIT),)
        self.roads = {rid: SimpleNamespace(id=rid, junction=None, types=types, length=500.0) for rid in ROAD_X0}
        self.junctions = {}
        self.signals = {}
        self.locate_calls = 0

    # --- inverse
    def _road_of(self, x: float) -> str | None:
        if 0.0 <= x < 500.0:
            return "1"
        if 500.0 <= x <= 1000.0:
            return "2"
        return None

    def locate_many(self, xy: np.ndarray) -> LocateResult:
        self.locate_calls += 1
        xy = np.asarray(xy, float)
        ids = ["1", "2"]
        n = len(xy)
        out = LocateResult(np.full(n, -1), ids, np.zeros(n, int), np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n, bool))
        for k, (x, y) in enumerate(xy):
            rid = self._road_of(x)
            lane = next((lid for lid, (lo, hi, _) in LANES.items() if lo <= y <= hi), None)
            if rid is None or lane is None:
                continue
            lo, hi, _ = LANES[lane]
            out.road_index[k] = ids.index(rid)
            out.lane_id[k] = lane
            out.s[k] = x - ROAD_X0[rid]
            out.t[k] = y
            out.offset[k] = y - (lo + hi) / 2
            out.on_road[k] = True
        return out

    def locate(self, x, y, z=None):
        r = self.locate_many(np.array([[x, y]]))
        if not r.on_road[0]:
            return []
        return [SimpleNamespace(road_id=r.road_ids[r.road_index[0]], lane_id=int(r.lane_id[0]), s=float(r.s[0]),
                                offset=float(r.offset[0]))]

    # --- lanes
    def lane_ids(self, road_id, s):
        return [2, 1, 0, -1, -2, -3]

    def lane_boundaries(self, road_id, lane_id, s):
        lo, hi, _ = LANES[lane_id]
        return (lo, hi) if lane_id < 0 else (lo, hi)

    def lane_type(self, road_id, lane_id, s):
        return LANES[lane_id][2]

    def driving_direction(self, road_id, lane_id):
        return 1 if lane_id < 0 else -1

    def speed_limit(self, road_id, lane_id, s):
        return SPEED_LIMIT if LANES[lane_id][2] == "driving" else None

    def road_heading(self, road_id, s):
        return 0.0

    def road_pose(self, road_id, s, t=0.0):
        return SimpleNamespace(x=ROAD_X0[road_id] + s, y=t, z=0.0, heading=0.0, pitch=0.0, roll=0.0)

    def lane_poses(self, road_id, lane_id, s, offset):
        lo, hi, _ = LANES[lane_id]
        s = np.asarray(s, float)
        return SimpleNamespace(x=ROAD_X0[road_id] + s, y=(lo + hi) / 2 + np.asarray(offset, float))


def entity(name: str, x: float, y: float, *, heading: float = 0.0, speed: float = 0.0, length: float = 4.0,
           width: float = 2.0, kind: EntityKind = EntityKind.VEHICLE, category: str = "car", ax: float = 0.0,
           ay: float = 0.0, vx: float | None = None, vy: float | None = None, yaw_rate: float = 0.0,
           lane: LaneLocation | None = None, ego: bool = False) -> EntityState:
    """An entity whose bounding box is centred on its reference point unless told otherwise."""
    return EntityState(
        name=name, kind=kind, category=category, x=x, y=y, z=0.0, heading=heading, pitch=0.0, roll=0.0,
        speed=speed, vx=speed * math.cos(heading) if vx is None else vx,
        vy=speed * math.sin(heading) if vy is None else vy, ax=ax, ay=ay, yaw_rate=yaw_rate,
        bbox=BoundingBox(length, width, 1.5), lane=lane, is_ego=ego,
    )


def snapshot(time: float, step: int, *states: EntityState, signals=None, collisions=(), environment=None) -> WorldSnapshot:
    ego = next((s.name for s in states if s.is_ego), None)
    return WorldSnapshot.from_states(time, step, list(states), ego=ego, signals=signals, collisions=collisions,
                                     environment=environment)


def run(suite, make_states, t_end: float, dt: float = 0.01, **snap_kwargs):
    """Step ``suite`` with ``make_states(t) -> (states, kwargs)`` from 0 to t_end inclusive."""
    n = int(round(t_end / dt))
    for k in range(n + 1):
        t = k * dt
        made = make_states(t)
        states, extra = made if isinstance(made, tuple) and isinstance(made[-1], dict) else (made, {})
        suite.observe(snapshot(t, k, *states, **{**snap_kwargs, **extra}))
    return suite.finish()


def off_arena(snap: WorldSnapshot) -> WorldSnapshot:
    """The same step with a state matrix of its own (not a ``StateArena`` slot): what backends other than the
    native engine hand over, which the metrics keep as a snapshot instead of reading the arena."""
    box = {name: getattr(snap, name) for name in FLOAT_COLUMNS[12:]}
    return WorldSnapshot.from_state_matrix(
        snap.time, snap.step, snap.names, snap.kinds, snap.categories, snap.state.copy(), box, tuple(snap.lanes),
        snap.lane_roads, snap.visible, ego=snap.ego, signals=snap.signals, collisions=snap.collisions,
        environment=snap.environment)
