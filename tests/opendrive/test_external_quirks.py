"""Constructs found in OpenDRIVE maps written by other tools (esmini, CARLA/RoadRunner,
libOpenDRIVE's test map, SUMO exports): read the way esmini and libOpenDRIVE read them,
each deviation from the schema reported in ``net.problems`` — or refused with a located
error where nothing sensible can be read.  Every map here is written by the test."""

from __future__ import annotations

import math

import pytest

from simplatform.errors import RoadNetworkError
from simplatform.opendrive import parse_opendrive
from simplatform.opendrive.summary import summarise


def road(objects: str = "", geometry: str = "", extra: str = "") -> str:
    geometry = geometry or '<geometry s="0" x="0" y="0" hdg="0" length="100"><line/></geometry>'
    return (
        '<road id="1" length="100" junction="-1"><link/>\n'
        f"<planView>{geometry}</planView>\n"
        '<lanes><laneSection s="0"><left><lane id="1" type="driving"><width sOffset="0" a="3.5" b="0" c="0" d="0"/>'
        '</lane></left><center><lane id="0" type="none"/></center>'
        '<right><lane id="-1" type="driving"><width sOffset="0" a="3.5" b="0" c="0" d="0"/></lane></right>'
        "</laneSection></lanes>\n"
        f"<objects>{objects}</objects>{extra}\n</road>\n"
    )


def doc(body: str, top: str = "", head: str = '<?xml version="1.0" encoding="UTF-8"?>\n') -> str:
    return f'{head}<OpenDRIVE>\n<header revMajor="1" revMinor="7"/>\n{body}{top}</OpenDRIVE>\n'


# ------------------------------------------------------------ XML declaration
def test_declaration_after_a_licence_comment_is_read_and_reported():
    # libOpenDRIVE's test map (CARLA Town07) starts with an MIT licence comment, then <?xml?>
    head = '<!--\nMIT License\n-->\n<?xml version="1.0" encoding="UTF-8"?>\n'
    net = parse_opendrive(doc(road(), head=head), source="town.xodr")
    assert list(net.roads) == ["1"]
    assert len(net.problems) == 1 and net.problems[0].startswith("town.xodr:4: the XML declaration follows a comment")


def test_lines_stay_right_after_the_declaration_is_moved():
    head = '<!-- one -->\n<!-- two\n three -->\n<?xml version="1.0"?>\n'
    text = doc(road(), head=head).replace('a="3.5" b="0" c="0" d="0"/></lane></right>', 'a="wide" b="0" c="0" d="0"/></lane></right>')
    with pytest.raises(RoadNetworkError) as info:
        parse_opendrive(text, source="bad.xodr")
    err = info.value
    expected = text.splitlines().index(next(ln for ln in text.splitlines() if 'a="wide"' in ln)) + 1
    assert err.location.line == expected == 9 and err.location.element == "width"


def test_declaration_naming_another_encoding_still_decodes_after_the_move():
    head = '<!-- c -->\n<?xml version="1.0" encoding="ISO-8859-1"?>\n'
    data = doc(road().replace('junction="-1"', 'junction="-1" name="Stra\xdfe"'), head=head).encode("latin-1")
    assert parse_opendrive(data, source="de.xodr").roads["1"].name == "Stra\u00dfe"


def test_a_declaration_after_an_element_is_still_malformed():
    with pytest.raises(RoadNetworkError) as info:
        parse_opendrive('<OpenDRIVE/>\n<?xml version="1.0"?>\n', source="bad.xodr")
    assert "malformed XML" in info.value.cause


# ------------------------------------------------------------------ objects
REPEATED_WITHOUT_POSITION = (
    '<object type="barrier" length="5.0" hdg="0.0" orientation="none" id="8">'
    '<repeat heightStart="0.1" heightEnd="4.0" widthStart="2.5" widthEnd="0.5" zOffsetEnd="0.0" zOffsetStart="0.0"'
    ' tStart="15.0" tEnd="40.0" length="55" s="20.0"/></object>'
)


def test_object_without_s_t_is_placed_by_its_repeat():
    # esmini's crest-curve.xodr: no s/t on the object and no distance on the repeat
    net = parse_opendrive(doc(road(REPEATED_WITHOUT_POSITION)), source="crest.xodr")
    obj = net.roads["1"].objects[0]
    assert (obj.s, obj.t) == (20.0, 15.0)
    assert obj.repeats[0].distance == 0.0
    assert any("crest.xodr:7: <object> '8' without 's' and 't'" in p and "s=20, tStart=15" in p for p in net.problems)
    assert any("crest.xodr:7: <repeat> without 'distance'" in p for p in net.problems)
    placed = net.objects
    assert len(placed) == 1   # distance 0: one continuous feature along the 55 m
    footprint = placed[0].footprint
    assert footprint[:, 0].min() == pytest.approx(20.0, abs=0.1)
    assert footprint[:, 0].max() == pytest.approx(75.0, abs=0.1)


def test_object_missing_t_only_keeps_its_own_s():
    text = doc(road('<object id="3" s="7" type="pole"><repeat s="30" length="10" distance="5" tStart="2" tEnd="2"/></object>'))
    net = parse_opendrive(text, source="m.xodr")
    obj = net.roads["1"].objects[0]
    assert (obj.s, obj.t) == (7.0, 2.0)
    assert any("without 't'" in p for p in net.problems)


def test_object_without_s_and_without_repeat_is_still_an_error():
    with pytest.raises(RoadNetworkError) as info:
        parse_opendrive(doc(road('<object id="3" t="2" type="pole"/>')), source="bad.xodr")
    err = info.value
    assert "missing required attribute 's'" in err.cause
    assert err.location.line == 7 and err.location.element == "object"


# ---------------------------------------------------------------- plan view
def test_zero_length_geometry_is_left_out_and_reported():
    geometry = ('<geometry s="0" x="0" y="0" hdg="0" length="60"><line/></geometry>'
                '<geometry s="60" x="60" y="0" hdg="1.0" length="0"><arc curvature="0.5"/></geometry>'
                '<geometry s="60" x="60" y="0" hdg="0" length="40"><arc curvature="0.01"/></geometry>')
    net = parse_opendrive(doc(road(geometry=geometry)), source="sumo.xodr")
    assert [g.length for g in net.roads["1"].plan_view] == [60.0, 40.0]
    assert net.problems == ["sumo.xodr:5: road 1: <geometry> at s=60 has length 0; left out"]
    pose = net.road_pose("1", 60.0)
    assert (pose.x, pose.y, pose.heading) == pytest.approx((60.0, 0.0, 0.0))
    end = net.road_pose("1", 100.0)
    assert end.x == pytest.approx(60.0 + math.sin(0.4) / 0.01)


def test_negative_geometry_length_is_still_an_error():
    geometry = ('<geometry s="0" x="0" y="0" hdg="0" length="60"><line/></geometry>'
                '<geometry s="60" x="60" y="0" hdg="0" length="-40"><line/></geometry>')
    with pytest.raises(RoadNetworkError) as info:
        parse_opendrive(doc(road(geometry=geometry)), source="bad.xodr")
    assert "geometry length must be positive, got -40" in info.value.cause and info.value.location.line == 5


# ---------------------------------------------------------- tunnels, bridges
STRUCTURES = (
    '<tunnel s="10" length="30" id="t1" name="Hill" type="underpass" lighting="0.5" daylight="0.9"/>'
    '<bridge s="50" length="20" id="b1" name="River" type="steel"><validity fromLane="-1" toLane="-1"/></bridge>'
)


def test_tunnels_and_bridges_are_parsed_and_queried():
    net = parse_opendrive(doc(road(STRUCTURES)), source="s.xodr")
    r = net.roads["1"]
    (tunnel,), (bridge,) = r.tunnels, r.bridges
    assert (tunnel.id, tunnel.s, tunnel.length, tunnel.type, tunnel.lighting, tunnel.daylight) == \
        ("t1", 10.0, 30.0, "underpass", 0.5, 0.9)
    assert (bridge.name, bridge.type, bridge.validity[0].from_lane) == ("River", "steel", -1)
    assert r.objects == () and net.objects == []
    assert [x.id for x in net.structures_at("1", 25.0)] == ["t1"]
    assert net.structures_at("1", 45.0) == []
    assert [x.id for x in net.structures_at("1", 60.0, lane_id=-1)] == ["b1"]
    assert net.structures_at("1", 60.0, lane_id=1) == []       # outside the bridge's validity
    summary = summarise(net)
    assert (summary.tunnels, summary.bridges) == (1, 1) and summary.as_dict()["tunnels"] == 1


def test_tunnel_without_length_is_a_located_error():
    with pytest.raises(RoadNetworkError) as info:
        parse_opendrive(doc(road('<tunnel s="10" id="t1" type="standard"/>')), source="bad.xodr")
    assert "missing required attribute 'length'" in info.value.cause
    assert info.value.location.element == "tunnel" and info.value.location.line == 7


def test_junction_priorities_are_parsed():
    top = ('<junction id="9" name="j"><priority high="20" low="21"/><priority high="22" low="21"/>'
           '</junction>\n')
    net = parse_opendrive(doc(road(), top=top), source="j.xodr")
    assert [(p.high, p.low) for p in net.junctions["9"].priorities] == [("20", "21"), ("22", "21")]


def test_junction_groups_are_parsed_and_checked():
    top = ('<junction id="9" name="j"/>\n<junction id="10" name="k"/>\n'
           '<junctionGroup id="g" name="ring" type="roundabout"><junctionReference junction="9"/>'
           '<junctionReference junction="10"/><junctionReference junction="11"/></junctionGroup>\n')
    text = doc(road(), top=top)
    net = parse_opendrive(text, source="g.xodr")
    group = net.junction_groups["g"]
    assert (group.name, group.type, group.junction_ids) == ("ring", "roundabout", ("9", "10", "11"))
    line = 1 + text.splitlines().index(next(ln for ln in text.splitlines() if ln.startswith("<junctionGroup")))
    assert net.problems == [f"g.xodr:{line}: junctionGroup g names junction 11 which does not exist"]


# ---------------------------------------------- elements we do not interpret
IGNORED = {
    "station": ("", '<station id="s1" name="st" type="small"><platform id="p" name="p">'
                    '<segment roadId="1" sStart="0" sEnd="10" side="right"/></platform></station>\n'),
    "include+userData": ("", '<include file="more.xml"/><userData code="a" value="b"/>\n'),
    "surface CRG": ('<surface><CRG file="x.crg" sStart="0" sEnd="10" orientation="same" mode="attached"'
                    ' purpose="elevation"/></surface>', ""),
    "railroad": ('<railroad><switch name="s" id="1" position="dynamic"><mainTrack id="1" s="0" dir="+"/>'
                 '<sideTrack id="2" s="0" dir="+"/></switch></railroad>', ""),
    "neighbor link": ("", ""),
}


@pytest.mark.parametrize("name", sorted(IGNORED))
def test_uninterpreted_elements_are_ignored_cleanly(name):
    extra, top = IGNORED[name]
    text = doc(road(extra=extra), top=top)
    if name == "neighbor link":   # OpenDRIVE 1.4's <neighbor>, dropped in 1.5
        text = text.replace("<link/>", '<link><neighbor side="left" elementId="1" direction="same"/></link>')
    net = parse_opendrive(text, source="x.xodr")
    plain = parse_opendrive(doc(road()), source="x.xodr")
    # not modelled, so said once in the problems (file, line, element); the road itself is unchanged
    element = {"station": "<station>", "include+userData": "<include>", "surface CRG": "<surface>",
               "railroad": "<railroad>"}.get(name)
    if element is None:
        assert net.problems == []
    else:
        [problem] = net.problems
        assert problem.startswith("x.xodr:") and element in problem
    assert net.lane_pose("1", -1, 42.0) == plain.lane_pose("1", -1, 42.0)


def test_object_children_load_without_problems():
    # the reference, markings and borders are drawn since session 11 (test_odr_s11_objects); the material
    # and parkingSpace children are read past
    obj = ('<objectReference s="5" t="2" id="1" orientation="none" zOffset="0" validLength="0"/>'
           '<object id="1" s="10" t="3" type="crosswalk" length="5" width="3" hdg="0">'
           '<outline id="0" fillType="paint" outer="true" closed="true" laneType="border">'
           '<cornerRoad s="8" t="-3" dz="0" height="0"/><cornerRoad s="12" t="-3" dz="0" height="0"/>'
           '<cornerRoad s="12" t="3" dz="0" height="0"/></outline>'
           '<markings><marking side="front" weight="standard" color="white" zOffset="0.005" spaceLength="0.05"'
           ' lineLength="0.5" startOffset="0" stopOffset="0"><cornerReference id="0"/></marking></markings>'
           '<borders><border width="0.1" type="concrete" outlineId="0"/></borders>'
           '<material surface="asphalt" friction="0.8" roughness="0"/><parkingSpace access="all"/></object>')
    net = parse_opendrive(doc(road(obj)), source="x.xodr")
    assert net.problems == [] and [o.id for o in net.roads["1"].objects] == ["1"]
    assert len(net.objects) == 1


# ------------------------------------------------------------ lane direction
def two_way(direction: str = "", rule: str = "") -> str:
    attr = f' direction="{direction}"' if direction else ""
    rule_attr = f' rule="{rule}"' if rule else ""
    lanes = ('<laneSection s="0"><left><lane id="1" type="driving"><width sOffset="0" a="3.5" b="0" c="0" d="0"/>'
             '</lane></left><center><lane id="0" type="none"/></center><right>'
             f'<lane id="-1" type="driving"><width sOffset="0" a="3.5" b="0" c="0" d="0"/></lane>'
             f'<lane id="-2" type="driving"{attr}><width sOffset="0" a="3.5" b="0" c="0" d="0"/></lane>'
             '</right></laneSection>')
    return (f'<road id="1" length="100" junction="-1"{rule_attr}><link/><planView><geometry s="0" x="0" y="0" hdg="0"'
            f' length="100"><line/></geometry></planView><lanes>{lanes}</lanes></road>\n')


@pytest.mark.parametrize("rule", ["RHT", "LHT"])
def test_reversed_lane_drives_against_its_side(rule):
    standard = parse_opendrive(doc(two_way(rule=rule)), source="d.xodr")
    reversed_ = parse_opendrive(doc(two_way("reversed", rule)), source="d.xodr")
    sign = 1 if rule == "RHT" else -1
    assert standard.driving_direction("1", -2) == sign
    assert reversed_.driving_direction("1", -2) == -sign
    assert reversed_.driving_direction("1", -1) == sign          # its neighbour keeps the standard way
    # no same-direction neighbour any more, and the lane graph routes it the other way
    assert standard.neighbour_lane("1", -1, 50.0, -sign) == -2
    assert reversed_.neighbour_lane("1", -1, 50.0, -sign) is None
    graph = reversed_.lane_graph
    i = graph.index[("1", 0, -2)]
    assert graph.direction[i] == -sign


@pytest.mark.parametrize("direction", ["standard", "both"])
def test_standard_and_both_keep_the_side_direction(direction):
    net = parse_opendrive(doc(two_way(direction)), source="d.xodr")
    assert net.driving_direction("1", -2) == 1 and net.roads["1"].lane_sections[0].right[1].direction == direction


def test_unknown_lane_direction_is_a_located_error():
    with pytest.raises(RoadNetworkError) as info:
        parse_opendrive(doc(two_way("backwards")), source="bad.xodr")
    assert "attribute 'direction' is 'backwards'" in info.value.cause and info.value.location.element == "lane"


# ------------------------------------------------------ out-of-range numbers
def test_absurd_magnitude_is_a_located_error_not_an_overflow():
    text = doc(road()).replace('length="100"><line/>', 'length="1e300"><line/>')
    with pytest.raises(RoadNetworkError) as info:
        parse_opendrive(text, source="bad.xodr")
    assert "attribute 'length' is out of range" in info.value.cause
    assert info.value.location.element == "geometry" and info.value.location.line == 5


def test_spiral_turning_thousands_of_times_is_a_located_error():
    geometry = '<geometry s="0" x="0" y="0" hdg="0" length="100"><spiral curvStart="0" curvEnd="500"/></geometry>'
    with pytest.raises(RoadNetworkError) as info:
        parse_opendrive(doc(road(geometry=geometry)), source="bad.xodr")
    assert "turns by 5e+04 rad" in info.value.cause and info.value.location.element == "spiral"


def test_objects_and_signals_beyond_the_road_are_moved_to_its_end_and_reported():
    objects = ('<object id="far" s="1e8" t="2" type="pole"/>'
               '<object id="rep" s="10" t="2" type="pole"><repeat s="-5" length="10" distance="5" tStart="2" tEnd="2"/>'
               '</object>')
    signals = ('<signals><signal id="sig" s="250" t="-3" dynamic="no" orientation="+" country="DE" type="274"/>'
               '<signalReference id="sig" s="-1" t="3" orientation="-"/></signals>')
    net = parse_opendrive(doc(road(objects, extra=signals)), source="far.xodr")
    r = net.roads["1"]
    assert [o.s for o in r.objects] == [100.0, 10.0] and r.objects[1].repeats[0].s == 0.0
    assert r.signals[0].s == 100.0 and r.signal_references[0].s == 0.0
    assert sum("lies outside the road (length 100)" in p for p in net.problems) == 3
    assert any("'rep' on road 1 has a <repeat> starting outside the road" in p for p in net.problems)
    assert net.objects[0].pose.x == pytest.approx(100.0)
    assert net.signals["sig"].pose.x == pytest.approx(100.0)


def test_junction_lane_link_to_the_centre_lane_is_ignored_and_reported():
    incoming = ('<road id="1" length="50" junction="-1"><link><successor elementType="junction" elementId="9"/></link>'
                '<planView><geometry s="0" x="0" y="0" hdg="0" length="50"><line/></geometry></planView>'
                '<lanes><laneSection s="0"><center><lane id="0" type="none"/></center><right><lane id="-1" type="driving">'
                '<width sOffset="0" a="3.5" b="0" c="0" d="0"/></lane></right></laneSection></lanes></road>\n')
    connecting = ('<road id="2" length="20" junction="9"><link><predecessor elementType="road" elementId="1"'
                  ' contactPoint="end"/></link><planView><geometry s="0" x="50" y="0" hdg="0" length="20"><line/>'
                  '</geometry></planView><lanes><laneSection s="0"><center><lane id="0" type="none"/></center><right>'
                  '<lane id="-1" type="driving"><link><predecessor id="-1"/></link><width sOffset="0" a="3.5" b="0" c="0"'
                  ' d="0"/></lane></right></laneSection></lanes></road>\n')
    junction = ('<junction id="9" name="j"><connection id="0" incomingRoad="1" connectingRoad="2" contactPoint="start">'
                '<laneLink from="-1" to="0"/><laneLink from="-1" to="-1"/></connection></junction>\n')
    net = parse_opendrive(doc(incoming + connecting, top=junction), source="j.xodr")
    assert any("laneLink from -1 to 0 names the centre lane" in p for p in net.problems)
    assert net.successors("1", -1) == [("2", -1)]
    summarise(net)


def test_param_poly3_without_a_start_tangent_is_a_located_error():
    geometry = ('<geometry s="0" x="0" y="0" hdg="0" length="100"><paramPoly3 aU="0" bU="0" cU="0.01" dU="0"'
                ' aV="0" bV="0" cV="0.001" dV="0" pRange="arcLength"/></geometry>')
    with pytest.raises(RoadNetworkError) as info:
        parse_opendrive(doc(road(geometry=geometry)), source="bad.xodr")
    assert "tangent (u'(p), v'(p)) is zero at its start" in info.value.cause
    assert info.value.location.element == "paramPoly3" and info.value.location.line == 5


# ------------------------------------------------------------- superelevation
BANKED = ('<lateralProfile><superelevation s="0" a="-1.0471975511965976" b="0" c="0" d="0"/></lateralProfile>')


def test_t_is_measured_in_the_superelevated_cross_section():
    """§8.3: t is "angled relative to the x/y plane according to the road superelevation"
    and a lane's width is measured in it (esmini's velodrome.xodr banks its track 60°)."""
    net = parse_opendrive(doc(road(extra=BANKED)), source="bank.xodr")
    roll = -1.0471975511965976
    centre = net.road_pose("1", 50.0, 0.0)
    for lane, t in ((-1, -1.75), (1, 1.75)):
        p = net.lane_pose("1", lane, 50.0)
        assert p.y - centre.y == pytest.approx(t * math.cos(roll))
        assert p.z - centre.z == pytest.approx(t * math.sin(roll))
        assert p.roll == pytest.approx(roll)
        found = net.locate(p.x, p.y, p.z)[0]
        assert (found.road_id, found.lane_id) == ("1", lane)
        assert found.s == pytest.approx(50.0) and found.offset == pytest.approx(0.0, abs=1e-9)
        many = net.locate_many([[p.x, p.y]])
        assert many.lane_id[0] == lane and many.offset[0] == pytest.approx(0.0, abs=1e-9)
    # the lane's full width (3.5 m) lies in the tilted plane: half of it shows in x/y
    outer = net.road_pose("1", 50.0, -3.5)
    assert math.dist((outer.x, outer.y, outer.z), (centre.x, centre.y, centre.z)) == pytest.approx(3.5)
    assert abs(outer.y - centre.y) == pytest.approx(1.75)


def test_roads_without_superelevation_keep_their_poses_bit_for_bit():
    flat = parse_opendrive(doc(road()), source="f.xodr")
    sloped = parse_opendrive(doc(road(extra='<elevationProfile><elevation s="0" a="1" b="0.03" c="0" d="0"/>'
                                                '</elevationProfile>')), source="e.xodr")
    for net in (flat, sloped):
        p = net.road_pose("1", 42.0, -2.5)
        assert (p.x, p.y) == (42.0, -2.5)
        poses = net.road_poses("1", [42.0], [-2.5])
        assert (poses.x[0], poses.y[0], poses.z[0]) == (p.x, p.y, p.z)
