"""Typical family: Euro NCAP AEB Car-to-Car (Euro NCAP AEB C2C Test Protocol v4.3, 2023).

Logical scenarios and their parameter spaces (protocol §8):

* CCRs — Car-to-Car Rear stationary: ego 10–50 km/h (5 km/h steps), overlap
  −50/−75/100/75/50 % (§8.2.1; positive: target displaced to the ego's right).
* CCRm — rear moving: ego 30–130 km/h (10 km/h steps) against a 20 km/h
  target, overlap 100/50 %.
* CCRb — rear braking: both 50 km/h, headway 12/40 m, target deceleration
  2/6 m/s², overlap 100/−50 %, dry/wet.
* CCFtap — ego turning left across an oncoming target going straight: ego
  10/15/20 km/h, target 30/45/60 km/h (§8.2.4), day/night.
* CCCscp — crossing straight: ego 20–60 km/h against a target 20/40/60 km/h
  from the right, impact at the ego's front 25/50/75 %.
* CCFhos/CCFhol — head-on (Euro NCAP AEB/LSS 2023 head-on cases): both
  50–70 km/h, straight (target drifted into the ego lane) or with a late
  lane change of the target into the ego lane; overlap 50/100 %.

Each run starts ~4 s before the conflict (the protocol's TTC 4 s start) and
ends 3 s after the impact time the ego would reach at constant speed.
"""

from __future__ import annotations

import math
from typing import Iterator

import numpy as np

from scenarios.library.builder import (
    EGO, Concrete, ScenarioBuilder, at_time, environment_tags, fmt, kmh, lane, lane_change, lateral_shift,
    speed_action, timed_path, world,
)
from scenarios.library.catalogs import bodies
from scenarios.library.paths import crossing, route_path

SRC = "Euro NCAP AEB Car-to-Car Test Protocol v4.3 (2023)"
HWY = "highway_straight"
EGO_CAR = "car_sedan"
TARGET_CAR = "car_compact"


def _front(entry: str) -> float:
    b = bodies()[entry]
    return b.center_x + b.length / 2


def _rear(entry: str) -> float:
    b = bodies()[entry]
    return b.center_x - b.length / 2


def _overlap_offset(overlap: int) -> float:
    """Lateral target offset (m, +left) that gives ``overlap`` % of the ego width (sign: side)."""
    if abs(overlap) == 100:
        return 0.0
    w = bodies()[EGO_CAR].width
    return -(1 if overlap > 0 else -1) * (1 - abs(overlap) / 100) * w


def _rear_end(sid: str, logical: str, v_ego: float, v_target: float, overlap: int, *, gap: float | None = None,
              decel: float | None = None, rain: bool = False, night: bool = False, params: dict,
              target: str = TARGET_CAR, source: str = SRC, requirements: str = "aeb_car_to_car") -> Concrete:
    """Ego and target in lane -2 of the motorway; the target ahead by ``gap`` (bumper to bumper)."""
    ve, vt = kmh(v_ego), kmh(v_target)
    if gap is None:
        gap = max((ve - vt) * 4.0, 5.0)
    ego_s = 30.0
    target_s = ego_s + _front(EGO_CAR) + gap - _rear(target)
    t_impact = _impact_time(ve, vt, gap, decel)
    duration = round(t_impact + 3.0, 1)
    b = ScenarioBuilder(sid, HWY, duration, f"{logical}: ego {v_ego:g} km/h, target {v_target:g} km/h")
    goal_x = ego_s + ve * duration + 30.0
    b.ego(EGO_CAR, lane(1, -2, ego_s), ve, goal=(min(goal_x, 995.0), -5.25, 3.0))
    b.vehicle("Target", target, lane(1, -2, target_s, _overlap_offset(overlap)), vt)
    if decel is not None:
        b.event("Target", "target_brakes", speed_action(0.0, decel), at_time(2.0, "brake_time"))
    b.set_environment(night=night, rain=rain)
    actor = "actor:motorcycle" if target == "motorcycle" else "actor:vehicle"
    return b.concrete("typical", logical, source, params,
                      ["road:highway", actor, "feature:rear_end", *environment_tags(night, rain)], requirements)


def _impact_time(ve: float, vt: float, gap: float, decel: float | None, brake_at: float = 2.0) -> float:
    """When the ego (constant ``ve``) closes ``gap`` to a target at ``vt`` that brakes at
    ``decel`` from ``brake_at`` s to standstill (None: never brakes)."""
    t, x_gap, v = 0.0, gap, vt
    while x_gap > 0 and t < 60.0:
        if decel is not None and t >= brake_at:
            v = max(v - decel * 0.01, 0.0)
        x_gap -= (ve - v) * 0.01
        t += 0.01
    return t


def ccrs() -> Iterator[Concrete]:
    for v in range(10, 55, 5):
        for ov in (-50, -75, 100, 75, 50):
            yield _rear_end(f"typ_aeb_ccrs_v{v}_ov{fmt(ov)}", "AEB_CCRs", v, 0.0, ov,
                            params={"ego_speed_kmh": v, "target_speed_kmh": 0, "overlap_pct": ov})


def ccrm() -> Iterator[Concrete]:
    for v in range(30, 140, 10):
        for ov in (100, 50):
            yield _rear_end(f"typ_aeb_ccrm_v{v}_ov{ov}", "AEB_CCRm", v, 20.0, ov,
                            params={"ego_speed_kmh": v, "target_speed_kmh": 20, "overlap_pct": ov})


def ccrb() -> Iterator[Concrete]:
    for gap in (12, 40):
        for decel in (2, 6):
            for ov in (100, -50):
                for rain in (False, True):
                    tag = "wet" if rain else "dry"
                    yield _rear_end(f"typ_aeb_ccrb_g{gap}_d{decel}_ov{fmt(ov)}_{tag}", "AEB_CCRb", 50, 50, ov,
                                    gap=float(gap), decel=float(decel), rain=rain,
                                    params={"ego_speed_kmh": 50, "target_speed_kmh": 50, "headway_m": gap,
                                            "target_decel_mps2": decel, "overlap_pct": ov, "road": tag})


def _junction_conflict(sid: str, logical: str, ego_route: tuple, target_route: tuple, v_ego: float,
                       v_target: float, *, impact_pct: int = 50, night: bool = False, t_conflict: float = 5.0,
                       params: dict, tags: list[str]) -> Concrete:
    """Ego and target on junction_4way paths timed to meet at ``t_conflict`` with constant speeds.

    The target's front centre reaches the crossing point of the two lane-centre
    paths when the point ``impact_pct`` % along the ego's front (from its
    left) is there: the ego's front centre is offset along its path accordingly."""
    m = "junction_4way"
    ep, tp = route_path(m, *ego_route), route_path(m, *target_route)
    de, dt_ = crossing(ep, tp)
    ve, vt = kmh(v_ego), kmh(v_target)
    w = bodies()[EGO_CAR].width
    lateral = (impact_pct / 100 - 0.5) * w  # how far right of the ego's centre the impact point lies
    e0 = de - ve * t_conflict - _front(EGO_CAR)
    t0 = dt_ - vt * t_conflict - _front(TARGET_CAR) + lateral
    duration = round(t_conflict + 3.0, 1)
    b = ScenarioBuilder(sid, m, duration, f"{logical}: ego {v_ego:g} km/h, target {v_target:g} km/h")
    ex, ey, eh = ep.at(e0)
    gx, gy, _ = ep.at(ep.length - 5.0)
    b.ego(EGO_CAR, world(ex, ey, eh), ve, goal=(gx, gy, 4.0),
          route=[lane(*ego_route[0][:2], ego_route[0][2]), lane(*ego_route[1][:2], ego_route[1][2])])
    tx, ty, th = tp.at(t0)
    b.vehicle("Target", TARGET_CAR, world(tx, ty, th), vt,
              route=[lane(*target_route[0][:2], target_route[0][2]), lane(*target_route[1][:2], target_route[1][2])])
    b.set_environment(night=night)
    return b.concrete("typical", logical, SRC, params, ["road:urban", "junction:4way", "actor:vehicle", *tags, *environment_tags(night, False)], "aeb_car_to_car")


def ccftap() -> Iterator[Concrete]:
    ego_route = ((1, -1, 2.0), (4, -1, 60.0))       # west approach, left turn to the north
    target_route = ((3, 1, 98.0), (1, 1, 40.0))     # oncoming from the east, straight on
    for ve in (10, 15, 20):
        for vt in (30, 45, 60):
            for night in (False, True):
                sid = f"typ_aeb_ccftap_e{ve}_t{vt}_{'night' if night else 'day'}"
                yield _junction_conflict(sid, "AEB_CCFtap", ego_route, target_route, ve, vt, night=night,
                                         t_conflict=5.0, params={"ego_speed_kmh": ve, "target_speed_kmh": vt,
                                                                 "light": "night" if night else "day"},
                                         tags=["maneuver:left_turn"])


def cccscp() -> Iterator[Concrete]:
    ego_route = ((1, -1, 2.0), (3, -1, 60.0))       # west → east straight on
    target_route = ((2, -1, 2.0), (4, -1, 60.0))    # south → north straight on, from the ego's right
    for ve in (20, 30, 40, 50, 60):
        for vt in (20, 40, 60):
            for impact in (25, 50, 75):
                sid = f"typ_aeb_cccscp_e{ve}_t{vt}_i{impact}"
                yield _junction_conflict(sid, "AEB_CCCscp", ego_route, target_route, ve, vt, impact_pct=impact,
                                         t_conflict=4.0, params={"ego_speed_kmh": ve, "target_speed_kmh": vt,
                                                                 "impact_pct": impact},
                                         tags=["maneuver:straight_crossing"])


def _head_on(sid: str, logical: str, v: float, overlap: int, lane_change_late: bool, params: dict) -> Concrete:
    """rural_curves: the ego in lane -1, the target coming in lane 1 (against s) and either
    already in the ego's lane (straight) or changing into it 2.5 s before the conflict."""
    m = "rural_curves"
    ve = vt = kmh(v)
    t_conflict = 4.5
    ego_s = 5.0
    gap = (ve + vt) * t_conflict
    ego_front = ego_s + _front(EGO_CAR)
    target_s = ego_front + gap + _front(TARGET_CAR)   # the target faces -s: its front is at lower s
    ov_left = -_overlap_offset(overlap)   # the target faces the ego: its offset mirrors (reference-line frame)
    duration = round(t_conflict + 3.0, 1)
    b = ScenarioBuilder(sid, m, duration, f"{logical}: both {v:g} km/h, overlap {overlap} %")
    b.ego(EGO_CAR, lane(1, -1, ego_s), ve, goal=(*_rural_point(ego_s + ve * duration + 20), 4.0))
    # the target drives against the ego's lane direction, so it follows a timed path (lane following
    # would turn it round): along lane -1 backwards, starting in lane 1 for the lane-change variant
    ss = np.arange(target_s, -1e-9, -2.0)
    times = (target_s - ss) / vt
    if lane_change_late:
        t_sw, t_len = t_conflict - 2.5, 3.5 / 1.5
        shift = 3.5 * (1 - np.clip((times - t_sw) / t_len, 0.0, 1.0))
    else:
        shift = np.zeros_like(ss)
    points = [_wrong_way_point(float(si), float(sh) + ov_left) for si, sh in zip(ss, shift)]
    b.vehicle("Target", TARGET_CAR, world(*points[0]), vt)
    b.event("Target", "drive_head_on", timed_path("head_on_path", points, [float(t) for t in times]),
            at_time(0.0, "start"))
    return b.concrete("typical", logical, SRC, params, ["road:rural", "actor:vehicle", "feature:head_on", "light:day", "weather:dry"], "aeb_car_to_car")


def _wrong_way_point(s: float, t_from_lane: float) -> tuple[float, float, float]:
    """A point of lane -1 of rural_curves, ``t_from_lane`` m to the left (reference-line sense), facing -s."""
    from scenarios.library.paths import network

    pose = network("rural_curves").lane_pose("1", -1, s, t_from_lane)
    return pose.x, pose.y, pose.heading + math.pi


def _rural_point(s: float) -> tuple[float, float]:
    from scenarios.library.paths import lane_point

    x, y, _ = lane_point("rural_curves", 1, -1, min(s, 535.0))
    return x, y


def ccfho() -> Iterator[Concrete]:
    for v in (50, 55, 60, 65, 70):
        for ov in (100, 50, -50):
            yield _head_on(f"typ_aeb_ccfhos_v{v}_ov{fmt(ov)}", "AEB_CCFhos", v, ov, False,
                           {"ego_speed_kmh": v, "target_speed_kmh": v, "overlap_pct": ov})
            yield _head_on(f"typ_aeb_ccfhol_v{v}_ov{fmt(ov)}", "AEB_CCFhol", v, ov, True,
                           {"ego_speed_kmh": v, "target_speed_kmh": v, "overlap_pct": ov})


def generate() -> Iterator[Concrete]:
    yield from ccrs()
    yield from ccrm()
    yield from ccrb()
    yield from ccftap()
    yield from cccscp()
    yield from ccfho()


__all__ = ["generate", "EGO"]
