"""Object-list sensor: the output of an ideal or degraded perception module.

Objects are reported when inside the field of view and range and visible
enough: 15 sample points inside each box (centre, the eight corners and six
face centres pulled 20 % towards the centre) are ray-cast from the sensor, and
the visible fraction is the share whose ray first meets the object itself.
``ideal: true`` reports every visible object exactly; otherwise positions and
velocities get Gaussian noise, each object is detected with
``detection_probability`` (scaled by its visible fraction when
``visibility_scales_detection``), and messages leave after ``latency_s``.
This is the common phenomenological sensor model of the ADAS literature
(e.g. Hanke et al., "Generation and validation of virtual point cloud data for
automated driving systems", IEEE ITSC 2017, §II on object-list models).

Speed (the object list runs at 10 Hz in every library scenario): the boxes
come from the scene's ``actor_boxes`` (one per step, shared); each sample
ray is tested analytically against the boxes whose bounding sphere its
segment passes (``sensors.actor_boxes.merge_box_hits``, the slab test),
and the static world only answers whether anything lies on the segment
before the ray enters its own box — an occlusion query on the whole map's
BVH (``test_occlusions``, any hit ends the traversal) rather than a
nearest-hit cast over the sensor's range through an actor BVH built each
cycle.  The fractions equal those of the first-hit cast
(``tests/sensors/test_sensors_object_list_occlusion.py``).  When every
actor is a box (the library's case), ``sense`` runs the sample rays, the
cull, the slab test and the owner logic as one compiled loop
(``box_fractions``, ``sensors.objlist_rays``); ``visible_fraction`` keeps the
numpy formulation for any actor set and is the reference that loop is tested
against bit for bit (``tests/sensors/test_sensors_objlist_kernels.py``).
What stays in numpy are the calls whose rounding is numpy's own: the
matrix products (BLAS) and ``arctan2``/``arcsin`` (numpy's SIMD versions
differ from the C library's in the last bit), so the messages are unchanged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import open3d as o3d

from sensors.actor_boxes import merge_box_hits
from sensors.base import SensorConfig, TypedParameters
from sensors.frames import Transform, ego_index, entity_transform
from sensors.latency import DelayLine
from sensors.objlist_fov import fov_kernel
from sensors.objlist_output import fill_objects, motion_rows
from sensors.objlist_rays import sample_rays
from sensors.scene import SensorScene, actor_box_corners
from simplatform.world import WorldSnapshot

OBJECT_DTYPE = np.dtype([
    ("actor", "<i4"), ("x", "<f8"), ("y", "<f8"), ("z", "<f8"), ("yaw", "<f8"), ("vx", "<f8"), ("vy", "<f8"),
    ("length", "<f4"), ("width", "<f4"), ("height", "<f4"), ("visible_fraction", "<f4"), ("existence", "<f4"),
])

_DEFAULTS = {
    "horizontal_fov_deg": 120.0, "vertical_fov_deg": 40.0, "max_range_m": 150.0, "min_visible_fraction": 0.15,
    "position_noise_m": 0.2, "velocity_noise_mps": 0.3, "yaw_noise_deg": 2.0, "detection_probability": 0.98,
    "visibility_scales_detection": True, "latency_s": 0.0, "ideal": False, "occlusion": True, "frame_id": None,
}

_SAMPLES = np.array([[0, 0, 0]] + [[sx, sy, sz] for sx in (-0.4, 0.4) for sy in (-0.4, 0.4) for sz in (-0.4, 0.4)]
                    + [[0.4, 0, 0], [-0.4, 0, 0], [0, 0.4, 0], [0, -0.4, 0], [0, 0, 0.4], [0, 0, -0.4]])


@dataclass(frozen=True)
class ObjectList:
    """Objects in the sensor frame: position of the box centre, yaw, velocity over ground, size."""

    stamp: float
    frame_id: str
    objects: np.ndarray
    names: tuple[str, ...]
    categories: tuple[str, ...]


class ObjectListSensor:
    def __init__(self, config: SensorConfig) -> None:
        self.config = config
        p = TypedParameters(config, _DEFAULTS)
        self.hfov = math.radians(p.float("horizontal_fov_deg", minimum=0.1, maximum=360.0))
        self.vfov = math.radians(p.float("vertical_fov_deg", minimum=0.1, maximum=180.0))
        self.max_range = p.float("max_range_m", minimum=0.1)
        self.min_visible = p.float("min_visible_fraction", minimum=0.0, maximum=1.0)
        self.ideal = p.bool("ideal")
        self.sigma_pos = 0.0 if self.ideal else p.float("position_noise_m", minimum=0.0)
        self.sigma_vel = 0.0 if self.ideal else p.float("velocity_noise_mps", minimum=0.0)
        self.sigma_yaw = 0.0 if self.ideal else math.radians(p.float("yaw_noise_deg", minimum=0.0))
        self.pd = 1.0 if self.ideal else p.float("detection_probability", minimum=0.0, maximum=1.0)
        self.scale_pd = p.bool("visibility_scales_detection") and not self.ideal
        self.occlusion = p.bool("occlusion")
        self.delay: DelayLine[ObjectList] = DelayLine(p.float("latency_s", minimum=0.0))
        self.frame_id = str(p.raw("frame_id") or config.name)
        self.rng = config.rng()
        self._mount = config.mount.transform()  # the sensor → ego transform does not change (frames.sensor_transform)

    def sensor_to_world(self, snapshot: WorldSnapshot) -> Transform:
        """``frames.sensor_transform`` with the mount's transform computed once."""
        i = ego_index(snapshot)
        return (entity_transform(snapshot, i) if i is not None else Transform.identity()) @ self._mount

    def visible_fraction(self, snapshot: WorldSnapshot, scene: SensorScene, to_world: Transform,
                         indices: np.ndarray | None = None,
                         boxes: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Share of each actor's 15 sample points whose ray from the sensor first meets the actor.

        ``indices`` (default: every actor of the scene) limits the casts to the
        actors that can be reported at all — the ones inside range and field of
        view — since each actor's fraction depends only on its own rays (every
        actor of the scene may still occlude them).  ``boxes`` are their
        (centre, edge vectors) when the caller has them already (``box_frames``).
        The numpy path, for any actor set; ``sense`` takes ``box_fractions`` when
        every actor is a box (same values, compiled).
        """
        idx = scene.actor_indices if indices is None else np.asarray(indices, dtype=scene.actor_indices.dtype)
        if not self.occlusion or len(idx) == 0:
            return idx, np.ones(len(idx))
        centre, edges = boxes if boxes is not None else box_frames(snapshot, scene, idx)
        pts = centre[:, None, :] + np.einsum("sk,mkj->msj", _SAMPLES, edges)      # (M, 15, 3)
        origin = to_world.translation
        vec = pts.reshape(-1, 3) - origin
        dist = np.sqrt(np.einsum("ij,ij->i", vec, vec))
        rays = np.empty((len(vec), 6), dtype=np.float32)
        rays[:, :3] = origin
        rays[:, 3:] = vec / dist[:, None]
        owner = np.repeat(idx, len(_SAMPLES))
        if len(scene.actor_boxes) == len(scene.actor_indices):
            visible = _first_meets_owner(scene, origin, rays, dist, owner)
        else:  # actors drawn as meshes: their first hits through the scene's mesh BVH
            # (the static region for the sensor's range: steady, so the cropped region is reused)
            reach = max(self.max_range, float(dist.max()) + 1.0)
            hits = scene.cast_rays(rays, max_range=reach, origin_ball=(origin, 0.0),
                                   actor_pairs=_box_candidates(scene, origin, rays, dist), own_rays=True)
            visible = (hits.actor == owner) | (hits.t >= dist - 1e-3)
        return idx, visible.reshape(len(idx), -1).mean(axis=1)

    def sense(self, snapshot: WorldSnapshot, scene: SensorScene) -> ObjectList | None:
        to_world = self.sensor_to_world(snapshot)
        idx = scene.actor_indices
        if len(idx):
            boxes = scene.actor_boxes
            all_boxes = len(boxes) == len(idx)
            if all_boxes:      # every actor drawn as its box: the centres are the boxes' (as box_frames gives them)
                centre_world = boxes.centre
            else:
                centre_world, edges = box_frames(snapshot, scene, idx)
            local = to_world.inverse().apply(centre_world)
            inside = np.empty(len(idx), dtype=bool)
            if not fov_kernel(local, self.max_range, self.hfov / 2, self.vfov / 2, inside):
                inside = fov_mask_numpy(local, self.max_range, self.hfov, self.vfov)    # an actor at a limit
            vis = np.zeros(len(idx))     # outside range or field of view: never reported, no rays cast
            if inside.any():
                if not self.occlusion:
                    vis[inside] = 1.0
                elif all_boxes:
                    vis[inside] = box_fractions(scene, to_world.translation, np.flatnonzero(inside))
                else:
                    _, vis[inside] = self.visible_fraction(snapshot, scene, to_world, idx[inside],
                                                           (centre_world[inside], edges[inside]))
            keep = inside & (vis >= max(self.min_visible, 1e-9))
            pd = self.pd * (vis if self.scale_pd else 1.0)
            keep &= self.rng.random(len(idx)) < pd      # one draw per actor, as before: the stream stays seeded alike
            sel = idx[keep]
        else:
            sel = idx
        n = len(sel)
        noise = self.rng.standard_normal((n, 6))       # (0, 6) draws nothing: the stream is as before either way
        out = np.zeros(n, OBJECT_DTYPE)
        if n:      # the rows in one compiled pass (sensors.objlist_output); the rotation products and arctan2 in numpy
            r_inv = to_world.rotation.T
            velocity = np.empty((n, 3))                 # (vx, vy, 0) and the heading's unit vector, as C rows
            direction = np.empty((n, 3))
            motion_rows(sel, snapshot.vx, snapshot.vy, snapshot.heading, velocity, direction)
            vel = velocity @ r_inv.T
            yaw_world = direction @ r_inv.T
            yaw = np.arctan2(yaw_world[:, 1], yaw_world[:, 0])
            fill_objects(out, keep, idx, local, noise, vel, yaw, snapshot.length, snapshot.width, snapshot.height, vis,
                         self.sigma_pos, self.sigma_yaw, self.sigma_vel, self.ideal, self.pd)
            names, categories = snapshot.names, snapshot.categories
            message = ObjectList(snapshot.time, self.frame_id, out, tuple(names[i] for i in sel),
                                 tuple(categories[i] for i in sel))
        else:
            message = ObjectList(snapshot.time, self.frame_id, out, (), ())
        self.delay.push(snapshot.time, message)
        return self.delay.latest(snapshot.time)


def fov_mask_numpy(local: np.ndarray, max_range: float, hfov: float, vfov: float) -> np.ndarray:
    """Which sensor-frame centres ``local`` (M, 3) are inside range and field of view, in numpy's arithmetic.

    The definition ``sensors.objlist_fov`` decides away from the limits; it falls back to this at one.
    """
    rng = np.linalg.norm(local, axis=1)
    az = np.arctan2(local[:, 1], local[:, 0])
    el = np.arcsin(np.clip(local[:, 2] / np.maximum(rng, 1e-9), -1, 1))
    return (rng <= max_range) & (np.abs(az) <= hfov / 2) & (np.abs(el) <= vfov / 2)


def box_fractions(scene: SensorScene, origin: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """``visible_fraction`` of the boxes ``scene.actor_boxes[positions]`` seen from ``origin``, compiled.

    The sample rays, the bounding-sphere cull, the slab test and the owner
    logic run in one loop (``sensors.objlist_rays``); the static world answers
    the remaining segments with one occlusion query, as in ``_first_meets_owner``.
    The fractions are those of ``visible_fraction`` bit for bit
    (``tests/sensors/test_sensors_objlist_kernels.py``).
    """
    boxes = scene.actor_boxes
    _, _, segments, segment_actor, clear, count = sample_rays(_SAMPLES, positions, boxes.rotation, boxes.centre,
                                                              boxes.half, boxes.entity, origin)
    if count and scene.static.triangle_count:
        occluded = scene.static.scene.test_occlusions(o3d.core.Tensor.from_numpy(segments[:count]), tnear=0.0,
                                                      tfar=1.0).numpy()
        clear -= np.bincount(segment_actor[:count][occluded], minlength=len(positions))
    return clear / len(_SAMPLES)           # the mean of the 15 rays' 0/1 visibility, as a count over 15


def box_frames(snapshot: WorldSnapshot, scene: SensorScene, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(centre (M, 3), edge vectors (M, 3, 3): length, width, height axes scaled by the size) of the
    entities' bounding boxes — from the scene's ``actor_boxes`` (built once per step, shared with the
    other sensors) when they are exactly the scene's actors, else from their corners."""
    if len(indices) == len(scene.actor_indices) and np.array_equal(indices, scene.actor_indices) \
            and len(scene.actor_boxes) == len(indices):
        b = scene.actor_boxes
        return b.centre, np.swapaxes(b.rotation, 1, 2) * (2.0 * b.half)[:, :, None]
    corners = actor_box_corners(snapshot, indices)                  # (M, 8, 3)
    axes = np.stack([corners[:, 4] - corners[:, 0], corners[:, 2] - corners[:, 0], corners[:, 1] - corners[:, 0]], axis=1)
    return corners.mean(axis=1), axes


def _first_meets_owner(scene: SensorScene, origin: np.ndarray, rays: np.ndarray, dist: np.ndarray,
                       owner: np.ndarray) -> np.ndarray:
    """Whether each ray's first hit is its owner's box, or nothing comes before its end ``dist`` (− 1 mm).

    The boxes first (``actor_boxes.merge_box_hits`` on the candidate pairs):
    another box nearer than the sample point occludes it; otherwise the ray
    is clear up to ``limit`` = min(its entry into the owner's box, the point − 1 mm),
    and a static hit before ``limit`` is all that can still occlude it.  That
    is a yes/no question, so the static world answers it with an occlusion
    query on the segment (``test_occlusions``: any hit ends the traversal)
    instead of a nearest-hit cast along the whole range.
    """
    n = len(rays)
    end = dist - 1e-3
    ray, offsets = _box_candidates(scene, origin, rays, dist)
    t_box = np.full(n, np.inf, dtype=np.float32)
    first = np.full(n, -1, dtype=np.int32)                          # entity of the nearest box hit
    merge_box_hits(scene.actor_boxes, rays, ray, offsets, t_box, np.zeros((n, 3), np.float32),
                   np.full(n, -1, dtype=np.int32), first, 0)
    own = first == owner
    blocked = ~own & (first >= 0) & (t_box < end)                   # another actor's box comes first
    limit = np.minimum(np.where(own, t_box, np.inf), end)
    check = np.flatnonzero(~blocked & (limit > 0.0))
    if len(check) and scene.static.triangle_count:
        segments = rays[check].copy()
        segments[:, 3:] *= limit[check, None].astype(np.float32)   # t in [0, 1] spans [origin, limit]
        # the whole map's BVH (built once per map): a short segment's query stays near its ends, so a
        # cropped region (rebuilt as the ego moves on) would not pay for itself
        occluded = scene.static.scene.test_occlusions(o3d.core.Tensor.from_numpy(segments), tnear=0.0,
                                                      tfar=1.0).numpy()
        blocked[check[occluded]] = True
    return ~blocked


def _box_candidates(scene: SensorScene, origin: np.ndarray, rays: np.ndarray,
                    dist: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``actor_pairs`` for rays from ``origin`` that end at ``dist``: per box of ``scene.actor_boxes``, the
    rays whose segment comes within the box's bounding sphere (a box outside cannot stop the ray earlier).

    The sphere radius gets a 1 cm + 10⁻⁶·distance slack over float32 rays, so the cull never drops a
    pair the slab test would hit."""
    boxes = scene.actor_boxes
    if len(boxes) == 0:
        return np.zeros(0, dtype=np.intp), np.zeros(1, dtype=np.intp)
    direction = rays[:, 3:].astype(np.float64)
    w = boxes.centre - origin                                              # (K, 3)
    along = direction @ w.T                                                # (N, K)
    foot = np.clip(along, 0.0, dist[:, None])
    gap2 = np.einsum("kj,kj->k", w, w)[None, :] - 2.0 * foot * along + foot * foot
    radius = np.sqrt(np.einsum("kj,kj->k", boxes.half, boxes.half)) + 0.01 + 1e-6 * float(dist.max())
    near = (gap2 <= (radius * radius)[None, :]).T                          # (K, N): grouped by box
    box, ray = np.nonzero(near)
    offsets = np.zeros(len(boxes) + 1, dtype=np.intp)
    np.cumsum(np.bincount(box, minlength=len(boxes)), out=offsets[1:])
    return ray.astype(np.intp), offsets
