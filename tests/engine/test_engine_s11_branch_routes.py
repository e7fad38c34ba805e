"""Session 11: entities drive the routes the lane graph finds through virtual junctions and two-way lanes.

* Virtual junctions (OpenDRIVE 1.7 §10.4, 1.8 §12.7): a driveway linked to the middle of a main
  road (``<predecessor elementType="road" elementS=".." elementDir=".."/>``).  A car given a
  route into the driveway (AssignRouteAction, AcquirePositionAction) leaves the main road at
  ``elementS``; without a route it drives straight on, as lane followers always did.
* Lane ``@direction="both"`` (1.7/1.8): a car routed along a two-way lane against its standard
  direction drives it against s, facing the way it goes.

Every map is written by the test (tests/opendrive/odr_xml_builders.py, shared with the lane-graph and /route tests).
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest
from scenariogeneration import xosc

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "opendrive"))
import engine_scenario_files as scenarios  # noqa: E402
import odr_xml_builders  # noqa: E402
from engine_story import Trace, assign_route, at_time, event, place, write  # noqa: E402

from simplatform.engine.run import RunConfig, run_scenario  # noqa: E402

DT = 0.01
SPEED = 10.0


# ------------------------------------------------------------------ maps
_driveway_map = odr_xml_builders.driveway_map
_two_way_map = odr_xml_builders.two_way_map
RADIUS, BRANCH_S, JOIN_S = odr_xml_builders.RADIUS, odr_xml_builders.BRANCH_S, odr_xml_builders.JOIN_S


# ------------------------------------------------------------- scenarios
def _scenario(tmp_path: Path, odr: Path, start, *, route=None, acquire=None, duration=6.0) -> Path:
    init = xosc.Init()
    place(init, "Car", start, SPEED)
    if route is not None:
        assign_route(init, "Car", route, "branch_route")
    events = []
    if acquire is not None:
        events.append(("Car", event("acquire", {"acquire": xosc.AcquirePositionAction(acquire)}, at_time("t0", 0.0))))
    return write(tmp_path, "branch", str(odr), {"Car": scenarios._vehicle("car")}, init, events, duration)


def _run(path: Path) -> Trace:
    trace = Trace()
    run_scenario(path, RunConfig(on_step=trace, dt=DT))
    return trace


def _assert_continuous(trace: Trace, heading_step: float) -> None:
    row = trace.of("Car")
    step = np.hypot(*np.diff(row[:, :2], axis=0).T)
    assert step.max() < SPEED * DT * 1.05, f"the car jumped {step.max():.3f} m in one step"
    turn = np.abs((np.diff(row[:, 2]) + math.pi) % (2 * math.pi) - math.pi)
    assert turn.max() < heading_step, f"the heading jumped {turn.max():.4f} rad in one step"


@pytest.mark.parametrize("how", ["assign_route", "acquire_position"])
def test_a_routed_car_leaves_the_main_road_into_the_driveway_at_element_s(tmp_path, how):
    odr = _driveway_map(tmp_path / "driveway.xodr")
    start = xosc.LanePosition(20, 0, -2, "1")
    goal = xosc.LanePosition(30, 0, -1, "99")
    kw = dict(route=[start, goal]) if how == "assign_route" else dict(acquire=goal)
    trace = _run(_scenario(tmp_path, odr, start, **kw))
    lanes = trace.lane_of("Car")
    roads = [lane[0] for lane in lanes]
    assert roads[0] == "1" and "2" in roads and roads[-1] == "99"
    k = roads.index("2")
    # off the main road where the driveway branches, not past it
    assert lanes[k - 1][2] <= BRANCH_S and lanes[k - 1][2] > BRANCH_S - SPEED * DT - 1e-9
    assert lanes[k][2] < SPEED * DT + 1e-9
    assert max(lane[2] for lane in lanes if lane[0] == "1") <= BRANCH_S + 1e-9
    # the position and the heading go on smoothly (a 20 m arc turns 0.005 rad per 0.1 m step)
    _assert_continuous(trace, heading_step=0.01)
    row = trace.of("Car")
    assert row[-1, 2] == pytest.approx(-math.pi / 2, abs=1e-6)  # southbound on the parking road
    assert row[-1, 0] == pytest.approx(BRANCH_S + RADIUS - 1.5, abs=1e-6)  # the centre of road 99's lane -1
    # the distance driven is the distance along the lanes: 30 m on road 1, the arc, then on
    assert row[-1, 4] == pytest.approx(SPEED * trace.time()[-1], rel=1e-9)


def test_a_routed_car_joins_the_main_road_mid_lane_and_drives_on(tmp_path):
    odr = _driveway_map(tmp_path / "driveway.xodr")
    start = xosc.LanePosition(5, 0, -1, "3")
    trace = _run(_scenario(tmp_path, odr, start, route=[start, xosc.LanePosition(180, 0, -2, "1")]))
    lanes = trace.lane_of("Car")
    roads = [lane[0] for lane in lanes]
    k = roads.index("1")
    assert set(roads[:k]) == {"3"} and set(roads[k:]) == {"1"}
    assert all(lane[1] == -2 for lane in lanes[k:])
    assert JOIN_S <= lanes[k][2] < JOIN_S + SPEED * DT + 1e-9  # in where road 3 joins, not at s = 0
    on_arc = (RADIUS * math.pi / 2 - 5.0) * (RADIUS - 1.5) / RADIUS  # the lane centre, inside the turn
    assert lanes[-1][2] == pytest.approx(JOIN_S + SPEED * trace.time()[-1] - on_arc, abs=1e-6)
    _assert_continuous(trace, heading_step=0.01)
    assert np.allclose(trace.of("Car")[k:, 1], -5.25, atol=1e-9) and np.allclose(trace.of("Car")[k:, 2], 0.0)


def test_without_a_route_the_car_drives_straight_past_the_branch(tmp_path):
    odr = _driveway_map(tmp_path / "driveway.xodr")
    trace = _run(_scenario(tmp_path, odr, xosc.LanePosition(20, 0, -2, "1")))
    lanes = trace.lane_of("Car")
    assert {lane[0] for lane in lanes} == {"1"}
    assert lanes[-1][2] == pytest.approx(20.0 + SPEED * trace.time()[-1], abs=1e-6)
    assert np.allclose(trace.of("Car")[:, 1], -5.25) and np.allclose(trace.of("Car")[:, 2], 0.0)


def test_a_car_routed_back_along_a_two_way_lane_drives_against_s(tmp_path):
    odr = _two_way_map(tmp_path / "two_way.xodr")
    start = xosc.LanePosition(40, 0, 1, "11")  # westbound, 40 m before road 10's end
    trace = _run(_scenario(tmp_path, odr, start, route=[start, xosc.LanePosition(20, 0, -1, "10")], duration=8.0))
    lanes = trace.lane_of("Car")
    on_10 = [lane for lane in lanes if lane[0] == "10"]
    assert on_10, "the car never entered the two-way lane"
    s = np.array([lane[2] for lane in on_10])
    assert s[0] > 100.0 - SPEED * DT - 1e-9 and np.all(np.diff(s) < 0)  # in at its end, on against s
    assert s[-1] == pytest.approx(100.0 - (SPEED * trace.time()[-1] - 40.0), abs=1e-6)
    assert all(lane[1] == -1 for lane in on_10)
    row = trace.of("Car")
    assert np.allclose(row[:, 1], -1.75, atol=1e-9)  # the lane centre all the way
    assert np.allclose(np.abs(row[:, 2]), math.pi, atol=1e-9)  # facing west, the way it drives
    _assert_continuous(trace, heading_step=1e-6)


def test_routed_runs_are_deterministic(tmp_path):
    odr = _driveway_map(tmp_path / "driveway.xodr")
    start = xosc.LanePosition(20, 0, -2, "1")
    path = _scenario(tmp_path, odr, start, route=[start, xosc.LanePosition(30, 0, -1, "99")])
    a, b = _run(path), _run(path)
    assert np.array_equal(np.array(a.rows), np.array(b.rows))
    assert a.lanes == b.lanes


# ------------------------------------------------------ the road adaptor's walk
def test_only_routes_that_successors_miss_keep_legs(tmp_path):
    """``needs_legs`` keeps the plain lane-following path (compiled kernels) for every route
    road-end successors can follow: junction turns, straight on past a branch."""
    from simplatform.engine.routes import needs_legs
    from simplatform.opendrive import LanePosition as P
    from simplatform.opendrive import parse_opendrive

    maps = Path(__file__).resolve().parents[2] / "scenarios" / "maps"
    junction = parse_opendrive((maps / "junction_4way.xodr").read_text(), source="junction_4way.xodr")
    for a, b in (("1", "3"), ("2", "4"), ("1", "4")):
        assert not needs_legs(junction, junction.route(P(a, -1, 30.0), P(b, -1, 20.0)).segments)
    net = parse_opendrive(_driveway_map(tmp_path / "driveway.xodr").read_text(), source="driveway.xodr")
    assert not needs_legs(net, net.route(P("1", -2, 20.0), P("1", -2, 90.0)).segments)
    assert needs_legs(net, net.route(P("1", -2, 20.0), P("99", -1, 30.0)).segments)
    assert needs_legs(net, net.route(P("3", -1, 5.0), P("1", -2, 150.0)).segments)
    two_way = parse_opendrive(_two_way_map(tmp_path / "two_way.xodr").read_text(), source="two_way.xodr")
    assert needs_legs(two_way, two_way.route(P("11", 1, 40.0), P("10", -1, 20.0)).segments)
    assert not needs_legs(two_way, two_way.route(P("10", -1, 20.0), P("10", -1, 80.0)).segments)


def test_a_step_back_over_the_branch_returns_to_the_main_road(tmp_path):
    """Lane tracking corrects a cursor with negative steps too: moving back past the start of the
    driveway leg puts the cursor on the main road again, on the route's previous leg."""
    from simplatform.engine.road import LaneCursor, RoadAdaptor
    from simplatform.opendrive import LanePosition as P
    from simplatform.opendrive import parse_opendrive

    net = parse_opendrive(_driveway_map(tmp_path / "driveway.xodr").read_text(), source="driveway.xodr")
    legs = net.route(P("1", -2, 20.0), P("99", -1, 30.0)).segments
    road = RoadAdaptor(net)
    c = LaneCursor("1", -2, 49.0, 0.25)
    assert road.advance(c, 3.0, legs=legs)
    assert (c.road_id, c.lane_id, c.s, c.offset, c.reverse) == ("2", -1, pytest.approx(2.0), 0.25, False)
    assert road.advance(c, -3.0, legs=legs)
    assert (c.road_id, c.lane_id, c.s, c.offset) == ("1", -2, pytest.approx(49.0), 0.25)
    # without the legs the same cursor drives straight past s = 50
    assert road.advance(c, 3.0) and (c.road_id, c.s) == ("1", pytest.approx(52.0))


def test_a_batch_of_variants_takes_the_branch_like_a_lone_run(tmp_path):
    from simplatform.engine.batch import run_variants

    odr = _driveway_map(tmp_path / "driveway.xodr")
    start = xosc.LanePosition(20, 0, -2, "1")
    path = _scenario(tmp_path, odr, start, route=[start, xosc.LanePosition(30, 0, -1, "99")])
    lone = _run(path)
    rows: dict[int, list] = {}

    def on_step(engine) -> None:
        t = engine.table
        rows.setdefault(id(engine), []).append((t.lane_road[0], float(t.x[0]), float(t.y[0]), float(t.heading[0])))

    run_variants(path, [{}, {}], RunConfig(dt=DT, on_step=on_step))
    want = [(lane[0], *row[:3]) for lane, row in zip(lone.lane_of("Car"), lone.of("Car").tolist())]
    assert len(rows) == 2 and all(got == want for got in rows.values())
