"""Small OpenDRIVE documents written as text, for tests of mid-lane branches and two-way lanes.

Shared by the lane-graph tests (tests/opendrive/test_odr_s11_graph.py), the engine's route tests
(tests/engine/test_engine_s11_branch_routes.py) and the /route topic tests
(tests/harness/test_harness_s11_route_branch.py), so the three read the same maps.
"""

from __future__ import annotations

import math
from pathlib import Path


def lane(i: int, width: float = 3.5, link: str = "", direction: str | None = None, kind: str = "driving") -> str:
    attr = f' direction="{direction}"' if direction else ""
    return f'<lane id="{i}" type="{kind}"{attr}>{link}<width sOffset="0" a="{width}" b="0" c="0" d="0"/></lane>'


def links(pred=None, succ=None) -> str:
    return ("<link>" + "".join(f'<predecessor id="{i}"/>' for i in (pred or ()))
            + "".join(f'<successor id="{i}"/>' for i in (succ or ())) + "</link>")


def road(rid, x, y, h, length, junction=-1, road_links="", left="", right="", curvature=0.0, rule="") -> str:
    shape = f'<arc curvature="{curvature}"/>' if curvature else "<line/>"
    rule = f' rule="{rule}"' if rule else ""
    return (f'<road id="{rid}" length="{length}" junction="{junction}"{rule}><link>{road_links}</link>'
            f'<planView><geometry s="0" x="{x}" y="{y}" hdg="{h}" length="{length}">{shape}</geometry></planView>'
            '<lanes><laneSection s="0">' + (f"<left>{left}</left>" if left else "")
            + '<center><lane id="0" type="none"/></center>' + (f"<right>{right}</right>" if right else "")
            + "</laneSection></lanes></road>\n")


def doc(*parts: str) -> str:
    return '<?xml version="1.0"?>\n<OpenDRIVE><header revMajor="1" revMinor="7"/>\n' + "".join(parts) + "</OpenDRIVE>\n"


RADIUS = 20.0
BRANCH_S = 50.0
JOIN_S = 120.0


def driveway_map(path: Path) -> Path:
    """Main road 1 (200 m along +x; lane 1 westbound, lanes -1 and -2 eastbound, 3.5 m).  The
    driveway, road 2 of virtual junction 555, leaves lane -2 at s = 50 tangentially (its one 3 m
    lane's centre starts on lane -2's centre, y = -5.25) and turns right on a 20 m arc into the
    parking road 99 (southbound, 50 m, a dead end).  Road 3 (virtual junction 556) comes up from
    the south on a 20 m arc and joins lane -2 tangentially at s = 120."""
    quarter = RADIUS * math.pi / 2
    end_x, end_y = BRANCH_S + RADIUS, -3.75 - RADIUS
    path.write_text(doc(
        road(1, 0, 0, 0, 200, left=lane(1), right=lane(-1) + lane(-2)),
        road(2, BRANCH_S, -3.75, 0, quarter, 555,
             f'<predecessor elementType="road" elementId="1" elementS="{BRANCH_S}" elementDir="+"/>'
             '<successor elementType="road" elementId="99" contactPoint="start"/>',
             right=lane(-1, 3, links((-2,), (-1,))), curvature=-1.0 / RADIUS),
        road(99, end_x, end_y, -math.pi / 2, 50, -1,
             '<predecessor elementType="road" elementId="2" contactPoint="end"/>',
             right=lane(-1, 3, links((-1,), ()))),
        road(3, JOIN_S - RADIUS, -3.75 - RADIUS, math.pi / 2, quarter, 556,
             f'<successor elementType="road" elementId="1" elementS="{JOIN_S}" elementDir="+"/>',
             right=lane(-1, 3, links((), (-2,))), curvature=-1.0 / RADIUS),
        '<junction id="555" type="virtual" mainRoad="1" sStart="45" sEnd="55" orientation="+">'
        '<connection id="0" type="virtual" incomingRoad="1" connectingRoad="2" contactPoint="start">'
        '<laneLink from="-2" to="-1"/></connection></junction>\n'
        f'<junction id="556" type="virtual" mainRoad="1" sStart="{JOIN_S - 5}" sEnd="{JOIN_S + 5}" orientation="+"/>\n'))
    return path


def two_way_map(path: Path) -> Path:
    """Road 10 (100 m along +x) is one two-way lane -1 (@direction="both", centre y = -1.75).
    Road 11 follows at its end: one westbound lane 1 whose centre lines up with it (reference
    line at y = -3.5), linked to lane -1 of road 10."""
    path.write_text(doc(
        road(10, 0, 0, 0, 100, road_links='<successor elementType="road" elementId="11" contactPoint="start"/>',
             right=lane(-1, 3.5, "", "both")),
        road(11, 100, -3.5, 0, 60, road_links='<predecessor elementType="road" elementId="10" contactPoint="end"/>',
             left=lane(1, 3.5, links((-1,), ())))))
    return path
