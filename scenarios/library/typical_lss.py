"""Typical family: Euro NCAP Lane Support Systems (Euro NCAP LSS Test Protocol v4.0, 2023).

The protocol's driver path drifts the car towards a line at 0.2–0.6 m/s
lateral speed (§8.2: 0.1 m/s steps for ELK); here the drift is the ego's
initial condition — it starts with the yaw angle ``atan(v_lat / v)`` towards
the line, so a stack that does not correct it drifts out at ``v_lat`` —
never a scripted steering input (the ego's reaction is the stack's).
Without a stack the engine's default controller follows the lane.

* ELK road edge: highway_long lane -3, drift right towards the unmarked edge;
* ELK oncoming: rural_curves, drift left into lane 1 towards an oncoming car;
* ELK overtaking: highway_long lane -2, drift left into lane -1 while a car
  overtakes there (its front level with the ego's rear at the line crossing);
* LKA dashed line: highway_long lane -2, drift left across a dashed line.
Ego 60/72/80 km/h (72 km/h is the protocol speed), day and night.
"""

from __future__ import annotations

import math
from typing import Iterator

from scenarios.library.builder import Concrete, ScenarioBuilder, environment_tags, fmt, kmh, lane, world
from scenarios.library.paths import lane_point
from scenarios.library.typical_aeb import EGO_CAR, TARGET_CAR, _front, _rear

SRC = "Euro NCAP Lane Support Systems Test Protocol v4.0 (2023)"
LATERAL = (0.2, 0.3, 0.4, 0.5, 0.6)
SPEEDS = (60, 72, 80)


def _drift_pose(m: str, road: int, lane_id: int, s: float, v: float, v_lat: float, side: int) -> tuple:
    x, y, h = lane_point(m, road, lane_id, s)
    return x, y, h + side * math.atan2(v_lat, v)


def _base(sid: str, logical: str, m: str, road: int, lane_id: int, s0: float, v: float, v_lat: float, side: int,
          duration: float, night: bool, description: str) -> ScenarioBuilder:
    b = ScenarioBuilder(sid, m, duration, description)
    gx, gy, _ = lane_point(m, road, lane_id, s0 + kmh(v) * duration + 20.0)
    b.ego(EGO_CAR, world(*_drift_pose(m, road, lane_id, s0, kmh(v), v_lat, side)), kmh(v), goal=(gx, gy, 4.0))
    b.set_environment(night=night)
    del logical
    return b


def generate() -> Iterator[Concrete]:
    for v in SPEEDS:
        for v_lat in LATERAL:
            for night in (False, True):
                dn = "night" if night else "day"
                t_cross = 1.75 / v_lat            # from the lane centre to the line (3.5 m lane)
                duration = round(t_cross + 4.0, 1)
                common = {"ego_speed_kmh": v, "lateral_speed_mps": v_lat, "light": dn}
                # ELK road edge (right): highway_long lane -3
                b = _base(f"typ_lss_elk_edge_v{v}_lat{fmt(v_lat)}_{dn}", "LSS_ELK_road_edge", "highway_long", 1, -3,
                          30.0, v, v_lat, -1, duration, night, f"ELK road edge: {v} km/h, drift {v_lat} m/s right")
                yield b.concrete("typical", "LSS_ELK_road_edge", SRC, common,
                                 ["road:highway", "feature:lane_support", "marking:none", *environment_tags(night, False)],
                                 "lane_support")
                # ELK oncoming: rural_curves lane -1 drifting left; oncoming car in lane 1 meets the ego
                # when the ego is half across the centre line
                ve = kmh(v)
                m = "rural_curves"
                b = _base(f"typ_lss_elk_oncoming_v{v}_lat{fmt(v_lat)}_{dn}", "LSS_ELK_oncoming", m, 1, -1, 5.0, v,
                          v_lat, 1, duration, night, f"ELK oncoming: {v} km/h, drift {v_lat} m/s left, oncoming 72 km/h")
                t_meet = (1.75 + 1.0) / v_lat
                vt = kmh(72)
                s_meet = 5.0 + _front(EGO_CAR) + ve * t_meet
                b.vehicle("Oncoming", TARGET_CAR, world(*lane_point(m, 1, 1, min(s_meet + vt * t_meet + _front(TARGET_CAR), 535.0))), vt)
                yield b.concrete("typical", "LSS_ELK_oncoming", SRC, {**common, "oncoming_speed_kmh": 72},
                                 ["road:rural", "actor:vehicle", "feature:lane_support", "traffic:oncoming",
                                  *environment_tags(night, False)], "lane_support")
                # ELK overtaking: highway_long lane -2 drifting left, overtaking car in lane -1 (+8 km/h... 20 km/h faster)
                vt = kmh(v + 20)
                b = _base(f"typ_lss_elk_overtaking_v{v}_lat{fmt(v_lat)}_{dn}", "LSS_ELK_overtaking", "highway_long", 1,
                          -2, 200.0, v, v_lat, 1, duration, night,
                          f"ELK overtaking: {v} km/h, drift {v_lat} m/s left, overtaking at {v + 20} km/h")
                ego_rear_at_cross = 200.0 + ve * t_cross + _rear(EGO_CAR)
                target_s = ego_rear_at_cross - _front(TARGET_CAR) - vt * t_cross
                b.vehicle("Overtaking", TARGET_CAR, lane(1, -1, max(target_s, 1.0)), vt)
                yield b.concrete("typical", "LSS_ELK_overtaking", SRC, {**common, "overtaking_speed_kmh": v + 20},
                                 ["road:highway", "actor:vehicle", "feature:lane_support", "traffic:overtaking",
                                  *environment_tags(night, False)], "lane_support")
                # LKA dashed line: drift left across the dashed line, nobody around
                b = _base(f"typ_lss_lka_dashed_v{v}_lat{fmt(v_lat)}_{dn}", "LSS_LKA_dashed_line", "highway_long", 1, -2,
                          30.0, v, v_lat, 1, duration, night, f"LKA dashed line: {v} km/h, drift {v_lat} m/s left")
                yield b.concrete("typical", "LSS_LKA_dashed_line", SRC, common,
                                 ["road:highway", "feature:lane_support", "marking:dashed", *environment_tags(night, False)],
                                 "lane_keeping")
