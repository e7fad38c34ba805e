"""Cooperative (V2X) family: the day-one cooperative applications.

Application set and names: ETSI TR 102 638 V1.1.1 (Basic Set of Applications),
C2C-CC Day-1 use cases, SAE J2945/1 / CSAE 53-2017 (China, 17 day-one
applications): forward collision warning (FCW), intersection collision
warning (ICW), left-turn assist (LTA), blind-spot / lane-change warning (BSW),
do-not-pass warning (DNPW), emergency electronic brake light (EEBL), abnormal
vehicle warning (AVW), control-loss warning (CLW), emergency vehicle warning
(EVW), vulnerable road user collision warning (VRUCW), speed-limit warning
(SLW), hazardous location warning (HLW), red-light violation warning (RLVW),
green-light optimal speed advisory (GLOSA), in-vehicle signage (IVS) and
traffic-jam warning (TJW).

V2X is expressed in the simplatform convention (/work/notes/v2x_convention.md):
roadside units are ``pole`` MiscObjects with ``v2x.*`` properties, equipped
vehicles carry ``v2x.equipped``, event messages are ``simplatform.v2x``
CustomCommandActions; other players ignore them harmlessly.  The
``_sight_blocked`` logical variants hide the hazard behind a truck, a bus or
the road geometry until it is too late to see it: only the message reveals
it in time.  Each scenario varies the ego speed and the light.
"""

from __future__ import annotations

from typing import Iterator

from scenarios.library.builder import (
    EGO, Concrete, ScenarioBuilder, at_time, environment_tags, kmh, lane, lane_change, speed_action, timed_path,
    v2x_message, world,
)
from scenarios.library.paths import crossing, lane_point, route_path
from scenarios.library.typical_aeb import EGO_CAR, _front, _rear

SRC = "ETSI TR 102 638 (Basic Set of Applications); CSAE 53-2017 day-one applications"
HWY = "highway_long"


def _concrete(b: ScenarioBuilder, app: str, blocked: bool, params: dict, tags: list[str], req: str) -> Concrete:
    logical = f"V2X_{app}" + ("_sight_blocked" if blocked else "")
    return b.concrete("cooperative", logical, SRC, {"application": app, "sight_blocked": blocked, **params},
                      ["v2x:" + app, *(["occlusion:sight_blocked"] if blocked else []), *tags], req)


def highway_hazard(app: str, v: int, blocked: bool, night: bool) -> Concrete:
    """A hazard in the ego lane of highway_long road 1, reached after ~8 s at constant speed;
    the warning is sent at 1 s.  Sight-blocked: a truck 30 m ahead hides it and swerves right
    2.5 s before it would reach it."""
    ve = kmh(v)
    t_reach = 8.0
    ego_s = 50.0
    hazard_s = ego_s + _front(EGO_CAR) + ve * t_reach
    duration = round(t_reach + 6.0, 1)
    dn = "night" if night else "day"
    sid = f"v2x_{app.lower()}_v{v}_{'blocked' if blocked else 'open'}_{dn}"
    b = ScenarioBuilder(sid, HWY, duration, f"{app}: hazard ahead at {v} km/h ({'sight-blocked' if blocked else 'visible'})")
    gx, gy, _ = lane_point(HWY, 1, -2, min(hazard_s + 300.0, 1490.0))
    b.ego(EGO_CAR, lane(1, -2, ego_s), ve, goal=(gx, gy, 4.0), v2x=True)
    hx, hy, _ = lane_point(HWY, 1, -2, hazard_s)
    cause = {"FCW": "stationary_vehicle", "EEBL": "emergency_braking", "AVW": "slow_vehicle", "HLW": "obstacle_on_road",
             "TJW": "traffic_jam", "CLW": "loss_of_control"}[app]
    message = "BSM" if app == "FCW" else "DENM"
    sender = "Hazard"
    if app in ("FCW", "AVW"):
        b.vehicle("Hazard", "car_compact", lane(1, -2, hazard_s - _rear("car_compact")), 0.0 if app == "FCW" else kmh(20),
                  v2x=True, properties={"simplatform.hazard_lights": "on"})
    elif app == "EEBL":
        lead_s = hazard_s + ve * 2.0
        b.vehicle("Hazard", "car_sedan", lane(1, -2, lead_s - _rear("car_sedan")), ve, v2x=True)
        b.event("Hazard", "emergency_brake", speed_action(0.0, 8.0), at_time(1.0, "brake_time"))
    elif app == "HLW":
        b.misc("Hazard", "obstacle", lane(1, -2, hazard_s))
        sender = "RSU"
        b.rsu("RSU", world(hx - 100.0, hy - 8.0))
    elif app == "TJW":
        for k, ln in enumerate((-1, -2, -3)):
            for j in range(2):
                b.vehicle(f"Queue{k}{j}", "car_sedan", lane(1, ln, hazard_s + 8.0 * j - _rear("car_sedan")), 0.0,
                          v2x=(k == 1 and j == 0))
        sender = "Queue10"
    elif app == "CLW":
        skid_s = hazard_s - 10.0
        b.vehicle("Hazard", "car_compact", lane(1, -3, skid_s), 0.0, v2x=True)
        b.event("Hazard", "skid_into_lane", lane_change(-2, 1.5), at_time(1.0, "skid_time"))
    if blocked:
        truck_s = ego_s + _front(EGO_CAR) + 30.0 - _rear("truck")
        b.vehicle("Truck", "truck", lane(1, -2, truck_s), ve)
        # the truck reaches 2.5 s from the hazard at (hazard_s - truck front - 2.5 ve) / ve
        t_swerve = max((hazard_s - (truck_s + _front("truck")) - 2.5 * ve) / ve, 1.5)
        b.event("Truck", "swerve_right", lane_change(-3, 2.0), at_time(t_swerve, "swerve_time"))
    b.world_event("warning", v2x_message(sender, message, app, cause, position=(hx, hy), validity_s=30.0),
                  at_time(1.0 if app != "EEBL" else 1.05, "warning_time"))
    b.set_environment(night=night)
    return _concrete(b, app, blocked, {"ego_speed_kmh": v, "light": dn},
                     ["road:highway", "actor:vehicle", *environment_tags(night, False)], "cooperative_warning")


def emergency_vehicle(v: int, lane_id: int, night: bool) -> Concrete:
    """EVW: an ambulance closes in from behind in the ego lane at ego + 40 km/h; warning at 1 s."""
    ve = kmh(v)
    duration = 16.0
    dn = "night" if night else "day"
    sid = f"v2x_evw_v{v}_l{abs(lane_id)}_{dn}"
    b = ScenarioBuilder(sid, HWY, duration, f"EVW: ambulance approaching from behind at {v + 40} km/h")
    ego_s = 200.0
    gx, gy, _ = lane_point(HWY, 1, lane_id, min(ego_s + ve * duration + 50.0, 1490.0))
    b.ego(EGO_CAR, lane(1, lane_id, ego_s), ve, goal=(gx, gy, 4.0), v2x=True)
    b.vehicle("Ambulance", "ambulance", lane(1, lane_id, ego_s - 150.0), ve + kmh(40), v2x=True,
              properties={"simplatform.siren": "on"})
    b.world_event("warning", v2x_message("Ambulance", "DENM", "EVW", "emergency_vehicle_approaching", entity="Ambulance",
                                         validity_s=20.0), at_time(1.0, "warning_time"))
    b.set_environment(night=night)
    return _concrete(b, "EVW", False, {"ego_speed_kmh": v, "ego_lane": lane_id, "light": dn},
                     ["road:highway", "actor:emergency_vehicle", *environment_tags(night, False)], "cooperative_warning")


def blind_spot(v: int, dv: int, night: bool) -> Concrete:
    """BSW: the ego must move right to take the exit (route), a car sits in its right blind spot."""
    ve = kmh(v)
    duration = 18.0
    dn = "night" if night else "day"
    sid = f"v2x_bsw_v{v}_dv{dv}_{dn}"
    b = ScenarioBuilder(sid, HWY, duration, f"BSW: car in the right blind spot while heading for the exit")
    gx, gy, _ = lane_point(HWY, 6, -1, 290.0)
    ego_s = 1250.0 - ve * 12.0
    b.ego(EGO_CAR, lane(4, -2, ego_s), ve, goal=(gx, gy, 5.0), v2x=True,
          route=[lane(4, -2, ego_s), lane(6, -1, 290.0)])
    b.vehicle("Blind", "car_compact", lane(4, -3, ego_s - 3.5), ve + kmh(dv), v2x=True)
    b.world_event("warning", v2x_message("Blind", "BSM", "BSW", "vehicle_in_blind_spot", entity="Blind", validity_s=5.0),
                  at_time(1.0, "warning_time"))
    b.set_environment(night=night)
    return _concrete(b, "BSW", False, {"ego_speed_kmh": v, "relative_speed_kmh": dv, "light": dn},
                     ["road:highway", "actor:vehicle", "maneuver:lane_change", *environment_tags(night, False)],
                     "cooperative_warning")


def do_not_pass(v: int, blocked: bool, night: bool) -> Concrete:
    """DNPW: behind a slow truck on rural_curves; an oncoming car comes round the curve."""
    ve = kmh(v)
    duration = 14.0
    dn = "night" if night else "day"
    sid = f"v2x_dnpw_v{v}_{'blocked' if blocked else 'open'}_{dn}"
    b = ScenarioBuilder(sid, "rural_curves", duration, "DNPW: slow truck ahead, oncoming car in the passing zone")
    gx, gy, _ = lane_point("rural_curves", 1, -1, 530.0)
    # the ego follows the truck at its speed; ``v`` is the speed it would pass at
    vt = kmh(max(v - 30, 30))
    b.ego(EGO_CAR, lane(1, -1, 5.0), vt, goal=(gx, gy, 4.0), v2x=True)
    b.vehicle("Truck", "truck", lane(1, -1, 5.0 + _front(EGO_CAR) + 20.0 - _rear("truck")), vt)
    # the oncoming car: in the curve (hidden) or on the straight (visible), 10 s away
    b.vehicle("Oncoming", "car_sedan", world(*lane_point("rural_curves", 1, 1, 330.0 if blocked else 200.0)), kmh(80), v2x=True)
    b.world_event("warning", v2x_message("Oncoming", "BSM", "DNPW", "oncoming_vehicle_in_passing_zone", entity="Oncoming",
                                         validity_s=10.0), at_time(1.0, "warning_time"))
    b.set_environment(night=night)
    return _concrete(b, "DNPW", blocked, {"ego_speed_kmh": v, "light": dn},
                     ["road:rural", "actor:truck", "traffic:oncoming", *environment_tags(night, False)], "cooperative_warning")


def junction_app(app: str, v: int, vt: int, blocked: bool, night: bool) -> Concrete:
    """ICW (crossing from the right) and LTA (ego turning left, oncoming straight) on junction_4way,
    timed to conflict at 5 s; sight-blocked: a bus parked on the corner / an oncoming left-turning truck."""
    m = "junction_4way"
    if app == "ICW":
        ego_r, tgt_r = ((1, -1, 2.0), (3, -1, 60.0)), ((2, -1, 2.0), (4, -1, 60.0))
    else:
        ego_r, tgt_r = ((1, -1, 2.0), (4, -1, 60.0)), ((3, 1, 98.0), (1, 1, 40.0))
    ep, tp = route_path(m, *ego_r), route_path(m, *tgt_r)
    de, dtg = crossing(ep, tp)
    ve, vv = kmh(v), kmh(vt)
    t_c = 5.0
    dn = "night" if night else "day"
    sid = f"v2x_{app.lower()}_e{v}_t{vt}_{'blocked' if blocked else 'open'}_{dn}"
    b = ScenarioBuilder(sid, m, t_c + 4.0, f"{app}: ego {v} km/h, other {vt} km/h")
    ex, ey, eh = ep.at(de - ve * t_c - _front(EGO_CAR))
    gx, gy, _ = ep.at(ep.length - 3.0)
    b.ego(EGO_CAR, world(ex, ey, eh), ve, goal=(gx, gy, 4.0), v2x=True,
          route=[lane(*ego_r[0][:2], ego_r[0][2]), lane(*ego_r[1][:2], ego_r[1][2])])
    tx, ty, th = tp.at(dtg - vv * t_c - _front("car_compact"))
    b.vehicle("Crossing", "car_compact", world(tx, ty, th), vv, v2x=True,
              route=[lane(*tgt_r[0][:2], tgt_r[0][2]), lane(*tgt_r[1][:2], tgt_r[1][2])])
    if blocked and app == "ICW":
        b.vehicle("ParkedBus", "bus", lane(2, -2, 85.0), 0.0)   # on the south approach's outer lane, at the corner
    elif blocked:
        b.vehicle("OncomingTruck", "truck", world(*lane_point(m, 3, 2, 90.0)), 0.0)  # waiting to turn left
    b.rsu("RSU", world(100.0, 25.0), perception=True)
    b.world_event("warning", v2x_message("RSU", "RSM" if blocked else "BSM", app, "crossing_traffic", entity="Crossing",
                                         validity_s=10.0), at_time(1.0, "warning_time"))
    b.set_environment(night=night)
    return _concrete(b, app, blocked, {"ego_speed_kmh": v, "other_speed_kmh": vt, "light": dn},
                     ["road:urban", "junction:4way", "actor:vehicle", *environment_tags(night, False)], "cooperative_warning")


def vru_warning(v: int, blocked: bool, night: bool) -> Concrete:
    """VRUCW: a pedestrian crosses (5 km/h) from behind a parked bus; the RSU's perception
    broadcast warns the ego; conflict at 4 s at the ego's centre."""
    m, road, s_c = "urban_corridor", 2, 200.0
    ve, vp = kmh(v), kmh(5)
    xc, yc, _ = lane_point(m, road, -1, s_c)
    start, end = (xc, yc - 4.5), (xc, yc + 6.0)
    t_start = 4.0 - 4.5 / vp
    dn = "night" if night else "day"
    sid = f"v2x_vrucw_v{v}_{'blocked' if blocked else 'open'}_{dn}"
    b = ScenarioBuilder(sid, m, 7.0, f"VRUCW: pedestrian crossing at {v} km/h")
    gx, gy, _ = lane_point(m, road, -1, 272.0)
    b.ego(EGO_CAR, lane(road, -1, s_c - ve * 4.0 - _front(EGO_CAR)), ve, goal=(gx, gy, 3.0), v2x=True)
    b.pedestrian("Pedestrian", "adult", world(*start, 1.5708))
    b.event("Pedestrian", "cross", timed_path("crossing_path", [(*start, 1.5708), (*end, 1.5708)],
                                              [t_start, t_start + 10.5 / vp]), at_time(0.0, "start"))
    if blocked:
        b.vehicle("ParkedBus", "bus", lane(road, -1, s_c - 14.0, -2.6), 0.0)
    b.rsu("RSU", world(xc + 10.0, yc - 7.0), perception=True)
    b.world_event("warning", v2x_message("RSU", "RSM", "VRUCW", "pedestrian_crossing", entity="Pedestrian", validity_s=8.0),
                  at_time(max(t_start - 1.0, 0.5), "warning_time"))
    b.set_environment(night=night)
    return _concrete(b, "VRUCW", blocked, {"ego_speed_kmh": v, "light": dn},
                     ["road:urban", "actor:pedestrian", *environment_tags(night, False)], "cooperative_warning")


def advisory(app: str, v: int, night: bool, variant: int) -> Concrete:
    """SLW (130 → 100 zone on highway_long), IVS (road works 30 km/h on urban_corridor road 3)
    and GLOSA (urban_grid junction 100, SPaT from the RSU, red at arrival unless slowed)."""
    dn = "night" if night else "day"
    ve = kmh(v)
    sid = f"v2x_{app.lower()}_v{v}_{variant}_{dn}"
    if app == "SLW":
        b = ScenarioBuilder(sid, HWY, 20.0, f"SLW: {v} km/h into the 100 km/h zone")
        gx, gy, _ = lane_point(HWY, 3, -2, 250.0)
        b.ego(EGO_CAR, lane(2, -(variant % 3) - 1, 1500.0 - ve * 10.0), ve, goal=(gx, gy, 4.0), v2x=True)
        b.rsu("RSU", world(*lane_point(HWY, 2, -3, 1400.0, -4.0)[:2]))
        b.world_event("ivi", v2x_message("RSU", "IVI", "SLW", "speed_limit", position=lane_point(HWY, 3, -2, 20.0)[:2],
                                         validity_s=60.0, payload={"speed_limit_kmh": 100}), at_time(1.0, "ivi_time"))
        req, tags = "cooperative_advisory", ["road:highway", "feature:speed_limit"]
    elif app == "IVS":
        m = "urban_corridor"
        b = ScenarioBuilder(sid, m, 24.0, f"IVS: road works 30 km/h ahead at {v} km/h")
        gx, gy, _ = lane_point(m, 3, -1, 260.0)
        b.ego(EGO_CAR, lane(2, -1, 276.0 - ve * 8.0), ve, goal=(gx, gy, 4.0), v2x=True,
              route=[lane(2, -1, 276.0 - ve * 8.0), lane(3, -1, 260.0)])
        for k in range(3 + variant):
            b.misc(f"Cone{k + 1}", "cone", lane(3, -1, 80.0 + 8.0 * k, -1.4))
        b.rsu("RSU", world(*lane_point(m, 3, -1, 60.0, -4.0)[:2]))
        b.world_event("ivi", v2x_message("RSU", "IVI", "IVS", "road_works", position=lane_point(m, 3, -1, 80.0)[:2],
                                         validity_s=60.0, payload={"sign": "DE123", "speed_limit_kmh": 30}),
                      at_time(1.0, "ivi_time"))
        req, tags = "cooperative_advisory", ["road:urban", "feature:road_works"]
    else:  # GLOSA
        m = "urban_grid"
        cycle = (40.0, 60.0, 80.0)[variant % 3]
        from scenarios.library.signals import two_phase_plan

        b = ScenarioBuilder(sid, m, 30.0, f"GLOSA: {v} km/h towards a signal turning red, cycle {cycle:g} s")
        # ego on road 1 driving west towards junction 100 (lane 1), arrives at ~10 s
        gx, gy, _ = lane_point(m, 11, -1, 60.0)
        b.ego(EGO_CAR, world(*lane_point(m, 1, 1, min(ve * 10.0, 120.0))), ve, goal=(gx, gy, 4.0), v2x=True,
              route=[lane(1, 1, min(ve * 10.0, 120.0)), lane(11, -1, 60.0)])
        b.signal_controller("plan_100", two_phase_plan(["light_1", "light_11"], ["light_3", "light_12"], cycle,
                                                        offset=(cycle - 12.0 + 8.0 * (variant // 3)) % cycle))
        b.rsu("RSU", world(-10.0, 15.0), spat=["1", "2"])
        b.world_event("spat", v2x_message("RSU", "SPAT", "GLOSA", "signal_phase", position=(0.0, 0.0), validity_s=30.0,
                                          payload={"controller": "plan_100", "cycle_s": cycle}), at_time(0.5, "spat_time"))
        req, tags = "cooperative_signal", ["road:urban", "junction:signalised"]
    b.set_environment(night=night)
    return _concrete(b, app, False, {"ego_speed_kmh": v, "variant": variant, "light": dn},
                     [*tags, *environment_tags(night, False)], req)


def red_light(v: int, vt: int, blocked: bool, night: bool) -> Concrete:
    """RLVW: the ego has green at urban_grid junction 100; a car from the south runs its red
    (timed to conflict at 6 s); the RSU's SPaT and the violator's BSM reveal it."""
    from scenarios.library.signals import GREEN, RED

    m = "urban_grid"
    ego_r, tgt_r = ((1, 1, 120.0), (11, -1, 60.0)), ((12, 1, 70.0), (3, -1, 60.0))
    ep, tp = route_path(m, *ego_r), route_path(m, *tgt_r)
    de, dtg = crossing(ep, tp)
    ve, vv = kmh(v), kmh(vt)
    t_c = 6.0
    dn = "night" if night else "day"
    sid = f"v2x_rlvw_e{v}_t{vt}_{'blocked' if blocked else 'open'}_{dn}"
    b = ScenarioBuilder(sid, m, t_c + 4.0, f"RLVW: ego {v} km/h on green, violator {vt} km/h on red")
    ex, ey, eh = ep.at(de - ve * t_c - _front(EGO_CAR))
    gx, gy, _ = ep.at(ep.length - 3.0)
    b.ego(EGO_CAR, world(ex, ey, eh), ve, goal=(gx, gy, 4.0), v2x=True,
          route=[lane(*ego_r[0][:2], ego_r[0][2]), lane(*ego_r[1][:2], ego_r[1][2])])
    tx, ty, th = tp.at(dtg - vv * t_c - _front("car_compact"))
    b.vehicle("Violator", "car_compact", world(tx, ty, th), vv, v2x=True,
              route=[lane(*tgt_r[0][:2], tgt_r[0][2]), lane(*tgt_r[1][:2], tgt_r[1][2])])
    if blocked:
        b.vehicle("WaitingVan", "car_suv", world(*lane_point(m, 12, 1, 4.0)), 0.0)  # not relevant to sight only
        b.vehicle("ParkedTruck", "truck", world(*lane_point(m, 1, 1, 40.0, 2.6)), 0.0)
    b.signal_controller("plan_100", [("ew_green", 30.0, {"light_1": GREEN, "light_11": GREEN, "light_3": RED, "light_12": RED})])
    b.rsu("RSU", world(-10.0, 15.0), spat=["1", "2"], perception=True)
    b.world_event("warning", v2x_message("RSU", "DENM", "RLVW", "red_light_violation", entity="Violator", validity_s=10.0),
                  at_time(2.0, "warning_time"))
    b.set_environment(night=night)
    return _concrete(b, "RLVW", blocked, {"ego_speed_kmh": v, "violator_speed_kmh": vt, "light": dn},
                     ["road:urban", "junction:signalised", "actor:vehicle", *environment_tags(night, False)],
                     "cooperative_warning")


def generate() -> Iterator[Concrete]:
    days = (False, True)
    for app in ("FCW", "EEBL", "AVW", "HLW", "TJW", "CLW"):
        for v in (80, 100, 120):
            for blocked in (False, True):
                for night in days:
                    yield highway_hazard(app, v, blocked, night)
    for v in (80, 100, 120):
        for lane_id in (-1, -2):
            for night in days:
                yield emergency_vehicle(v, lane_id, night)
    for v in (80, 100, 120):
        for dv in (0, 10):
            for night in days:
                yield blind_spot(v, dv, night)
    for v in (60, 80):
        for blocked in (False, True):
            for night in days:
                yield do_not_pass(v, blocked, night)
    for app in ("ICW", "LTA"):
        for v, vt in ((20, 40), (30, 50), (40, 40)):
            for blocked in (False, True):
                for night in days:
                    yield junction_app(app, v, vt, blocked, night)
    for v in (30, 40, 50):
        for blocked in (False, True):
            for night in days:
                yield vru_warning(v, blocked, night)
    for app, speeds in (("SLW", (120, 130, 140)), ("IVS", (40, 50)), ("GLOSA", (40, 50))):
        for v in speeds:
            for variant in range(3 if app != "GLOSA" else 6):
                for night in days:
                    yield advisory(app, v, night, variant)
    for v, vt in ((40, 40), (50, 50), (40, 60)):
        for blocked in (False, True):
            for night in days:
                yield red_light(v, vt, blocked, night)


__all__ = ["generate", "EGO"]
