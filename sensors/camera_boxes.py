"""Ground-truth 2D and 3D boxes with occlusion and truncation, KITTI-style.

- 3D box: centre, size (l, w, h) and yaw of each actor's bounding box in the
  camera optical frame (KITTI's ``rotation_y`` about the optical y axis).
- 2D box: the extent of the projected box (lens distortion included), the
  box clipped to the near plane first so actors beside the camera project
  correctly; then clipped to the image.
- truncation = 1 − area inside the image / area of the unclipped 2D box
  (Geiger et al., "Are we ready for autonomous driving? The KITTI vision
  benchmark suite", CVPR 2012, devkit readme).
- occlusion = 1 − visible pixels / pixels the actor would cover alone, where
  "alone" re-tests the actor's own box (ray–OBB slab test, Kay & Kajiya 1986)
  for every pixel of its clipped 2D box and "visible" counts instance pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sensors.camera_model import Intrinsics, pixel_rays
from sensors.frames import Transform, rotation_matrices
from sensors.scene import SensorScene, actor_box_corners
from simplatform.world import WorldSnapshot

_EDGES = np.array([[0, 1], [2, 3], [4, 5], [6, 7], [0, 2], [1, 3], [4, 6], [5, 7], [0, 4], [1, 5], [2, 6], [3, 7]])
NEAR = 0.05


@dataclass(frozen=True)
class Box2D:
    actor: str
    category: str
    u_min: float
    v_min: float
    u_max: float
    v_max: float
    truncation: float
    occlusion: float
    visible_pixels: int


@dataclass(frozen=True)
class Box3D:
    actor: str
    category: str
    center: tuple[float, float, float]
    """Box centre in the optical frame (m)."""
    size: tuple[float, float, float]
    """(length, width, height) in metres."""
    rotation: tuple[tuple[float, float, float], ...]
    """Box frame → optical frame rotation matrix (rows)."""


def _slab_hits(origin: np.ndarray, dirs: np.ndarray, half: np.ndarray) -> np.ndarray:
    """Rays (in the box frame) that hit the axis-aligned box [−half, half]: the slab method.

    Axis by axis on contiguous columns; an axis whose slab test is undefined
    (0·∞: the origin on a face plane and the ray parallel to it) is skipped,
    as ``nanmax``/``nanmin`` over the axes would skip it.
    """
    t_near = np.full(len(dirs), -np.inf)
    t_far = np.full(len(dirs), np.inf)
    with np.errstate(divide="ignore", invalid="ignore"):
        for k in range(3):
            inv = 1.0 / dirs[:, k]
            t1 = (-half[k] - origin[k]) * inv
            t2 = (half[k] - origin[k]) * inv
            np.fmax(t_near, np.minimum(t1, t2), out=t_near)
            np.fmin(t_far, np.maximum(t1, t2), out=t_far)
    return t_far >= np.maximum(t_near, 0.0)


def ground_truth_boxes(snapshot: WorldSnapshot, scene: SensorScene, intr: Intrinsics, to_world: Transform,
                       instance: np.ndarray, max_range: float):
    idx = scene.actor_indices
    if len(idx) == 0:
        return (), ()
    from_world = to_world.inverse()
    corners = from_world.apply(actor_box_corners(snapshot, idx).reshape(-1, 3)).reshape(-1, 8, 3)
    rot_world = rotation_matrices(snapshot.roll[idx], snapshot.pitch[idx], snapshot.heading[idx])
    rot_cam = np.einsum("ij,mjk->mik", from_world.rotation, rot_world)
    counts = np.bincount(instance.ravel(), minlength=len(snapshot) + 1)
    rays = pixel_rays(intr)
    boxes_2d, boxes_3d = [], []
    for k, i in enumerate(idx):
        c = corners[k]
        if np.all(c[:, 2] <= NEAR) or np.min(np.linalg.norm(c, axis=1)) > max_range:
            continue
        a, b = c[_EDGES[:, 0]], c[_EDGES[:, 1]]
        za, zb = a[:, 2], b[:, 2]
        cross = (za - NEAR) * (zb - NEAR) < 0
        s = (NEAR - za[cross]) / (zb[cross] - za[cross])
        pts = np.concatenate([c[c[:, 2] > NEAR], a[cross] + s[:, None] * (b[cross] - a[cross])])
        u, v = intr.project(pts)
        full = (u.min(), v.min(), u.max(), v.max())
        area_full = max(full[2] - full[0], 1e-9) * max(full[3] - full[1], 1e-9)
        clip = (max(full[0], -0.5), max(full[1], -0.5), min(full[2], intr.width - 0.5), min(full[3], intr.height - 0.5))
        if clip[2] <= clip[0] or clip[3] <= clip[1]:
            continue
        truncation = 1.0 - (clip[2] - clip[0]) * (clip[3] - clip[1]) / area_full
        visible = int(counts[i + 1])
        alone = _pixels_alone(snapshot, int(i), rot_cam[k], c.mean(axis=0), intr, rays, clip)
        occlusion = 1.0 - visible / alone if alone > 0 else 1.0
        name, cat = snapshot.names[i], snapshot.categories[i]
        boxes_2d.append(Box2D(name, cat, float(clip[0]), float(clip[1]), float(clip[2]), float(clip[3]),
                              float(np.clip(truncation, 0, 1)), float(np.clip(occlusion, 0, 1)), visible))
        boxes_3d.append(Box3D(name, cat, tuple(float(x) for x in c.mean(axis=0)),
                              (float(snapshot.length[i]), float(snapshot.width[i]), float(snapshot.height[i])),
                              tuple(tuple(float(x) for x in row) for row in rot_cam[k])))
    return tuple(boxes_2d), tuple(boxes_3d)


def _pixels_alone(snapshot, i, rot_cam, centre, intr, rays, clip) -> int:
    u0, v0 = int(np.ceil(clip[0])), int(np.ceil(clip[1]))
    u1, v1 = int(np.floor(clip[2])), int(np.floor(clip[3]))
    if u1 < u0 or v1 < v0:
        return 0
    d = rays.reshape(intr.height, intr.width, 3)[v0:v1 + 1, u0:u1 + 1].reshape(-1, 3).astype(float)
    origin_box = -centre @ rot_cam                         # camera origin in the box frame
    dirs_box = d @ rot_cam
    half = np.array([snapshot.length[i], snapshot.width[i], snapshot.height[i]]) / 2
    return int(_slab_hits(origin_box, dirs_box, half).sum())
