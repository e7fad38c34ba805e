"""Session 11: the ``/route`` a stack is given follows the ego's route through branches and two-way lanes.

The engine drives an ego routed into a driveway (a road linked to the middle of the main road
by ``elementS``/``elementDir``, a virtual junction: OpenDRIVE 1.7 §10.4, 1.8 §12.7) off the main
road at ``elementS``, and one routed back along a two-way lane (``direction="both"``) against s.
``/route`` was built from the route's roads and lane-end successors, so it ran straight past the
driveway and along the two-way lane's standard direction: a stack following it missed the branch
its scenario routes it into.  Now ``/route`` is the route's own segments from the ego on; a route
without such legs gives the same waypoints as before.

The maps are the engine tests' (tests/engine/test_engine_s11_branch_routes.py), written here.
"""

from __future__ import annotations

import csv
import json
import math
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from scenariogeneration import xosc

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "engine"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "opendrive"))
import engine_scenario_files as scenarios  # noqa: E402
import odr_xml_builders  # noqa: E402
from engine_story import assign_route, place, write  # noqa: E402

from simplatform.bridge import StackConfig  # noqa: E402
from simplatform.harness import REFERENCE_STACK, TestConfig, run_test  # noqa: E402
from simplatform.harness.route_topics import Segment, forward_segments, route_segments, sample  # noqa: E402
from simplatform.opendrive import load_opendrive  # noqa: E402
from simplatform.stacks import ReferenceStack  # noqa: E402

SPEED = 10.0


# ------------------------------------------------------------------ maps
_driveway_map = odr_xml_builders.driveway_map
_two_way_map = odr_xml_builders.two_way_map
RADIUS, BRANCH_S = odr_xml_builders.RADIUS, odr_xml_builders.BRANCH_S


# ------------------------------------------------------- the stack's route
class RouteRecorder(ReferenceStack):
    """The reference stack, writing the /route it was given (x, y, yaw of each pose) to ``route_out``."""

    def setup(self, setup) -> None:
        params = dict(setup.parameters)
        out = Path(params.pop("route_out"))
        poses = [(p.pose.position.x, p.pose.position.y, 2.0 * math.atan2(p.pose.orientation.z, p.pose.orientation.w))
                 for p in setup.route.poses]
        out.write_text(json.dumps(poses))
        super().setup(replace(setup, parameters=params))


def _scenario(tmp_path: Path, odr: Path, start, route=None, name: str = "branch") -> Path:
    init = xosc.Init()
    place(init, "Ego", start, SPEED)
    if route is not None:
        assign_route(init, "Ego", route, "ego_route")
    return write(tmp_path, name, str(odr), {"Ego": scenarios._vehicle("car")}, init, [], 0.2)


def _given_route(tmp_path: Path, scenario: Path) -> np.ndarray:
    """The /route poses the stack was given: rows (x, y, yaw)."""
    out = tmp_path / f"{scenario.stem}_route.json"
    stack = StackConfig(transport="inprocess", stack_class=f"{Path(__file__).resolve()}:RouteRecorder")
    run_test(scenario, TestConfig(stack=stack, stack_parameters={"route_out": str(out)}, max_time=30.0,
                                  trace_hz=0.0, csv=False))
    return np.array(json.loads(out.read_text()), dtype=float)


def _wrap(a: np.ndarray) -> np.ndarray:
    return (a + math.pi) % (2 * math.pi) - math.pi


# ----------------------------------------------------------------- tests
def test_the_route_of_an_ego_routed_into_a_driveway_bends_into_it_at_element_s(tmp_path):
    odr = _driveway_map(tmp_path / "driveway.xodr")
    start = xosc.LanePosition(20, 0, -2, "1")
    route = _given_route(tmp_path, _scenario(tmp_path, odr, start, [start, xosc.LanePosition(30, 0, -1, "99")]))
    x, y, yaw = route.T
    assert (x[0], y[0]) == pytest.approx((20.0, -5.25), abs=1e-9)
    # on the main lane up to elementS, then off it: never on past the branch
    on_main = np.abs(y + 5.25) < 1e-6
    assert x[on_main].max() == pytest.approx(BRANCH_S, abs=1e-6)
    assert np.all(np.diff(np.flatnonzero(on_main)) == 1) and on_main[0]
    # through the arc, without a gap, into the parking road: southbound to its dead end
    steps = np.hypot(np.diff(x), np.diff(y))
    assert steps.max() < 2.0 + 1e-6
    assert x[-1] == pytest.approx(BRANCH_S + RADIUS - 1.5, abs=1e-6)
    assert y[-1] == pytest.approx(-3.75 - RADIUS - 50.0, abs=1e-6)
    assert yaw[-1] == pytest.approx(-math.pi / 2, abs=1e-9)
    # the heading turns smoothly from east to south (a 20 m arc: < 0.11 rad per 2 m)
    assert np.abs(_wrap(np.diff(yaw))).max() < 0.12


def test_along_a_two_way_lane_the_route_points_the_way_it_is_driven(tmp_path):
    odr = _two_way_map(tmp_path / "two_way.xodr")
    start = xosc.LanePosition(40, 0, 1, "11")  # westbound, 40 m before road 10's end
    route = _given_route(tmp_path, _scenario(tmp_path, odr, start, [start, xosc.LanePosition(20, 0, -1, "10")]))
    x, y, yaw = route.T
    assert x[0] == pytest.approx(140.0, abs=1e-9)
    assert np.all(np.diff(x) < 0)  # west all the way: into road 10 at its end, on against s
    assert np.allclose(y, -1.75, atol=1e-9)
    assert np.allclose(np.abs(yaw), math.pi, atol=1e-9)  # heading west, the way it is driven
    assert x[-1] == pytest.approx(0.0, abs=1e-9)  # on past the route's end to where the lane ends


def test_a_goal_route_goes_on_past_the_goal_the_way_the_two_way_lane_is_driven(tmp_path):
    net = load_opendrive(_two_way_map(tmp_path / "two_way.xodr"))
    segments = route_segments(net, ("11", 1, 40.0), goal_point=(20.0, -1.75, 3.0))
    on_10 = [g for g in segments if g.road_id == "10"]
    assert on_10 and all(g.s_end < g.s_start for g in on_10)  # against s, never back over itself
    assert on_10[-1].s_end == pytest.approx(0.0, abs=1e-9)  # 100 m beyond the goal: the lane ends at s = 0


def test_routes_without_a_branch_give_the_route_they_gave_before(tmp_path):
    """A route along the main road's lanes keeps no legs: its /route is the lanes ahead, exactly."""
    odr = _driveway_map(tmp_path / "driveway.xodr")
    start = xosc.LanePosition(20, 0, -2, "1")
    routed = _given_route(tmp_path, _scenario(tmp_path, odr, start, [start, xosc.LanePosition(180, 0, -2, "1")],
                                              name="straight_route"))
    free = _given_route(tmp_path, _scenario(tmp_path, odr, start, name="no_route"))
    assert np.array_equal(routed, free)
    net = load_opendrive(odr)
    expected = sample(net, forward_segments(net, "1", -2, 20.0, 1000.0), 2.0)
    assert np.array_equal(free[:, 0], expected.x) and np.array_equal(free[:, 1], expected.y)
    assert free[-1, 0] == pytest.approx(200.0)  # straight on past the driveway to the road's end


def test_an_ego_not_on_its_route_is_given_the_lanes_ahead(tmp_path):
    """The engine follows an entity's legs only from a lane on them; one in the next lane drives
    straight on, and so does its route."""
    net = load_opendrive(_driveway_map(tmp_path / "driveway.xodr"))
    from simplatform.opendrive import LanePosition

    legs = net.route(LanePosition("1", -2, 20.0), LanePosition("99", -1, 30.0)).segments
    assert any(g.road_id == "2" for g in legs)
    off = route_segments(net, ("1", -1, 20.0), legs=legs)
    assert off == route_segments(net, ("1", -1, 20.0))
    on = route_segments(net, ("1", -2, 20.0), legs=legs)
    assert [g.road_id for g in on] == ["1", "2", "99"]
    assert on[0] == Segment("1", -2, 20.0, pytest.approx(BRANCH_S))


def test_the_reference_stack_following_its_route_turns_into_the_driveway(tmp_path):
    """End to end: the stack drives what /route shows; before, it drove on along the main road."""
    odr = _driveway_map(tmp_path / "driveway.xodr")
    start = xosc.LanePosition(20, 0, -2, "1")
    init = xosc.Init()
    place(init, "Ego", start, SPEED)
    r = xosc.Route("ego_route")
    for p in (start, xosc.LanePosition(30, 0, -1, "99")):
        r.add_waypoint(p, xosc.RouteStrategy.shortest)
    init.add_init_action("Ego", xosc.AssignRouteAction(r))
    scenario = write(tmp_path, "drive_in", str(odr), {"Ego": scenarios._vehicle("car")}, init, [], 8.0)
    run_test(scenario, TestConfig(stack=StackConfig(transport="inprocess", stack_class=REFERENCE_STACK), dt=0.05,
                                  max_time=30.0, out_dir=tmp_path / "out", trace_hz=0.0))
    with open(tmp_path / "out" / "drive_in.csv") as f:
        rows = [row for row in csv.DictReader(f, skipinitialspace=True) if row["name"] == "Ego"]
    last = rows[-1]
    assert last["roadId"] in ("2", "99")
    assert float(last["y"]) < -15.0 and float(last["h"]) < -1.0  # well into the turn, heading south
