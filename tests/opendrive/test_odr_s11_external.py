"""Session 11: lane ``@level`` and constructs found in the third sweep of external maps.

Lane ``level="true"`` (OpenDRIVE 1.4–1.8): the lane is kept out of the road's
superelevation and lateral shape, flat at the height of its inner border; lanes
outward of it are normally level too (a sidewalk, then a bicycle lane).  Every map
here is written by the test."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simplatform.opendrive import LanePosition, parse_opendrive
from simplatform.opendrive.mesh import build_road_mesh

ROLL = 0.1  # rad, lowers the right side


def _lane(lane_id: int, width: float, kind: str = "driving", level: str | None = None, extra: str = "") -> str:
    attr = f' level="{level}"' if level is not None else ""
    return (f'<lane id="{lane_id}" type="{kind}"{attr}><width sOffset="0" a="{width}" b="0" c="0" d="0"/>'
            f"{extra}</lane>")


def banked(left: str = "", right: str = "", lateral: str | None = None, offset: str = "") -> str:
    lateral = (f'<superelevation s="0" a="{ROLL}" b="0" c="0" d="0"/>' if lateral is None else lateral)
    left = left or _lane(1, 3.5)
    right = right or _lane(-1, 3.5)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<OpenDRIVE>\n<header revMajor="1" revMinor="7"/>\n'
        '<road id="1" length="100" junction="-1"><link/>\n'
        '<planView><geometry s="0" x="0" y="0" hdg="0" length="100"><line/></geometry></planView>\n'
        '<elevationProfile><elevation s="0" a="10" b="0.02" c="0" d="0"/></elevationProfile>\n'
        f"<lateralProfile>{lateral}</lateralProfile>\n"
        f'<lanes>{offset}<laneSection s="0"><left>{left}</left><center><lane id="0" type="none"/></center>'
        f"<right>{right}</right></laneSection></lanes>\n</road>\n</OpenDRIVE>\n"
    )


def _walk_right(level: str | None) -> str:
    return _lane(-1, 3.5) + _lane(-2, 2.0, "sidewalk", level) + _lane(-3, 1.5, "biking", level)


# ------------------------------------------------------------------ level lanes
def test_a_level_sidewalk_stays_at_its_inner_border_height_and_is_not_rolled():
    net = parse_opendrive(banked(right=_walk_right("true")), source="level.xodr")
    s = 40.0
    z_ref = 10.0 + 0.02 * s
    carriageway_edge = net.lane_pose("1", -1, s, offset=-1.75)
    for lane, offsets in ((-2, (-1.0, 0.0, 1.0)), (-3, (-0.75, 0.0, 0.75))):
        for off in offsets:
            p = net.lane_pose("1", lane, s, offset=off)
            assert p.z == pytest.approx(z_ref - 3.5 * math.sin(ROLL), abs=1e-12)
            assert p.z == pytest.approx(carriageway_edge.z, abs=1e-12)
            assert p.roll == 0.0
    # the carriageway itself still banks
    assert net.lane_pose("1", -1, s).roll == pytest.approx(ROLL)
    assert net.lane_pose("1", -1, s).z == pytest.approx(z_ref - 1.75 * math.sin(ROLL), abs=1e-12)


def test_a_level_lane_covers_its_full_width_in_the_plane():
    # the tilted carriageway's 3.5 m cover 3.5·cos(roll) of the x/y plane, the level 2 m + 1.5 m all of theirs
    net = parse_opendrive(banked(right=_walk_right("true")))
    edge = -3.5 * math.cos(ROLL)
    # on the right, +offset points back toward the centre: +1 is lane -2's inner border
    assert net.lane_pose("1", -2, 10.0, offset=1.0).y == pytest.approx(edge, abs=1e-12)
    assert net.lane_pose("1", -2, 10.0, offset=-1.0).y == pytest.approx(edge - 2.0, abs=1e-12)
    assert net.lane_pose("1", -3, 10.0, offset=-0.75).y == pytest.approx(edge - 3.5, abs=1e-12)


def test_level_false_and_missing_level_keep_the_banked_surface():
    a = parse_opendrive(banked(right=_walk_right("false")))
    b = parse_opendrive(banked(right=_walk_right(None)))
    for net in (a, b):
        p = net.lane_pose("1", -3, 30.0, offset=-0.75)  # the road's right edge, t = -7
        assert p.z == pytest.approx(10.6 - 7.0 * math.sin(ROLL), abs=1e-12)
        assert p.y == pytest.approx(-7.0 * math.cos(ROLL), abs=1e-12)
        assert p.roll == pytest.approx(ROLL)


def test_a_level_lane_is_kept_out_of_the_lateral_shape():
    # a crowned road: the shape rises 0.1 m per metre outward on the left; the level lane 2 stays flat
    shape = '<shape s="0" t="0" a="0" b="0.1" c="0" d="0"/>'
    left = _lane(1, 3.0) + _lane(2, 2.0, "sidewalk", "true")
    net = parse_opendrive(banked(left=left, lateral=shape))
    inner = net.lane_pose("1", 1, 50.0, offset=1.5).z
    for off in (-1.0, 0.0, 1.0):
        assert net.lane_pose("1", 2, 50.0, offset=off).z == pytest.approx(inner, abs=1e-12)
    assert inner == pytest.approx(10.0 + 1.0 + 0.3, abs=1e-12)


def test_a_tilted_lane_outside_a_level_one_pivots_at_its_outer_edge():
    # against the rule (only level lanes shall follow a level lane), read continuously
    right = _lane(-1, 3.5) + _lane(-2, 2.0, "sidewalk", "true") + _lane(-3, 1.5, "shoulder", "false")
    net = parse_opendrive(banked(right=right))
    walk_outer = net.lane_pose("1", -2, 20.0, offset=-1.0)
    shoulder_inner = net.lane_pose("1", -3, 20.0, offset=0.75)
    assert (shoulder_inner.y, shoulder_inner.z) == pytest.approx((walk_outer.y, walk_outer.z), abs=1e-12)
    shoulder_outer = net.lane_pose("1", -3, 20.0, offset=-0.75)
    assert shoulder_outer.z == pytest.approx(walk_outer.z - 1.5 * math.sin(ROLL), abs=1e-12)
    assert shoulder_outer.roll == pytest.approx(ROLL)


def test_lane_heights_add_to_the_level_surface():
    right = _lane(-1, 3.5) + _lane(-2, 2.0, "sidewalk", "true", '<height sOffset="0" inner="0.15" outer="0.15"/>')
    net = parse_opendrive(banked(right=right))
    edge = net.lane_pose("1", -1, 5.0, offset=-1.75).z
    assert net.lane_pose("1", -2, 5.0, offset=0.9).z == pytest.approx(edge + 0.15, abs=1e-12)


def test_level_lanes_with_a_lane_offset_and_on_the_left():
    left = _lane(1, 3.0) + _lane(2, 2.0, "sidewalk", "1")
    net = parse_opendrive(banked(left=left, offset='<laneOffset s="0" a="0.5" b="0" c="0" d="0"/>'))
    edge = net.lane_pose("1", 1, 60.0, offset=1.5)
    assert edge.z == pytest.approx(10.0 + 1.2 + 3.5 * math.sin(ROLL), abs=1e-12)
    p = net.lane_pose("1", 2, 60.0, offset=1.0)
    assert p.z == pytest.approx(edge.z, abs=1e-12)
    assert p.y == pytest.approx(3.5 * math.cos(ROLL) + 2.0, abs=1e-12)


def test_locate_round_trips_on_level_lanes():
    net = parse_opendrive(banked(left=_lane(1, 3.5) + _lane(2, 2.0, "sidewalk", "true"), right=_walk_right("true")))
    for lane, off in ((-1, 0.3), (-2, -0.6), (-2, 0.9), (-3, 0.5), (1, -1.0), (2, 0.7)):
        p = net.lane_pose("1", lane, 33.0, offset=off)
        found = net.locate(p.x, p.y)
        assert found and found[0].lane_id == lane
        assert (found[0].s, found[0].offset) == pytest.approx((33.0, off), abs=1e-9)
        many = net.locate_many(np.array([[p.x, p.y]]))
        assert int(many.lane_id[0]) == lane and float(many.offset[0]) == pytest.approx(off, abs=1e-9)
    # the road's edge in the plane: 3.5·cos + 2 + 1.5 on the right
    assert net.locate(50.0, -(3.5 * math.cos(ROLL) + 3.5) + 0.01)
    assert not net.locate(50.0, -(3.5 * math.cos(ROLL) + 3.5) - 0.01)


def test_road_pose_uses_the_level_surface_where_t_falls_in_a_level_lane():
    net = parse_opendrive(banked(right=_walk_right("true")))
    assert net.road_pose("1", 70.0, -5.0).z == pytest.approx(net.lane_pose("1", -2, 70.0, offset=-0.5).z, abs=1e-12)
    assert net.road_pose("1", 70.0, -5.0).roll == 0.0


def test_the_road_mesh_keeps_level_lanes_flat():
    net = parse_opendrive(banked(right=_lane(-1, 3.5) + _lane(-2, 2.0, "biking", "true")))
    rm = build_road_mesh(net, step=5.0)
    verts = np.asarray(rm.mesh.vertices)
    tri = np.asarray(rm.mesh.triangles)[rm.triangle_material == rm.material_id("biking")]
    assert len(tri)
    pts = verts[tri.ravel()]
    expected = 10.0 + 0.02 * pts[:, 0] - 3.5 * math.sin(ROLL)
    assert np.abs(pts[:, 2] - expected).max() < 1e-9
    assert pts[:, 1].min() == pytest.approx(-3.5 * math.cos(ROLL) - 2.0, abs=1e-9)


def test_roads_without_level_lanes_are_unchanged_bit_for_bit():
    plain = parse_opendrive(banked(right=_walk_right(None)))
    level_left = parse_opendrive(banked(left=_lane(1, 3.5) + _lane(2, 1.0, "sidewalk", "true"),
                                        right=_walk_right(None)))
    s = np.linspace(0.0, 99.0, 50)
    for lane in (-1, -2, -3):
        a = plain.lane_poses("1", lane, s, np.full(s.shape, 0.4))
        b = level_left.lane_poses("1", lane, s, np.full(s.shape, 0.4))
        assert np.array_equal(a.z, b.z) and np.array_equal(a.y, b.y) and np.array_equal(a.roll, b.roll)


# -------------------------------------------------- OpenDRIVE 1.9 lane layers
def _layered(temporary: bool = True, second_permanent: bool = False) -> str:
    def section(s, link=""):
        return (f'<laneSection s="{s}"><center><lane id="0" type="none"/></center><right>'
                f'<lane id="-1" type="driving"><link>{link}</link><width sOffset="0" a="3.75" b="0" c="0" d="0"/></lane>'
                f'<lane id="-2" type="driving"><width sOffset="0" a="3.75" b="0" c="0" d="0"/></lane>'
                "</right></laneSection>")
    permanent = ('<lanes layer="permanent">'
                 + section(0, '<successor id="-1" layer="permanent"/><successor id="-2" layer="temporary"/>')
                 + section(40, '<predecessor id="-1"/>') + "</lanes>\n")
    extra = ""
    if temporary:
        extra += ('<!-- roadworks -->\n<lanes layer="temporary"><laneOffset s="40" a="-2.8" b="0" c="0" d="0"/>'
                  '<laneSection s="40"><center><lane id="0" type="none"/></center><right><lane id="-1" type="driving">'
                  '<link><predecessor id="-1" layer="temporary"/></link><width sOffset="0" a="3.5" b="0" c="0" d="0"/>'
                  "</lane></right></laneSection></lanes>\n")
    if second_permanent:
        extra += "<lanes>" + section(0) + "</lanes>\n"
    return ('<?xml version="1.0" encoding="utf-8"?>\n<OpenDRIVE><header revMajor="1" revMinor="9"/>\n'
            '<road rule="RHT" id="1" junction="-1" length="100"><link/>\n'
            '<planView><geometry s="0" x="0" y="0" hdg="0" length="100"><line/></geometry></planView>\n'
            + permanent + extra + "</road>\n</OpenDRIVE>\n")


def test_a_temporary_lane_layer_is_reported_and_the_permanent_lanes_are_used():
    text = _layered()
    net = parse_opendrive(text, source="roadworks.xodr")
    line = text.splitlines().index(next(ln for ln in text.splitlines() if 'layer="temporary"><lane' in ln)) + 1
    assert net.lane_ids("1", 50.0) == [0, -1, -2]
    assert net.lane_boundaries("1", -2, 50.0) == pytest.approx((-3.75, -7.5))
    assert net.frame("1").lanes.offset_scalar(60.0) == 0.0  # the temporary layer's laneOffset is not applied
    assert [p for p in net.problems if "lane layer" in p] == [
        f"roadworks.xodr:{line}: road 1: the 'temporary' lane layer (OpenDRIVE 1.9) is not modelled; "
        "the permanent lanes are used"]


def test_links_into_the_temporary_layer_are_not_permanent_links():
    net = parse_opendrive(_layered(temporary=False))  # only the link says layer="temporary"
    sec = net.roads["1"].lane_sections[0]
    assert sec.right[0].successors == (-1,)


def test_two_permanent_lane_layers_are_a_located_error():
    from simplatform.errors import RoadNetworkError

    text = _layered(temporary=False, second_permanent=True)
    with pytest.raises(RoadNetworkError) as info:
        parse_opendrive(text, source="two.xodr")
    assert "exactly one permanent <lanes> layer, has 2" in str(info.value)
    second = next(i for i, ln in enumerate(text.splitlines(), 1) if ln.startswith("<lanes><laneSection"))
    assert info.value.location.line == second


# ------------------------------------------- pitch from a changing cross section
def _pitch_fd(net, lane: int, s: float, offset: float = 0.0, h: float = 1e-3) -> float:
    a, b = net.lane_pose("1", lane, s - h, offset), net.lane_pose("1", lane, s + h, offset)
    return -math.atan((b.z - a.z) / (2 * h))


def test_a_changing_superelevation_pitches_off_centre_lanes():
    # esmini's pitch_by_super_elevation.xodr: roll = -0.03·s on a flat straight road, 12.5 m lanes
    wide = _lane(1, 12.5), _lane(-1, 12.5)
    net = parse_opendrive(banked(left=wide[0], right=wide[1],
                                 lateral='<superelevation s="0" a="0" b="-0.03" c="0" d="0"/>'))
    for lane in (1, -1):
        p = net.lane_pose("1", lane, 10.0)
        t = 6.25 * lane
        slope = 0.02 + t * math.cos(-0.3) * -0.03
        assert p.pitch == pytest.approx(-math.atan(slope), abs=1e-12)
        assert p.pitch == pytest.approx(_pitch_fd(net, lane, 10.0), abs=1e-6)
        many = net.lane_poses("1", lane, np.array([10.0]), np.array([0.0]))
        assert many.pitch[0] == pytest.approx(p.pitch, abs=1e-15)
    assert net.road_pose("1", 10.0, 0.0).pitch == pytest.approx(-math.atan(0.02), abs=1e-15)


def test_a_shape_changing_along_s_pitches_the_surface():
    shapes = ('<shape s="0" t="0" a="0" b="0" c="0" d="0"/>'
              '<shape s="100" t="0" a="0" b="0.1" c="0" d="0"/>')
    net = parse_opendrive(banked(lateral=shapes))
    p = net.road_pose("1", 40.0, 3.0)
    assert p.pitch == pytest.approx(-math.atan(0.02 + 0.3 / 100.0), abs=1e-12)
    assert net.road_poses("1", np.array([40.0]), np.array([3.0])).pitch[0] == pytest.approx(p.pitch, abs=1e-15)


def test_a_level_lane_pitches_with_its_inner_border_height():
    net = parse_opendrive(banked(right=_walk_right("true"),
                                 lateral='<superelevation s="0" a="0" b="0.002" c="0" d="0"/>'))
    p = net.lane_pose("1", -2, 50.0, offset=0.5)
    assert p.pitch == pytest.approx(_pitch_fd(net, -2, 50.0, 0.5), abs=1e-7)
    assert p.pitch == pytest.approx(-math.atan(0.02 - 3.5 * math.cos(0.1) * 0.002), abs=1e-7)


# ------------------------------------------------ crossfall (OpenDRIVE 1.4/1.5)
def test_crossfall_lowers_each_side_outward_from_the_reference_line():
    # as a RoadRunner 1.4 export writes it: one record per side
    lateral = ('<crossfall a="0" b="0" c="0" d="0" s="0" side="left"/>'
               '<crossfall a="0.02" b="0" c="0" d="0" s="0" side="right"/>')
    net = parse_opendrive(banked(lateral=lateral))
    z_ref = 10.0 + 0.02 * 30.0
    right = net.lane_pose("1", -1, 30.0, offset=-1.75)  # t = -3.5
    assert right.z == pytest.approx(z_ref - math.tan(0.02) * 3.5, abs=1e-12)
    assert right.roll == pytest.approx(0.02) and right.y == pytest.approx(-3.5)
    left = net.lane_pose("1", 1, 30.0)
    assert left.z == pytest.approx(z_ref, abs=1e-12) and left.roll == 0.0
    assert net.road_pose("1", 30.0, 0.0).z == pytest.approx(z_ref, abs=1e-12)


def test_crossfall_on_both_sides_and_changing_along_s():
    lateral = '<crossfall s="0" side="both" a="0.01" b="0.0002" c="0" d="0"/>'
    net = parse_opendrive(banked(lateral=lateral))
    angle = 0.01 + 0.0002 * 50.0
    for lane, t in ((1, 1.75), (-1, -1.75)):
        p = net.lane_pose("1", lane, 50.0)
        assert p.z == pytest.approx(11.0 - math.tan(angle) * 1.75, abs=1e-12)
        assert p.roll == pytest.approx(-angle if t > 0 else angle)
        assert p.pitch == pytest.approx(_pitch_fd(net, lane, 50.0), abs=1e-7)
    many = net.lane_poses("1", -1, np.array([50.0]), np.array([0.0]))
    assert many.z[0] == pytest.approx(net.lane_pose("1", -1, 50.0).z, abs=1e-15)


def test_a_level_lane_leaves_the_crossfall_out():
    lateral = '<crossfall s="0" side="right" a="0.03" b="0" c="0" d="0"/>'
    net = parse_opendrive(banked(right=_walk_right("true"), lateral=lateral))
    edge = net.lane_pose("1", -1, 20.0, offset=-1.75)
    assert edge.z == pytest.approx(10.4 - math.tan(0.03) * 3.5, abs=1e-12)
    walk = net.lane_pose("1", -3, 20.0, offset=-0.75)
    assert walk.z == pytest.approx(edge.z, abs=1e-12) and walk.roll == 0.0


# ------------------------------------------------------- objects: <repeat> gaps
def _with_objects(objects: str) -> str:
    return banked(lateral="").replace("</lanes>\n", f"</lanes>\n<objects>{objects}</objects>\n")


def test_a_repeat_without_heights_takes_the_objects_height_and_z_offset():
    # OpenDRIVE 1.8 §13.3: "If attributes are omitted in the repeated objects, the attributes
    # from the original object apply" (as libOpenDRIVE reads them)
    obj = ('<object id="7" type="pole" s="10" t="-5" zOffset="0.3" height="1.2" length="0.2" width="0.2">'
           '<repeat s="10" length="20" distance="10" tStart="-5" tEnd="-5"/></object>')
    net = parse_opendrive(_with_objects(obj))
    placed = net.objects
    assert [o.s for o in placed] == [10.0, 20.0, 30.0]
    for o in placed:
        assert o.height == pytest.approx(1.2)
        assert o.pose.z == pytest.approx(10.0 + 0.02 * o.s + 0.3)


def test_given_repeat_heights_still_win():
    obj = ('<object id="7" type="pole" s="10" t="-5" zOffset="0.3" height="1.2" length="0.2" width="0.2">'
           '<repeat s="10" length="10" distance="10" tStart="-5" tEnd="-5" heightStart="2" heightEnd="3"'
           ' zOffsetStart="0" zOffsetEnd="0"/></object>')
    placed = parse_opendrive(_with_objects(obj)).objects
    assert [o.height for o in placed] == pytest.approx([2.0, 3.0])
    assert placed[0].pose.z == pytest.approx(10.0 + 0.2)


@pytest.mark.parametrize("corners", [
    # esmini's test_outline_with_repeat.xodr: a 5 m × 5 m, 4 m high outline, repeated continuously
    '<cornerLocal u="0" v="-2.5" z="0" height="4"/><cornerLocal u="5" v="-2.5" z="0" height="4"/>'
    '<cornerLocal u="5" v="2.5" z="0" height="4"/><cornerLocal u="0" v="2.5" z="0" height="4"/>',
    '<cornerRoad s="10" t="-2.5" dz="0" height="4"/><cornerRoad s="15" t="-2.5" dz="0" height="4"/>'
    '<cornerRoad s="15" t="2.5" dz="0" height="4"/><cornerRoad s="10" t="2.5" dz="0" height="4"/>',
])
def test_a_continuous_repeat_of_an_outline_object_extrudes_the_outline_profile(corners):
    obj = (f'<object type="barrier" id="0" s="30" t="0"><outlines><outline id="0" closed="true">{corners}'
           '</outline></outlines><repeat s="25" length="5" distance="0.0" tStart="-10.0" tEnd="-10.0"/></object>')
    (wall,) = parse_opendrive(_with_objects(obj)).objects
    assert wall.height == pytest.approx(4.0) and wall.width == pytest.approx(5.0)
    ys = wall.footprint[:, 1]
    assert (ys.min(), ys.max()) == pytest.approx((-12.5, -7.5))
    assert (wall.footprint[:, 0].min(), wall.footprint[:, 0].max()) == pytest.approx((25.0, 30.0))


# ------------------------------------------- virtual junctions (OpenDRIVE 1.7 §10.4)
def _virtual_junction(successor_dir: str = "+", lane_link: str = "-2") -> str:
    def lane(i, w, link=""):
        return f'<lane id="{i}" type="driving">{link}<width sOffset="0" a="{w}" b="0" c="0" d="0"/></lane>'

    def road(rid, x, y, h, length, junction, links, left, right):
        return (f'<road id="{rid}" length="{length}" junction="{junction}"><link>{links}</link>'
                f'<planView><geometry s="0" x="{x}" y="{y}" hdg="{h}" length="{length}"><line/></geometry></planView>'
                '<lanes><laneSection s="0">' + (f"<left>{left}</left>" if left else "")
                + '<center><lane id="0" type="none"/></center>' + f"<right>{right}</right></laneSection></lanes></road>\n")

    down = -math.pi / 2
    return ('<?xml version="1.0"?>\n<OpenDRIVE><header revMajor="1" revMinor="7"/>\n'
            + road(1, 0, 0, 0, 100, -1, "", _lane(1, 3.5), _lane(-1, 3.5) + _lane(-2, 3.5))
            # the spec's ConnectingRoad2: attached to road 1 at s = 50, no contact point
            + road(2, 50, -7, down, 13, 555,
                   f'<predecessor elementType="road" elementId="1" elementS="50" elementDir="{successor_dir}"/>'
                   '<successor elementType="road" elementId="99" contactPoint="start"/>', "",
                   lane(-1, 3, f'<link><predecessor id="{lane_link}"/><successor id="-1"/></link>'))
            + road(99, 50, -20, down, 50, -1, '<predecessor elementType="road" elementId="2" contactPoint="end"/>',
                   "", lane(-1, 3))
            + '<junction id="555" type="virtual" mainRoad="1" sStart="45" sEnd="55" orientation="+">'
              '<connection id="0" type="virtual" incomingRoad="1" connectingRoad="2" contactPoint="start">'
              '<laneLink from="-2" to="-1"/></connection></junction>\n</OpenDRIVE>\n')


def test_a_mid_road_link_of_a_virtual_junction_is_read_and_reported():
    net = parse_opendrive(_virtual_junction(), source="vj.xodr")
    link = net.roads["2"].predecessor
    assert (link.element_type, link.element_id, link.contact_point, link.element_s, link.element_dir) == \
        ("road", "1", None, 50.0, "+")
    assert list(net.problems) == ["vj.xodr:4: road 2: predecessor road 1 at s=50 (a virtual junction's mid-road "
                                  "link): routes branch there mid-lane; lane-end successors/predecessors do not list it"]
    # not joined to road 1's start or end: no edge, no 'borders apart' report
    assert net.predecessors("2", -1) == [] and net.successors("2", -1) == [("99", -1)]
    from simplatform.opendrive.summary import joint_gaps
    assert joint_gaps(net) == []


def test_a_mid_road_link_checks_its_lane_ids_at_element_s():
    from simplatform.errors import RoadNetworkError

    with pytest.raises(RoadNetworkError) as info:
        parse_opendrive(_virtual_junction(lane_link="-5"), source="vj.xodr")
    assert "-5" in str(info.value)


def test_a_road_link_with_neither_contact_point_nor_element_s_is_still_an_error():
    from simplatform.errors import RoadNetworkError

    text = _virtual_junction().replace(' elementS="50" elementDir="+"', "")
    with pytest.raises(RoadNetworkError) as info:
        parse_opendrive(text, source="vj.xodr")
    assert "contactPoint" in str(info.value) and info.value.location.line == 4


def test_a_virtual_connection_by_predecessor_and_successor_is_reported_not_refused():
    # OpenDRIVE 1.7 §10.4: a type="virtual" connection names its roads by <predecessor>/<successor>
    # (road, elementS, elementDir), without incomingRoad/connectingRoad
    text = _virtual_junction().replace(
        "</connection></junction>",
        '</connection><connection id="1" type="virtual"><predecessor elementType="road" elementId="1"'
        ' elementS="55" elementDir="+"/><successor elementType="road" elementId="99" elementS="0" elementDir="+"/>'
        "</connection></junction>")
    net = parse_opendrive(text, source="vj.xodr")
    assert [c.id for c in net.junctions["555"].connections] == ["0"]
    assert [p for p in net.problems if "virtual connection" in p] == [
        "vj.xodr:6: junction 555 virtual connection 1 (predecessor road 1 at s=55, successor road 99 at s=0) "
        "is not modelled"]
    from simplatform.opendrive.summary import summarise
    assert not [p for p in summarise(net).problems if "without a successor lane" in p]


# ----------------------------------------------------- the road mesh: height steps
def _faces(net, step: float = 5.0) -> np.ndarray:
    rm = build_road_mesh(net, step=step)
    tri = np.asarray(rm.mesh.triangles)[rm.triangle_material == rm.material_id("curb_face")]
    return np.asarray(rm.mesh.vertices)[tri.reshape(-1)]


def test_a_step_between_lane_heights_gets_a_vertical_face():
    # ASAM's Ex_Pedestrian_Crossing: a 0.3 m border lane at road level, then a shoulder raised 0.12 m
    raised = '<height sOffset="0" inner="0.12" outer="0.12"/>'
    right = _lane(-1, 3.25) + _lane(-2, 0.3, "border") + _lane(-3, 2.05, "shoulder", extra=raised)
    net = parse_opendrive(banked(right=right, lateral=""))
    pts = _faces(net)
    assert len(pts) == 2 * 20 * 3  # two triangles per 5 m cell over 100 m
    assert np.allclose(pts[:, 1], -3.55)  # the border lane's outer edge
    above_road = pts[:, 2] - (10.0 + 0.02 * pts[:, 0])
    assert above_road.min() == pytest.approx(0.0, abs=1e-9) and above_road.max() == pytest.approx(0.12)


def test_lanes_raised_alike_and_the_centre_step():
    raised = '<height sOffset="0" inner="0.1" outer="0.1"/>'
    same = parse_opendrive(banked(left=_lane(1, 3.0, extra=raised), right=_lane(-1, 3.0, extra=raised), lateral=""))
    assert len(_faces(same)) == 0
    centre = parse_opendrive(banked(left=_lane(1, 3.0, extra=raised), lateral=""))
    pts = _faces(centre)
    assert len(pts) == 2 * 20 * 3 and np.allclose(pts[:, 1], 0.0)


def test_a_tilted_lane_outside_a_level_one_is_reported():
    right = _lane(-1, 3.5) + _lane(-2, 2.0, "sidewalk", "true") + _lane(-3, 1.5, "shoulder", "false")
    net = parse_opendrive(banked(right=right), source="lvl.xodr")
    assert [p for p in net.problems if "not level" in p] == [
        "lvl.xodr:8: lane -3 (section at s=0) is not level but lies outside a level lane; it is tilted from "
        "that lane's outer edge"]
    assert not parse_opendrive(banked(right=_walk_right("true"))).problems


def test_scalar_and_array_poses_agree_on_level_crossfall_and_shape_roads():
    # the engine asks one entity at a time (scalar path), sensors and tables ask arrays
    lateral = ('<superelevation s="0" a="0.05" b="0.001" c="0" d="0"/>'
               '<crossfall s="0" side="left" a="0.02" b="0" c="0" d="0"/>'
               '<shape s="0" t="-3" a="0" b="0.01" c="0" d="0"/><shape s="60" t="-3" a="0" b="0.03" c="0" d="0"/>')
    left = _lane(1, 3.5) + _lane(2, 2.0, "sidewalk", "true")
    for right in (_walk_right("true"), _walk_right(None)):
        net = parse_opendrive(banked(left=left, right=right, lateral=lateral))
        s = np.linspace(0.5, 99.5, 23)
        for lane in (2, 1, -1, -2, -3):
            off = np.linspace(-0.4, 0.4, s.size)
            many = net.lane_poses("1", lane, s, off)
            for i in range(s.size):
                one = net.lane_pose("1", lane, float(s[i]), float(off[i]))
                assert (one.x, one.y, one.z, one.roll) == pytest.approx(
                    (many.x[i], many.y[i], many.z[i], many.roll[i]), abs=1e-12)
                assert one.pitch == pytest.approx(many.pitch[i], abs=1e-8)
                found = net.locate(one.x, one.y)
                assert found and (found[0].lane_id, found[0].s) == (lane, pytest.approx(float(s[i]), abs=1e-9))
