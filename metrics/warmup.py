"""Compile, or load from numba's on-disk cache, the metrics' kernels: ``python -m metrics.warmup``.

The block evaluation's pair geometry, route and lane-frame checks are numba
kernels (``metrics.kernels``, ``metrics.road_kernels``).  The first block of a
process loads them from the cache next to the sources, or compiles them when
the cache is empty (a few seconds of CPU); workers started in parallel on an
empty cache would each compile.  Running this once beforehand lets them load
it.  Each kernel file is self-contained, so numba's per-file cache
invalidation is enough.  The scene is a short drive of two cars on a straight
OpenDRIVE road with a route, a stop line and a conflict zone, so every kernel
runs with the argument types of a real run.
"""

from __future__ import annotations

import math
import tempfile
import time
from pathlib import Path

import numpy as np

from simplatform.world import BoundingBox, EntityKind, EntityState, LaneLocation, WorldSnapshot


def _road():
    from scenariogeneration import xodr

    from simplatform.opendrive import load_opendrive

    road = xodr.create_road(xodr.Line(200), id=1, left_lanes=1, right_lanes=2, lane_width=3.5)
    odr = xodr.OpenDrive("warmup")
    odr.add_road(road)
    odr.adjust_roads_and_lanes()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "warmup.xodr"
        odr.write_xml(str(path))
        return load_opendrive(path)


def warm_up() -> float:
    """Two seconds of a two-car scene through every metric, the lead a background vehicle (the
    route metrics' background-traffic kernels); then the ego alone, whose one-entity block gives
    contiguous ego columns (a second signature of the kernels that read them); seconds taken."""
    from metrics import ConflictZone, GoalRegion, MetricSuite, RoutePath, ScenarioContext, StopLine

    start = time.perf_counter()
    route = RoutePath.from_points(np.stack([np.linspace(0, 200, 101), np.full(101, -1.75)], axis=1))
    context = ScenarioContext(road=_road(), route=route, goal=GoalRegion(190, -1.75, 3),
                              stop_lines=(StopLine("L", (30, -7), (30, 0), 0.0, signal_id="S"),),
                              conflict_zones=(ConflictZone("Z", ((40, -7), (45, -7), (45, 0), (40, 0))),),
                              acc_set_speed=12.0, background=("lead",))
    for cars in ((("ego", 10.0, 12.0, True), ("lead", 40.0, 8.0, False)), (("ego", 10.0, 12.0, True),)):
        _drive(MetricSuite(context), cars)
    _references()
    _arena_kernels()
    # the collision metric's compiled rules run only where boxes touch, which the scene above never does
    from metrics import collision_pass
    collision_pass.warm_up()
    return time.perf_counter() - start


def _drive(suite, cars: tuple[tuple[str, float, float, bool], ...]) -> None:
    """Two seconds of ``cars`` (name, x at 0, speed, is the ego) on lane −1, then ``finish``."""
    box = BoundingBox(4.5, 1.8, 1.5, 1.4, 0.0, 0.75)
    for k in range(201):
        t = 0.01 * k
        states = [EntityState(name, EntityKind.VEHICLE, "car", x0 + v * t, -1.75, 0.0, 0.0, 0.0, 0.0, v, v, 0.0,
                              0.1 * math.sin(t), 0.0, 0.0, box, LaneLocation("1", -1, x0 + v * t, 0.0), is_ego=ego)
                  for name, x0, v, ego in cars]
        suite.observe(WorldSnapshot.from_states(t, k, states, ego="ego", signals={"S": "red"}))
    suite.finish()


def _references() -> None:
    """The reference kernels the fast ones are tested against, which the suite no longer calls
    (the all-pairs contacts, the unreduced ego pairs, the route TTC with array helpers, the box
    centres alone) and the kernels only a block without a route reaches."""
    from metrics import centre_kernel, kernels, route_ttc, series_kernels

    xy = np.array([[0.0, 3.0]])
    ones = np.ones((1, 2))
    corners = kernels.block_corners(xy, xy * 0, ones, ones * 0, ones, ones)
    kernels.block_contacts(xy, xy * 0, ones, corners)
    centre_kernel.block_centres(xy, xy * 0, ones, ones * 0, ones, ones * 0)
    dist, gap, closing, in_path, ttc, ttc2, miss, lead = kernels.ego_pairs(
        0, xy, xy * 0, ones, ones * 0, ones, ones * 0, ones, ones, ones, corners, 2.0, 5.0)
    kernels.lead_values(lead, gap, closing)
    kernels.row_argmin(dist)
    route = np.array([0.0, 1.0, 2.0])
    tx, ty = kernels.route_tangents(route, route * 0)
    kernels.route_path_ttc(0, xy, xy * 0, ones, ones * 0, ones, ones * 0, ones, ones, route, route * 0, tx, ty,
                           route, -1)
    # the route TTC with its (T, N) array and the separate near-miss onset pass: the suite calls them only
    # for a block without a route (``route_ttc.route_ttc_near`` makes both in one pass otherwise)
    route_ttc.route_path_ttc(0, xy, xy * 0, np.ones((1, 3, 2)), 0, 1, ones, ones * 0, ones, ones, route, route * 0,
                             tx, ty, route, -1)
    series_kernels.near_onsets(np.full((1, 2), np.inf), np.zeros((1, 2)), 1.0, 0.5, np.zeros(2, dtype=np.bool_))


def _arena_kernels() -> None:
    """The kernels only an arena block reaches (the native engine's snapshots, ``StateArena``; the
    scene above hands over snapshots of their own): the ego's lane rows read out of the block's
    read-only (T, rows, N) view of the arena."""
    from metrics import road_pass_kernels
    from simplatform.world import STATE_INDEX, STATE_ROWS

    state = np.zeros((2, len(STATE_ROWS), 2))
    state.flags.writeable = False
    road_pass_kernels.ego_lane_rows(state, 0, STATE_INDEX["lane_id"], STATE_INDEX["lane_s"], STATE_INDEX["lane_t"])


if __name__ == "__main__":
    print(f"metrics kernels ready in {warm_up():.1f} s")
