"""Driving direction, successors/predecessors and neighbour lanes on the test maps."""

from __future__ import annotations

import pytest

from scenarios.maps import map_path
from simplatform.errors import RoadNetworkError
from simplatform.opendrive import load_opendrive, parse_opendrive
from simplatform.opendrive import topology


@pytest.fixture(scope="module")
def highway():
    return load_opendrive(map_path("highway_straight"))


@pytest.fixture(scope="module")
def four_way():
    return load_opendrive(map_path("junction_4way"))


@pytest.fixture(scope="module")
def on_ramp():
    return load_opendrive(map_path("highway_on_ramp"))


def test_right_hand_traffic_drives_right_lanes_with_s(highway):
    assert [highway.driving_direction("1", lane) for lane in (-3, -1, 1, 3)] == [1, 1, -1, -1]
    with pytest.raises(RoadNetworkError):
        highway.driving_direction("1", 0)


def test_left_hand_traffic_mirrors_the_directions():
    text = map_path("highway_straight").read_text().replace('rule="RHT"', 'rule="LHT"')
    net = parse_opendrive(text)
    assert net.driving_direction("1", -1) == -1 and net.driving_direction("1", 2) == 1
    # and the driver's left is now toward the lower ids on the left side
    assert net.neighbour_lane("1", 1, 10.0, side=+1) == 2


def test_highway_neighbours_of_the_same_direction_only(highway):
    # lane -2 drives east: its left is -1 (toward the centre), its right -3
    assert highway.neighbour_lane("1", -2, 100.0, +1) == -1
    assert highway.neighbour_lane("1", -2, 100.0, -1) == -3
    assert highway.neighbour_lane("1", -1, 100.0, +1) is None  # beyond the centre line: oncoming
    assert highway.neighbour_lane("1", -3, 100.0, -1) is None  # the shoulder is not drivable
    # lane 1 drives west: its left is across the centre (oncoming), its right is 2
    assert highway.neighbour_lane("1", 1, 100.0, +1) is None
    assert highway.neighbour_lane("1", 1, 100.0, -1) == 2


def test_lanes_continue_across_a_road_link(highway):
    assert highway.successors("1", -2) == [("2", -2)]
    assert highway.predecessors("2", -2) == [("1", -2)]
    # westbound traffic goes from road 2 into road 1
    assert highway.successors("2", 3) == [("1", 3)]
    assert highway.successors("1", 3) == []  # leaves the map


def test_head_to_head_roads_negate_lane_ids():
    """Road 2 runs against road 1 (successor contactPoint end): lane -1 continues as lane 1."""
    def road(rid, x, hdg, link):
        return f"""<road id="{rid}" length="100" junction="-1"><link>{link}</link>
          <planView><geometry s="0" x="{x}" y="0" hdg="{hdg}" length="100"><line/></geometry></planView>
          <lanes><laneSection s="0"><left><lane id="1" type="driving"><width sOffset="0" a="3.5" b="0" c="0" d="0"/></lane></left>
          <center><lane id="0" type="none"/></center>
          <right><lane id="-1" type="driving"><width sOffset="0" a="3.5" b="0" c="0" d="0"/></lane></right>
          </laneSection></lanes></road>"""
    text = ('<OpenDRIVE><header revMajor="1" revMinor="7"/>'
            + road(1, 0, 0, '<successor elementType="road" elementId="2" contactPoint="end"/>')
            + road(2, 200, 3.141592653589793, '<successor elementType="road" elementId="1" contactPoint="end"/>')
            + "</OpenDRIVE>")
    net = parse_opendrive(text)
    assert net.successors("1", -1) == [("2", 1)]
    assert net.successors("2", -1) == [("1", 1)]
    assert net.predecessors("2", 1) == [("1", -1)]


def test_four_way_junction_successors_are_its_connecting_roads(four_way):
    junction = four_way.junctions["100"]
    for lane in (-1, -2):
        after = four_way.successors("1", lane)
        assert len(after) == 3  # straight, left, right
        for road_id, next_lane in after:
            connecting = four_way.roads[road_id]
            assert connecting.junction == junction.id
            assert connecting.predecessor.element_id == "1"
            # each connecting road leads on to one of the other three roads
            onward = four_way.successors(road_id, next_lane)
            assert len(onward) == 1 and onward[0][0] in {"2", "3", "4"}
    reached = {four_way.successors(r, ln)[0][0] for r, ln in four_way.successors("1", -1)}
    assert reached == {"2", "3", "4"}


def test_traffic_leaves_the_junction_into_roads_that_start_there(four_way):
    """Road 3 starts at the junction: its lanes -1/-2 are entered from connecting roads,
    its lanes 1/2 drive into the junction (the connection entered at the road's start)."""
    assert len(four_way.predecessors("3", -1)) == 3
    assert four_way.predecessors("3", 1) == []
    assert {four_way.roads[r].junction for r, _ in four_way.successors("3", 1)} == {"100"}


def test_on_ramp_joins_the_acceleration_lane(on_ramp):
    assert on_ramp.successors("2", -1) == [("3", -3)]
    assert on_ramp.successors("1", -1) == [("3", -1)] and on_ramp.successors("1", -2) == [("3", -2)]
    assert sorted(on_ramp.predecessors("3", -3)) == [("2", -1)]


def test_acceleration_lane_ends_inside_its_road(on_ramp):
    road = on_ramp.roads["3"]
    # across the lane-section boundary at s=150 the lane keeps its id, then it ends at s=250
    assert topology.lane_successors(on_ramp, ("3", 0, -3)) == [("3", 1, -3)]
    assert topology.lane_successors(on_ramp, ("3", 1, -3)) == []
    assert [sec.s for sec in road.lane_sections] == [0.0, 150.0, 250.0]
    assert on_ramp.successors("3", -3) == []
    assert on_ramp.neighbour_lane("3", -3, 200.0, +1) == -2
    assert on_ramp.neighbour_lane("3", -2, 200.0, -1) == -3
    assert on_ramp.neighbour_lane("3", -2, 300.0, -1) is None


def test_unknown_road_or_lane_is_a_located_error(highway):
    with pytest.raises(RoadNetworkError, match="no road"):
        highway.successors("99", -1)
    with pytest.raises(RoadNetworkError, match="no lane 7"):
        highway.successors("1", 7)
