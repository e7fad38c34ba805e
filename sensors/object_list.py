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
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sensors.base import SensorConfig, TypedParameters
from sensors.frames import sensor_transform
from sensors.latency import DelayLine
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

    def visible_fraction(self, snapshot: WorldSnapshot, scene: SensorScene, to_world,
                         indices: np.ndarray | None = None,
                         corners: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Share of each actor's 15 sample points whose ray from the sensor first meets the actor.

        ``indices`` (default: every actor of the scene) limits the casts to the
        actors that can be reported at all — the ones inside range and field of
        view — since each actor's fraction depends only on its own rays.
        ``corners`` are their box corners when the caller has them already.
        """
        idx = scene.actor_indices if indices is None else np.asarray(indices, dtype=scene.actor_indices.dtype)
        if not self.occlusion or len(idx) == 0:
            return idx, np.ones(len(idx))
        if corners is None:
            corners = actor_box_corners(snapshot, idx)                   # (M, 8, 3)
        centre = corners.mean(axis=1)
        axes = np.stack([corners[:, 4] - corners[:, 0], corners[:, 2] - corners[:, 0], corners[:, 1] - corners[:, 0]], axis=1)
        pts = centre[:, None, :] + np.einsum("sk,mkj->msj", _SAMPLES, axes)      # (M, 15, 3)
        origin = to_world.translation
        vec = pts.reshape(-1, 3) - origin
        dist = np.linalg.norm(vec, axis=1)
        # a hit beyond a sample point cannot occlude it, so the static cast may stop at the farthest point:
        # with the sensor's range as the reach (steady, so the cropped region is reused, sensors.scene_region)
        reach = max(self.max_range, float(dist.max()) + 1.0)
        hits = scene.cast(np.broadcast_to(origin, vec.shape), vec / dist[:, None], max_range=reach)
        own = (hits.actor == np.repeat(idx, len(_SAMPLES))) | (hits.t >= dist - 1e-3)
        return idx, own.reshape(len(idx), -1).mean(axis=1)

    def sense(self, snapshot: WorldSnapshot, scene: SensorScene) -> ObjectList | None:
        to_world = sensor_transform(snapshot, self.config.mount)
        idx = scene.actor_indices
        if len(idx):
            corners = actor_box_corners(snapshot, idx)
            centre_world = corners.mean(axis=1)
            local = to_world.inverse().apply(centre_world)
            rng = np.linalg.norm(local, axis=1)
            az = np.arctan2(local[:, 1], local[:, 0])
            el = np.arcsin(np.clip(local[:, 2] / np.maximum(rng, 1e-9), -1, 1))
            inside = (rng <= self.max_range) & (np.abs(az) <= self.hfov / 2) & (np.abs(el) <= self.vfov / 2)
            vis = np.zeros(len(idx))     # outside range or field of view: never reported, no rays cast
            _, vis[inside] = self.visible_fraction(snapshot, scene, to_world, idx[inside], corners[inside])
            keep = inside & (vis >= max(self.min_visible, 1e-9))
            pd = self.pd * (vis if self.scale_pd else 1.0)
            keep &= self.rng.random(len(idx)) < pd      # one draw per actor, as before: the stream stays seeded alike
        else:
            keep = np.zeros(0, dtype=bool)
            local = np.zeros((0, 3))
            vis = np.zeros(0)
        sel = idx[keep]
        n = len(sel)
        out = np.zeros(n, OBJECT_DTYPE)
        r_inv = to_world.rotation.T
        vel = np.stack([snapshot.vx[sel], snapshot.vy[sel], np.zeros(n)], axis=1) @ r_inv.T
        yaw_world = np.stack([np.cos(snapshot.heading[sel]), np.sin(snapshot.heading[sel]), np.zeros(n)], axis=1) @ r_inv.T
        noise = self.rng.standard_normal((n, 6))
        out["actor"] = sel
        out["x"], out["y"], out["z"] = (local[keep] + noise[:, :3] * self.sigma_pos).T
        out["yaw"] = np.arctan2(yaw_world[:, 1], yaw_world[:, 0]) + noise[:, 3] * self.sigma_yaw
        out["vx"] = vel[:, 0] + noise[:, 4] * self.sigma_vel
        out["vy"] = vel[:, 1] + noise[:, 5] * self.sigma_vel
        out["length"], out["width"], out["height"] = snapshot.length[sel], snapshot.width[sel], snapshot.height[sel]
        out["visible_fraction"] = vis[keep]
        out["existence"] = 1.0 if self.ideal else self.pd * vis[keep]
        message = ObjectList(snapshot.time, self.frame_id, out, tuple(snapshot.names[i] for i in sel),
                             tuple(snapshot.categories[i] for i in sel))
        self.delay.push(snapshot.time, message)
        return self.delay.latest(snapshot.time)
