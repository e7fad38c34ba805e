"""The road mesh: sizes, surface heights, materials per lane type, markings and curbs."""

from __future__ import annotations

import numpy as np
import open3d as o3d
import pytest

from scenarios.maps import map_path
from simplatform.opendrive import load_opendrive
from simplatform.opendrive.mesh import CURB_HEIGHT, MARK_HEIGHT, build_road_mesh


@pytest.fixture(scope="module")
def highway():
    net = load_opendrive(map_path("highway_straight"))
    return net, build_road_mesh(net, step=1.0)


def _centroids(road_mesh, material: str) -> np.ndarray:
    tri = np.asarray(road_mesh.mesh.triangles)[road_mesh.triangle_material == road_mesh.material_id(material)]
    return np.asarray(road_mesh.mesh.vertices)[tri].mean(axis=1)


def test_triangle_count_follows_the_sampling(highway):
    net, road_mesh = highway
    surface = np.isin(road_mesh.triangle_material, [road_mesh.material_id("driving"), road_mesh.material_id("shoulder")])
    # 2 roads x 8 lanes x 500 one-metre steps x 2 triangles
    assert surface.sum() == 2 * 8 * 500 * 2
    assert len(road_mesh.triangle_material) == len(road_mesh.mesh.triangles)
    finer = build_road_mesh(net, step=0.5)
    fine_surface = np.isin(finer.triangle_material, [finer.material_id("driving"), finer.material_id("shoulder")])
    assert fine_surface.sum() == 2 * surface.sum()


def test_materials_match_the_lane_types(highway):
    net, road_mesh = highway
    for material, lane_type in (("driving", "driving"), ("shoulder", "shoulder")):
        c = _centroids(road_mesh, material)[::37]
        located = net.locate_many(c[:, :2])
        assert located.on_road.all()
        types = {net.lane_type(located.road_ids[r], int(ln), float(s))
                 for r, ln, s in zip(located.road_index, located.lane_id, located.s)}
        assert types == {lane_type}


def test_vertices_lie_on_the_road_surface():
    """rural_curves climbs 2 %: every surface vertex has the z of the road there."""
    net = load_opendrive(map_path("rural_curves"))
    road_mesh = build_road_mesh(net, step=2.0)
    vertices = np.asarray(road_mesh.mesh.vertices)
    tri = np.asarray(road_mesh.mesh.triangles)
    surface = np.unique(tri[road_mesh.triangle_material < road_mesh.material_id("curb_face")])
    points = vertices[surface]
    assert np.ptp(points[:, 2]) > 10.0  # the road really climbs
    s, t = np.array([net.project("1", x, y) for x, y in points[::5, :2]]).T
    expected = net.road_poses("1", s, t).z
    assert np.abs(points[::5, 2] - expected).max() < 1e-6
    marks = vertices[np.unique(tri[road_mesh.triangle_material == road_mesh.material_id("marking_white")])]
    s, t = np.array([net.project("1", x, y) for x, y in marks[::11, :2]]).T
    assert np.abs(marks[::11, 2] - net.road_poses("1", s, t).z - MARK_HEIGHT).max() < 1e-6


def test_solid_and_broken_markings_where_declared(highway):
    net, road_mesh = highway
    c = _centroids(road_mesh, "marking_white")
    on_road_1 = c[c[:, 0] < 500.0]
    # lane -3's outer border (t = -10.5) has a solid mark: painted all along road 1
    solid = on_road_1[np.abs(on_road_1[:, 1] + 10.5) < 0.1]
    assert np.ptp(solid[:, 0]) > 498.0
    covered = np.unique(np.floor(solid[:, 0]))
    assert len(covered) == 500
    # lane -1's outer border (t = -3.5) has a broken 3 m / 6 m line: a third of the length painted
    broken = on_road_1[np.abs(on_road_1[:, 1] + 3.5) < 0.1]
    painted = np.unique(np.floor(broken[:, 0]))
    assert 0.3 < len(painted) / 500 < 0.37
    assert {0.0, 1.0, 2.0} <= set(painted) and 4.0 not in set(painted)
    # shoulders carry no paint at their outer border (t = -13)
    assert not (np.abs(on_road_1[:, 1] + 13.0) < 0.5).any()
    # marking width: 0.15 m (the file's width)
    tri = np.asarray(road_mesh.mesh.triangles)[road_mesh.triangle_material == road_mesh.material_id("marking_white")]
    ys = np.asarray(road_mesh.mesh.vertices)[tri][..., 1]
    near = np.abs(ys.mean(axis=1) + 10.5) < 0.1
    assert np.ptp(ys[near]) == pytest.approx(0.15)


def test_sidewalks_are_raised_curbs():
    net = load_opendrive(map_path("urban_grid"))
    road_mesh = build_road_mesh(net)
    tri = np.asarray(road_mesh.mesh.triangles)
    vertices = np.asarray(road_mesh.mesh.vertices)
    walk = vertices[np.unique(tri[road_mesh.triangle_material == road_mesh.material_id("sidewalk")])]
    assert np.allclose(walk[:, 2], CURB_HEIGHT)
    face = vertices[tri[road_mesh.triangle_material == road_mesh.material_id("curb_face")]]
    assert set(np.round(face[..., 2].ravel(), 6)) == {0.0, CURB_HEIGHT}
    driving = vertices[np.unique(tri[road_mesh.triangle_material == road_mesh.material_id("driving")])]
    assert np.allclose(driving[:, 2], 0.0)


@pytest.mark.parametrize("suffix", [".ply", ".obj"])
def test_mesh_exports_and_reads_back(tmp_path, suffix):
    net = load_opendrive(map_path("junction_t"))
    road_mesh = build_road_mesh(net)
    path = tmp_path / f"junction_t{suffix}"
    road_mesh.write(path)
    back = o3d.io.read_triangle_mesh(str(path))
    assert len(back.triangles) == len(road_mesh.mesh.triangles)
