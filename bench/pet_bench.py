"""PET cost per step at a busy junction: lane-aware zones against geometry alone.

Twenty cars drive straight through junction 100 of scenarios/maps/junction_4way.xodr (five per
approach, lanes -1 and -2, 12 m apart, 8 m/s) with their ``LaneLocation``s, so every one of the
87 lane-level conflict zones is busy.  The PET metric alone runs over the snapshots (blocks as the
suite hands them); rows: the zones with their lanes (the default), the same zones without lanes
(the purely geometric rule), and the lane-aware zones with no lanes in the snapshots (geometry fallback).

    .venv/bin/python bench/pet_bench.py [--steps 1500]
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from metrics import ScenarioContext, conflict_zones_from_road  # noqa: E402
from metrics.block import StepBlock  # noqa: E402
from metrics.pet import PostEncroachmentMetric  # noqa: E402
from simplatform.opendrive import load_opendrive  # noqa: E402
from simplatform.world import BoundingBox, EntityKind, EntityState, LaneLocation, WorldSnapshot  # noqa: E402

DT = 0.01
BLOCK = 64
MAP = Path(__file__).resolve().parents[1] / "scenarios" / "maps" / "junction_4way.xodr"


def _snapshots(net, steps: int, lanes: bool) -> list[WorldSnapshot]:
    cars = []
    for d, (heading, lane_y) in enumerate(((0.0, -1.75), (math.pi / 2, -1.75), (0.0, -5.25), (math.pi / 2, -5.25))):
        for k in range(5):
            cars.append((f"car{d}_{k}", heading, lane_y, -1 if lane_y > -3 else -2, 60.0 + 12 * k))
    out = []
    for step in range(steps):
        t = step * DT
        states = []
        for name, heading, lane_t, lane, behind in cars:
            along = -behind + 8 * t          # distance past the junction's entry edge
            if heading == 0.0:
                x, y = 100.0 + along, lane_t
                road, s = ("1", x) if along < 0 else ("101", along) if along < 40 else ("3", along - 40)
            else:
                x, y = 120.0 - lane_t, -20.0 + along
                road, s = ("2", y + 120) if along < 0 else ("104", along) if along < 40 else ("4", along - 40)
            loc = LaneLocation(road, lane, s, 0.0) if lanes else None
            states.append(EntityState(name, EntityKind.VEHICLE, "car", x, y, 0.0, heading, 0.0, 0.0, 8.0,
                                      8 * math.cos(heading), 8 * math.sin(heading), 0.0, 0.0, 0.0,
                                      BoundingBox(4.3, 1.7, 1.4, center_x=1.3), lane=loc, is_ego=name == "car0_0"))
        out.append(WorldSnapshot.from_states(t, step, states, ego="car0_0"))
    return out


def _time(context: ScenarioContext, snaps: list[WorldSnapshot], repeat: int = 3) -> tuple[float, float]:
    best, value = math.inf, math.nan
    for _ in range(repeat):
        metric = PostEncroachmentMetric(context)
        start = time.perf_counter()
        for i in range(0, len(snaps), BLOCK):
            metric.observe_block(StepBlock(snaps[i:i + BLOCK], context))
        value = metric.result().scalars["pet_min"]
        best = min(best, time.perf_counter() - start)
    return best / len(snaps) * 1e6, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1500)
    args = parser.parse_args()
    net = load_opendrive(MAP)
    zones = conflict_zones_from_road(net)
    located, unlocated = _snapshots(net, args.steps, True), _snapshots(net, args.steps, False)
    lane_aware = ScenarioContext(road=net, conflict_zones=zones, ego="car0_0")
    geometric = ScenarioContext(road=net, conflict_zones=tuple(replace(z, lanes=None) for z in zones), ego="car0_0")
    rows = (("lane-aware zones, lanes in snapshots", lane_aware, located),
            ("zones without lanes (geometry alone)", geometric, located),
            ("lane-aware zones, no lanes in snapshots", lane_aware, unlocated))
    print(f"PET metric, {len(zones)} lane zones, 20 cars through the junction, {args.steps} steps of {DT} s, best of 3")
    for label, context, snaps in rows:
        us, pet = _time(context, snaps)
        print(f"  {label:42s} {us:8.1f} µs/step   pet_min {pet:.2f} s")
    print(f"  (numpy {np.__version__})")


if __name__ == "__main__":
    main()
