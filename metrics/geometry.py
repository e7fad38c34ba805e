"""Oriented boxes in the plane: overlap (separating axis theorem), distance, crossings.

All functions are vectorised over pairs: inputs are (P, 4, 2) corner arrays
of the two boxes of each pair.  The separating axis theorem (Gottschalk, Lin,
Manocha, "OBBTree", SIGGRAPH 1996; Ericson, *Real-Time Collision Detection*
§4.4) says two convex polygons are disjoint iff their projections on one of
the edge normals of either polygon are disjoint; for rectangles that is four
axes per pair.
"""

from __future__ import annotations

import numpy as np

# Corner order: front-left, rear-left, rear-right, front-right (CCW in the box frame).
_CORNER_SIGNS = np.array([[1.0, 1.0], [-1.0, 1.0], [-1.0, -1.0], [1.0, -1.0]])


def box_corners(cx: np.ndarray, cy: np.ndarray, heading: np.ndarray,
                length: np.ndarray, width: np.ndarray) -> np.ndarray:
    """World corners (N, 4, 2) of boxes centred at (cx, cy) with the given heading and size."""
    c, s = np.cos(heading), np.sin(heading)
    lx = _CORNER_SIGNS[None, :, 0] * (length[:, None] / 2)
    ly = _CORNER_SIGNS[None, :, 1] * (width[:, None] / 2)
    x = cx[:, None] + c[:, None] * lx - s[:, None] * ly
    y = cy[:, None] + s[:, None] * lx + c[:, None] * ly
    return np.stack([x, y], axis=2)


def rectangle_axes(corners: np.ndarray) -> np.ndarray:
    """The two edge directions (P, 2, 2) of each rectangle; their normals are each other."""
    return corners[:, 0:2] - corners[:, 1:3]


def boxes_overlap(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per pair, whether rectangles a[p] and b[p] (each (P, 4, 2)) overlap (touching counts)."""
    return convex_overlap(a, b, np.concatenate([rectangle_axes(a), rectangle_axes(b)], axis=1))


def convex_overlap(a: np.ndarray, b: np.ndarray, axes: np.ndarray) -> np.ndarray:
    """SAT for convex polygons a (P, Na, 2), b (P, Nb, 2) over candidate axes (P, K, 2)."""
    pa = np.einsum("pnd,pkd->pkn", a, axes)
    pb = np.einsum("pnd,pkd->pkn", b, axes)
    separated = (pa.max(axis=2) < pb.min(axis=2)) | (pb.max(axis=2) < pa.min(axis=2))
    return ~separated.any(axis=1)


def polygon_edge_normals(vertices: np.ndarray) -> np.ndarray:
    """Edge normals (K, 2) of a polygon (K, 2); the sign is irrelevant for SAT."""
    edges = np.roll(vertices, -1, axis=0) - vertices
    return np.stack([-edges[:, 1], edges[:, 0]], axis=1)


_NEXT = np.array([1, 2, 3, 0])


def _vertex_edge_sq(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Per pair, the smallest squared distance from a vertex of p (P, 4, 2) to an edge of q (P, 4, 2)."""
    d = (q[:, _NEXT] - q)[:, None, :, :]                 # (P, 1, 4 edges, 2)
    w = p[:, :, None, :] - q[:, None, :, :]              # (P, 4 vertices, 4 edges, 2)
    dd = np.maximum((d * d).sum(-1), 1e-12)
    t = np.clip((w * d).sum(-1) / dd, 0.0, 1.0)
    r = w - t[..., None] * d
    return (r * r).sum(-1).reshape(len(p), -1).min(axis=1)


def boxes_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Euclidean distance (P,) between rectangles a[p] and b[p]; 0 where they overlap.

    For disjoint convex polygons the closest pair of points has one end at a
    vertex of one of them (Ericson §5.1.9), so the minimum over the 4×4
    vertex-to-edge distances both ways is exact.
    """
    dist = np.sqrt(np.minimum(_vertex_edge_sq(a, b), _vertex_edge_sq(b, a)))
    return np.where(boxes_overlap(a, b), 0.0, dist)


def segment_crossing(p0, p1, q0, q1) -> tuple[bool, float]:
    """Whether the motion segment p0→p1 crosses the line segment q0–q1, and at which fraction of p0→p1.

    Solves p0 + u (p1 − p0) = q0 + v (q1 − q0).  The motion segment is
    half-open, u in (0, 1]: a point exactly on the line is crossed once, by
    the step that reaches it, not again by the step that leaves it; the
    fraction u lets callers interpolate the crossing time within the step.
    Points are (x, y) pairs; plain floats, as this runs per line per step.
    """
    rx, ry = p1[0] - p0[0], p1[1] - p0[1]
    sx, sy = q1[0] - q0[0], q1[1] - q0[1]
    denom = rx * sy - ry * sx
    if abs(denom) < 1e-12:
        return False, 0.0
    qx, qy = q0[0] - p0[0], q0[1] - p0[1]
    u = (qx * sy - qy * sx) / denom
    v = (qx * ry - qy * rx) / denom
    return bool(0.0 < u <= 1.0 and 0.0 <= v <= 1.0), float(u)


def wrap_angle(angle: np.ndarray | float) -> np.ndarray | float:
    """Angle in (−π, π]."""
    return (np.asarray(angle) + np.pi) % (2 * np.pi) - np.pi
