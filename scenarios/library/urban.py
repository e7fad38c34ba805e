"""Urban family: junctions, roundabouts, crossings, bus stops, occlusions, U-turns, dense traffic.

Sources: the pre-crash typology of Najm et al. 2007 (NHTSA DOT HS 810 767:
left turn across path / opposite direction, straight crossing paths, turning
right with a cyclist alongside, pedestrian crossing), the GIDAS-based urban
conflict types of the German in-depth accident study (Unfalltyp 2xx turning,
3xx turning-into/crossing, 4xx pedestrian crossing, 6xx longitudinal traffic)
and traffic rules StVO §8 (priority to the right at unmarked junctions),
§9 (turning: yield to oncoming and to cyclists going straight), §20 (bus
stops), §26 (zebra crossings).  Conflicts are timed so they occur if the ego
keeps its speed; every requirement set here checks ``goal_reached``, so each
time-out is at least ``builder.goal_time_limit`` of the ego's route distance
to its goal (1.5 × the constant-speed time + 10 s: room to yield); dense traffic uses the driver-model controllers of the
catalog (IDM/MOBIL, vehicle_models.drivers).
"""

from __future__ import annotations

import math
from typing import Iterator

from scenarios.library.builder import (
    Concrete, ScenarioBuilder, at_time, environment_tags, goal_time_limit, kmh, lane, speed_action, timed_path, world,
)
from scenarios.library.paths import crossing, lane_point, route_path
from scenarios.library.signals import GREEN, RED
from scenarios.library.typical_aeb import EGO_CAR, _front, _rear

SRC_NAJM = "Najm et al. 2007, NHTSA pre-crash scenario typology (DOT HS 810 767)"
SRC_STVO = "StVO §8/§9/§20/§26 traffic rules; GIDAS accident types 2xx–4xx"


def _wp(r: tuple):
    return lane(r[0], r[1], r[2])


def _timed_pair(b: ScenarioBuilder, m: str, ego_r: tuple, other_r: tuple, ve: float, vo: float, t_c: float,
                other: str, entry: str, lag: float = 0.0) -> None:
    """Ego and ``other`` placed on their routes so both fronts reach the paths' crossing at
    ``t_c`` (+``lag`` s later for the other) at constant speed."""
    ep, op = route_path(m, *ego_r), route_path(m, *other_r)
    de, do = crossing(ep, op)
    d0 = min(max(de - ve * t_c - _front(EGO_CAR), 0.0), ep.length)   # Path.at clamps the same way
    ex, ey, eh = ep.at(d0)
    gx, gy, _ = ep.at(ep.length - 3.0)
    b.ego(EGO_CAR, world(ex, ey, eh), ve, goal=(gx, gy, 4.0), route=[_wp(ego_r[0]), _wp(ego_r[1])],
          goal_distance=ep.length - 3.0 - d0)
    ox, oy, oh = op.at(do - vo * (t_c + lag) - _front(entry))
    b.vehicle(other, entry, world(ox, oy, oh), vo, route=[_wp(other_r[0]), _wp(other_r[1])])


def signalised_left(protected: bool, v: int, vo: int, lag: float, night: bool) -> Concrete:
    """urban_grid junction 100: the ego (from the east, road 1 lane 1) turns left to the south
    (road 12); an oncoming car from the west (road 11) goes straight.  Protected: the oncoming
    approach has red; unprotected: both green, the oncoming car arrives ``lag`` s after the ego."""
    m = "urban_grid"
    kind = "protected" if protected else "unprotected"
    dn = "night" if night else "day"
    sid = f"urb_left_{kind}_v{v}_o{vo}_lag{int(lag)}_{dn}"
    b = ScenarioBuilder(sid, m, 14.0, f"Signalised {kind} left turn: ego {v} km/h, oncoming {vo} km/h")
    _timed_pair(b, m, ((1, 1, 120.0), (12, -1, 50.0)), ((11, 1, 70.0), (1, -1, 60.0)), kmh(v), kmh(vo), 6.0,
                "Oncoming", "car_sedan", lag)
    oncoming_state = RED if protected else GREEN
    b.signal_controller("plan_100", [("phase", 60.0, {"light_1": GREEN, "light_11": oncoming_state,
                                                        "light_3": RED, "light_12": RED})])
    b.set_environment(night=night)
    return b.concrete("urban", f"URB_{kind}_left_turn", SRC_NAJM,
                      {"ego_speed_kmh": v, "oncoming_speed_kmh": vo, "oncoming_lag_s": lag, "light": dn},
                      ["road:urban", "junction:signalised", "junction:4way", "maneuver:left_turn", "actor:vehicle",
                       *environment_tags(night, False)], "urban_junction")


def right_turn_cyclist(v: int, vc: int, lag: float, night: bool) -> Concrete:
    """junction_4way: the ego turns right from road 1 (lane -2) to road 2 (south); a cyclist on
    the ego's right goes straight on (road 1 → road 3) and reaches the conflict ``lag`` s after the ego."""
    m = "junction_4way"
    dn = "night" if night else "day"
    sid = f"urb_right_cyclist_v{v}_c{vc}_lag{lag:g}_{dn}".replace(".", "p").replace("-", "m")
    b = ScenarioBuilder(sid, m, 12.0, f"Right turn with a cyclist going straight: ego {v}, cyclist {vc} km/h")
    _timed_pair(b, m, ((1, -2, 2.0), (2, 1, 60.0)), ((1, -2, 2.0), (3, -2, 60.0)), kmh(v), kmh(vc), 5.0,
                "Cyclist", "bicycle", lag)
    b.set_environment(night=night)
    return b.concrete("urban", "URB_right_turn_crossing_cyclist", SRC_STVO,
                      {"ego_speed_kmh": v, "cyclist_speed_kmh": vc, "cyclist_lag_s": lag, "light": dn},
                      ["road:urban", "junction:4way", "maneuver:right_turn", "actor:cyclist",
                       *environment_tags(night, False)], "urban_vru")


def unsignalised_crossing(junction: str, v: int, vo: int, lag: float) -> Concrete:
    """Straight crossing at an unsignalised junction (priority to the right, StVO §8):
    4-way: the other car comes from the ego's right (road 2, south); T: the ego leaves the
    stem road (junction_t road 2) turning left into traffic from the right (road 3)."""
    if junction == "4way":
        m, ego_r, other_r, tag = "junction_4way", ((1, -1, 2.0), (3, -1, 60.0)), ((2, -1, 2.0), (4, -1, 60.0)), "junction:4way"
        logical = "URB_unsignalised_4way_crossing"
    else:
        m, ego_r, other_r, tag = "junction_t", ((2, 1, 98.0), (1, 1, 40.0)), ((3, 1, 98.0), (1, 1, 40.0)), "junction:3way"
        logical = "URB_unsignalised_T_turn_into_traffic"
    sid = f"urb_unsig_{junction}_v{v}_o{vo}_lag{lag:g}".replace(".", "p").replace("-", "m")
    b = ScenarioBuilder(sid, m, 12.0, f"Unsignalised {junction} junction: ego {v}, other {vo} km/h, lag {lag} s")
    _timed_pair(b, m, ego_r, other_r, kmh(v), kmh(vo), 5.0, "Other", "car_compact", lag)
    return b.concrete("urban", logical, SRC_STVO, {"ego_speed_kmh": v, "other_speed_kmh": vo, "other_lag_s": lag},
                      ["road:urban", tag, "junction:unsignalised", "actor:vehicle", "light:day", "weather:dry"],
                      "urban_junction")


def roundabout_entry(v: int, vo: int, lag: float, exit_arm: int) -> Concrete:
    """roundabout: the ego enters from the east arm (road 11) and leaves at ``exit_arm``; a car
    circulating on the ring reaches the ego's entry point ``lag`` s after the ego."""
    m = "roundabout"
    dest = {12: (12, -1, 60.0), 13: (13, -1, 60.0), 14: (14, -1, 60.0)}[exit_arm]
    sid = f"urb_roundabout_v{v}_o{vo}_lag{lag:g}_x{exit_arm}".replace(".", "p").replace("-", "m")
    b = ScenarioBuilder(sid, m, 16.0, f"Roundabout entry: ego {v} km/h, circulating {vo} km/h, lag {lag} s")
    _timed_pair(b, m, ((11, 1, 70.0), dest), ((4, -1, 2.0), (1, -1, 15.0)), kmh(v), kmh(vo), 5.0, "Circulating",
                "car_compact", lag)
    return b.concrete("urban", "URB_roundabout_entry", SRC_STVO,
                      {"ego_speed_kmh": v, "circulating_speed_kmh": vo, "lag_s": lag, "exit_arm": exit_arm},
                      ["road:urban", "junction:roundabout", "actor:vehicle", "light:day", "weather:dry"], "urban_junction")


BUS_MIN_DWELL_S = 15.0       # TCQSM 3rd ed. ch. 6 default dwell: 15 s at outlying stops (60 s downtown)
DENSE_GOAL_S = 15.0          # urban_grid road 13 s of the dense-traffic goal
DENSE_CYCLIST_KMH = 15       # the first cyclist ahead in the ego lane: the ego may have to follow it
                             # (passing needs 1.5 m clearance, StVO §5(4), not there with oncoming traffic)


def _avenue_ego(b: ScenarioBuilder, s_event: float, ve: float, t_event: float, road: int = 2) -> None:
    gx, gy, _ = lane_point("urban_corridor", road, -1, 272.0)
    s0 = max(s_event - ve * t_event - _front(EGO_CAR), 1.0)
    b.ego(EGO_CAR, lane(road, -1, s0), ve, goal=(gx, gy, 3.0), goal_distance=272.0 - s0)


def zebra(v: int, n: int, vp: float, night: bool) -> Concrete:
    """Pedestrians (``n``, 0.8 s apart) cross a zebra on urban_corridor road 2 at s = 200; the
    first steps onto the ego lane 2 s before the ego would pass (StVO §26: yield)."""
    m = "urban_corridor"
    ve, vpm = kmh(v), kmh(vp)
    dn = "night" if night else "day"
    sid = f"urb_zebra_v{v}_n{n}_p{vp:g}_{dn}".replace(".", "p")
    b = ScenarioBuilder(sid, m, 12.0, f"Zebra crossing: ego {v} km/h, {n} pedestrians at {vp} km/h")
    _avenue_ego(b, 200.0, ve, 5.0)
    xc, yc, _ = lane_point(m, 2, -1, 200.0)
    for k in range(n):
        start, end = (xc + 1.0 * k, yc - 4.5), (xc + 1.0 * k, yc + 8.0)
        t0 = 5.0 - 2.0 - 2.75 / vpm + 0.8 * k
        b.pedestrian(f"Pedestrian{k + 1}", "adult" if k % 3 != 2 else "child", world(*start, math.pi / 2))
        b.event(f"Pedestrian{k + 1}", "cross", timed_path(f"zebra_{k + 1}", [(*start, math.pi / 2), (*end, math.pi / 2)],
                                                         [t0, t0 + 12.5 / vpm]), at_time(0.0, "start"))
    b.set_environment(night=night)
    return b.concrete("urban", "URB_pedestrian_crossing", SRC_STVO,
                      {"ego_speed_kmh": v, "pedestrians": n, "pedestrian_speed_kmh": vp, "light": dn},
                      ["road:urban", "feature:crosswalk", "actor:pedestrian", *environment_tags(night, False)], "urban_vru")


def bus_stop(v: int, passengers: int, oncoming: bool) -> Concrete:
    """A bus stopped at a stop in the ego lane (road 2, s = 150); passengers cross in front of it
    (StVO §20: pass a stopped bus at walking speed); optional oncoming car in lane 1."""
    m = "urban_corridor"
    ve = kmh(v)
    sid = f"urb_busstop_v{v}_p{passengers}_{'oncoming' if oncoming else 'free'}"
    b = ScenarioBuilder(sid, m, 18.0, f"Bus stop: ego {v} km/h, {passengers} passengers crossing")
    _avenue_ego(b, 150.0, ve, 7.0)
    b.vehicle("Bus", "bus", lane(2, -1, 150.0 - _rear("bus"), -0.4), 0.0, properties={"simplatform.hazard_lights": "on"})
    xf, yf, _ = lane_point(m, 2, -1, 150.0 + _front("bus") - _rear("bus") + 2.0)
    for k in range(passengers):
        start, end = (xf + 0.7 * k, yf - 3.0), (xf + 0.7 * k, yf + 8.0)
        t0 = 4.0 + 1.5 * k
        b.pedestrian(f"Passenger{k + 1}", "adult", world(*start, math.pi / 2))
        b.event(f"Passenger{k + 1}", "cross", timed_path(f"cross_{k + 1}", [(*start, math.pi / 2), (*end, math.pi / 2)],
                                                        [t0, t0 + 11.0 / kmh(5)]), at_time(0.0, "start"))
    # the bus leaves once its passengers are across (or after a minimum dwell): a stack may pass
    # it or wait behind it; waiting is part of the goal time-out
    t_depart = max(BUS_MIN_DWELL_S, (4.0 + 1.5 * (passengers - 1) + 11.0 / kmh(5) + 1.0) if passengers else 0.0)
    b.event("Bus", "depart", speed_action(kmh(30), 1.0), at_time(t_depart, "dwell_over"))
    b.duration = max(b.duration, round(t_depart + goal_time_limit(272.0 - 150.0, kmh(30)), 1))
    if oncoming:
        b.vehicle("Oncoming", "car_sedan", world(*lane_point(m, 2, 1, 260.0)), kmh(40))
    return b.concrete("urban", "URB_bus_stop", SRC_STVO,
                      {"ego_speed_kmh": v, "passengers": passengers, "oncoming": oncoming},
                      ["road:urban", "feature:bus_stop", "actor:bus", "actor:pedestrian", "occlusion:bus",
                       *(["traffic:oncoming"] if oncoming else []), "light:day", "weather:dry"], "urban_vru")


def parked_pull_out(v: int, gap: float, speed: int, night: bool) -> Concrete:
    """A car pulls out of the parking bays of urban_corridor road 3 between parked cars, ``gap`` m
    ahead of the ego front (GIDAS type 5xx, parking traffic)."""
    m = "urban_corridor"
    ve = kmh(v)
    dn = "night" if night else "day"
    sid = f"urb_pullout_v{v}_g{gap:g}_s{speed}_{dn}"
    b = ScenarioBuilder(sid, m, 12.0, f"Pull-out between parked cars: ego {v} km/h, gap {gap} m")
    t_pull = 3.0
    s_pull = 120.0
    gx, gy, _ = lane_point(m, 3, -1, 270.0)
    ego_s = max(s_pull - gap - _front(EGO_CAR) - ve * t_pull, 1.0)
    b.ego(EGO_CAR, lane(3, -1, ego_s), ve, goal=(gx, gy, 3.0), goal_distance=270.0 - ego_s)
    bay = -(3.5 + 2.0 + 1.25) + 1.75
    for k, entry in enumerate(("car_suv", "car_compact", "car_sedan")):
        b.vehicle(f"Parked{k + 1}", entry, lane(3, -1, s_pull - 14.0 + 7.0 * k + (7.0 if k else 0.0), bay), 0.0)
    b.vehicle("PullOut", "car_compact", lane(3, -1, s_pull, bay + 0.8), 0.0)
    from scenarios.library.builder import lane_change

    b.event("PullOut", "pull_out", [speed_action(kmh(speed), 2.0), lane_change(-1, 2.5)], at_time(t_pull, "pull_time"))
    # once in the lane it drives on like town traffic (40 km/h at 1.5 m/s²) rather than crawling
    # ahead of the ego to its goal at the pull-out speed
    b.event("PullOut", "drive_on", speed_action(kmh(40), 1.5), at_time(t_pull + 3.0, "joined"))
    b.set_environment(night=night)
    return b.concrete("urban", "URB_parked_car_pull_out", SRC_STVO,
                      {"ego_speed_kmh": v, "gap_m": gap, "pull_out_speed_kmh": speed, "light": dn},
                      ["road:urban", "occlusion:parked_cars", "actor:vehicle", "feature:parking",
                       *environment_tags(night, False)], "urban_traffic")


def u_turn(v: int, gap: float, radius: float) -> Concrete:
    """An oncoming car makes a U-turn mid-block across the ego's path (GIDAS type 24x),
    starting when the ego front is ``gap`` m away from its turning point."""
    m = "urban_corridor"
    ve = kmh(v)
    sid = f"urb_uturn_v{v}_g{gap:g}_r{radius:g}"
    b = ScenarioBuilder(sid, m, 14.0, f"U-turn across the ego's path: ego {v} km/h, gap {gap} m")
    s_turn, t_start = 180.0, 3.0
    gx, gy, _ = lane_point(m, 4, -1, 270.0)
    s0 = max(s_turn - gap - _front(EGO_CAR) - ve * t_start, 1.0)
    b.ego(EGO_CAR, lane(4, -1, s0), ve, goal=(gx, gy, 3.0), goal_distance=270.0 - s0)
    x1, y1, _ = lane_point(m, 4, 1, s_turn)          # the U-turning car's lane (westbound, y = +1.75)
    vu = kmh(15)
    # the approach to the turning point: 20 m, or what the car covers by t_start if less -- the path
    # starts at t = 0 where the car is placed (20 m at 15 km/h take 4.8 s: a path timed from -1.8 s
    # put the car 7.5 m along it at the first step)
    approach = min(20.0, vu * t_start)
    pts, times = [(x1 + approach, y1, math.pi)], [0.0]
    pts.append((x1, y1, math.pi))
    times.append(approach / vu)
    n = 12
    for k in range(1, n + 1):                       # a half circle to the left, ending eastbound in lane -1
        a = math.pi / 2 + math.pi * k / n
        px, py = x1 + radius * math.cos(a), y1 - radius + radius * math.sin(a)
        pts.append((px, py, math.pi + math.pi * k / n))
        times.append(times[-1] + radius * math.pi / n / vu)
    pts.append((pts[-1][0] + 30.0, pts[-1][1], 0.0))
    times.append(times[-1] + 30.0 / vu)
    times = [t + t_start - approach / vu for t in times]
    b.vehicle("UTurner", "car_compact", world(*pts[0]), vu)
    b.event("UTurner", "u_turn", timed_path("u_turn_path", pts, times), at_time(0.0, "start"))
    return b.concrete("urban", "URB_u_turn_across_path", SRC_NAJM,
                      {"ego_speed_kmh": v, "gap_m": gap, "turn_radius_m": radius},
                      ["road:urban", "maneuver:u_turn", "actor:vehicle", "light:day", "weather:dry"], "urban_traffic")


def dense_traffic(v: int, style: str, n: int, seed: int) -> Concrete:
    """Mixed traffic on the urban_grid block with driver-model controllers (IDM/MOBIL,
    vehicle_models.drivers): ``n`` cars ahead/oncoming and two cyclists; the ego drives
    road 1 west → east through junction 200 to road 13 (goal)."""
    import numpy as np

    m = "urban_grid"
    rng = np.random.default_rng(seed)
    sid = f"urb_dense_v{v}_{style}_n{n}_s{seed}"
    b = ScenarioBuilder(sid, m, 20.0, f"Dense mixed traffic: {n} {style} drivers, ego {v} km/h")
    # road 13 ends at the map edge (s = 80), where the traffic ahead comes to rest in a queue
    # (up to 7 cars × ~6.5 m reaches back to s ≈ 35): the goal lies before it, just past junction 200
    gx, gy, _ = lane_point(m, 13, -1, DENSE_GOAL_S)
    b.ego(EGO_CAR, lane(1, -1, 5.0), kmh(v), goal=(gx, gy, 4.0), route=[lane(1, -1, 5.0), lane(13, -1, 60.0)],
          goal_distance=route_path(m, (1, -1, 5.0), (13, -1, DENSE_GOAL_S)).length, goal_speed=kmh(DENSE_CYCLIST_KMH))
    positions = sorted(rng.choice(np.arange(30.0, 120.0, 12.0), size=min(n, 7), replace=False).tolist())
    for k, s in enumerate(positions):
        b.vehicle(f"Traffic{k + 1}", ("car_compact", "car_sedan", "car_suv")[k % 3], lane(1, -1, s), kmh(30),
                  controller=f"idm_mobil_{style}", route=[lane(1, -1, s), lane(13, -1, 70.0)])
    for k in range(max(n - 7, 0) + 2):
        b.vehicle(f"Oncoming{k + 1}", "car_sedan", world(*lane_point(m, 1, 1, 110.0 - 25.0 * k)), kmh(35),
                  controller=f"idm_mobil_{style}", route=[lane(1, 1, 110.0 - 25.0 * k), lane(11, -1, 50.0)])
    for k in range(2):
        b.vehicle(f"Cyclist{k + 1}", "bicycle", lane(1, -1, 20.0 + 50.0 * k, -1.2), kmh(DENSE_CYCLIST_KMH + 3 * k))
    return b.concrete("urban", "URB_dense_mixed_traffic", SRC_STVO,
                      {"ego_speed_kmh": v, "driver_style": style, "vehicles": n, "seed": seed},
                      ["road:urban", "traffic:dense", "actor:vehicle", "actor:cyclist", "feature:driver_model",
                       "light:day", "weather:dry"], "urban_traffic")


def generate() -> Iterator[Concrete]:
    for protected in (True, False):
        for v in (20, 30):
            for vo in (30, 50):
                for lag in (0.0, 1.0, 2.0):
                    for night in (False, True):
                        yield signalised_left(protected, v, vo, lag, night)
    for v in (15, 20, 25):
        for vc in (15, 20):
            for lag in (-0.5, 0.0, 1.0):
                yield right_turn_cyclist(v, vc, lag, False)
    for junction in ("4way", "T"):
        for v in (20, 30, 40):
            for vo in (20, 40):
                for lag in (-1.0, 0.0, 1.5):
                    yield unsignalised_crossing(junction, v, vo, lag)
    for v in (20, 30):
        for vo in (20, 30):
            for lag in (-1.0, 0.0, 1.0):
                for exit_arm in (12, 13):
                    yield roundabout_entry(v, vo, lag, exit_arm)
    for v in (30, 40, 50):
        for n in (1, 3):
            for vp in (4.0, 6.5):
                for night in (False, True):
                    yield zebra(v, n, vp, night)
    for v in (30, 40, 50):
        for passengers in (0, 2, 4):
            for oncoming in (False, True):
                yield bus_stop(v, passengers, oncoming)
    for v in (30, 40, 50):
        for gap in (10.0, 20.0):
            for speed in (10, 20):
                yield parked_pull_out(v, gap, speed, False)
    for v in (30, 40, 50):
        for gap in (20.0, 35.0):
            for radius in (5.0, 7.0):
                yield u_turn(v, gap, radius)
    for v in (30, 40):
        for style in ("normal", "aggressive", "cautious"):
            for n, seed in ((5, 1), (9, 2)):
                yield dense_traffic(v, style, n, seed)
