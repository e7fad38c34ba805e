"""Session 11 mend: crossfall records form one sequence in s; a mid-road link off its main road is refused.

* OpenDRIVE 1.4/1.5 ``<crossfall>`` (1.4 §5.3.6.2): each record is an entry "valid until
  the next entry starts", whatever side it names.  libOpenDRIVE
  (``Crossfall::get_crossfall``) keeps one sequence: a ``side="left"`` record leaves the
  right side flat until the next record, ``right`` the left side.
* Virtual junctions (OpenDRIVE 1.7 §10.4): a mid-road link's ``elementS`` must be a
  point of the main road, 0 <= elementS <= length.

Every map is written by the test."""

from __future__ import annotations

import math

import pytest

from simplatform.errors import RoadNetworkError
from simplatform.opendrive import LanePosition as P
from simplatform.opendrive import parse_opendrive


def _lane(i: int, width: float = 3.5, link: str = "") -> str:
    return f'<lane id="{i}" type="driving">{link}<width sOffset="0" a="{width}" b="0" c="0" d="0"/></lane>'


def _road(rid, x, y, h, length, junction=-1, links="", left="", right="", lateral="") -> str:
    return (f'<road id="{rid}" length="{length}" junction="{junction}"><link>{links}</link>'
            f'<planView><geometry s="0" x="{x}" y="{y}" hdg="{h}" length="{length}"><line/></geometry></planView>'
            f"<lateralProfile>{lateral}</lateralProfile>"
            '<lanes><laneSection s="0">' + (f"<left>{left}</left>" if left else "")
            + '<center><lane id="0" type="none"/></center>' + (f"<right>{right}</right>" if right else "")
            + "</laneSection></lanes></road>\n")


def _doc(*parts: str, minor: int = 7) -> str:
    return (f'<?xml version="1.0"?>\n<OpenDRIVE><header revMajor="1" revMinor="{minor}"/>\n'
            + "".join(parts) + "</OpenDRIVE>\n")


# ------------------------------------------------ crossfall: one sequence of records
def _crossfall_road(lateral: str, length: float = 200.0):
    return parse_opendrive(_doc(_road(1, 0, 0, 0, length, left=_lane(1, 3.0) + _lane(2, 3.0),
                                      right=_lane(-1, 3.0) + _lane(-2, 3.0), lateral=lateral), minor=4))


def test_a_one_sided_crossfall_record_flattens_the_other_side_until_the_next_record():
    net = _crossfall_road('<crossfall s="0" side="both" a="0.05" b="0" c="0" d="0"/>'
                          '<crossfall s="100" side="left" a="0.02" b="0" c="0" d="0"/>')
    # before s = 100 both sides fall outward by tan(0.05)·|t|
    assert net.road_pose("1", 50.0, -3.0).z == pytest.approx(-math.tan(0.05) * 3.0, abs=1e-12)
    assert net.road_pose("1", 50.0, 3.0).z == pytest.approx(-math.tan(0.05) * 3.0, abs=1e-12)
    # from s = 100 the left record is the entry: the left side at 0.02, the right side flat
    assert net.road_pose("1", 150.0, 3.0).z == pytest.approx(-math.tan(0.02) * 3.0, abs=1e-12)
    right = net.road_pose("1", 150.0, -3.0)
    assert right.z == pytest.approx(0.0, abs=1e-12) and right.roll == 0.0
    lane = net.lane_pose("1", -2, 150.0)  # t = -4.5, the scalar path the engine takes
    assert lane.z == pytest.approx(0.0, abs=1e-12) and lane.roll == 0.0
    many = net.lane_poses("1", -2, [150.0, 50.0], [0.0, 0.0])
    assert list(many.z) == pytest.approx([0.0, -math.tan(0.05) * 4.5], abs=1e-12)


def test_a_right_record_after_a_left_one_flattens_the_left_side():
    net = _crossfall_road('<crossfall s="0" side="left" a="0.03" b="0" c="0" d="0"/>'
                          '<crossfall s="80" side="right" a="0.01" b="0.0001" c="0" d="0"/>')
    assert net.road_pose("1", 40.0, 3.0).z == pytest.approx(-math.tan(0.03) * 3.0, abs=1e-12)
    assert net.road_pose("1", 40.0, -3.0).z == pytest.approx(0.0, abs=1e-12)
    angle = 0.01 + 0.0001 * 40.0
    assert net.road_pose("1", 120.0, -3.0).z == pytest.approx(-math.tan(angle) * 3.0, abs=1e-12)
    assert net.road_pose("1", 120.0, 3.0).z == pytest.approx(0.0, abs=1e-12)


def test_records_at_the_same_s_give_each_side_its_own_crossfall():
    # one record per side at each s (a per-side export): both sides keep theirs
    net = _crossfall_road('<crossfall s="0" side="left" a="0.03" b="0" c="0" d="0"/>'
                          '<crossfall s="0" side="right" a="0.02" b="0" c="0" d="0"/>'
                          '<crossfall s="100" side="right" a="0.04" b="0" c="0" d="0"/>')
    assert net.road_pose("1", 50.0, 3.0).z == pytest.approx(-math.tan(0.03) * 3.0, abs=1e-12)
    assert net.road_pose("1", 50.0, -3.0).z == pytest.approx(-math.tan(0.02) * 3.0, abs=1e-12)
    assert net.road_pose("1", 150.0, -3.0).z == pytest.approx(-math.tan(0.04) * 3.0, abs=1e-12)
    assert net.road_pose("1", 150.0, 3.0).z == pytest.approx(0.0, abs=1e-12)


# ------------------------------------------------ virtual junctions: elementS on the main road
DOWN = -math.pi / 2


def _driveway(element_s: str) -> str:
    """Main road 1 (100 m, lanes 1 and -1); road 2 of virtual junction 555 leaves lane -1 at
    ``element_s`` southwards into the 30 m driveway 99."""
    return _doc(
        _road(1, 0, 0, 0, 100, left=_lane(1), right=_lane(-1)),
        _road(2, 50, -3.5, DOWN, 10, 555,
              f'<predecessor elementType="road" elementId="1" elementS="{element_s}" elementDir="+"/>'
              '<successor elementType="road" elementId="99" contactPoint="start"/>',
              right=_lane(-1, 3, '<link><predecessor id="-1"/><successor id="-1"/></link>')),
        _road(99, 50, -13.5, DOWN, 30, -1, '<predecessor elementType="road" elementId="2" contactPoint="end"/>',
              right=_lane(-1, 3)),
        '<junction id="555" type="virtual" mainRoad="1" sStart="40" sEnd="60" orientation="+">'
        '<connection id="0" type="virtual" incomingRoad="1" connectingRoad="2" contactPoint="start">'
        '<laneLink from="-1" to="-1"/></connection></junction>\n')


def test_a_mid_road_link_on_the_main_road_branches_there():
    net = parse_opendrive(_driveway("50"), source="driveway.xodr")
    route = net.route(P("1", -1, 10.0), P("99", -1, 20.0))
    assert route.roads == ["1", "2", "99"] and route.length == pytest.approx(40.0 + 10.0 + 20.0)
    # the main road's ends are points of it too (within 1e-6 of its length)
    for s in ("0", "100", "100.00000001", "-0.00000001"):
        parse_opendrive(_driveway(s), source="driveway.xodr").lane_graph


@pytest.mark.parametrize("element_s", ["150", "-5", "100.01"])
def test_a_mid_road_link_off_the_main_road_is_a_located_error(element_s):
    text = _driveway(element_s)
    with pytest.raises(RoadNetworkError) as caught:  # when the file is read (simplatform validate, map info)
        parse_opendrive(text, source="driveway.xodr")
    err = caught.value
    line = next(i for i, row in enumerate(text.splitlines(), 1) if f'elementS="{element_s}"' in row)
    assert (err.location.file, err.location.line, err.location.element) == ("driveway.xodr", line, "predecessor")
    assert f"road 2: predecessor links to road 1 at elementS={float(element_s):g}" in err.cause
    assert "from 0 to 100" in err.cause


def test_a_virtual_connection_off_the_main_road_is_a_located_error():
    # the 1.8 §12.7 shape: the connection names both roads by <predecessor>/<successor>
    text = _driveway("50").replace(
        '<connection id="0" type="virtual" incomingRoad="1" connectingRoad="2" contactPoint="start">'
        '<laneLink from="-1" to="-1"/></connection>',
        '<connection id="7" type="virtual"><predecessor elementType="road" elementId="1" elementS="120" '
        'elementDir="+"/><successor elementType="road" elementId="2" contactPoint="start"/>'
        '<laneLink from="-1" to="-1"/></connection>')
    with pytest.raises(RoadNetworkError) as caught:
        parse_opendrive(text, source="vc.xodr")
    assert caught.value.location.file == "vc.xodr" and caught.value.location.element == "predecessor"
    assert "junction 555 virtual connection 7: predecessor links to road 1 at elementS=120" in caught.value.cause
