"""Object references, object markings and object borders (ASAM OpenDRIVE 1.7/1.8 objects chapter).

Given a straight two-lane road with a crosswalk, a stop line and a traffic island, the
crosswalk's stripes and the stop line are painted into the road mesh with the lane
markings' materials, the island's kerb raises the mesh, an <objectReference> on another
road resolves to the crosswalk without meshing it twice, and elements that are still not
modelled are listed in ``net.problems``.
"""

from __future__ import annotations

import numpy as np
import open3d as o3d
import pytest

from simplatform.errors import RoadNetworkError
from simplatform.opendrive import parse_opendrive
from simplatform.opendrive.mesh import CURB_HEIGHT, MARK_HEIGHT, build_road_mesh

LANES = """<lanes><laneSection s="0"><left><lane id="1" type="driving" level="false">
  <width sOffset="0" a="3.5" b="0" c="0" d="0"/></lane></left>
  <center><lane id="0" type="none" level="false"/></center>
  <right><lane id="-1" type="driving" level="false"><width sOffset="0" a="3.5" b="0" c="0" d="0"/></lane></right>
  </laneSection></lanes>"""

# crosswalk 3 m deep (u) and 7 m across the road (v), corners counter-clockwise (or clockwise)
CCW = [("0", -1.5, -3.5), ("1", 1.5, -3.5), ("2", 1.5, 3.5), ("3", -1.5, 3.5)]


def _corners(order) -> str:
    return "".join(f'<cornerLocal id="{i}" u="{u}" v="{v}" z="0" height="0"/>' for i, u, v in order)


def _crosswalk(order=CCW, marking_corners=("0", "3"), line="0.5", space="0.5") -> str:
    refs = "".join(f'<cornerReference id="{c}"/>' for c in marking_corners)
    return (f'<object id="cw" type="crosswalk" s="50" t="0" zOffset="0" hdg="0">'
            f'<outlines><outline id="0" outer="true" closed="true">{_corners(order)}</outline></outlines>'
            f'<markings><marking width="3.0" color="white" zOffset="0.005" spaceLength="{space}" '
            f'lineLength="{line}" startOffset="0.25" stopOffset="0.25">{refs}</marking></markings></object>')


STOP_LINE = ('<object id="stop" type="roadMark" s="30" t="-1.75" length="0.4" width="3.5" hdg="0">'
             '<markings><marking side="front" width="0.3" color="yellow" spaceLength="0" lineLength="0" '
             'startOffset="0" stopOffset="0"/></markings></object>')


def _island(border_type="curb", height="") -> str:
    square = [("a", -2.0, -1.0), ("b", 2.0, -1.0), ("c", 2.0, 1.0), ("d", -2.0, 1.0)]
    h = f' height="{height}"' if height else ""
    return (f'<object id="island" type="trafficIsland" s="20" t="0"{h} hdg="0">'
            f'<outline id="7">{_corners(square)}</outline>'
            f'<borders><border width="0.3" type="{border_type}" outlineId="7" useCompleteOutline="true"/></borders>'
            '</object>')


def _xodr(objects1: str = "", objects2: str = "", extra_road: str = "", extra_top: str = "") -> str:
    def road(rid: str, y: float, objects: str, extra: str = "") -> str:
        return (f'<road id="{rid}" length="100" junction="-1"><link/>'
                f'<planView><geometry s="0" x="0" y="{y}" hdg="0" length="100"><line/></geometry></planView>'
                f'{LANES}<objects>{objects}</objects>{extra}</road>')
    return ('<?xml version="1.0"?>\n<OpenDRIVE><header revMajor="1" revMinor="7"/>\n'
            + road("1", 0.0, objects1, extra_road) + "\n" + road("2", 50.0, objects2) + f"\n{extra_top}</OpenDRIVE>")


def _line_of(text: str, needle: str) -> int:
    return text[:text.index(needle)].count("\n") + 1


def _triangles(road_mesh, material: str) -> np.ndarray:
    """(T, 3, 3) corner points of the triangles with ``material``."""
    tri = np.asarray(road_mesh.mesh.triangles)[road_mesh.triangle_material == road_mesh.material_id(material)]
    return np.asarray(road_mesh.mesh.vertices)[tri]


# ------------------------------------------------------------------ objectReference
def test_an_object_reference_resolves_to_the_object_of_the_other_road():
    net = parse_opendrive(_xodr(_crosswalk(), '<objectReference id="cw" s="10" t="1" validLength="3" '
                                             'orientation="+"><validity fromLane="-1" toLane="1"/></objectReference>'),
                          "refs.xodr")
    (ref,) = net.roads["2"].object_references
    assert (ref.road_id, ref.s, ref.t, ref.valid_length, ref.orientation) == ("2", 10.0, 1.0, 3.0, "+")
    assert ref.validity[0].from_lane == -1 and ref.validity[0].to_lane == 1
    assert ref.object is not None and ref.object.road_id == "1" and ref.object.type == "crosswalk"
    assert net.roads["1"].object_references == ()


def test_a_referenced_object_is_placed_and_meshed_once():
    plain = parse_opendrive(_xodr(_crosswalk()))
    referenced = parse_opendrive(_xodr(_crosswalk(), '<objectReference id="cw" s="10" t="0"/>'))
    assert [o.id for o in referenced.objects] == ["cw"]
    a, b = build_road_mesh(plain), build_road_mesh(referenced)
    assert len(_triangles(b, "marking_white")) == len(_triangles(a, "marking_white")) == 7 * 2
    assert np.array_equal(np.asarray(a.mesh.vertices), np.asarray(b.mesh.vertices))


def test_a_reference_to_a_missing_object_is_a_located_error():
    text = _xodr(_crosswalk(), '<objectReference id="nope" s="10" t="0"/>')
    with pytest.raises(RoadNetworkError) as err:
        parse_opendrive(text, "bad_ref.xodr")
    message = str(err.value)
    assert "bad_ref.xodr" in message and "nope" in message and "objectReference" in message
    assert f"bad_ref.xodr:{_line_of(text, '<objectReference')}" in message


# ------------------------------------------------------------------ markings
def test_crosswalk_stripes_follow_the_dash_pattern():
    """7 m edge, 0.25 m off at both ends, 0.5 m lines and 0.5 m gaps: 7 stripes, each a quad
    3 m deep lying on the crosswalk (x 48.5..51.5), lifted by the marking's zOffset."""
    road_mesh = build_road_mesh(parse_opendrive(_xodr(_crosswalk())))
    stripes = _triangles(road_mesh, "marking_white")
    assert stripes.shape[0] == 7 * 2
    points = stripes.reshape(-1, 3)
    assert points[:, 0].min() == pytest.approx(48.5) and points[:, 0].max() == pytest.approx(51.5)
    assert np.allclose(points[:, 2], 0.005)
    ys = np.unique(np.round(points[:, 1], 6))
    expected = np.sort(np.concatenate([np.arange(7) - 3.25, np.arange(7) - 2.75]))
    assert np.allclose(ys, expected)
    normals = np.cross(stripes[:, 1] - stripes[:, 0], stripes[:, 2] - stripes[:, 0])
    assert (normals[:, 2] > 0).all()  # every stripe faces up


def test_stripes_lie_inside_a_clockwise_outline_walked_either_way():
    clockwise = list(reversed(CCW))
    for order, corners in ((clockwise, ("0", "3")), (CCW, ("3", "0")), (clockwise, ("3", "0"))):
        points = _triangles(build_road_mesh(parse_opendrive(_xodr(_crosswalk(order, corners)))),
                            "marking_white").reshape(-1, 3)
        assert points[:, 0].min() == pytest.approx(48.5) and points[:, 0].max() == pytest.approx(51.5)


def test_a_solid_marking_is_one_strip_and_a_side_marking_uses_the_bounding_box():
    solid = _triangles(build_road_mesh(parse_opendrive(_xodr(_crosswalk(line="0", space="0")))), "marking_white")
    assert solid.shape[0] == 2
    assert np.ptp(solid.reshape(-1, 3)[:, 1]) == pytest.approx(6.5)
    stop = _triangles(build_road_mesh(parse_opendrive(_xodr(STOP_LINE))), "marking_yellow").reshape(-1, 3)
    # front side of a 0.4 m box at s=30: x=30.2, 0.3 m wide toward the box, across t -3.5..0
    assert stop[:, 0].max() == pytest.approx(30.2) and stop[:, 0].min() == pytest.approx(29.9)
    assert stop[:, 1].min() == pytest.approx(-3.5) and stop[:, 1].max() == pytest.approx(0.0)
    assert np.allclose(stop[:, 2], MARK_HEIGHT)


def test_a_marking_naming_a_missing_corner_is_a_problem_not_drawn():
    net = parse_opendrive(_xodr(_crosswalk(marking_corners=("0", "9"))), "corners.xodr")
    assert any("corners.xodr:" in p and "<marking>" in p and "9" in p for p in net.problems)
    assert len(_triangles(build_road_mesh(net), "marking_white")) == 0


# ------------------------------------------------------------------ borders
def _cast_down(road_mesh, x: float, y: float) -> float:
    scene = o3d.t.geometry.RaycastingScene()
    scene.add_triangles(o3d.t.geometry.TriangleMesh.from_legacy(road_mesh.mesh))
    rays = o3d.core.Tensor([[x, y, 10.0, 0.0, 0.0, -1.0]], dtype=o3d.core.Dtype.Float32)
    return 10.0 - float(scene.cast_rays(rays)["t_hit"].numpy()[0])


def test_a_curb_border_raises_the_mesh_around_the_island():
    road_mesh = build_road_mesh(parse_opendrive(_xodr(_island())))
    top = _triangles(road_mesh, "curb")
    assert top.shape[0] == 4 * 2 and np.allclose(top[..., 2], CURB_HEIGHT)
    assert _triangles(road_mesh, "curb_face").shape[0] == 4 * 2 * 2
    assert _cast_down(road_mesh, 20.0, -0.85) == pytest.approx(CURB_HEIGHT, abs=1e-4)  # on the kerb (inside)
    assert _cast_down(road_mesh, 20.0, -1.1) == pytest.approx(0.0, abs=1e-4)          # just outside: road
    assert _cast_down(road_mesh, 20.0, 0.0) == pytest.approx(0.0, abs=1e-4)           # island centre: road level
    tall = build_road_mesh(parse_opendrive(_xodr(_island(height="0.25"))))
    assert np.allclose(_triangles(tall, "curb")[..., 2], 0.25)


def test_a_concrete_border_is_flat():
    road_mesh = build_road_mesh(parse_opendrive(_xodr(_island("concrete"))))
    top = _triangles(road_mesh, "curb")
    assert top.shape[0] == 8 and np.allclose(top[..., 2], MARK_HEIGHT)
    assert _triangles(road_mesh, "curb_face").shape[0] == 0


# ------------------------------------------------------------------ not modelled
def test_elements_not_modelled_are_listed_with_file_and_line():
    text = _xodr(extra_road='<surface><CRG file="road.crg" mode="attached"/></surface><railroad/>',
                 extra_top='<station id="st1" name="Main"/><include file="more.xml"/>\n')
    net = parse_opendrive(text, "extras.xodr")
    found = {tag: [p for p in net.problems if p.startswith("extras.xodr:") and f"<{tag}>" in p]
             for tag in ("surface", "railroad", "station", "include")}
    assert all(len(v) == 1 for v in found.values()), net.problems
    for tag in found:
        assert found[tag][0].startswith(f"extras.xodr:{_line_of(text, '<' + tag)}:")


def test_a_side_marking_needs_a_bounding_box():
    disc = ('<object id="disc" s="30" t="0" radius="1" hdg="0"><markings><marking side="front" color="white" '
            'spaceLength="0" lineLength="0" startOffset="0" stopOffset="0"/></markings></object>')
    net = parse_opendrive(_xodr(disc), "disc.xodr")
    assert any(p.startswith("disc.xodr:") and "side 'front'" in p for p in net.problems)
    assert len(_triangles(build_road_mesh(net), "marking_white")) == 0


def test_each_copy_of_a_repeated_object_gets_its_markings():
    """Three stop-line copies 10 m apart (a <repeat> with distance 10 over 20 m)."""
    repeated = STOP_LINE.replace("</markings>", '</markings><repeat s="30" length="20" distance="10" '
                                                'tStart="-1.75" tEnd="-1.75" heightStart="0" heightEnd="0" '
                                                'zOffsetStart="0" zOffsetEnd="0"/>')
    stop = _triangles(build_road_mesh(parse_opendrive(_xodr(repeated))), "marking_yellow")
    assert stop.shape[0] == 3 * 2
    assert np.allclose(np.unique(np.round(stop[..., 0].max(axis=1), 6)), [30.2, 40.2, 50.2])
