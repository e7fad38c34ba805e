"""A route driven along a two-way lane against its side's direction heads the way it is driven.

Lanes with ``direction="both"`` (OpenDRIVE 1.7+) are routed both ways; the route topic's waypoint
headings used to come from the lane's standard direction, so such a leg pointed backwards (off by π).
"""

from __future__ import annotations

import math

from scenariogeneration import xodr

from simplatform.harness.route_topics import Segment, sample
from simplatform.opendrive import load_opendrive


def _straight_with_a_two_way_lane(tmp_path):
    road = xodr.create_road([xodr.Line(100)], id=0, left_lanes=1, right_lanes=1)
    odr = xodr.OpenDrive("two_way")
    odr.add_road(road)
    odr.adjust_roads_and_lanes()
    path = tmp_path / "two_way.xodr"
    odr.write_xml(str(path))
    text = path.read_text().replace('<lane id="-1" type="driving" level="false">',
                                    '<lane id="-1" type="driving" level="false" direction="both">', 1)
    assert 'direction="both"' in text
    path.write_text(text)
    return load_opendrive(path)


def test_a_two_way_lane_driven_against_s_heads_back_along_the_road(tmp_path):
    net = _straight_with_a_two_way_lane(tmp_path)
    road = next(iter(net.roads))
    forward = sample(net, [Segment(road, -1, 10.0, 60.0)])
    backward = sample(net, [Segment(road, -1, 60.0, 10.0)])
    assert all(abs(h) < 1e-9 for h in forward.heading)
    assert all(abs(abs(h) - math.pi) < 1e-9 for h in backward.heading)
    assert backward.x[0] > backward.x[-1]
