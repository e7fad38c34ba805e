"""Timings of the network-level OpenDRIVE features on the shared test maps.

Run: ``.venv/bin/python bench/bench_odr_network.py``; prints one line per map:
lane-graph build, one route across the map, signals + objects, road mesh
(step 1 m) with its triangle count.
"""

from __future__ import annotations

import time

from scenarios.maps import MAPS_DIR
from simplatform.opendrive import LanePosition, load_opendrive
from simplatform.opendrive.lane_graph import build_lane_graph
from simplatform.opendrive.mesh import build_road_mesh
from simplatform.opendrive.objects import build_objects
from simplatform.opendrive.routing import route
from simplatform.opendrive.signals import build_signals

ROUTES = {
    "highway_straight": (LanePosition("1", -1, 1.0), LanePosition("2", -3, 499.0)),
    "junction_4way": (LanePosition("1", -1, 1.0), LanePosition("4", -1, 99.0)),
    "roundabout": (LanePosition("11", 1, 79.0), LanePosition("14", -1, 79.0)),
    "urban_grid": (LanePosition("11", 1, 79.0), LanePosition("18", -1, 79.0)),
}


def _ms(fn, repeat: int = 5):
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best * 1e3, out


def main() -> None:
    print(f"{'map':18} {'graph ms':>9} {'route ms':>9} {'sig+obj ms':>11} {'mesh ms':>8} {'triangles':>10}")
    for path in sorted(MAPS_DIR.glob("*.xodr")):
        net = load_opendrive(path)
        graph_ms, graph = _ms(lambda: build_lane_graph(net))
        route_ms = float("nan")
        if path.stem in ROUTES:
            a, b = ROUTES[path.stem]
            route_ms, _ = _ms(lambda: route(net, graph, a, b))
        feat_ms, _ = _ms(lambda: (build_signals(net), build_objects(net)))
        mesh_ms, road_mesh = _ms(lambda: build_road_mesh(net, step=1.0), repeat=3)
        print(f"{path.stem:18} {graph_ms:9.2f} {route_ms:9.2f} {feat_ms:11.2f} {mesh_ms:8.1f} "
              f"{len(road_mesh.triangle_material):10d}")


if __name__ == "__main__":
    main()
