"""A triangle mesh of the road surface, lane markings and curbs, for sensors and viewers.

Why a mesh: the sensor models ray-cast against an open3d scene (DESIGN.md,
``sensors/``), and a lidar must see the road, the paint and the curbs.  Each
triangle carries a material id so that a sensor can give paint a higher
reflectivity than asphalt, and a viewer can colour lanes by type.

Construction is vectorised per lane section: one s grid (``step`` metres,
section ends included) per section, the lane boundaries from the road
network's compiled lane tables, world points from ``lane_poses`` (elevation,
superelevation, lane heights §11.7.4 included), and the triangles of a whole
strip from index arithmetic.

* Surface: one strip per lane between its inner and outer border (§11.5),
  material = lane type (§11.3 e_laneType).
* Curbs: sidewalk and curb lanes without ``<height>`` records are raised by
  ``CURB_HEIGHT`` and get a vertical face on their inner border.
* Steps: where ``<height>`` records (§11.7.4) leave two neighbouring lanes at
  different heights along their shared border (a raised shoulder beside a
  border lane, as in ASAM's Ex_Pedestrian_Crossing), a vertical face closes
  the step, so that a ray cannot pass under the raised lane's edge.
* Markings (§11.8): one thin strip per painted line, raised ``MARK_HEIGHT``
  above the surface, centred on the lane's outer border (+ the line's
  tOffset).  Explicit ``<type><line>`` records are used when present;
  otherwise "solid" is one continuous line and "broken" a 3 m line / 6 m gap
  pattern; the double types ("solid solid", "broken solid", ...) draw two
  lines one width apart.  Mark types that are not paint (curb, grass, edge,
  botts dots, none) are skipped.
* Objects: their <markings> and <borders> (``object_mesh``): crosswalk stripes
  and stop lines with the markings' materials, kerbs as raised strips.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from simplatform.errors import RoadNetworkError

CURB_HEIGHT = 0.15
MARK_HEIGHT = 0.005
DEFAULT_MARK_WIDTH = 0.12
BROKEN_LENGTH, BROKEN_SPACE = 3.0, 6.0
_END_EPS = 1e-7  # sample a section's end just inside it (the next section starts there)

LANE_MATERIALS = (
    "driving", "shoulder", "border", "stop", "none", "restricted", "parking", "median", "biking",
    "sidewalk", "curb", "entry", "exit", "onRamp", "offRamp", "connectingRamp", "bidirectional",
    "special1", "special2", "special3", "roadWorks", "tram", "rail", "bus", "taxi", "HOV",
    "mwyEntry", "mwyExit", "walking", "slipLane", "shared",
)
EXTRA_MATERIALS = ("curb_face", "marking_white", "marking_yellow", "marking_other")
MATERIALS: dict[int, str] = dict(enumerate(LANE_MATERIALS + EXTRA_MATERIALS))
_MATERIAL_ID = {name: i for i, name in MATERIALS.items()}
_RAISED = frozenset({"sidewalk", "curb"})
_DOUBLE = {"solid solid": ("solid", "solid"), "broken broken": ("broken", "broken"),
           "solid broken": ("solid", "broken"), "broken solid": ("broken", "solid")}
_PALETTE = {"driving": (0.25, 0.25, 0.27), "sidewalk": (0.6, 0.6, 0.58), "curb": (0.55, 0.55, 0.55),
            "curb_face": (0.5, 0.5, 0.5), "shoulder": (0.35, 0.33, 0.3), "border": (0.35, 0.4, 0.3),
            "marking_white": (0.95, 0.95, 0.95), "marking_yellow": (0.95, 0.8, 0.1),
            "parking": (0.3, 0.3, 0.35), "biking": (0.5, 0.25, 0.2)}


@dataclass(frozen=True)
class RoadMesh:
    """The mesh, a material id per triangle, and the id → name table."""

    mesh: "object"  # open3d.geometry.TriangleMesh (kept untyped: open3d is an optional extra)
    triangle_material: np.ndarray
    materials: dict[int, str]

    def material_id(self, name: str) -> int:
        return _MATERIAL_ID[name]

    def write(self, path: str | Path) -> None:
        """Write .ply or .obj (open3d.io); vertex colours show the materials."""
        import open3d as o3d

        path = Path(path)
        if path.suffix.lower() not in (".ply", ".obj"):
            raise RoadNetworkError(f"cannot write a mesh to {path.name}: use a .ply or .obj file")
        path.parent.mkdir(parents=True, exist_ok=True)
        mesh = self.mesh
        if path.suffix.lower() == ".obj":  # OBJ has no per-triangle normals: drop them, not warn
            mesh = o3d.geometry.TriangleMesh(mesh)
            mesh.triangle_normals = o3d.utility.Vector3dVector(np.zeros((0, 3)))
        if not o3d.io.write_triangle_mesh(str(path), mesh, write_ascii=False):
            raise RoadNetworkError(f"open3d could not write the mesh to {path}")


class _Builder:
    """Accumulates strips as vertex/triangle arrays; one numpy call per strip."""

    def __init__(self) -> None:
        self.vertices: list[np.ndarray] = []
        self.triangles: list[np.ndarray] = []
        self.materials: list[np.ndarray] = []
        self.count = 0

    def strips(self, low: np.ndarray, high: np.ndarray, material: int) -> None:
        """Strips between rows ``low`` (lower t) and ``high`` (higher t): (..., n, 3) each;
        a leading batch axis makes several strips (e.g. the dashes of a line) at once."""
        low = low.reshape(-1, low.shape[-2], 3)
        high = high.reshape(-1, high.shape[-2], 3)
        batch, n = low.shape[0], low.shape[1]
        if n < 2:
            return
        base = self.count + np.arange(batch)[:, None] * (2 * n) + np.arange(n - 1)[None, :]  # (B, n-1)
        lo0, lo1, hi0, hi1 = base, base + 1, base + n, base + n + 1
        tri = np.concatenate([np.stack([lo0, lo1, hi0], -1), np.stack([hi0, lo1, hi1], -1)], axis=1)
        verts = np.concatenate([low, high], axis=1).reshape(-1, 3)
        ok = np.isfinite(verts).all(axis=1)
        tri = tri.reshape(-1, 3)
        tri = tri[ok[tri - self.count].all(axis=1)]
        self.vertices.append(verts)
        self.triangles.append(tri)
        self.materials.append(np.full(len(tri), material, dtype=np.int32))
        self.count += len(verts)

    def mesh(self) -> RoadMesh:
        import open3d as o3d

        vertices = np.concatenate(self.vertices) if self.vertices else np.zeros((0, 3))
        triangles = np.concatenate(self.triangles) if self.triangles else np.zeros((0, 3), int)
        material = np.concatenate(self.materials) if self.materials else np.zeros(0, np.int32)
        vertices = np.nan_to_num(vertices)  # rows of skipped (NaN) samples are referenced by no triangle
        mesh = o3d.geometry.TriangleMesh(o3d.utility.Vector3dVector(vertices),
                                         o3d.utility.Vector3iVector(triangles.astype(np.int32)))
        colours = np.full((len(vertices), 3), 0.4)
        for mid in np.unique(material):
            used = np.unique(triangles[material == mid])
            colours[used] = _PALETTE.get(MATERIALS[int(mid)], (0.4, 0.4, 0.4))
        mesh.vertex_colors = o3d.utility.Vector3dVector(colours)
        mesh.compute_vertex_normals()
        return RoadMesh(mesh, material, dict(MATERIALS))


def _grid(s0: float, s1: float, step: float) -> np.ndarray:
    n = max(2, int(np.ceil((s1 - s0) / step - 1e-9)) + 1)
    s = np.linspace(s0, s1, n)
    s[-1] = max(s0, s1 - _END_EPS)
    return s


def _points(pose) -> np.ndarray:
    return np.stack([pose.x, pose.y, pose.z], axis=-1)


def _line_specs(mark, default_width: float) -> list[tuple[str, float, float, float, float]]:
    """(kind, width, t_offset, length, space) of each painted line of a road mark."""
    width = mark.width if mark.width and mark.width > 0 else default_width
    if mark.lines:
        return [("dashed" if ln.space > 0 else "solid", ln.width or width, ln.t_offset, ln.length, ln.space)
                for ln in mark.lines]
    kind = (mark.type or "none").strip()
    if kind in _DOUBLE:
        a, b = _DOUBLE[kind]
        return [(a, width, -width, BROKEN_LENGTH, BROKEN_SPACE), (b, width, width, BROKEN_LENGTH, BROKEN_SPACE)]
    if kind in ("solid", "broken"):
        return [(kind, width, 0.0, BROKEN_LENGTH, BROKEN_SPACE)]
    return []


def _colour(mark) -> int:
    colour = (mark.color or "standard").lower()
    if colour in ("standard", "white"):
        return _MATERIAL_ID["marking_white"]
    return _MATERIAL_ID["marking_yellow" if colour == "yellow" else "marking_other"]


def _marks(builder: _Builder, net, road_id: str, lane_id: int, section, lane, step: float) -> None:
    records = lane.road_marks
    for k, mark in enumerate(records):
        m0 = section.s + mark.s_offset
        m1 = section.s + records[k + 1].s_offset if k + 1 < len(records) else section.s_end
        if m1 - m0 <= 1e-6:
            continue
        for kind, width, t_offset, length, space in _line_specs(mark, DEFAULT_MARK_WIDTH):
            if kind == "solid" or length <= 0:
                s = _grid(m0, m1, step)[None, :]
            else:
                if kind == "broken":
                    length, space = BROKEN_LENGTH, BROKEN_SPACE
                starts = np.arange(m0, m1, length + space)
                samples = max(2, int(np.ceil(length / step)) + 1)
                s = starts[:, None] + np.linspace(0.0, length, samples)[None, :]
                s = np.minimum(s, m1 - _END_EPS)
            flat = s.ravel()
            inner_t, outer = net.frame(road_id).lanes.boundaries(lane_id, flat)
            centre = 0.5 * (inner_t + outer)
            border = outer + t_offset
            lo = net.lane_poses(road_id, lane_id, flat, border - 0.5 * width - centre)
            hi = net.lane_poses(road_id, lane_id, flat, border + 0.5 * width - centre)
            lift = MARK_HEIGHT if not mark.height else mark.height
            low, high = _points(lo), _points(hi)
            low[:, 2] += lift
            high[:, 2] += lift
            builder.strips(low.reshape(*s.shape, 3), high.reshape(*s.shape, 3), _colour(mark))


STEP_FACE_MIN = 1e-3  # metres: a height difference below this along the whole border is no step


def _step_faces(builder: _Builder, edges: dict[int, tuple]) -> None:
    """Vertical faces between neighbouring lanes of one section whose surfaces meet at
    different heights because of lane <height> records (the centre included: lanes 1 and -1).
    A raised curb lane has its own face already (its inner row is None here)."""
    def face(outer_row, inner_row, left: bool) -> None:
        if outer_row is None or inner_row is None:
            return
        dz = np.abs(inner_row[:, 2] - outer_row[:, 2])
        if not np.nanmax(dz, initial=0.0) > STEP_FACE_MIN:
            return
        a, b = (outer_row, inner_row) if left else (inner_row, outer_row)
        builder.strips(a, b, _MATERIAL_ID["curb_face"])

    for lane_id, (p_in, _p_out, heights) in edges.items():
        inner_id = lane_id - 1 if lane_id > 0 else lane_id + 1
        if inner_id == 0:
            if lane_id == 1 and -1 in edges and (heights or edges[-1][2]):
                face(edges[-1][0], p_in, True)
            continue
        if inner_id in edges and (heights or edges[inner_id][2]):
            face(edges[inner_id][1], p_in, lane_id > 0)


def build_road_mesh(net, *, step: float = 1.0) -> RoadMesh:
    """The road surface, curbs and markings of every road of ``net`` as one mesh."""
    if step <= 0:
        raise ValueError("step must be positive")
    builder = _Builder()
    for road in net.roads.values():
        lanes_of = net.frame(road.id).lanes
        for section in road.lane_sections:
            s = _grid(section.s, section.s_end, step)
            edges: dict[int, tuple] = {}  # lane id -> (inner row, outer row, has heights) as drawn
            for lane in (*section.left, *section.right):
                inner, outer = lanes_of.boundaries(lane.id, s)
                half = 0.5 * np.abs(outer - inner)
                if not np.nanmax(half, initial=0.0) > 1e-6:
                    continue
                sign = 1.0 if lane.id > 0 else -1.0  # +offset toward +t
                p_in = _points(net.lane_poses(road.id, lane.id, s, -sign * half))
                p_out = _points(net.lane_poses(road.id, lane.id, s, sign * half))
                material = _MATERIAL_ID.get(lane.type, _MATERIAL_ID["none"])
                raised = lane.type in _RAISED and not lane.heights
                if raised:
                    base_in = p_in.copy()
                    p_in[:, 2] += CURB_HEIGHT
                    p_out[:, 2] += CURB_HEIGHT
                    low_face, high_face = (base_in, p_in) if lane.id > 0 else (p_in, base_in)
                    builder.strips(low_face, high_face, _MATERIAL_ID["curb_face"])
                low, high = (p_in, p_out) if lane.id > 0 else (p_out, p_in)
                builder.strips(low, high, material)
                edges[lane.id] = (None if raised else p_in, p_out, bool(lane.heights))
            _step_faces(builder, edges)
            for lane in (*section.left, section.center, *section.right):
                if lane.road_marks:
                    _marks(builder, net, road.id, lane.id, section, lane, step)
    from simplatform.opendrive.object_mesh import add_object_surfaces  # imports this module

    add_object_surfaces(builder, net)
    return builder.mesh()


def write_road_mesh(net, path: str | Path, *, step: float = 1.0) -> RoadMesh:
    """Build the mesh of ``net`` and write it to ``path`` (.ply or .obj)."""
    road_mesh = build_road_mesh(net, step=step)
    road_mesh.write(path)
    return road_mesh
