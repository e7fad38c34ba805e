"""Signals (with references and controllers) and objects (with repeats) of the urban grid."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scenarios.maps import map_path
from simplatform.errors import RoadNetworkError
from simplatform.opendrive import LanePosition, load_opendrive, parse_opendrive
from simplatform.opendrive import objects as objects_module
from simplatform.opendrive import signals as signals_module


@pytest.fixture(scope="module")
def grid():
    return load_opendrive(map_path("urban_grid"))


def test_signals_are_placed_in_the_world(grid):
    light = grid.signals["light_1"]
    assert light.dynamic and light.is_traffic_light and light.orientation == "-"
    # road 1 starts 12 m east of junction 100 heading east; the light stands at s=2, t=4.5, 2.5 m up
    assert (light.pose.x, light.pose.y, light.pose.z) == pytest.approx((14.0, 4.5, 2.5))
    assert abs(math.cos(light.pose.heading) + 1.0) < 1e-9  # faces westbound traffic
    assert light.controller_ids == ("1",)


def test_signal_reference_makes_a_sign_valid_on_another_road(grid):
    speed = grid.signals["speed_50"]
    assert speed.value == 50 and speed.unit == "km/h" and not speed.dynamic
    assert [(p.road_id, p.s, p.is_reference) for p in speed.placements] == [("1", 20.0, False), ("2", 10.0, True)]
    on_2 = signals_module.signals_on_road(grid.signals, "2")
    assert [(sig.id, p.s) for sig, p in on_2] == [("speed_50", 10.0)]


def test_traffic_lights_by_controller_and_stop_lines(grid):
    assert [s.id for s in signals_module.traffic_lights(grid, grid.signals, "1")] == ["light_1", "light_11"]
    assert [s.id for s in signals_module.traffic_lights(grid, grid.signals, "2")] == ["light_3", "light_12"]
    assert sorted(s.id for s in signals_module.stop_lines(grid.signals)) == ["stop_1", "stop_11", "stop_12", "stop_3"]
    assert len(signals_module.dynamic_signals(grid.signals)) == 4
    with pytest.raises(RoadNetworkError):
        signals_module.traffic_lights(grid, grid.signals, "9")


def test_signals_ahead_follow_the_lane_and_the_orientation(grid):
    # westbound on road 1 (lane 1, against s) at s=60: the light at s=2 and the stop line at s=1
    ahead = signals_module.signals_ahead(grid, grid.signals, LanePosition("1", 1, 60.0), 100.0)
    assert [(a.signal.id, a.distance) for a in ahead] == [("light_1", 58.0), ("stop_1", 59.0)]
    assert signals_module.signals_ahead(grid, grid.signals, LanePosition("1", 1, 60.0), 50.0) == []
    # eastbound on road 1 sees the 50 sign, not the lights facing the other way
    east = signals_module.signals_ahead(grid, grid.signals, LanePosition("1", -1, 5.0), 200.0)
    assert [a.signal.id for a in east] == ["speed_50"] and east[0].distance == pytest.approx(15.0)


def test_signals_ahead_continue_through_a_junction(grid):
    # southbound on road 4 (lane 1) toward junction 200, then west on road 1 toward junction 100
    ahead = signals_module.signals_ahead(grid, grid.signals, LanePosition("4", 1, 60.0), 300.0)
    assert [a.signal.id for a in ahead] == ["light_1", "stop_1"]
    connecting = ahead[0].distance - 60.0 - (126.0 - 2.0)
    assert 10.0 < connecting < 40.0  # the turn through junction 200


def test_dangling_signal_reference_is_an_error():
    text = map_path("urban_grid").read_text().replace('signalReference id="speed_50"', 'signalReference id="nope"')
    net = parse_opendrive(text, source="grid.xodr")
    with pytest.raises(RoadNetworkError, match="nope"):
        signals_module.build_signals(net)


def test_repeated_objects_are_expanded(grid):
    placed = grid.objects
    poles = [o for o in placed if o.source_id == "pole_1"]
    assert [o.s for o in poles] == [5.0, 30.0, 55.0, 80.0, 105.0]
    assert all(o.pose.y == pytest.approx(5.0) and o.radius == 0.1 for o in poles)
    bays = [o for o in placed if o.source_id == "parking_2"]
    assert len(bays) == 11 and bays[1].s - bays[0].s == pytest.approx(6.0)
    assert len(placed) == 5 + 11 + 1


def test_object_footprints_are_in_world_coordinates(grid):
    bay = next(o for o in grid.objects if o.id == "parking_2#0")
    fp = bay.footprint
    assert fp.shape == (4, 3)
    # road 2 runs east at y=150; a 6 m x 2.5 m bay centred at s=20, t=-6.75
    assert np.ptp(fp[:, 0]) == pytest.approx(6.0) and np.ptp(fp[:, 1]) == pytest.approx(2.5)
    assert fp[:, 1].mean() == pytest.approx(150.0 - 6.75)
    kiosk = next(o for o in grid.objects if o.id == "kiosk_3")
    # road 3 runs north at x=0: the kiosk's local u (4 m) points north, v (3 m) west
    assert np.ptp(kiosk.footprint[:, 1]) == pytest.approx(4.0) and np.ptp(kiosk.footprint[:, 0]) == pytest.approx(3.0)
    assert kiosk.footprint[:, 0].mean() == pytest.approx(9.5)


def test_objects_near_a_point(grid):
    near = objects_module.objects_near(grid.objects, 42.0, 5.0, 3.0)
    assert [o.id for _, o in near] == ["pole_1#1"]
    assert objects_module.objects_near(grid.objects, 42.0, 5.0, 3.0, types={"building"}) == []
