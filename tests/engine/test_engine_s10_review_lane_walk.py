"""Session 10 review findings on lane motion: a lane-section jump must not hold an entity back, and an
offset keeps its side of the lane across a road link to a road that runs the other way along s.

(1) The path scale once read the lane centre's jump at a lane-section start as a slope in one 0.5 m
cell (√((1 − κt)² + t'²)) and held a car 1.47 m back at a 2 m jump; the factor is |1 − κt| now, as
esmini's DistanceToDS.  (2) ``RoadAdaptor.advance`` kept the offset's sign when the next road's t axis
points the other way, so a car 1 m left of its lane centre jumped 2 m sideways at the link.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import test_engine_s10w_wrongway as ww  # noqa: E402  (its small-map writers)


def _section_jump_road(tmp: Path) -> Path:
    def lane(i: int, w: float) -> str:
        return (f'<lane id="{i}" type="driving" level="false"><link/>'
                f'<width sOffset="0" a="{w}" b="0" c="0" d="0"/></lane>')

    def section(s: float, w1: float) -> str:
        return (f'<laneSection s="{s}"><left>{lane(1, 3.5)}</left><center><lane id="0" type="driving" '
                f'level="false"/></center><right>{lane(-1, w1)}{lane(-2, 3.5)}</right></laneSection>')

    text = ('<?xml version="1.0"?><OpenDRIVE><header revMajor="1" revMinor="6" name="t" version="1"/>'
            '<road name="r" length="200" id="0" junction="-1"><link/><planView><geometry s="0" x="0" y="0" '
            'hdg="0" length="200"><line/></geometry></planView>'
            f'<lanes>{section(0, 3.5)}{section(50.2, 1.5)}</lanes></road></OpenDRIVE>')
    path = tmp / "jump.xodr"
    path.write_text(text)
    return path


def test_a_lane_section_jump_does_not_hold_the_car_back(tmp_path):
    road = _section_jump_road(tmp_path)
    init = ww.both(ww.place("0", 1, 10.0, 0), ww.place("0", -2, 40.0, 20.0))
    _, trace = ww.run(ww.scenario(tmp_path, road, init, duration=1.2))
    times, xy = trace.time(), trace.of("Other")
    for k in range(1, len(times)):
        if 0.3 <= times[k] <= 0.9:                  # the car passes the section start (s = 50.2) at 0.51 s
            assert math.isclose(xy[k, 0] - xy[k - 1, 0], 20.0 * (times[k] - times[k - 1]), abs_tol=1e-9)


def _reversed_link_road(tmp: Path) -> Path:
    # road 0 runs +x (0..50); road 1 runs from x = 100 back to x = 50, joined end to end
    r0 = ww._road("0", 50.0, '<geometry s="0" x="0" y="0" hdg="0" length="50"><line/></geometry>',
                  '<successor elementType="road" elementId="1" contactPoint="end"/>')
    r1 = ww._road("1", 50.0, f'<geometry s="0" x="100" y="0" hdg="{math.pi}" length="50"><line/></geometry>',
                  '<successor elementType="road" elementId="0" contactPoint="end"/>')
    r0 = r0.replace('<lane id="-1" type="driving" level="false"><link></link>',
                    '<lane id="-1" type="driving" level="false"><link><successor id="1"/></link>').replace(
                    '<lane id="1" type="driving" level="false"><link></link>',
                    '<lane id="1" type="driving" level="false"><link><successor id="-1"/></link>')
    r1 = r1.replace('<lane id="1" type="driving" level="false"><link></link>',
                    '<lane id="1" type="driving" level="false"><link><successor id="-1"/></link>').replace(
                    '<lane id="-1" type="driving" level="false"><link></link>',
                    '<lane id="-1" type="driving" level="false"><link><successor id="1"/></link>')
    return ww._xodr(tmp / "reversed.xodr", r0 + r1)


def test_an_offset_keeps_its_side_across_a_link_to_a_reversed_road(tmp_path):
    road = _reversed_link_road(tmp_path)
    car = ww.place("0", -1, 40.0, 10.0).replace('offset="0"', 'offset="1.0"')   # 1 m left of lane -1's centre
    _, trace = ww.run(ww.scenario(tmp_path, road, ww.both(ww.place("0", 1, 10.0, 0), car), duration=3.0))
    for t in (0.5, 0.9, 1.0, 1.5, 2.5):                  # the link is crossed at 1.0 s (x = 50)
        x, y = ww.at(trace, "Other", t)[:2]
        assert math.isclose(y, -0.75, abs_tol=1e-9), (t, x, y)
