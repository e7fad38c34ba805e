"""A road linked to itself closes a loop (esmini's circle_300m.xodr), session 10.

OpenDRIVE 1.7 §8.3/§11.6: a road's successor may be any road, itself included; the lane
then continues at the other end of the same road.  topology's in-road walk across lane
sections took every same-road step for a section step, so the loop read as a dead end
(successors [] - the engine stopped cars at s = 300 on esmini's circle).  Each test writes
its own small map.
"""

from __future__ import annotations

import math

import pytest

from simplatform.opendrive import parse_opendrive, topology

LANE = ('<lane id="{id}" type="driving" level="false"><link>{link}</link><width sOffset="0" a="3.5" b="0" c="0" '
        'd="0"/></lane>')


def _section(s: float, link: bool) -> str:
    def one(i):
        return LANE.format(id=i, link=f'<predecessor id="{i}"/><successor id="{i}"/>' if link else "")
    return (f'<laneSection s="{s}"><left>{one(1)}</left><center><lane id="0" type="driving" level="false"/>'
            f'</center><right>{one(-1)}</right></laneSection>')


def circle(sections: int = 1, link_to_self: bool = True, lane_links: bool = True) -> str:
    length = 300.0
    road_link = ('<link><predecessor elementType="road" elementId="1" contactPoint="end"/>'
                 '<successor elementType="road" elementId="1" contactPoint="start"/></link>') if link_to_self else ""
    body = "".join(_section(k * length / sections, lane_links) for k in range(sections))
    return (f'<?xml version="1.0"?><OpenDRIVE><header revMajor="1" revMinor="4" name="c"/>'
            f'<road name="" length="{length}" id="1" junction="-1">{road_link}<planView><geometry s="0" x="0" '
            f'y="0" hdg="0" length="{length}"><arc curvature="{2 * math.pi / length}"/></geometry></planView>'
            f'<lanes>{body}</lanes></road></OpenDRIVE>')


@pytest.mark.parametrize("sections", [1, 3])
def test_a_road_linked_to_itself_is_its_own_successor_and_predecessor(sections):
    net = parse_opendrive(circle(sections))
    for lane in (-1, 1):
        assert topology.successors(net, "1", lane) == [("1", lane)]
        assert topology.predecessors(net, "1", lane) == [("1", lane)]


def test_the_loop_closes_at_the_road_ends_in_the_lane_graph():
    net = parse_opendrive(circle(3))
    last, first = ("1", 2, -1), ("1", 0, -1)
    assert first in topology.lane_successors(net, last)
    assert ("1", 2, 1) in topology.lane_successors(net, ("1", 0, 1))  # lane 1 runs towards s = 0


def test_a_road_without_the_link_still_ends():
    net = parse_opendrive(circle(3, link_to_self=False))
    assert topology.successors(net, "1", -1) == []
    assert topology.predecessors(net, "1", 1) == []
