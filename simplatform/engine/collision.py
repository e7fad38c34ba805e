"""Oriented-bounding-box overlap and distance between entities, vectorised.

Collision uses the separating axis theorem for rectangles in the ground plane
(Gottschalk, Lin, Manocha, "OBBTree", SIGGRAPH 1996, reduced to 2-D): two
convex boxes are disjoint iff their projections are disjoint on one of the
four edge normals.  Heights are compared separately (z intervals), so a box
passing under a bridge is no collision.  OpenSCENARIO's CollisionCondition
(§7.6.x) asks exactly this of the entities' bounding boxes.

``freespace`` distances (RelativeDistance/Distance conditions with
``freespace=true``) are the minimum distance between the two rectangles, 0 when
they overlap: the minimum over the four corner-to-edge distances of both boxes.
"""

from __future__ import annotations

import numpy as np


def box_corners(cx, cy, heading, length, width) -> np.ndarray:
    """Corners (…, 4, 2) of rectangles centred at (cx, cy), counter-clockwise."""
    cx = np.asarray(cx, dtype=float)
    c, s = np.cos(heading), np.sin(heading)
    hl, hw = 0.5 * np.asarray(length, float), 0.5 * np.asarray(width, float)
    ox = np.stack([hl, -hl, -hl, hl], axis=-1)
    oy = np.stack([hw, hw, -hw, -hw], axis=-1)
    c = np.asarray(c)[..., None]
    s = np.asarray(s)[..., None]
    x = np.asarray(cx)[..., None] + c * ox - s * oy
    y = np.asarray(cy)[..., None] + s * ox + c * oy
    return np.stack([x, y], axis=-1)


def overlapping_pairs(cx, cy, heading, length, width, z=None, height=None) -> list[tuple[int, int]]:
    """Index pairs (i < j) whose boxes overlap; broad phase by bounding circles.

    Without heights this is the compiled loop of :mod:`collision_kernels` (the engine's per-step
    case); with heights, the numpy formulation below, which the kernel is tested against."""
    if z is None or height is None:
        from simplatform.engine.collision_kernels import overlapping_pairs_kernel

        n = len(cx)
        if n < 2:
            return []
        out = np.empty((n * (n - 1) // 2, 2), dtype=np.int64)
        f = np.ascontiguousarray
        count = overlapping_pairs_kernel(f(cx, dtype=float), f(cy, dtype=float), f(heading, dtype=float),
                                         f(length, dtype=float), f(width, dtype=float), out)
        return [(int(i), int(j)) for i, j in out[:count]]
    return overlapping_pairs_numpy(cx, cy, heading, length, width, z, height)


def overlapping_pairs_numpy(cx, cy, heading, length, width, z=None, height=None) -> list[tuple[int, int]]:
    """The vectorised numpy formulation of :func:`overlapping_pairs` (the reference of its kernel)."""
    n = len(cx)
    if n < 2:
        return []
    cx = np.asarray(cx, float)
    cy = np.asarray(cy, float)
    radius = 0.5 * np.hypot(length, width)
    dx = cx[:, None] - cx[None, :]
    dy = cy[:, None] - cy[None, :]
    near = (dx * dx + dy * dy) <= (radius[:, None] + radius[None, :]) ** 2
    if np.count_nonzero(near) == n and np.count_nonzero(near.diagonal()) == n:
        return []  # only the diagonal (each box with itself; a NaN pose is near nothing): the usual step
    iu, ju = np.nonzero(np.triu(near, 1))
    if len(iu) == 0:
        return []
    if z is not None and height is not None:
        z = np.asarray(z, float)
        height = np.asarray(height, float)
        zo = (z[iu] < z[ju] + height[ju]) & (z[ju] < z[iu] + height[iu])
        iu, ju = iu[zo], ju[zo]
        if len(iu) == 0:
            return []
    corners = box_corners(cx, cy, heading, length, width)
    hit = obb_overlap(corners[iu], corners[ju], np.asarray(heading)[iu], np.asarray(heading)[ju])
    return [(int(i), int(j)) for i, j in zip(iu[hit], ju[hit])]


def obb_overlap(ca: np.ndarray, cb: np.ndarray, ha: np.ndarray, hb: np.ndarray) -> np.ndarray:
    """SAT test for K pairs of rectangles given their corners (K, 4, 2) and headings (K,)."""
    axes = np.stack(
        [np.stack([np.cos(ha), np.sin(ha)], -1), np.stack([-np.sin(ha), np.cos(ha)], -1),
         np.stack([np.cos(hb), np.sin(hb)], -1), np.stack([-np.sin(hb), np.cos(hb)], -1)],
        axis=1,
    )  # (K, 4 axes, 2)
    pa = np.einsum("kcd,kad->kac", ca, axes)  # (K, axes, corners)
    pb = np.einsum("kcd,kad->kac", cb, axes)
    separated = (pa.max(-1) < pb.min(-1)) | (pb.max(-1) < pa.min(-1))
    return ~separated.any(axis=1)


def _point_segment_distance(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ab = b - a
    t = np.clip(np.einsum("...d,...d->...", p - a, ab) / np.maximum(np.einsum("...d,...d->...", ab, ab), 1e-12), 0.0, 1.0)
    closest = a + t[..., None] * ab
    return np.linalg.norm(p - closest, axis=-1)


def freespace_distance(corners_a: np.ndarray, corners_b: np.ndarray, heading_a: float, heading_b: float) -> float:
    """Minimum distance between two rectangles (4, 2 corners each); 0 when they overlap."""
    if obb_overlap(corners_a[None], corners_b[None], np.array([heading_a]), np.array([heading_b]))[0]:
        return 0.0
    ea = np.roll(corners_a, -1, axis=0)
    eb = np.roll(corners_b, -1, axis=0)
    d1 = _point_segment_distance(corners_a[:, None, :], corners_b[None, :, :], eb[None, :, :])
    d2 = _point_segment_distance(corners_b[:, None, :], corners_a[None, :, :], ea[None, :, :])
    return float(min(d1.min(), d2.min()))


def freespace_gap_along(corners_a: np.ndarray, corners_b: np.ndarray, axis: np.ndarray) -> float:
    """Gap between two boxes' projections on a unit ``axis`` (signed: <0 overlap): the array form of
    the longitudinal/lateral freespace distance, which the engine's per-step scalar path
    (``measure._projection``) is tested against."""
    pa = corners_a @ axis
    pb = corners_b @ axis
    return float(max(pb.min() - pa.max(), pa.min() - pb.max()))
