"""``map info`` reports linked lanes whose borders do not meet (CARLA Studio's
sample_osm_rural.xodr links a road to another 300 m away); maps written here."""

from __future__ import annotations

import pytest

from simplatform.opendrive import parse_opendrive
from simplatform.opendrive.summary import joint_gaps, summarise


def two_roads(x2: float, width2: float = 3.5, tail: str = "") -> str:
    def road(rid, x, link, width):
        return (f'<road id="{rid}" length="50" junction="-1"><link>{link}</link><planView><geometry s="0" x="{x}" y="0"'
                f' hdg="0" length="50"><line/></geometry></planView><lanes><laneSection s="0"><center>'
                f'<lane id="0" type="none"/></center><right><lane id="-1" type="driving"><width sOffset="0" a="{width}"'
                f' b="0" c="0" d="0"/>{tail}</lane></right></laneSection></lanes></road>\n')
    return ('<?xml version="1.0"?>\n<OpenDRIVE><header revMajor="1" revMinor="7"/>\n'
            + road("1", 0.0, '<successor elementType="road" elementId="2" contactPoint="start"/>', 3.5)
            + road("2", x2, '<predecessor elementType="road" elementId="1" contactPoint="end"/>', width2)
            + "</OpenDRIVE>\n")


def test_lanes_that_meet_are_not_reported():
    net = parse_opendrive(two_roads(50.0), source="ok.xodr")
    assert joint_gaps(net) == [] and summarise(net).problems == []


@pytest.mark.parametrize("x2, gap", [(55.0, 5.0), (50.2, 0.2)])
def test_a_gap_between_linked_lanes_is_reported_with_its_size(x2, gap):
    net = parse_opendrive(two_roads(x2), source="gap.xodr")
    assert joint_gaps(net) == [f"road 1 lane -1 continues into road 2 lane -1, but their borders are "
                               f"{gap:.2f} m apart at the joint"]
    assert joint_gaps(net) == [p for p in summarise(net).problems if "apart at the joint" in p]


def test_a_width_step_is_a_gap_of_its_outer_border():
    net = parse_opendrive(two_roads(50.0, width2=3.0), source="step.xodr")
    assert joint_gaps(net) == ["road 1 lane -1 continues into road 2 lane -1, but their borders are "
                               "0.50 m apart at the joint"]


def test_below_the_tolerance_is_silent():
    net = parse_opendrive(two_roads(50.004), source="round.xodr")
    assert joint_gaps(net) == []
