"""Session 11: the lane graph branches mid-lane and drives two-way lanes both ways.

* Virtual junctions (OpenDRIVE 1.7 §10.4, 1.8 §12.7): a connecting road attached to
  the middle of an unsplit main road (``<predecessor elementType="road" elementS=".."
  elementDir=".."/>``) is a branch of the main road's lanes at ``elementS``: a route
  leaves the main road there into a driveway and joins it again further on.
* Lane ``@direction`` (1.7/1.8): "both" is driven either way, "reversed" against its
  side's standard direction; the deprecated lane type "bidirectional" is "both".
* Left-hand traffic (road ``@rule="LHT"``) routes through junctions as the mirror of
  right-hand traffic.

Every map is written by the test."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
import odr_xml_builders  # noqa: E402
from simplatform.errors import RoadNetworkError  # noqa: E402
from simplatform.opendrive import LanePosition as P  # noqa: E402
from simplatform.opendrive import parse_opendrive  # noqa: E402
from simplatform.opendrive.lane_graph import BRANCH, CHANGE, FOLLOW  # noqa: E402

_lane, _links, _doc = odr_xml_builders.lane, odr_xml_builders.links, odr_xml_builders.doc


def _road(rid, x, y, h, length, junction=-1, links="", left="", right="", rule="") -> str:
    return odr_xml_builders.road(rid, x, y, h, length, junction, links, left, right, rule=rule)


# ------------------------------------------------ virtual junctions: mid-lane branches
DOWN = -math.pi / 2
BACK = math.atan2(65.0, 20.0)


def _parking(out_lanes=(-2,), element_dir="+") -> str:
    """Main road 1 (100 m; lane 1 westbound, -1 and -2 eastbound).  Road 2 leaves it at
    s = 50 into the parking road 99 (the spec's ConnectingRoad2), road 4 comes back from
    the parking road and joins it at s = 70 (both of virtual junction 555)."""
    return _doc(
        _road(1, 0, 0, 0, 100, left=_lane(1), right=_lane(-1) + _lane(-2)),
        _road(2, 50, -7, DOWN, 13, 555,
              f'<predecessor elementType="road" elementId="1" elementS="50" elementDir="{element_dir}"/>'
              '<successor elementType="road" elementId="99" contactPoint="start"/>',
              right=_lane(-1, 3, _links(out_lanes, (-1,)))),
        _road(99, 50, -20, DOWN, 50, -1, '<predecessor elementType="road" elementId="2" contactPoint="end"/>'
              '<successor elementType="junction" elementId="555"/>', right=_lane(-1, 3)),
        _road(4, 50, -70, BACK, math.hypot(20.0, 65.0), 555,
              '<predecessor elementType="road" elementId="99" contactPoint="end"/>'
              '<successor elementType="road" elementId="1" elementS="70" elementDir="+"/>',
              right=_lane(-1, 3, _links((-1,), (-1,)))),
        '<junction id="555" type="virtual" mainRoad="1" sStart="45" sEnd="75" orientation="+">'
        '<connection id="0" type="virtual" incomingRoad="1" connectingRoad="2" contactPoint="start">'
        '<laneLink from="-2" to="-1"/></connection>'
        '<connection id="1" incomingRoad="99" connectingRoad="4" contactPoint="start">'
        '<laneLink from="-1" to="-1"/></connection></junction>\n')


def _spans(route) -> list[tuple[str, int, float, float]]:
    return [(seg.road_id, seg.lane_id, round(seg.s_start, 6), round(seg.s_end, 6)) for seg in route.segments]


def test_a_route_leaves_the_main_road_through_a_virtual_junction():
    net = parse_opendrive(_parking(), source="parking.xodr")
    route = net.route(P("1", -1, 10.0), P("99", -1, 20.0))
    # a lane change to the exit lane where the route starts, then off the main road at s = 50
    assert _spans(route) == [("1", -2, 10.0, 50.0), ("2", -1, 0.0, 13.0), ("99", -1, 0.0, 20.0)]
    assert route.length == pytest.approx(40.0 + 13.0 + 20.0)
    assert route.cost == pytest.approx(route.length + net.lane_graph.lane_change_cost)
    assert route.roads == ["1", "2", "99"]


def test_a_route_joins_the_main_road_mid_lane_and_drives_on():
    net = parse_opendrive(_parking(), source="parking.xodr")
    back = math.hypot(20.0, 65.0)
    route = net.route(P("99", -1, 20.0), P("1", -1, 90.0))
    assert _spans(route) == [("99", -1, 20.0, 50.0), ("4", -1, 0.0, round(back, 6)), ("1", -1, 70.0, 90.0)]
    assert route.length == pytest.approx(30.0 + back + 20.0)
    # and the whole loop: out at 50, back in at 70, on to the goal behind the branch
    loop = net.route(P("1", -2, 20.0), P("1", -1, 95.0), via=[P("99", -1, 25.0)])
    assert loop.roads == ["1", "2", "99", "4", "1"]
    assert loop.length == pytest.approx(30.0 + 13.0 + 50.0 + back + 25.0)


def test_the_main_road_is_split_at_element_s_and_its_lane_changes_stay_exact():
    net = parse_opendrive(_parking(), source="parking.xodr")
    graph = net.lane_graph
    pieces = graph.pieces[(("1", 0, -2), 1)]
    assert pieces == [("1", 0, -2, 1, 0), ("1", 0, -2, 1, 1), ("1", 0, -2, 1, 2)]
    assert [(graph.s_start[graph.index[n]], graph.s_end[graph.index[n]]) for n in pieces] == \
        [(0.0, 50.0), (50.0, 70.0), (70.0, 100.0)]
    out = {(e.target, e.kind) for e in graph.adjacency[pieces[0]]}
    assert (("2", 0, -1), BRANCH) in out and (pieces[1], FOLLOW) in out and (("1", 0, -1, 1, 0), CHANGE) in out
    assert {(e.target, e.kind) for e in graph.adjacency[("4", 0, -1)]} == {(("1", 0, -1, 1, 2), BRANCH)}
    # the unsplit roads keep their plain nodes
    assert ("99", 0, -1) in graph.index and ("2", 0, -1) in graph.index
    # driving on along the main road is one segment, lane changes happen where the route is
    assert _spans(net.route(P("1", -1, 10.0), P("1", -1, 90.0))) == [("1", -1, 10.0, 90.0)]
    change = net.route(P("1", -1, 60.0), P("1", -2, 65.0))
    assert _spans(change) == [("1", -2, 60.0, 65.0)] and change.cost == pytest.approx(5.0 + 5.0)


def test_past_the_branch_point_the_driveway_is_behind():
    net = parse_opendrive(_parking(), source="parking.xodr")
    with pytest.raises(RoadNetworkError, match="no drivable route"):
        net.route(P("1", -2, 60.0), P("99", -1, 20.0))
    # exactly at s = 50 the lane has reached the branch: the position is in the piece after it
    with pytest.raises(RoadNetworkError, match="no drivable route"):
        net.route(P("1", -2, 50.0), P("99", -1, 20.0))


def test_a_lane_link_to_the_other_side_is_a_left_turn_into_the_driveway():
    net = parse_opendrive(_parking(out_lanes=(-2, 1)), source="parking.xodr")
    route = net.route(P("1", 1, 90.0), P("99", -1, 20.0))
    assert _spans(route) == [("1", 1, 90.0, 50.0), ("2", -1, 0.0, 13.0), ("99", -1, 0.0, 20.0)]
    # without that lane link the westbound lane cannot turn in
    with pytest.raises(RoadNetworkError, match="no drivable route"):
        parse_opendrive(_parking(), source="parking.xodr").route(P("1", 1, 90.0), P("99", -1, 20.0))


@pytest.mark.parametrize("element_dir, from_east", [("-", True), ("+", False)])
def test_element_dir_picks_the_direction_of_a_two_way_main_lane(element_dir, from_east):
    # main road 1 is one two-way lane; the driveway (road 2, from s = 50) is entered only by
    # traffic driving the way elementDir says ("-": against s, coming from the east)
    net = parse_opendrive(_doc(
        _road(1, 0, 0, 0, 100, right=_lane(-1, 3.5, "", "both")),
        _road(2, 50, -3.5, DOWN, 13, 555,
              f'<predecessor elementType="road" elementId="1" elementS="50" elementDir="{element_dir}"/>',
              right=_lane(-1, 3, _links((-1,), ()))),
        '<junction id="555" type="virtual" mainRoad="1" sStart="45" sEnd="55" orientation="none"/>\n'),
        source="two_way_main.xodr")
    east, west = P("1", -1, 90.0), P("1", -1, 10.0)
    taken, refused = (east, west) if from_east else (west, east)
    assert _spans(net.route(taken, P("2", -1, 5.0)))[0] == ("1", -1, taken.s, 50.0)
    with pytest.raises(RoadNetworkError, match="no drivable route"):
        net.route(refused, P("2", -1, 5.0))


def test_the_mid_road_link_is_still_reported_for_lane_end_followers():
    net = parse_opendrive(_parking(), source="parking.xodr")
    notes = [p for p in net.problems if "mid-road link" in p]
    assert len(notes) == 2 and all("routes branch there" in p for p in notes)
    assert [(b.main_road, b.main_lane, b.s, b.road_id, b.lane_id, b.contact) for b in net.lane_graph.branches] == \
        [("1", -2, 50.0, "2", -1, "start"), ("1", -1, 70.0, "4", -1, "end")]


# ------------------------------------------------------- lane @direction both / reversed
def _two_way(direction: str = "both", kind: str = "driving", rule: str = "") -> str:
    """Road 10 (100 m) is one lane -1 of ``direction``; road 11 (60 m, two ordinary lanes)
    follows at its end."""
    return _doc(
        _road(10, 0, 0, 0, 100, links='<successor elementType="road" elementId="11" contactPoint="start"/>',
              right=_lane(-1, 3.5, "", direction, kind), rule=rule),
        _road(11, 100, 0, 0, 60, links='<predecessor elementType="road" elementId="10" contactPoint="end"/>',
              left=_lane(1, 3.5, _links((-1,), ())), right=_lane(-1, 3.5, _links((-1,), ())), rule=rule))


@pytest.mark.parametrize("how", [dict(direction="both"), dict(direction="", kind="bidirectional")])
def test_a_two_way_lane_is_driven_both_ways(how):
    net = parse_opendrive(_two_way(**how), source="two_way.xodr")
    graph = net.lane_graph
    assert graph.pieces[(("10", 0, -1), 1)] == [("10", 0, -1)]
    assert graph.pieces[(("10", 0, -1), -1)] == [("10", 0, -1, -1, 0)]
    # with its standard direction, as before
    assert _spans(net.route(P("10", -1, 20.0), P("11", -1, 30.0))) == [("10", -1, 20.0, 100.0), ("11", -1, 0.0, 30.0)]
    # against it: coming back from road 11's westbound lane
    back = net.route(P("11", 1, 30.0), P("10", -1, 20.0))
    assert _spans(back) == [("11", 1, 30.0, 0.0), ("10", -1, 100.0, 20.0)]
    assert back.length == pytest.approx(110.0)
    # and inside the lane either way, the cheaper direction taken
    assert _spans(net.route(P("10", -1, 80.0), P("10", -1, 20.0))) == [("10", -1, 80.0, 20.0)]
    assert _spans(net.route(P("10", -1, 20.0), P("10", -1, 80.0))) == [("10", -1, 20.0, 80.0)]
    # the map check knows road 11's westbound lane goes on into the two-way lane
    from simplatform.opendrive.summary import find_problems

    assert not [p for p in find_problems(net) if "opposite driving direction" in p]


def test_a_reversed_lane_runs_against_its_sides_direction():
    net = parse_opendrive(_two_way("reversed"), source="reversed.xodr")
    assert net.driving_direction("10", -1) == -1
    assert _spans(net.route(P("10", -1, 80.0), P("10", -1, 20.0))) == [("10", -1, 80.0, 20.0)]
    assert _spans(net.route(P("11", 1, 30.0), P("10", -1, 20.0))) == [("11", 1, 30.0, 0.0), ("10", -1, 100.0, 20.0)]
    with pytest.raises(RoadNetworkError, match="no drivable route"):
        net.route(P("10", -1, 20.0), P("10", -1, 80.0))
    # in left-hand traffic the right side drives against s, so "reversed" drives with it
    lht = parse_opendrive(_two_way("reversed", rule="LHT"), source="reversed_lht.xodr")
    assert _spans(lht.route(P("10", -1, 20.0), P("10", -1, 80.0))) == [("10", -1, 20.0, 80.0)]


def test_a_two_way_lane_through_a_junction_routes_the_way_back():
    # ASAM's Ex_Bidirectional_Junction in small: one-lane two-way roads 2 and 3 meet road 1
    # (two ordinary lanes) in junction 1; connecting road 5 (two-way) leads from road 2's start
    # back into road 1's westbound lane 1, road 6 from road 1 into road 2
    net = parse_opendrive(_doc(
        _road(1, -60, 0, 0, 40, links='<successor elementType="junction" elementId="1"/>',
              left=_lane(1), right=_lane(-1)),
        _road(6, -20, 0, 0, 30, 1, '<predecessor elementType="road" elementId="1" contactPoint="end"/>'
              '<successor elementType="road" elementId="2" contactPoint="start"/>',
              right=_lane(-1, 3.5, _links((-1,), (-1,)), "both")),
        _road(5, 10, -3.5, math.pi, 30, 1, '<predecessor elementType="road" elementId="2" contactPoint="start"/>'
              '<successor elementType="road" elementId="1" contactPoint="end"/>',
              right=_lane(-1, 3.5, _links((-1,), (1,)), "both")),
        _road(2, 10, 0, 0, 20, links='<predecessor elementType="junction" elementId="1"/>',
              right=_lane(-1, 3.5, "", "both")),
        '<junction id="1">'
        '<connection id="2" incomingRoad="2" connectingRoad="5" contactPoint="start"><laneLink from="-1" to="-1"/>'
        '</connection><connection id="3" incomingRoad="1" connectingRoad="6" contactPoint="start">'
        '<laneLink from="-1" to="-1"/></connection></junction>\n'), source="bidirectional_junction.xodr")
    back = net.route(P("2", -1, 15.0), P("1", 1, 5.0))
    assert _spans(back) == [("2", -1, 15.0, 0.0), ("5", -1, 0.0, 30.0), ("1", 1, 40.0, 5.0)]
    there = net.route(P("1", -1, 5.0), P("2", -1, 15.0))
    assert [seg.road_id for seg in there.segments] == ["1", "6", "2"]
    # the map summary walks the graph's joints, the second direction's nodes included
    from simplatform.opendrive.summary import joint_gaps

    assert isinstance(joint_gaps(net), list)


# ------------------------------------------------------------------ route -> path
def test_the_path_of_a_route_through_a_branch_leaves_the_main_road_at_element_s():
    net = parse_opendrive(_parking(), source="parking.xodr")
    route = net.route(P("1", -2, 20.0), P("99", -1, 10.0))
    path = net.route_path(route, spacing=1.0)
    on_main = np.array([r == "1" for r in path.road_ids])
    assert path.s[on_main].max() == pytest.approx(50.0) and path.s[on_main].min() == pytest.approx(20.0)
    assert np.allclose(path.heading[on_main], 0.0)                    # east along the main road
    assert np.allclose(path.heading[~on_main], DOWN)                  # then south, off it
    first_off = int(np.flatnonzero(~on_main)[0])
    assert path.road_ids[first_off] == "2" and path.s[first_off] == pytest.approx(0.0)
    steps = np.hypot(np.diff(path.x), np.diff(path.y))
    assert steps.max() < 2.5                                          # no jump along the way
    assert path.along[-1] == pytest.approx(route.length)


def test_the_path_on_a_two_way_lane_driven_against_s_heads_against_s():
    net = parse_opendrive(_two_way(), source="two_way.xodr")
    route = net.route(P("11", 1, 30.0), P("10", -1, 20.0))
    path = net.route_path(route, spacing=5.0)
    assert set(path.direction.tolist()) == {-1}
    assert np.allclose(np.abs(path.heading), math.pi)                # westward, the way it is driven
    assert np.all(np.diff(path.x) <= 0) and path.x[0] - path.x[-1] == pytest.approx(110.0)
    assert route.segments[-1].direction == -1 and net.driving_direction("10", -1) == 1


def test_a_via_point_on_a_two_way_lane_is_passed_one_way():
    # the direction at a via point is chosen for the whole route: from road 11's westbound
    # lane through the two-way lane (against s) to its far end, never a turn on the spot
    net = parse_opendrive(_two_way(), source="two_way.xodr")
    route = net.route(P("11", 1, 30.0), P("10", -1, 10.0), via=[P("10", -1, 50.0)])
    assert _spans(route) == [("11", 1, 30.0, 0.0), ("10", -1, 100.0, 10.0)]
    assert route.length == pytest.approx(120.0)


# ------------------------------------------------- left-hand traffic through junctions
def _library_map(name: str) -> str:
    from pathlib import Path

    return (Path(__file__).resolve().parents[2] / "scenarios" / "maps" / f"{name}.xodr").read_text()


def _lane_positions(net, rng: np.random.Generator, n: int) -> list[P]:
    graph = net.lane_graph
    picks = rng.choice(len(graph.nodes), size=n, replace=True)
    out = []
    for i in picks:
        node = graph.nodes[int(i)]
        s = float(rng.uniform(graph.s_start[i], graph.s_end[i]))
        out.append(P(node[0], node[2], s))
    return out


@pytest.mark.parametrize("name", ["junction_4way", "junction_t", "roundabout"])
def test_left_hand_traffic_routes_are_right_hand_routes_driven_backwards(name):
    # the same map with rule="LHT" drives every lane the other way, through the junctions too:
    # a route a -> b under RHT is, reversed, the route b -> a under LHT, of the same length
    text = _library_map(name)
    assert 'rule="RHT"' in text
    rht = parse_opendrive(text)
    lht = parse_opendrive(text.replace('rule="RHT"', 'rule="LHT"'))
    assert all(r.rule == "LHT" for r in lht.roads.values())
    rng = np.random.default_rng(11)
    points = _lane_positions(rht, rng, 24)
    checked = 0
    for a, b in zip(points[::2], points[1::2]):
        try:
            forward = rht.route(a, b)
        except RoadNetworkError:
            with pytest.raises(RoadNetworkError):
                lht.route(b, a)
            continue
        backward = lht.route(b, a)
        assert backward.length == pytest.approx(forward.length, abs=1e-6)
        assert backward.roads == forward.roads[::-1]
        assert any(lht.roads[r].junction is not None for r in backward.roads) or len(backward.roads) == 1
        checked += 1
    assert checked >= 3


# ------------------------------------- virtual connections by predecessor and successor
def _spec_connections(extra: str = "") -> str:
    """The 1.8 §12.7 XML example's direct virtual connections: the parking road 99's end
    joins main road 1's westbound lane 1 at s = 60 (connection 3) and lane 1 leaves into
    road 99's lane 1 at s = 70 (connection 5), both elementDir "-"."""
    return _doc(
        _road(1, 0, 0, 0, 100, left=_lane(1), right=_lane(-1)),
        _road(99, 80, -60, math.pi / 2, 55, 555, "", left=_lane(1, 3), right=_lane(-1, 3)),
        '<junction id="555" type="virtual" mainRoad="1" sStart="55" sEnd="75" orientation="-">'
        '<connection id="3" type="virtual"><predecessor elementType="road" elementId="99" contactPoint="end"/>'
        '<successor elementType="road" elementId="1" elementS="60.0" elementDir="-"/>'
        '<laneLink from="-1" to="1"/></connection>'
        '<connection id="5" type="virtual"><predecessor elementType="road" elementId="1" elementS="70.0"'
        ' elementDir="-"/><successor elementType="road" elementId="99" contactPoint="end"/>'
        f'<laneLink from="1" to="1"/></connection>{extra}</junction>\n')


def test_a_virtual_connection_joins_a_road_end_to_the_main_road_mid_lane():
    net = parse_opendrive(_spec_connections(), source="spec_virtual.xodr")
    assert [vc.id for vc in net.junctions["555"].virtual_connections] == ["3", "5"]
    assert not [p for p in net.problems if "not modelled" in p]
    # out of the parking road, into the westbound lane at s = 60
    route = net.route(P("99", -1, 10.0), P("1", 1, 20.0))
    assert _spans(route) == [("99", -1, 10.0, 55.0), ("1", 1, 60.0, 20.0)]
    # from the westbound lane at s = 70 into the parking road, driven from its end
    route = net.route(P("1", 1, 95.0), P("99", 1, 10.0))
    assert _spans(route) == [("1", 1, 95.0, 70.0), ("99", 1, 55.0, 10.0)]
    assert route.length == pytest.approx(25.0 + 45.0)


def test_a_virtual_connection_of_any_other_shape_is_still_reported():
    both_mid = ('<connection id="7" type="virtual"><predecessor elementType="road" elementId="1" elementS="55"'
                ' elementDir="+"/><successor elementType="road" elementId="99" elementS="0" elementDir="+"/>'
                '</connection>')
    net = parse_opendrive(_spec_connections(both_mid), source="spec_virtual.xodr")
    assert [vc.id for vc in net.junctions["555"].virtual_connections] == ["3", "5"]
    assert [p for p in net.problems if "not modelled" in p] == [
        "spec_virtual.xodr:5: junction 555 virtual connection 7 (predecessor road 1 at s=55, successor road 99 "
        "at s=0) is not modelled"]


@pytest.mark.parametrize("name", ["highway_on_ramp", "junction_4way", "roundabout", "urban_grid"])
def test_library_maps_keep_their_plain_lane_graph(name):
    # no virtual junction, no two-way lane: one (road, section, lane) node per lane section,
    # no branch edges (their graphs and routes are those of the code before branches)
    graph = parse_opendrive(_library_map(name)).lane_graph
    assert graph.branches == [] and all(len(node) == 3 for node in graph.nodes)
    assert all(len(own) == 1 for own in graph.pieces.values()) and len(graph.pieces) == len(graph.nodes)
    assert not [e for edges in graph.adjacency.values() for e in edges if e.kind == BRANCH]
