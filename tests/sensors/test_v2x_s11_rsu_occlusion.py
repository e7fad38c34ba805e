"""Roadside perception sees what a sensor on the pole sees: occluded objects are not in the RSM.

Given a roadside unit on a pole beside a street and a lossless, instant radio,
what the unit's RSMs list (``sensors.v2x_rsu_perception``).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from sensors.base import SensorConfig
from sensors.scene import SensorScene, static_world_for
from sensors.v2x import V2XRadio
from sensors.v2x_messages import RoadsideSafetyMessage
from simplatform.errors import ConfigError

from simplatform.world import EntityKind

from sensors_testworld import entity, plane, snapshot

GROUND = static_world_for([plane(400.0)])
EXACT = {"position_noise_m": 0.0, "velocity_noise_mps": 0.0, "yaw_noise_deg": 0.0, "detection_probability": 1.0,
         "latency_s": 0.0}
"""Occlusion alone: no noise, every visible object detected, no processing delay."""
TRUCK = (12.0, 2.5, 4.0, 0.0, 0.0, 2.0)
VAN = (5.0, 2.0, 2.2, 0.0, 0.0, 1.1)
PEDESTRIAN = (0.5, 0.5, 1.8, 0.0, 0.0, 0.9)


def radio(units, perception=None, seed=0, name="v2x"):
    parameters = {"roadside_units": units, "base_loss": 0.0, "range_m": 1e6, "latency_s": 0.0, "jitter_s": 0.0}
    if perception is not None:
        parameters["rsu_perception"] = perception
    return V2XRadio(SensorConfig(name=name, type="v2x", rate_hz=10.0, parameters=parameters, seed=seed,
                                 scenario_id="rsu_test"))


def pole(name="rsu", z=6.0, **extra):
    return {"name": name, "x": 0.0, "y": 0.0, "z": z, "perception_range_m": 80.0, **extra}


def rsms(r, snap):
    """The RSMs the ego received at this step, by sender."""
    return {m.sender: m for m in r.sense(snap, SensorScene(GROUND, snap)) if isinstance(m, RoadsideSafetyMessage)}


def seen(r, snap, unit="rsu"):
    return {o.object_id for o in rsms(r, snap)[unit].objects}


def test_a_car_hidden_behind_a_truck_is_reported_once_the_truck_has_moved_away():
    ego = entity("ego", x=-20.0, ego=True)
    car = entity("car", x=23.0)                                   # its box spans x 24.4 ± 2.25
    r = radio([pole()], EXACT)
    parked = snapshot(ego, car, entity("truck", x=14.0, bbox=TRUCK, category="truck"), time=0.0)
    assert seen(r, parked) == {"ego", "truck"}
    gone = snapshot(ego, car, entity("truck", x=14.0, y=40.0, bbox=TRUCK, category="truck"), time=0.1)
    assert seen(r, gone) == {"ego", "car", "truck"}


def test_the_pole_the_sensor_stands_on_hides_nothing_and_is_not_reported():
    pole_box = entity("rsu", bbox=(0.3, 0.3, 6.0, 0.0, 0.0, 3.0), category="pole", kind=EntityKind.MISC_OBJECT)
    snap = snapshot(entity("ego", x=-20.0, ego=True), entity("car", x=23.0), pole_box)
    assert seen(radio([pole()], EXACT), snap) == {"ego", "car"}     # the scenario's RSU entity, antenna on top


def test_ideal_perception_stays_selectable_and_lists_the_hidden_car_exactly():
    ego = entity("ego", x=-20.0, ego=True)
    car = entity("car", x=23.0, y=0.5, heading=0.3, vx=5.0, vy=1.0)
    snap = snapshot(ego, car, entity("truck", x=14.0, bbox=TRUCK, category="truck"))
    for r in (radio([pole()], "ideal"), radio([pole(perception="ideal")], EXACT)):   # radio-wide, or per unit
        objects = {o.object_id: o for o in rsms(r, snap)["rsu"].objects}
        assert set(objects) == {"ego", "car", "truck"}
        assert (objects["car"].x, objects["car"].y, objects["car"].heading, objects["car"].vx) == (23.0, 0.5, 0.3, 5.0)


def test_a_pedestrian_behind_a_van_is_seen_from_a_6_m_pole_and_hidden_from_1_5_m():
    ego = entity("ego", x=-20.0, ego=True)
    van = entity("van", x=10.0, bbox=VAN, category="van")
    walker = entity("walker", x=25.0, bbox=PEDESTRIAN, category="pedestrian")
    r = radio([pole("high", z=6.0), {**pole("low", z=1.5), "x": 0.0}], EXACT)
    got = rsms(r, snapshot(ego, van, walker))
    assert {o.object_id for o in got["high"].objects} == {"ego", "van", "walker"}
    assert {o.object_id for o in got["low"].objects} == {"ego", "van"}


def test_realistic_positions_are_the_reference_point_and_the_velocity_in_the_map_frame():
    ego = entity("ego", x=-20.0, ego=True)
    car = entity("car", x=20.0, y=8.0, heading=2.0, vx=-4.0, vy=7.0)
    mounts = [{"yaw_deg": 90.0, "z": -0.5}]                       # a head turned left, 0.5 m below the antenna
    obj = next(o for o in rsms(radio([pole(perception={"mounts": mounts})], EXACT), snapshot(ego, car))["rsu"].objects
               if o.object_id == "car")
    assert (obj.x, obj.y, obj.heading, obj.vx, obj.vy) == pytest.approx((20.0, 8.0, 2.0, -4.0, 7.0), abs=1e-9)


def test_a_head_sees_only_its_field_of_view_and_two_heads_cover_both_sides():
    ego = entity("ego", x=-20.0, ego=True)
    east, west = entity("east", x=30.0), entity("west", x=-40.0, y=5.0)
    snap = snapshot(ego, east, west)
    one = {**EXACT, "horizontal_fov_deg": 90.0, "mounts": [{"yaw_deg": 0.0}]}
    two = {**one, "mounts": [{"yaw_deg": 0.0}, {"yaw_deg": 180.0}]}
    assert seen(radio([pole(perception=one)]), snap) == {"east"}
    assert seen(radio([pole(perception=two)]), snap) == {"ego", "east", "west"}


def test_the_rsm_carries_what_was_measured_one_latency_earlier():
    ego = entity("ego", x=-20.0, ego=True)
    r = radio([pole()], {**EXACT, "latency_s": 0.1})
    first = rsms(r, snapshot(ego, entity("car", x=20.0, vx=10.0), time=0.0))["rsu"]
    assert (first.objects, first.measurement_time) == ((), None)  # sent on schedule, nothing processed yet
    second = rsms(r, snapshot(ego, entity("car", x=21.0, vx=10.0), time=0.1))["rsu"]
    car = next(o for o in second.objects if o.object_id == "car")
    assert (second.time, second.measurement_time, car.x) == (0.1, 0.0, pytest.approx(20.0, abs=1e-9))


def frames(r, n, unit="rsu"):
    """n RSMs of one unit watching a car at (20, 5) with heading 0.4 rad and a velocity of 8 m/s (held in place)."""
    ego = entity("ego", x=-20.0, ego=True)
    out = []
    for k in range(n):
        t = round(0.1 * k, 10)
        car = entity("car", x=20.0, y=5.0, heading=0.4, vx=8.0 * math.cos(0.4),
                     vy=8.0 * math.sin(0.4))
        out.append(rsms(r, snapshot(ego, car, time=t))[unit])
    return out


def car_of(msg):
    return next((o for o in msg.objects if o.object_id == "car"), None)


def test_same_seed_same_rsms_other_seed_or_other_unit_independent():
    a = frames(radio([pole()], seed=3), 40)
    b = frames(radio([pole()], seed=3), 40)
    assert a == b
    c = frames(radio([pole()], seed=4), 40)
    assert [car_of(m) for m in a[1:]] != [car_of(m) for m in c[1:]]
    twin = radio([pole("rsu"), pole("twin")], seed=3)              # two units on one pole: their own draws
    ego = entity("ego", x=-20.0, ego=True)
    dx = {"rsu": [], "twin": []}
    for k in range(300):
        got = rsms(twin, snapshot(ego, entity("car", x=20.0, y=5.0), time=round(0.1 * k, 10)))
        if all(car_of(got[u]) is not None for u in dx):
            for u in dx:
                dx[u].append(car_of(got[u]).x - 20.0)
    assert len(dx["rsu"]) > 200 and dx["rsu"] != dx["twin"]
    assert abs(np.corrcoef(dx["rsu"], dx["twin"])[0, 1]) < 0.2


def test_noise_and_detection_statistics_are_the_configured_ones():
    n = 1500
    msgs = frames(radio([pole()], seed=11), n)[1:]                 # the defaults: σ 0.3 m, 0.3 m/s, 3°; p_d 0.95
    cars = [car_of(m) for m in msgs]
    detected = [c for c in cars if c is not None]
    rate = len(detected) / len(cars)
    assert abs(rate - 0.95) < 3 * math.sqrt(0.95 * 0.05 / len(cars))
    ex = np.array([c.x - 20.0 for c in detected])
    ey = np.array([c.y - 5.0 for c in detected])
    ev = np.array([c.vx - 8.0 * math.cos(0.4) for c in detected])
    eh = np.array([c.heading - 0.4 for c in detected])
    for err, sigma in ((ex, 0.3), (ey, 0.3), (ev, 0.3), (eh, math.radians(3.0))):
        assert abs(err.mean()) < 4 * sigma / math.sqrt(len(err))
        assert err.std() == pytest.approx(sigma, rel=0.08)
    assert all(m.measurement_time == pytest.approx(m.time - 0.1) for m in msgs)


@pytest.mark.parametrize("perception, cause", [
    ("blurry", "must be one of realistic, ideal"),
    ({"fov": 90}, "unknown perception parameter"),
    ({"mounts": [{"height": 6}]}, "mount"),
    ({"detection_probability": 2.0}, "detection_probability must be ≤ 1"),
    ({"latency_s": -1}, "latency_s must be ≥ 0"),
])
def test_bad_perception_settings_name_the_radio_and_the_unit(perception, cause):
    with pytest.raises(ConfigError, match=cause) as radio_wide:
        radio([], perception)                                      # checked when the rig is built, units or not
    assert "sensors[v2x].rsu_perception" in str(radio_wide.value)
    with pytest.raises(ConfigError, match=cause) as one_unit:
        radio([pole(perception=perception)])
    assert "sensors[v2x].rsu_perception" in str(one_unit.value) and "'rsu'" in str(one_unit.value)
