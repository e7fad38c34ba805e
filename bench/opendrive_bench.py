"""OpenDRIVE core benchmark: parse, vectorised lane poses, vectorised locate.

Generates a ~50 km network with scenariogeneration (roads of lines, arcs and
Euler spirals, 2+2 lanes, some with varying width, laid out on a grid), then
prints:

* parse time of the .xodr (and the locator build on first use);
* (road, lane, s) → (x, y, z, heading) evaluations per second through
  ``RoadNetwork.lane_poses`` (one call per road and lane, 4 000 s each, and one
  1 000 000-point call on one road);
* xy → (road, lane, s, offset) look-ups per second through ``locate_many``
  (points on lanes plus 10 % off road);
* scalar ``lane_pose`` and ``locate`` calls per second (the engine's per-step path).

Run: ``.venv/bin/python bench/opendrive_bench.py [--km 50]``.
"""

from __future__ import annotations

import argparse
import atexit
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
from scenariogeneration import xodr

from simplatform.opendrive import load_opendrive


def build_network(km: float, seed: int = 7) -> str:
    """A grid of unlinked roads, each ~200 m of line/spiral/arc/spiral/line."""
    rng = np.random.default_rng(seed)
    odr = xodr.OpenDrive("bench")
    n_roads = int(round(km * 1000.0 / 200.0))
    cols = int(np.ceil(np.sqrt(n_roads)))
    for i in range(n_roads):
        k = float(rng.uniform(0.005, 0.02)) * (1 if rng.random() < 0.5 else -1)
        geoms = [xodr.Line(40.0), xodr.Spiral(0.0, k, 30.0), xodr.Arc(k, 60.0), xodr.Spiral(k, 0.0, 30.0),
                 xodr.Line(40.0)]
        if i % 3 == 0:
            road = xodr.create_road(geoms, id=i, left_lanes=2, right_lanes=2, lane_width=3.5, lane_width_end=3.0)
        else:
            road = xodr.create_road(geoms, id=i, left_lanes=2, right_lanes=2, lane_width=3.5)
        road.planview.set_start_point(float((i % cols) * 260.0), float((i // cols) * 260.0),
                                      float(rng.uniform(-0.3, 0.3)))
        odr.add_road(road)
    odr.adjust_roads_and_lanes()
    path = Path(tempfile.mkdtemp()) / "bench.xodr"
    odr.write_xml(str(path))
    return str(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--km", type=float, default=50.0)
    args = parser.parse_args()
    t0 = time.perf_counter()
    path = build_network(args.km)
    atexit.register(shutil.rmtree, str(Path(path).parent), True)   # the generated map is scratch: leave no /tmp behind
    print(f"generated {args.km:g} km network in {time.perf_counter() - t0:.2f} s: {path}")

    t0 = time.perf_counter()
    net = load_opendrive(path)
    t_parse = time.perf_counter() - t0
    total = sum(r.length for r in net.roads.values())
    print(f"parse: {t_parse:.3f} s for {len(net.roads)} roads, {total / 1000:.1f} km "
          f"({len(net.problems)} problems)")
    t0 = time.perf_counter()
    _ = net.locator.cells  # KD-tree and grid index, both built once on first use
    print(f"locator build: {time.perf_counter() - t0:.3f} s ({len(net.locator.xy)} samples)")

    # vectorised lane poses: every road, lanes -2..2, 4000 s per call
    rng = np.random.default_rng(1)
    n_per = 4000
    calls = [(rid, lane) for rid in net.road_id_list for lane in (-2, -1, 1, 2)]
    batches = {rid: rng.uniform(0.0, net.roads[rid].length, n_per) for rid in net.road_id_list}
    offset = np.zeros(n_per)
    t0 = time.perf_counter()
    for rid, lane in calls:
        net.lane_poses(rid, lane, batches[rid], offset)
    dt = time.perf_counter() - t0
    print(f"lane_poses, {len(calls)} calls x {n_per}: {len(calls) * n_per / dt:,.0f} evaluations/s")
    rid = net.road_id_list[0]
    s = rng.uniform(0.0, net.roads[rid].length, 1_000_000)
    t0 = time.perf_counter()
    net.lane_poses(rid, -1, s, np.zeros_like(s))
    dt = time.perf_counter() - t0
    print(f"lane_poses, one call x 1,000,000 (line/spiral/arc road): {1e6 / dt:,.0f} evaluations/s")

    # vectorised locate: points on random lanes plus 10 % off road
    n = 200_000
    road_pick = rng.integers(0, len(net.road_id_list), n)
    lane_pick = rng.choice(np.array([-2, -1, 1, 2]), n)
    s_pick = rng.uniform(0.0, 200.0, n)
    off_pick = rng.uniform(-1.2, 1.2, n)
    xy = np.empty((n, 2))
    for r in np.unique(road_pick):
        for lane in (-2, -1, 1, 2):
            mask = (road_pick == r) & (lane_pick == lane)
            if mask.any():
                p = net.lane_poses(net.road_id_list[r], int(lane), s_pick[mask], off_pick[mask])
                xy[mask, 0], xy[mask, 1] = p.x, p.y
    off_road = rng.random(n) < 0.1
    xy[off_road] += 200.0 * rng.random((int(off_road.sum()), 2)) + 30.0
    t0 = time.perf_counter()
    res = net.locate_many(xy)
    dt = time.perf_counter() - t0
    on = ~off_road
    hit = (res.road_index[on] == road_pick[on]) & (res.lane_id[on] == lane_pick[on])
    err_s = np.nanmax(np.abs(res.s[on][hit] - s_pick[on][hit]))
    print(f"locate_many x {n:,}: {n / dt:,.0f} look-ups/s; on-lane points found on their lane: "
          f"{hit.mean() * 100:.2f} %, max |s error| {err_s:.2e} m")

    # scalar paths, as the engine calls them per entity per step
    m = 20_000
    t0 = time.perf_counter()
    for i in range(m):
        net.lane_pose(rid, -1, float(s[i] % 200.0), 0.2)
    dt = time.perf_counter() - t0
    print(f"scalar lane_pose: {m / dt:,.0f} calls/s")
    m = 2_000
    t0 = time.perf_counter()
    for i in range(m):
        net.locate(float(xy[i, 0]), float(xy[i, 1]))
    dt = time.perf_counter() - t0
    print(f"scalar locate: {m / dt:,.0f} calls/s")


if __name__ == "__main__":
    main()
