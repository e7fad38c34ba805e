"""Session 11, fourth sweep of external maps (CARLA Studio, CARLA co-simulation,
scenario_runner databases, qc-opendrive cases): constructs that diverged from the
spec.  Every map here is written by the test."""

from __future__ import annotations

import pytest

from simplatform.opendrive import LanePosition, parse_opendrive
from simplatform.opendrive.summary import summarise


def _section(s: float, width_b: float = 0.0) -> str:
    return (f'<laneSection s="{s}"><center><lane id="0" type="none"/></center><right>'
            f'<lane id="-1" type="driving"><width sOffset="0" a="3" b="{width_b}" c="0" d="0"/></lane>'
            "</right></laneSection>")


def one_road(*sections: str, length: float = 100.0) -> str:
    return ('<?xml version="1.0"?>\n<OpenDRIVE><header revMajor="1" revMinor="5"/>\n'
            f'<road id="2" length="{length}" junction="-1"><planView><geometry s="0" x="0" y="0" hdg="0" '
            f'length="{length}"><line/></geometry></planView>\n<lanes>{"".join(sections)}</lanes></road>\n'
            "</OpenDRIVE>\n")


# ------------------------------------------------- lane sections past the road's end
def test_a_lane_section_starting_past_the_road_end_is_dropped_with_a_note():
    # qc-opendrive check_lanesection_valid_s: a section at s=500 on a 100 m road
    net = parse_opendrive(one_road(_section(0), _section(50, 0.04), _section(500, 0.04)), source="past.xodr")
    sections = net.roads["2"].lane_sections
    assert [(sec.s, sec.s_end) for sec in sections] == [(0.0, 50.0), (50.0, 100.0)]
    assert any("lane section at s=500 starts beyond the road's end" in p for p in summarise(net).problems)
    # the section before it ends at the road's end, so the lane graph and routes stay on the road
    graph = net.lane_graph
    assert max(graph.s_end) == pytest.approx(100.0)
    r = net.route(LanePosition("2", -1, 10.0), LanePosition("2", -1, 90.0))
    assert r.length == pytest.approx(80.0)


def test_a_closing_section_a_hair_past_the_end_is_kept_as_before():
    net = parse_opendrive(one_road(_section(0), _section(100.0005)), source="hair.xodr")
    assert [sec.s for sec in net.roads["2"].lane_sections] == [0.0, 100.0005]
    assert not any("beyond the road's end" in p for p in summarise(net).problems)


# ------------------------------------------------- road links to the wrong road end
def _straight(rid: str, x: float, link: str, hdg: float = 0.0) -> str:
    return (f'<road id="{rid}" length="50" junction="-1"><link>{link}</link><planView><geometry s="0" x="{x}" y="0" '
            f'hdg="{hdg}" length="50"><line/></geometry></planView><lanes><laneSection s="0"><center>'
            '<lane id="0" type="none"/></center><right><lane id="-1" type="driving"><width sOffset="0" a="3" b="0" '
            'c="0" d="0"/></lane></right></laneSection></lanes></road>\n')


def _pair(contact: str) -> str:
    # road 1 ends at x=50; road 2 runs from x=50 to x=100
    return ('<?xml version="1.0"?>\n<OpenDRIVE><header revMajor="1" revMinor="5"/>\n'
            + _straight("1", 0.0, f'<successor elementType="road" elementId="2" contactPoint="{contact}"/>')
            + _straight("2", 50.0, "") + "</OpenDRIVE>\n")


def test_a_road_linked_to_the_far_end_of_another_is_reported():
    # qc-opendrive check_road_linkage_backward: the successor names road 19's end, 103 m away
    net = parse_opendrive(_pair("end"), source="far_end.xodr")
    assert ("road 1 links at its end to the end of road 2, but the roads are 50.00 m apart there"
            in summarise(net).problems)


def test_roads_that_touch_at_their_linked_ends_are_not_reported():
    net = parse_opendrive(_pair("start"), source="touch.xodr")
    assert not any("apart there" in p for p in summarise(net).problems)


# ------------------------------------------------- negative lane widths
def test_a_lane_width_running_below_zero_is_reported():
    # qc-opendrive check_lane_valid_width: 3 - 0.1 s reaches -2 m at the section's end
    net = parse_opendrive(one_road(_section(0, -0.1), _section(50)), source="narrow.xodr")
    assert ("road 2 lane -1 (section at s=0): width is negative, down to -2.00 m at s=50.0"
            in summarise(net).problems)


def test_a_lane_narrowing_to_zero_is_not_a_negative_width():
    net = parse_opendrive(one_road(_section(0, -0.06), _section(50)), source="taper.xodr")
    assert not any("width is negative" in p for p in summarise(net).problems)


# ------------------------------------------------- negative object sizes
def _with_objects(objects: str) -> str:
    return one_road(_section(0)).replace("</lanes>", f"</lanes><objects>{objects}</objects>")


def _signed_area(points) -> float:
    x, y = points[:, 0], points[:, 1]
    return 0.5 * float((x * (y.take(range(1, len(y) + 1), mode="wrap")) - x.take(range(1, len(x) + 1), mode="wrap") * y).sum())


def test_negative_object_sizes_are_read_as_their_magnitude_and_reported():
    # qc-opendrive check_object_size: radius="-0.3" on a tree, width="-0.04" on a 222 m pole
    net = parse_opendrive(_with_objects(
        '<object type="tree" id="13" s="11" t="-5.28" radius="-0.3" height="13.4"/>'
        '<object type="pole" id="16" s="18" t="4.3" width="-0.04" length="222" height="3.2"/>'), source="size.xodr")
    by_id = {o.id: o for o in net.objects}
    assert by_id["13"].radius == 0.3 and by_id["16"].width == 0.04
    assert _signed_area(by_id["16"].footprint) == pytest.approx(222 * 0.04)  # counter-clockwise
    problems = summarise(net).problems
    assert "size.xodr:4: <object> '13': radius -0.3 is negative; read as 0.3" in problems
    assert "size.xodr:4: <object> '16': width -0.04 is negative; read as 0.04" in problems


# ------------------------------------------------- laneOffset beside lane borders
def _bordered(offset_a: float) -> str:
    return ('<?xml version="1.0"?>\n<OpenDRIVE><header revMajor="1" revMinor="8"/>\n'
            '<road id="1" length="100" junction="-1"><planView><geometry s="0" x="0" y="0" hdg="0" length="100">'
            f'<line/></geometry></planView><lanes><laneOffset s="0" a="{offset_a}" b="0" c="0" d="0"/>'
            '<laneSection s="0"><left><lane id="1" type="driving"><border sOffset="0" a="3.57" b="0" c="0" d="0"/>'
            '</lane></left><center><lane id="0"/></center><right><lane id="-1" type="driving">'
            '<border sOffset="0" a="-3.57" b="0" c="0" d="0"/></lane></right></laneSection></lanes></road>\n'
            "</OpenDRIVE>\n")


def test_a_lane_offset_beside_lane_borders_is_reported():
    # qc-opendrive rule 104 (road.lanes.lane_offset.no_offset_if_border_defined), invalid case
    net = parse_opendrive(_bordered(1.25), source="r104.xodr")
    assert any("<laneOffset> together with lane <border>s" in p for p in summarise(net).problems)
    assert net.lane_boundaries("1", 1, 50.0) == pytest.approx((1.25, 4.82))  # read from the offset centre lane


def test_a_zero_lane_offset_beside_borders_is_silent():
    net = parse_opendrive(_bordered(0.0), source="r104_ok.xodr")
    assert not any("<laneOffset>" in p for p in summarise(net).problems)
