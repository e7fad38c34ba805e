"""Lane-level routes on the test maps: through junctions, with via points, with lane changes."""

from __future__ import annotations

import pytest

from scenarios.maps import map_path
from simplatform.errors import RoadNetworkError
from simplatform.opendrive import LanePosition, load_opendrive
from simplatform.opendrive.lane_graph import CHANGE, FOLLOW, LANE_CHANGE_COST


@pytest.fixture(scope="module")
def four_way():
    return load_opendrive(map_path("junction_4way"))


@pytest.fixture(scope="module")
def highway():
    return load_opendrive(map_path("highway_straight"))


def _straight_connection(net, a: str, b: str) -> str:
    found = [r.id for r in net.roads.values() if r.junction is not None
             and {r.predecessor.element_id, r.successor.element_id} == {a, b}]
    assert len(found) == 1
    return found[0]


def test_straight_across_the_four_way_junction(four_way):
    route = four_way.route(LanePosition("1", -1, 50.0), LanePosition("3", -1, 50.0))
    connecting = _straight_connection(four_way, "1", "3")
    assert route.roads == ["1", connecting, "3"]
    expected = 50.0 + four_way.roads[connecting].length + 50.0
    assert route.length == pytest.approx(expected)
    assert route.cost == pytest.approx(expected)  # no lane change
    assert [(s.road_id, s.lane_id) for s in route.segments] == [("1", -1), (connecting, -1), ("3", -1)]
    assert route.segments[0].s_start == 50.0 and route.segments[-1].s_end == 50.0


def test_left_turn_into_a_road_that_ends_at_the_junction(four_way):
    """From road 3 (starts at the junction, lane 1 drives toward it) to road 2 (ends there):
    road 2's lane 1 drives away from the junction, against s."""
    route = four_way.route(LanePosition("3", 1, 60.0), LanePosition("2", 1, 30.0))
    assert route.roads[0] == "3" and route.roads[-1] == "2" and len(route.roads) == 3
    first, last = route.segments[0], route.segments[-1]
    assert (first.s_start, first.s_end) == (60.0, 0.0)
    assert (last.s_start, last.s_end) == (100.0, 30.0)
    assert route.length == pytest.approx(60 + four_way.roads[route.roads[1]].length + 70)


def test_no_route_raises(four_way):
    with pytest.raises(RoadNetworkError, match="no drivable route"):
        four_way.route(LanePosition("1", -1, 50.0), LanePosition("1", 1, 50.0))  # no U-turns
    with pytest.raises(RoadNetworkError):
        four_way.route(LanePosition("1", -1, 50.0), LanePosition("1", -1, 10.0))  # behind, no loop


def test_highway_route_changes_lanes_with_a_penalty(highway):
    route = highway.route(LanePosition("1", -1, 100.0), LanePosition("2", -3, 100.0))
    assert route.roads == ["1", "2"]
    assert route.length == pytest.approx(500.0)
    assert route.cost == pytest.approx(500.0 + 2 * LANE_CHANGE_COST)
    assert route.segments[-1].lane_id == -3


def test_same_lane_ahead_is_the_s_difference(highway):
    assert highway.route_distance(LanePosition("1", -2, 10.0), LanePosition("1", -2, 250.0)) == pytest.approx(240)
    # westbound lane: ahead means lower s, across the road link
    assert highway.route_distance(LanePosition("2", 2, 100.0), LanePosition("1", 2, 400.0)) == pytest.approx(200)


def test_via_points_are_visited_in_order():
    net = load_opendrive(map_path("roundabout"))
    start, goal = LanePosition("11", 1, 70.0), LanePosition("13", -1, 10.0)
    direct = net.route(start, goal)
    # east arm to west arm: half way round the ring, counter-clockwise through the north junction
    assert direct.roads[0] == "11" and direct.roads[-1] == "13"
    assert [r for r in direct.roads if r in {"1", "2", "3", "4"}] == ["1", "2"]
    # via the south arm's exit lane is only reachable the long way round ... and back onto the ring
    via = net.route(start, LanePosition("11", -1, 5.0), via=[LanePosition("4", -1, 10.0)])
    assert [r for r in via.roads if r in {"1", "2", "3", "4"}] == ["1", "2", "3", "4"]
    assert via.length > direct.length


def test_distance_between_positions_on_a_route(highway):
    route = highway.route(LanePosition("1", -1, 0.0), LanePosition("2", -1, 500.0))
    a, b = LanePosition("1", -1, 100.0), LanePosition("2", -1, 50.0)
    assert route.distance_between(a, b) == pytest.approx(450.0)
    assert route.distance_between(b, a) == pytest.approx(-450.0)
    # an actor in the next lane is measured at its s on the same road
    assert route.distance_between(a, LanePosition("2", -2, 50.0)) == pytest.approx(450.0)
    with pytest.raises(RoadNetworkError, match="not on the route"):
        route.distance_between(a, LanePosition("1", 1, 10.0))


def test_lane_graph_edges(highway):
    graph = highway.lane_graph
    node = ("1", 0, -2)
    kinds = {e.target: (e.kind, e.cost) for e in graph.adjacency[node]}
    assert kinds[("2", 0, -2)] == (FOLLOW, 500.0)
    assert kinds[("1", 0, -1)] == (CHANGE, LANE_CHANGE_COST)
    assert kinds[("1", 0, -3)] == (CHANGE, LANE_CHANGE_COST)
    assert ("1", 0, -4) not in graph.index  # shoulders are not routed
    assert graph.matrix.shape == (len(graph.nodes), len(graph.nodes))


def test_on_ramp_route_merges_from_the_acceleration_lane():
    net = load_opendrive(map_path("highway_on_ramp"))
    route = net.route(LanePosition("2", -1, 10.0), LanePosition("3", -1, 350.0))
    assert route.roads == ["2", "3"]
    assert route.segments[-1].lane_id == -1
    assert route.length == pytest.approx(150.0 + 350.0)
    # the ramp only reaches the acceleration lane -3: two lane changes to reach -1
    assert route.cost == pytest.approx(500.0 + 2 * LANE_CHANGE_COST)
