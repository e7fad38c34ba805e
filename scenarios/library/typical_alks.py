"""Typical family: UN Regulation No. 157 (ALKS), Annex 5 test scenarios §4.

* lead cut-in (§4.4 / §5.2.5.2): a slower vehicle cuts in from the adjacent
  lane; avoidable: 30 m ahead at 2 m/s lateral; unavoidable variant: 10 m at
  3 m/s; ego 60–130 km/h (the 2022 amendment's range), target 10/20/30 km/h
  slower, from the left or the right;
* lead deceleration (§4.3): the lead brakes to standstill at 2–9.81 m/s²
  (up to 1 g, §5.2.5.3) from the R157 minimum following distance (time gap
  1.6 s at 60 km/h rising to 2.0 s at 130 km/h per §5.2.3.3 table);
* cut-out revealing a stationary obstacle (§4.5): the lead changes lane at
  2 m/s lateral when it is 2 or 3 s from a stopped car, pedestrian or object.

Map: ``highway_long`` road 1 (1.5 km straight, three lanes); ego in lane -2.
"""

from __future__ import annotations

from typing import Iterator

from scenarios.library.builder import (
    Concrete, ScenarioBuilder, at_time, environment_tags, fmt, kmh, lane, lane_change, lateral_shift, speed_action,
)
from scenarios.library.catalogs import bodies
from scenarios.library.paths import lane_point
from scenarios.library.typical_aeb import EGO_CAR, TARGET_CAR, _front, _rear

SRC = "UN Regulation No. 157 (ALKS), Annex 5 §4"
MAP = "highway_long"
EGO_S = 50.0


def _builder(sid: str, duration: float, description: str, ve: float, ego_lane: int = -2) -> ScenarioBuilder:
    b = ScenarioBuilder(sid, MAP, duration, description)
    gx, gy, _ = lane_point(MAP, 1, ego_lane, min(EGO_S + ve * duration + 50.0, 1495.0))
    b.ego(EGO_CAR, lane(1, ego_lane, EGO_S), ve, goal=(gx, gy, 4.0))
    return b


def _time_gap(v: float) -> float:
    """R157 §5.2.3.3 minimum time gap, linear between 1.6 s at 60 km/h and 2.0 s at 130 km/h."""
    return 1.6 + (max(min(v * 3.6, 130.0), 60.0) - 60.0) / 70.0 * 0.4


def cut_in() -> Iterator[Concrete]:
    for v in (60, 80, 100, 120, 130):
        for dv in (10, 20, 30):
            for case, gap, v_lat in (("avoidable", 30.0, 2.0), ("unavoidable", 10.0, 3.0)):
                for side, from_lane in (("left", -1), ("right", -3)):
                    ve, vt = kmh(v), kmh(v - dv)
                    t_cut = 3.0
                    # at t_cut the target's rear is ``gap`` ahead of the ego front
                    ego_front = EGO_S + _front(EGO_CAR) + ve * t_cut
                    target_s = ego_front + gap - _rear(TARGET_CAR) - vt * t_cut
                    duration = round(t_cut + 3.5 / v_lat + 6.0, 1)
                    sid = f"typ_alks_cutin_v{v}_dv{dv}_{case}_{side}"
                    b = _builder(sid, duration, f"ALKS cut-in ({case}): ego {v} km/h, target {v - dv} km/h from the {side}",
                                 ve)
                    b.vehicle("Target", TARGET_CAR, lane(1, from_lane, target_s), vt)
                    b.event("Target", "cut_in", lane_change(-2, 3.5 / v_lat), at_time(t_cut, "cut_in_time"))
                    yield b.concrete("typical", "ALKS_cut_in" if case == "avoidable" else "ALKS_cut_in_unavoidable", SRC,
                                     {"ego_speed_kmh": v, "target_speed_kmh": v - dv, "cut_in_gap_m": gap,
                                      "lateral_speed_mps": v_lat, "side": side},
                                     ["road:highway", "actor:vehicle", "maneuver:cut_in", "light:day", "weather:dry"],
                                     "alks" if case == "avoidable" else "alks_unavoidable")


def deceleration() -> Iterator[Concrete]:
    for v in (60, 80, 100, 130):
        for decel in (2.0, 4.0, 6.0, 8.0, 9.81):
            ve = kmh(v)
            gap = ve * _time_gap(ve)
            duration = round(2.0 + ve / decel + 6.0, 1)
            sid = f"typ_alks_decel_v{v}_d{fmt(decel)}"
            b = _builder(sid, duration, f"ALKS lead deceleration: {v} km/h, lead brakes {decel} m/s²", ve)
            b.vehicle("Lead", TARGET_CAR, lane(1, -2, EGO_S + _front(EGO_CAR) + gap - _rear(TARGET_CAR)), ve)
            b.event("Lead", "lead_brakes", speed_action(0.0, decel), at_time(2.0, "brake_time"))
            yield b.concrete("typical", "ALKS_lead_deceleration", SRC,
                             {"ego_speed_kmh": v, "lead_decel_mps2": decel, "time_gap_s": round(_time_gap(ve), 3)},
                             ["road:highway", "actor:vehicle", "maneuver:lead_braking", "light:day", "weather:dry"], "alks")


def cut_out() -> Iterator[Concrete]:
    for v in (60, 80, 100, 130):
        for obstacle in ("car", "pedestrian", "object"):
            for ttc in (2.0, 3.0):
                for night in (False, True):
                    ve = kmh(v)
                    gap = ve * _time_gap(ve)
                    lead_s = EGO_S + _front(EGO_CAR) + gap - _rear(TARGET_CAR)
                    t_out = 3.0
                    # the lead reaches ``ttc`` seconds from the obstacle at t_out
                    obstacle_s = lead_s + _front(TARGET_CAR) + ve * (t_out + ttc) + 1.0
                    duration = round(t_out + ttc + gap / ve + 6.0, 1)
                    dn = "night" if night else "day"
                    sid = f"typ_alks_cutout_v{v}_{obstacle}_ttc{fmt(ttc)}_{dn}"
                    b = _builder(sid, duration, f"ALKS cut-out: {v} km/h, stationary {obstacle} revealed at TTC {ttc} s", ve)
                    b.vehicle("Lead", TARGET_CAR, lane(1, -2, lead_s), ve)
                    b.event("Lead", "cut_out", lane_change(-1, 3.5 / 2.0), at_time(t_out, "cut_out_time"))
                    if obstacle == "car":
                        b.vehicle("Obstacle", "car_compact", lane(1, -2, obstacle_s - bodies()["car_compact"].center_x), 0.0)
                    elif obstacle == "pedestrian":
                        b.pedestrian("Obstacle", "adult", lane(1, -2, obstacle_s))
                    else:
                        b.misc("Obstacle", "obstacle", lane(1, -2, obstacle_s))
                    b.set_environment(night=night)
                    yield b.concrete("typical", "ALKS_cut_out", SRC,
                                     {"ego_speed_kmh": v, "obstacle": obstacle, "ttc_at_reveal_s": ttc, "light": dn},
                                     ["road:highway", "actor:vehicle", f"obstacle:{obstacle}", "maneuver:cut_out",
                                      *environment_tags(night, False)], "alks")


def generate() -> Iterator[Concrete]:
    yield from cut_in()
    yield from deceleration()
    yield from cut_out()


__all__ = ["generate", "lateral_shift"]
