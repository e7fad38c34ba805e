"""Typical family: highway merges and exits, speed-limit changes, curves at the limit of grip.

* merge (ISO 22839 / NHTSA pre-crash typology "changing lanes – same direction",
  Najm et al. 2007): a vehicle from the on-ramp of ``highway_on_ramp`` reaches
  the end of its acceleration lane ``dt`` s before/after the ego passes it and
  merges into the ego's lane;
* exit: the ego must leave ``highway_long`` at the exit 400 m ahead, starting
  in lane -1 or -2, optionally with a slow truck in lane -3;
* speed-limit change (UN R157 §5.2.3 and Euro NCAP Speed Assistance Systems
  protocol v2.0): the 130 → 100 km/h zone of ``highway_long`` road 3;
* curve at the limit of grip (critical speed v = √(μ g R), Gillespie 1992 §9):
  ``rural_curves`` R 80 m and R 60 m at speeds around the dry (μ 0.8) and wet
  (μ 0.56) limits, posted 100 km/h.
"""

from __future__ import annotations

from typing import Iterator

from scenarios.library.builder import (
    Concrete, ScenarioBuilder, environment_tags, fmt, kmh, lane, lane_change, near, world,
)
from scenarios.library.paths import lane_point, route_path
from scenarios.library.typical_aeb import EGO_CAR, _front

SRC_MERGE = "Najm et al. 2007, NHTSA pre-crash scenario typology (DOT HS 810 767): changing lanes / merging"
SRC_SPEED = "Euro NCAP Speed Assistance Systems Test Protocol v2.0; UN R157 §5.2.3"
SRC_CURVE = "Gillespie 1992, Fundamentals of Vehicle Dynamics §9 (critical cornering speed); road-departure crash type"


def merges() -> Iterator[Concrete]:
    m = "highway_on_ramp"
    ramp = route_path(m, (2, -1, 0.5), (3, -3, 140.0))
    for v in (80, 100, 120):
        for vm in (60, 80):
            for dt in (-2.0, -1.0, 0.0, 1.0, 2.0):
                ve, vt = kmh(v), kmh(vm)
                t_end = 8.0                                   # the merger reaches road 3 s=140 at t_end + dt
                ego_x = 200.0 + 140.0 - ve * t_end - _front(EGO_CAR)
                tm = t_end + dt
                start_d = ramp.length - vt * tm
                duration = round(t_end + 8.0, 1)
                sid = f"typ_hwy_merge_v{v}_m{vm}_dt{fmt(dt)}"
                b = ScenarioBuilder(sid, m, duration, f"Merge: ego {v} km/h, merging car {vm} km/h, Δt {dt} s")
                gx, gy, _ = lane_point(m, 3, -2, 395.0)
                b.ego(EGO_CAR, lane(1, -2, max(ego_x, 1.0)) if ego_x < 200 else lane(3, -2, ego_x - 200.0), ve,
                      goal=(gx, gy, 4.0))
                x, y, h = ramp.at(max(start_d, 0.0))
                b.vehicle("Merger", "car_compact", world(x, y, h), vt,
                          route=[lane(2, -1, 0.5), lane(3, -2, 300.0)])
                px, py, _ = lane_point(m, 3, -3, 100.0)
                b.event("Merger", "merge", lane_change(-2, 3.0), near("Merger", world(px, py), 3.0, "end_of_ramp"))
                yield b.concrete("typical", "HWY_merge", SRC_MERGE,
                                 {"ego_speed_kmh": v, "merger_speed_kmh": vm, "merge_offset_s": dt},
                                 ["road:highway", "road:on_ramp", "actor:vehicle", "maneuver:merge", "light:day",
                                  "weather:dry"], "highway_function")


def exits() -> Iterator[Concrete]:
    m = "highway_long"
    for v in (90, 110, 130):
        for ego_lane in (-1, -2):
            for truck in (False, True):
                for night in (False, True):
                    ve = kmh(v)
                    duration = round(1000.0 / ve + 8.0, 1)
                    dn = "night" if night else "day"
                    sid = f"typ_hwy_exit_v{v}_l{abs(ego_lane)}_{'truck' if truck else 'free'}_{dn}"
                    b = ScenarioBuilder(sid, m, duration, f"Exit: ego {v} km/h from lane {ego_lane}, truck {truck}")
                    gx, gy, _ = lane_point(m, 6, -1, 290.0)
                    b.ego(EGO_CAR, lane(4, ego_lane, 850.0), ve, goal=(gx, gy, 5.0),
                          route=[lane(4, ego_lane, 850.0), lane(6, -1, 290.0)])
                    if truck:
                        b.vehicle("Truck", "truck", lane(4, -3, 910.0), kmh(80), route=[lane(4, -3, 910.0), lane(5, -3, 700.0)])
                    b.set_environment(night=night)
                    yield b.concrete("typical", "HWY_exit", SRC_MERGE,
                                     {"ego_speed_kmh": v, "ego_lane": ego_lane, "slow_truck": truck, "light": dn},
                                     ["road:highway", "road:exit", "maneuver:exit", *environment_tags(night, False)]
                                     + (["actor:truck"] if truck else []), "highway_function")


def speed_limits() -> Iterator[Concrete]:
    m = "highway_long"
    for v in (110, 120, 130, 140):
        for ego_lane in (-1, -2, -3):
            for rain in (False, True):
                ve = kmh(v)
                duration = round(700.0 / ve + 8.0, 1)
                sid = f"typ_hwy_limit_v{v}_l{abs(ego_lane)}_{'wet' if rain else 'dry'}"
                b = ScenarioBuilder(sid, m, duration, f"Speed limit 130 → 100: ego {v} km/h in lane {ego_lane}")
                gx, gy, _ = lane_point(m, 3, ego_lane, 300.0)
                b.ego(EGO_CAR, lane(2, ego_lane, 1100.0), ve, goal=(gx, gy, 4.0))
                b.set_environment(rain=rain)
                yield b.concrete("typical", "HWY_speed_limit_change", SRC_SPEED,
                                 {"ego_speed_kmh": v, "ego_lane": ego_lane, "limit_from_kmh": 130, "limit_to_kmh": 100,
                                  "road": "wet" if rain else "dry"},
                                 ["road:highway", "feature:speed_limit", "sign:DE274", *environment_tags(False, rain)],
                                 "highway_function")


def curves() -> Iterator[Concrete]:
    m = "rural_curves"
    for v in (70, 80, 90, 100):
        for rain in (False, True):
            for night in (False, True):
                ve = kmh(v)
                duration = round(540.0 / ve + 2.0, 1)
                sid = f"typ_hwy_curve_v{v}_{'wet' if rain else 'dry'}_{'night' if night else 'day'}"
                b = ScenarioBuilder(sid, m, duration, f"Curves R80/R60 at {v} km/h ({'wet' if rain else 'dry'})")
                gx, gy, _ = lane_point(m, 1, -1, 530.0)
                b.ego(EGO_CAR, lane(1, -1, 5.0), ve, goal=(gx, gy, 4.0))
                b.set_environment(rain=rain, night=night)
                yield b.concrete("typical", "HWY_curve_grip_limit", SRC_CURVE,
                                 {"ego_speed_kmh": v, "radius_m": [80, 60], "friction": 0.56 if rain else 0.8,
                                  "light": "night" if night else "day"},
                                 ["road:rural", "geometry:curve", *environment_tags(night, rain)], "curve_grip")


def generate() -> Iterator[Concrete]:
    yield from merges()
    yield from exits()
    yield from speed_limits()
    yield from curves()
