"""Typical family: Euro NCAP AEB VRU (Euro NCAP AEB/LSS VRU Test Protocol v4.5, 2023) and
the motorcycle rear cases of the AEB C2C protocol v4.3 (CMRs, CMRb).

Ego 10–60 km/h (10 km/h steps), day and night (protocol §8: night tests
with the ego's low beam only).  Impact point: % of the ego's front width
counted from the side the VRU comes from, reached when the ego keeps its
speed.  VRU speeds from the protocol: adult crossing near side (CPNA) 5 km/h,
far side (CPFA) 6.5 km/h, child from behind parked cars (CPNC) 5 km/h, adult
along the lane (CPLA) 5 km/h, cyclist crossing (CBNA near, CBFA far)
15 km/h, cyclist along (CBLA) 15 km/h, adult crossing the road the ego turns
into (CPTA) 5 km/h with the ego at 10/15/20 km/h.

Geometry: the avenue road 2 of ``urban_corridor`` (straight, 276 m, 2 m
sidewalks); the ego in lane -1 eastbound, the conflict 4 s after the start.
"""

from __future__ import annotations

import math
from typing import Iterator

from scenarios.library.builder import (
    Concrete, ScenarioBuilder, at_time, environment_tags, kmh, lane, timed_path, world,
)
from scenarios.library.catalogs import bodies
from scenarios.library.paths import lane_point, route_path
from scenarios.library.typical_aeb import EGO_CAR, _front, _rear_end

SRC = "Euro NCAP AEB/LSS VRU Test Protocol v4.5 (2023)"
SRC_MC = "Euro NCAP AEB Car-to-Car Test Protocol v4.3 (2023), Car-to-Motorcyclist Rear"
MAP = "urban_corridor"
ROAD = 2
S_CONFLICT = 200.0
T_CONFLICT = 4.0


def _ego_y() -> float:
    return lane_point(MAP, ROAD, -1, S_CONFLICT)[1]


def _crossing(sid: str, logical: str, v_ego: float, vru: str, v_vru: float, side: str, impact: int, night: bool,
              start_lateral: float, *, occluded: bool = False) -> Concrete:
    """A VRU crossing the ego lane from ``side`` ('near' = right, 'far' = left), starting
    ``start_lateral`` m from the ego's centre line."""
    ve, vv = kmh(v_ego), kmh(v_vru)
    ego_s = S_CONFLICT - ve * T_CONFLICT - _front(EGO_CAR)
    xc, yc, h = lane_point(MAP, ROAD, -1, S_CONFLICT)
    w = bodies()[EGO_CAR].width
    sign = -1.0 if side == "near" else 1.0           # the VRU comes from the right (-y) or the left (+y)
    impact_y = yc + sign * (w / 2 - impact / 100 * w)  # where on the ego's front it is hit
    start = (xc, yc + sign * start_lateral)
    end = (xc, yc - sign * (start_lateral + 2.0))
    heading = math.pi / 2 if side == "near" else -math.pi / 2
    t_walk = abs(start[1] - impact_y) / vv
    t_start = T_CONFLICT - t_walk
    t_end = t_start + abs(end[1] - start[1]) / vv
    duration = round(T_CONFLICT + 3.0, 1)
    b = ScenarioBuilder(sid, MAP, duration, f"{logical}: ego {v_ego:g} km/h, {vru} {v_vru:g} km/h, impact {impact} %")
    gx, gy, _ = lane_point(MAP, ROAD, -1, 272.0)
    b.ego(EGO_CAR, lane(ROAD, -1, ego_s), ve, goal=(gx, gy, 3.0))
    name = "Cyclist" if vru == "bicycle" else "Pedestrian"
    if vru == "bicycle":
        b.vehicle(name, "bicycle", world(*start, heading), 0.0)
    else:
        b.pedestrian(name, vru, world(*start, heading))
    b.event(name, "cross", timed_path("crossing_path", [(*start, heading), (*end, heading)], [t_start, t_end]),
            at_time(0.0, "start"))
    tags = ["road:urban", f"actor:{'cyclist' if vru == 'bicycle' else 'pedestrian'}", f"vru:{side}_side",
            *environment_tags(night, False)]
    if occluded:
        # two cars parked on the kerb on the near side, the child steps out between them (CPNC)
        for k, (entry, ds) in enumerate((("car_suv", -8.0), ("car_compact", 2.5))):
            b.vehicle(f"Parked{k + 1}", entry, lane(ROAD, -1, S_CONFLICT + ds, -2.6), 0.0)
        tags.append("occlusion:parked_cars")
    b.set_environment(night=night)
    return b.concrete("typical", logical, SRC, {"ego_speed_kmh": v_ego, "vru_speed_kmh": v_vru, "impact_pct": impact,
                                                "light": "night" if night else "day"}, tags, "aeb_vru")


def _longitudinal(sid: str, logical: str, v_ego: float, vru: str, v_vru: float, impact: int, night: bool) -> Concrete:
    """A VRU moving along the ego lane ahead, at ``impact`` % of the ego width from its right."""
    ve, vv = kmh(v_ego), kmh(v_vru)
    w = bodies()[EGO_CAR].width
    offset = -(w / 2 - impact / 100 * w)
    vru_rear = -0.25 if vru != "bicycle" else bodies()["bicycle"].center_x - bodies()["bicycle"].length / 2
    gap = (ve - vv) * T_CONFLICT
    ego_s = 60.0
    vru_s = ego_s + _front(EGO_CAR) + gap - vru_rear
    duration = round(T_CONFLICT + 3.0, 1)
    b = ScenarioBuilder(sid, MAP, duration, f"{logical}: ego {v_ego:g} km/h, {vru} {v_vru:g} km/h ahead, impact {impact} %")
    gx, gy, _ = lane_point(MAP, ROAD, -1, 272.0)
    b.ego(EGO_CAR, lane(ROAD, -1, ego_s), ve, goal=(gx, gy, 3.0))
    if vru == "bicycle":
        b.vehicle("Cyclist", "bicycle", lane(ROAD, -1, vru_s, offset), vv)
    else:
        xs, ys, h = lane_point(MAP, ROAD, -1, vru_s, offset)
        xe, ye, _ = lane_point(MAP, ROAD, -1, 275.0, offset)
        b.pedestrian("Pedestrian", vru, world(xs, ys, h))
        b.event("Pedestrian", "walk_along", timed_path("along_path", [(xs, ys, h), (xe, ye, h)],
                                                       [0.0, math.hypot(xe - xs, ye - ys) / vv]), at_time(0.0, "start"))
    b.set_environment(night=night)
    tags = ["road:urban", f"actor:{'cyclist' if vru == 'bicycle' else 'pedestrian'}", "vru:longitudinal",
            *environment_tags(night, False)]
    return b.concrete("typical", logical, SRC, {"ego_speed_kmh": v_ego, "vru_speed_kmh": v_vru, "impact_pct": impact,
                                                "light": "night" if night else "day"}, tags, "aeb_vru")


def _turning(sid: str, v_ego: float, turn: str, night: bool) -> Concrete:
    """CPTA: the ego turns at junction_4way; an adult crosses the destination road (5 km/h)
    from the far kerb and meets the ego front centre (50 %) 5 s after the start."""
    m = "junction_4way"
    dest = (4, -1, 60.0) if turn == "left" else (2, 1, 40.0)
    ep = route_path(m, (1, -2 if turn == "left" else -2, 2.0), dest)
    ve, vv = kmh(v_ego), kmh(5.0)
    # the pedestrian's line: across the destination road 8 m beyond the junction
    d_line = ep.length - 40.0 if turn == "left" else ep.length - 30.0
    x0, y0, h0 = ep.at(d_line)
    cross_h = h0 + math.pi / 2
    half = 7.5
    t_c = 5.0
    # the walk starts at t = 0 where the 5 s to the conflict begin: 7.5 m at 5 km/h would take 5.4 s,
    # and a path timed from -0.4 s put the adult 0.56 m along it at the first step
    near = min(half, vv * t_c)
    start = (x0 - near * math.cos(cross_h), y0 - near * math.sin(cross_h))
    end = (x0 + half * math.cos(cross_h), y0 + half * math.sin(cross_h))
    e0 = d_line - ve * t_c - _front(EGO_CAR)
    t_start = t_c - near / vv
    duration = round(t_c + 3.0, 1)
    b = ScenarioBuilder(sid, m, duration, f"AEB_CPTA: ego {v_ego:g} km/h turning {turn}, adult 5 km/h")
    ex, ey, eh = ep.at(e0)
    gx, gy, _ = ep.at(ep.length - 3.0)
    b.ego(EGO_CAR, world(ex, ey, eh), ve, goal=(gx, gy, 4.0),
          route=[lane(1, -2, 2.0), lane(*dest[:2], dest[2])])
    b.pedestrian("Pedestrian", "adult", world(*start, cross_h))
    b.event("Pedestrian", "cross", timed_path("crossing_path", [(*start, cross_h), (*end, cross_h)],
                                              [t_start, t_c + half / vv]), at_time(0.0, "start"))
    b.set_environment(night=night)
    return b.concrete("typical", "AEB_CPTA", SRC, {"ego_speed_kmh": v_ego, "turn": turn, "vru_speed_kmh": 5,
                                                   "light": "night" if night else "day"},
                      ["road:urban", "junction:4way", "actor:pedestrian", f"maneuver:{turn}_turn",
                       *environment_tags(night, False)], "aeb_vru")


def generate() -> Iterator[Concrete]:
    days = (False, True)
    for v in range(10, 70, 10):
        for night in days:
            dn = "night" if night else "day"
            for impact in (25, 50, 75):
                yield _crossing(f"typ_vru_cpna_v{v}_i{impact}_{dn}", "AEB_CPNA", v, "adult", 5.0, "near", impact, night, 4.0)
                yield _crossing(f"typ_vru_cpfa_v{v}_i{impact}_{dn}", "AEB_CPFA", v, "adult", 6.5, "far", impact, night, 6.0)
                yield _crossing(f"typ_vru_cpnc_v{v}_i{impact}_{dn}", "AEB_CPNC", v, "child", 5.0, "near", impact, night,
                                4.0, occluded=True)
            yield _crossing(f"typ_vru_cbna_v{v}_{dn}", "AEB_CBNA", v, "bicycle", 15.0, "near", 50, night, 5.0)
            yield _crossing(f"typ_vru_cbfa_v{v}_{dn}", "AEB_CBFA", v, "bicycle", 15.0, "far", 50, night, 7.0)
    for v in range(20, 70, 10):
        for night in days:
            dn = "night" if night else "day"
            for impact in (25, 50):
                yield _longitudinal(f"typ_vru_cpla_v{v}_i{impact}_{dn}", "AEB_CPLA", v, "adult", 5.0, impact, night)
                yield _longitudinal(f"typ_vru_cbla_v{v}_i{impact}_{dn}", "AEB_CBLA", v, "bicycle", 15.0, impact, night)
    for v in (10, 15, 20):
        for turn in ("left", "right"):
            for night in days:
                yield _turning(f"typ_vru_cpta_v{v}_{turn}_{'night' if night else 'day'}", v, turn, night)
    for v in (30, 40, 50, 60):
        for ov in (100, 50):
            yield _rear_end(f"typ_vru_cmrs_v{v}_ov{ov}", "AEB_CMRs", v, 0.0, ov, target="motorcycle", source=SRC_MC,
                            requirements="aeb_vru", params={"ego_speed_kmh": v, "target_speed_kmh": 0, "overlap_pct": ov})
    for gap in (12, 40):
        for decel in (2, 6):
            yield _rear_end(f"typ_vru_cmrb_g{gap}_d{decel}", "AEB_CMRb", 50, 50, 100, gap=float(gap), decel=float(decel),
                            target="motorcycle", source=SRC_MC, requirements="aeb_vru",
                            params={"ego_speed_kmh": 50, "target_speed_kmh": 50, "headway_m": gap,
                                    "target_decel_mps2": decel})
