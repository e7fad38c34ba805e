"""Object markings and borders in the road mesh: crosswalk stripes, stop lines, kerbs.

Sources: ASAM OpenDRIVE 1.7/1.8 objects chapter, <markings> and <borders>.  The
spec names the outline points a marking or border runs along but not on which
side of that line the paint lies; here it lies on the object's side (inside
the outline, or inside the bounding box for a ``side`` marking), so that a
crosswalk's stripes stay on the crosswalk and an island's kerb on the island.

* A marking runs along the polyline through its referenced corners (or along
  one bounding-box side, counter-clockwise: right = rear→front, front =
  right→left, left = front→rear, rear = left→right), from ``startOffset``
  after its first point to ``stopOffset`` before its last, in dashes of
  ``lineLength`` with gaps of ``spaceLength`` (one solid line when either is
  0); each dash is a flat quad ``width`` wide (else 0.12 m, 0.25 m when bold)
  lifted ``zOffset`` (else ``MARK_HEIGHT``), with the lane markings' material
  for its colour, so lidar intensity and camera see it like lane paint.
* A border is a strip ``width`` wide along the outline (all of it, closed, or
  its referenced corners): "curb" is raised to the object's height (else
  ``CURB_HEIGHT``, 0.15 m) with vertical faces on both edges, "concrete" is
  flat (material "curb": the mesh table has no concrete), "paint" is a solid
  marking.  Edges are offset one by one, without mitred corners.
Objects are taken from ``net.objects`` (repeats expanded; an
<objectReference> adds nothing), so each is drawn once.
"""

from __future__ import annotations

import math

import numpy as np

from simplatform.opendrive import model as m
from simplatform.opendrive.mesh import CURB_HEIGHT, MARK_HEIGHT, _MATERIAL_ID, _Builder
from simplatform.opendrive.objects import PlacedObject

STANDARD_WIDTH, BOLD_WIDTH = 0.12, 0.25


def _marking_material(color: str | None) -> int:
    colour = (color or "standard").lower()
    if colour in ("standard", "white"):
        return _MATERIAL_ID["marking_white"]
    return _MATERIAL_ID["marking_yellow" if colour == "yellow" else "marking_other"]


def _outline_points(net, placed: PlacedObject, outline: m.Outline) -> tuple[list[str | None], np.ndarray]:
    """Corner ids and world points (K, 3) of one outline of a placed object."""
    obj, pose = placed.record, placed.pose
    ids = [c.id for c in outline.corners]
    if all(isinstance(c, m.CornerLocal) for c in outline.corners):
        u = np.array([c.u for c in outline.corners]); v = np.array([c.v for c in outline.corners])
        ch, sh = math.cos(pose.heading), math.sin(pose.heading)
        z = pose.z + np.array([c.z for c in outline.corners])
        return ids, np.column_stack([pose.x + ch * u - sh * v, pose.y + sh * u + ch * v, z])
    ds = placed.s - obj.s
    points = []
    for c in outline.corners:
        p = net.road_pose(obj.road_id, c.s + ds, c.t)
        points.append((p.x, p.y, p.z + c.dz))
    return ids, np.asarray(points, float).reshape(-1, 3)


def _inward(points: np.ndarray) -> float:
    """+1 when the polygon runs counter-clockwise (its inside on the left of each edge), else -1."""
    x, y = points[:, 0], points[:, 1]
    area = 0.5 * float(np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y))
    return 1.0 if area >= 0 else -1.0


def _box_side(placed: PlacedObject, side: str) -> np.ndarray | None:
    """The two world points of a bounding-box side, counter-clockwise around the box."""
    length, width = placed.length, placed.width
    if not length or not width:
        return None
    hl, hw = 0.5 * length, 0.5 * width
    u, v = {"right": ([-hl, hl], [-hw, -hw]), "front": ([hl, hl], [-hw, hw]),
            "left": ([hl, -hl], [hw, hw]), "rear": ([-hl, -hl], [hw, -hw])}[side]
    pose = placed.pose
    ch, sh = math.cos(pose.heading), math.sin(pose.heading)
    u, v = np.array(u), np.array(v)
    return np.column_stack([pose.x + ch * u - sh * v, pose.y + sh * u + ch * v, np.full(2, pose.z)])


def _chain(ids: list[str | None], points: np.ndarray, wanted: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """The points of the corners ``wanted`` in order, and for each edge between them the side
    (+1 left, -1 right of travel) the outline's inside lies on: the outline's orientation for
    an outline edge walked forward, the opposite walked backward, else the side of the centroid."""
    index = {cid: k for k, cid in enumerate(ids) if cid is not None}
    order = [index[c] for c in wanted]
    path = points[order]
    orient, count, centre = _inward(points), len(points), points[:, :2].mean(axis=0)
    sides = []
    for i, j in zip(order[:-1], order[1:]):
        if j == (i + 1) % count:
            sides.append(orient)
        elif i == (j + 1) % count:
            sides.append(-orient)
        else:
            d, r = points[j, :2] - points[i, :2], centre - points[i, :2]
            sides.append(1.0 if d[0] * r[1] - d[1] * r[0] >= 0 else -1.0)
    return path, np.asarray(sides)


def _pieces(path: np.ndarray, start: float, stop: float, line: float, space: float) -> list[tuple[int, float, float]]:
    """(edge k, from, to) distances along edge k of the painted parts of ``path``."""
    seg = np.hypot(*(np.diff(path[:, :2], axis=0).T))
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    end = cum[-1] - stop
    if end - start <= 1e-9:
        return []
    if line <= 0 or space <= 0:
        dashes = [(start, end)]
    else:
        dashes = [(a, min(a + line, end)) for a in np.arange(start, end - 1e-9, line + space)]
    out = []
    for a, b in dashes:
        for k in range(len(seg)):
            lo, hi = max(a, cum[k]), min(b, cum[k + 1])
            if hi - lo > 1e-9 and seg[k] > 1e-12:
                out.append((k, lo - cum[k], hi - cum[k]))
    return out


def _strip_quads(path: np.ndarray, pieces, width: float, inward: np.ndarray,
                 lift: float) -> tuple[np.ndarray, np.ndarray]:
    """Right and left rows (B, 2, 3) of the quads of ``pieces`` (each reaching ``width`` from
    the path toward side ``inward[k]`` of its edge), ``lift`` above the path; the rows are
    ordered as ``_Builder.strips`` wants them (low = right of travel), so every quad faces up."""
    right_rows, left_rows = [], []
    for k, a, b in pieces:
        p0, p1 = path[k], path[k + 1]
        d = p1 - p0
        length = math.hypot(d[0], d[1])
        f = np.array([a, b]) / length
        row = p0 + f[:, None] * d
        row[:, 2] += lift
        other = row + width * inward[k] * np.array([-d[1], d[0], 0.0]) / length
        right_rows.append(row if inward[k] > 0 else other)
        left_rows.append(other if inward[k] > 0 else row)
    return np.asarray(right_rows).reshape(-1, 2, 3), np.asarray(left_rows).reshape(-1, 2, 3)


def _paint(builder: _Builder, path, pieces, width: float, inward: np.ndarray, lift: float, material: int) -> None:
    if pieces:
        builder.strips(*_strip_quads(path, pieces, width, inward, lift), material)


def _kerb(builder: _Builder, path, width: float, inward: np.ndarray, height: float) -> None:
    """Top, and a vertical face on each long edge; strips(bottom, top) faces right of travel."""
    pieces = _pieces(path, 0.0, 0.0, 0.0, 0.0)
    if not pieces:
        return
    right, left = _strip_quads(path, pieces, width, inward, height)
    builder.strips(right, left, _MATERIAL_ID["curb"])
    right_base, left_base = right.copy(), left.copy()
    right_base[..., 2] -= height
    left_base[..., 2] -= height
    builder.strips(right_base, right, _MATERIAL_ID["curb_face"])   # looks right, away from the strip
    builder.strips(left, left_base, _MATERIAL_ID["curb_face"])     # looks left, away from the strip


def _marking(builder: _Builder, net, placed: PlacedObject, mk: m.ObjectMarking) -> None:
    if mk.corner_ids:
        for outline in placed.record.outlines:
            ids, points = _outline_points(net, placed, outline)
            if set(mk.corner_ids) <= {i for i in ids if i is not None}:
                path, inward = _chain(ids, points, mk.corner_ids)
                break
        else:
            return
    else:
        path = _box_side(placed, mk.side or "")
        if path is None:
            return
        inward = np.ones(1)
    width = mk.width if mk.width and mk.width > 0 else (BOLD_WIDTH if mk.weight == "bold" else STANDARD_WIDTH)
    lift = MARK_HEIGHT if mk.z_offset is None or mk.z_offset <= 0 else mk.z_offset
    pieces = _pieces(path, mk.start_offset, mk.stop_offset, mk.line_length, mk.space_length)
    _paint(builder, path, pieces, width, inward, lift, _marking_material(mk.color))


def _border(builder: _Builder, net, placed: PlacedObject, border: m.ObjectBorder) -> None:
    outline = next((o for o in placed.record.outlines
                    if border.outline_id is None or o.id == border.outline_id), None)
    if outline is None or border.width <= 0:
        return
    ids, points = _outline_points(net, placed, outline)
    if border.use_complete_outline:
        path = np.vstack([points, points[:1]]) if outline.closed else points
        inward = np.full(len(path) - 1, _inward(points))
    else:
        path, inward = _chain(ids, points, border.corner_ids)
    if border.type == "curb":
        height = placed.height if placed.height and placed.height > 0 else CURB_HEIGHT
        _kerb(builder, path, border.width, inward, height)
    else:
        material = _MATERIAL_ID["marking_white"] if border.type == "paint" else _MATERIAL_ID["curb"]
        _paint(builder, path, _pieces(path, 0.0, 0.0, 0.0, 0.0), border.width, inward, MARK_HEIGHT, material)


def add_object_surfaces(builder: _Builder, net) -> None:
    """Markings and borders of every object of ``net`` (nothing, and no object placement,
    when no object has any)."""
    if not any(obj.markings or obj.borders for road in net.roads.values() for obj in road.objects):
        return
    for placed in net.objects:
        obj = placed.record
        if not (obj.markings or obj.borders) or any(r.distance <= 0 for r in obj.repeats):
            continue
        for mk in obj.markings:
            _marking(builder, net, placed, mk)
        for border in obj.borders:
            _border(builder, net, placed, border)
