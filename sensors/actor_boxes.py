"""Exact first hits of rays on actor bounding boxes, without a per-step BVH.

Why: an actor is an oriented box (its OpenSCENARIO BoundingBox) unless a mesh
is given, and a sensor that knows which rays can reach which actor (the lidar
from its scan grid, the camera from projected boxes) hands over (ray, box)
pairs.  Testing those pairs analytically — the slab method (Kay & Kajiya,
"Ray tracing complex scenes", SIGGRAPH 1986; Williams et al., "An efficient
and robust ray–box intersection algorithm", J. Graphics Tools 10(1), 2005)
in the box frame — costs far less than building a second open3d scene every
step and casting the candidate rays through it (open3d alone charges about
50 ns per ray before any geometry).  The test is a compiled loop over the
pairs (numba, as ``metrics.kernels``): in numpy the same test is some forty
array passes over the pairs and cost more than the open3d cast it replaces.
From ``VECTOR_PAIRS`` pairs on it runs as two passes, the slab tests on
vectors and then the merge (``sensors.lidar_sweep_boxes``, the same bits),
and a sensor may run the first before its static cast (``box_slab_hits``).

The result is the box surface itself (the same surface as the 12 triangles
of ``scene.actor_box_corners``): t is computed in float64 from the float32
ray buffer and rounded once, so it may differ from Embree's float32 triangle
test in the last bits; it is deterministic.  A ray starting inside a box
hits the face it leaves by (Embree's triangles are two-sided, so the box
scene does the same).  Normals are the outward face normals, as open3d
returns them for the outward-wound box triangles.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np
import open3d as o3d
from numba import njit

from sensors.frames import rotation_matrices
from sensors.lidar_sweep_boxes import apply_slab_hits, slab_hits
from sensors.objlist_boxes import entity_box_frames
from simplatform.world import WorldSnapshot


# Unit box corners and its 12 triangles (outward winding), corner k = signs of (x, y, z).
_BOX_CORNERS = np.array([[sx, sy, sz] for sx in (-0.5, 0.5) for sy in (-0.5, 0.5) for sz in (-0.5, 0.5)])
_BOX_TRIANGLES = np.array([
    [0, 1, 3], [0, 3, 2], [4, 6, 7], [4, 7, 5],   # -x, +x
    [0, 4, 5], [0, 5, 1], [2, 3, 7], [2, 7, 6],   # -y, +y
    [0, 2, 6], [0, 6, 4], [1, 5, 7], [1, 7, 3],   # -z, +z
], dtype=np.int64)


def actor_box_corners(snapshot: WorldSnapshot, indices: np.ndarray | None = None) -> np.ndarray:
    """World corners (M, 8, 3) of the entities' bounding boxes (corner order of ``_BOX_CORNERS``)."""
    idx = np.arange(len(snapshot)) if indices is None else np.asarray(indices, dtype=np.int64)
    dims = np.stack([snapshot.length[idx], snapshot.width[idx], snapshot.height[idx]], axis=1)
    centre = np.stack([snapshot.bbox_center_x[idx], snapshot.bbox_center_y[idx], snapshot.bbox_center_z[idx]], axis=1)
    local = _BOX_CORNERS[None, :, :] * dims[:, None, :] + centre[:, None, :]
    rot = rotation_matrices(snapshot.roll[idx], snapshot.pitch[idx], snapshot.heading[idx])
    pos = np.stack([snapshot.x[idx], snapshot.y[idx], snapshot.z[idx]], axis=1)
    return np.einsum("mij,mkj->mki", rot, local) + pos[:, None, :]



@dataclass(frozen=True)
class ActorBoxes:
    """Oriented boxes, one per listed entity; every array is indexed by box."""

    entity: np.ndarray
    """(M,) snapshot index of each box's entity."""
    rotation: np.ndarray
    """(M, 3, 3) box frame → world (columns are the box axes: length, width, height)."""
    centre: np.ndarray
    """(M, 3) world position of the box centre."""
    half: np.ndarray
    """(M, 3) half extents along the box axes."""

    def __len__(self) -> int:
        return len(self.entity)


def actor_boxes(snapshot: WorldSnapshot, indices: np.ndarray) -> ActorBoxes:
    """The bounding boxes of the entities ``indices`` (same pose maths as ``scene.actor_box_corners``).

    One compiled pass (``sensors.objlist_boxes``): built every sensor step, and in numpy it was some
    thirty small array calls; the values are those of ``actor_boxes_numpy`` bit for bit.
    """
    idx = np.asarray(indices, dtype=np.int64)
    rot, centre, half = entity_box_frames(snapshot, idx)
    return ActorBoxes(entity=idx, rotation=rot, centre=centre, half=half)


def actor_boxes_numpy(snapshot: WorldSnapshot, indices: np.ndarray) -> ActorBoxes:
    """``actor_boxes`` in numpy: the reference its kernel is tested against."""
    idx = np.asarray(indices, dtype=np.int64)
    rot = rotation_matrices(snapshot.roll[idx], snapshot.pitch[idx], snapshot.heading[idx])
    local = np.stack([snapshot.bbox_center_x[idx], snapshot.bbox_center_y[idx], snapshot.bbox_center_z[idx]], axis=1)
    pos = np.stack([snapshot.x[idx], snapshot.y[idx], snapshot.z[idx]], axis=1)
    half = 0.5 * np.stack([snapshot.length[idx], snapshot.width[idx], snapshot.height[idx]], axis=1)
    return ActorBoxes(entity=idx, rotation=rot, centre=np.einsum("mij,mj->mi", rot, local) + pos, half=half)


def actor_triangle_scene(snapshot: WorldSnapshot, actor_indices: np.ndarray, box_idx: np.ndarray,
                         actor_meshes: Mapping[str, Any]) -> tuple[Any, np.ndarray]:
    """An open3d scene of the boxes ``box_idx`` (12 triangles each) and the mesh actors, and each triangle's entity.

    Serves casts without candidate pairs, and the actors given as meshes.
    """
    verts, tris, owner = [], [], []
    offset = 0
    if len(box_idx):
        corners = actor_box_corners(snapshot, box_idx)
        verts.append(corners.reshape(-1, 3))
        tris.append((_BOX_TRIANGLES[None] + 8 * np.arange(len(box_idx))[:, None, None]).reshape(-1, 3))
        owner.append(np.repeat(box_idx, 12))
        offset = 8 * len(box_idx)
    for i in actor_indices:
        mesh = actor_meshes.get(snapshot.names[i])
        if mesh is None:
            continue
        rot = rotation_matrices(snapshot.roll[i:i + 1], snapshot.pitch[i:i + 1], snapshot.heading[i:i + 1])[0]
        verts.append(np.asarray(mesh.vertices) @ rot.T + np.array([snapshot.x[i], snapshot.y[i], snapshot.z[i]]))
        tris.append(np.asarray(mesh.triangles, dtype=np.int64) + offset)
        owner.append(np.full(len(mesh.triangles), i, dtype=np.int64))
        offset += len(mesh.vertices)
    if not verts:
        return None, np.zeros(0, dtype=np.int64)
    scene = o3d.t.geometry.RaycastingScene()
    scene.add_triangles(
        o3d.core.Tensor.from_numpy(np.ascontiguousarray(np.concatenate(verts), dtype=np.float32)),
        o3d.core.Tensor.from_numpy(np.ascontiguousarray(np.concatenate(tris), dtype=np.uint32)),
    )
    return scene, np.concatenate(owner).astype(np.int32)


def merge_box_hits(boxes: ActorBoxes, rays: np.ndarray, ray: np.ndarray, offsets: np.ndarray, t: np.ndarray,
                   normal: np.ndarray, material: np.ndarray, actor: np.ndarray, n_static: int) -> None:
    """Put each candidate ray's box hit into the hit arrays (in place) where it is nearer than what is there.

    ``rays`` is the (N, 6) float32 buffer ``[ox, oy, oz, dx, dy, dz]``; the
    candidates of box k are ``ray[offsets[k]:offsets[k + 1]]``.  ``t``,
    ``normal``, ``material``, ``actor`` hold the static hits (float32 t, inf
    for a miss) and receive the box hits: t rounded to float32 and kept only
    when strictly nearer, so the static world wins a tie, and so does the
    lower box index.
    """
    if len(ray) == 0 or len(boxes) == 0:
        return
    ray = np.asarray(ray, dtype=np.int64)
    offsets = np.asarray(offsets, dtype=np.int64)
    rotation = np.ascontiguousarray(boxes.rotation, dtype=np.float64)
    entity = boxes.entity.astype(np.int32)
    if len(ray) < VECTOR_PAIRS:
        _merge_kernel(rays, ray, offsets, rotation, np.ascontiguousarray(boxes.centre, dtype=np.float64),
                      np.ascontiguousarray(boxes.half, dtype=np.float64), entity, int(n_static), t, normal, material,
                      actor)
        return
    pair_t = np.empty(len(ray), np.float32)
    pair_code = np.empty(len(ray), np.int8)
    slab_hits(rays, ray, offsets, rotation, np.ascontiguousarray(boxes.centre, dtype=np.float64),
              np.ascontiguousarray(boxes.half, dtype=np.float64), pair_t, pair_code)
    apply_slab_hits(ray, offsets, pair_t, pair_code, rotation, entity, int(n_static), t, normal, material, actor)


def box_slab_hits(boxes: ActorBoxes, rays: np.ndarray, ray: np.ndarray, offsets: np.ndarray,
                  parts: int = 1) -> list:
    """The slab tests of ``merge_box_hits`` alone, which need no static hit: (pair_t, pair_code, jobs).

    ``jobs`` are ``parts`` zero-argument calls that together fill ``pair_t`` and
    ``pair_code`` (disjoint ranges of pairs, compiled without the GIL: run them
    on as many threads); ``apply_box_slab_hits`` then merges the result where
    ``merge_box_hits`` would have merged it.
    """
    ray = np.asarray(ray, dtype=np.int64)
    offsets = np.asarray(offsets, dtype=np.int64)
    pair_t = np.empty(len(ray), np.float32)
    pair_code = np.empty(len(ray), np.int8)
    args = (np.ascontiguousarray(boxes.rotation, dtype=np.float64), np.ascontiguousarray(boxes.centre, dtype=np.float64),
            np.ascontiguousarray(boxes.half, dtype=np.float64), pair_t, pair_code)
    if parts == 1 and len(offsets) and offsets[0] >= 0 and offsets[-1] <= len(ray):
        # offsets group the pairs (non-decreasing): within [0, len(ray)] at both ends, np.clip would return them
        # unchanged, and its wrappers cost ~5 µs a sweep
        return [pair_t, pair_code, [lambda: slab_hits(rays, ray, offsets, *args)]]
    cuts = [len(ray) * j // parts for j in range(parts + 1)]
    jobs = [lambda a=a, b=b: slab_hits(rays, ray, np.clip(offsets, a, b), *args) for a, b in zip(cuts, cuts[1:])]
    return [pair_t, pair_code, jobs]


def apply_box_slab_hits(boxes: ActorBoxes, ray: np.ndarray, offsets: np.ndarray, pair_t: np.ndarray,
                        pair_code: np.ndarray, t: np.ndarray, normal: np.ndarray, material: np.ndarray,
                        actor: np.ndarray, n_static: int) -> None:
    """``merge_box_hits`` from the slab tests ``box_slab_hits`` made (every job run): the same arrays after."""
    if len(ray) == 0 or len(boxes) == 0:
        return
    apply_slab_hits(np.asarray(ray, dtype=np.int64), np.asarray(offsets, dtype=np.int64), pair_t, pair_code,
                    np.ascontiguousarray(boxes.rotation, dtype=np.float64), boxes.entity.astype(np.int32),
                    int(n_static), t, normal, material, actor)


VECTOR_PAIRS = 256
"""From this many pairs on, the slab tests run on vectors (``sensors.lidar_sweep_boxes``: two passes, the
same bits); fewer pairs take the one-pass kernel, one call instead of two plus the per-pair arrays."""


@njit(cache=True, error_model="numpy")
def _merge_kernel(rays, ray, offsets, rotation, centre, half, entity, n_static, t, normal, material, actor):
    """The slab test per (ray, box) pair in the box frame, float64, no fastmath (inf must survive).

    A pair is given up after the slab that already decides it: across the
    slabs t_in only grows and t_out only shrinks (neither is ever NaN: they
    change only when a comparison holds), so once t_in > t_out or t_out ≤ 0
    the box is missed, once t_in > 0 and t_in ≥ t[i] its entry point cannot
    round to a float32 below t[i] (rounding is monotone and t[i] is a
    float32), and a ray parallel to a slab and outside it misses.  These are
    the tests the full pass ends with, so every kept hit and its bits are the
    same (tested against the pass without them, ``tests/sensors/test_sensors_livox_s3_fixed_cost.py``).
    """
    for k in range(len(offsets) - 1):
        r = rotation[k]
        for q in range(offsets[k], offsets[k + 1]):
            i = ray[q]
            ti = float(t[i])
            ox = rays[i, 0] - centre[k, 0]
            oy = rays[i, 1] - centre[k, 1]
            oz = rays[i, 2] - centre[k, 2]
            dx = float(rays[i, 3])
            dy = float(rays[i, 4])
            dz = float(rays[i, 5])
            t_in = -np.inf
            t_out = np.inf
            axis_in = 0
            axis_out = 0
            missed = False
            for j in range(3):
                o = ox * r[0, j] + oy * r[1, j] + oz * r[2, j]      # Rᵀ(o − c)
                d = dx * r[0, j] + dy * r[1, j] + dz * r[2, j]      # Rᵀd
                if d == 0.0:
                    if o < -half[k, j] or o > half[k, j]:           # parallel and outside this slab
                        missed = True
                        break
                    continue                                         # parallel inside (or on) it: no bound
                t1 = (-half[k, j] - o) / d
                t2 = (half[k, j] - o) / d
                lo = min(t1, t2)
                hi = max(t1, t2)
                if lo > t_in:
                    t_in = lo
                    axis_in = j
                if hi < t_out:
                    t_out = hi
                    axis_out = j
                if t_in > t_out or t_out <= 0.0 or (t_in > 0.0 and t_in >= ti):
                    missed = True
                    break
            if missed or not (t_in <= t_out and t_out > 0.0):
                continue
            if t_in > 0.0:
                th = t_in
                axis = axis_in
                sign = -1.0                                          # entering: the face looks at the ray
            else:
                th = t_out
                axis = axis_out
                sign = 1.0                                           # leaving from inside
            th32 = np.float32(th)
            if not th32 < t[i]:
                continue
            d_axis = dx * r[0, axis] + dy * r[1, axis] + dz * r[2, axis]
            s = sign if d_axis > 0.0 else -sign
            t[i] = th32
            normal[i, 0] = s * r[0, axis]
            normal[i, 1] = s * r[1, axis]
            normal[i, 2] = s * r[2, axis]
            actor[i] = entity[k]
            material[i] = n_static + entity[k]
