"""Review (session 6): found beside the differential runs, in fb91629 and now alike (not a session-6
change; fixed since: no heading, no side to probe): ``OutsideRouteLanesMetric._near_driving_lane`` calls ``math.sin`` on the ego heading, which
raises ``ValueError: math domain error`` for an infinite heading, so one bad step of a backend ends the
whole evaluation (``MetricSuite.observe``/``finish`` raise).  A NaN heading passes (math.sin(nan) is nan).
The other metrics take non-finite values (``m6driver`` attack streams with NaN/inf x, vx, heading)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest


def test_infinite_heading_off_road_does_not_end_the_evaluation() -> None:
    from metrics import MetricSuite, ScenarioContext
    from metrics.context import RoutePath
    from simplatform.opendrive.network import load_opendrive
    from simplatform.world import BoundingBox, EntityKind, EntityState, LaneLocation, WorldSnapshot
    road = load_opendrive(Path(__file__).resolve().parents[2] / "scenarios/maps/highway_straight.xodr")
    rid = list(road.roads)[0]
    lane = [lane for lane in road.lane_ids(rid, 0.0) if lane < 0][0]
    line = np.asarray(road.lane_center_line(rid, lane, 1.0))
    ctx = ScenarioContext(road=road, route=RoutePath.from_points(line[:50, 1:3]), ego="ego")
    suite = MetricSuite(ctx, all_metrics=False, extra_metrics=("outside_route_lanes",))
    for k in range(20):
        x, y = line[k, 1], line[k, 2] + (40.0 if k >= 5 else 0.0)   # off the road from step 5
        heading = math.inf if k == 10 else line[k, 3]
        res = road.locate_many(np.array([[x, y]]))
        loc = (LaneLocation(res.road_ids[res.road_index[0]], int(res.lane_id[0]), float(res.s[0]), float(res.offset[0]))
               if res.on_road[0] else None)
        ego = EntityState(name="ego", kind=EntityKind.VEHICLE, category="car", x=x, y=y, z=0.0, heading=heading,
                          pitch=0.0, roll=0.0, speed=10.0, vx=10.0, vy=0.0, ax=0.0, ay=0.0, yaw_rate=0.0,
                          bbox=BoundingBox(4.5, 1.9, 1.5, 1.4, 0.0, 0.75), lane=loc, visible=True, is_ego=True)
        suite.observe(WorldSnapshot.from_states(0.1 * (k + 1), k, [ego], ego="ego"))
    result = suite.finish().metrics["outside_route_lanes"]
    assert math.isfinite(result.scalars["outside_route_lanes"])
