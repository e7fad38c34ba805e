"""Camera rendered by ray casting: RGB, depth, semantic and instance images, ground-truth boxes.

One ray per pixel through the lens model (``camera_model``), cast into the
scene (the actor scene only for pixels inside actors' projected boxes).
Shading is deliberately simple and physically motivated:
- Lambertian surfaces: albedo · (ambient sky light + sun · max(0, n·s)),
  both scaled by daylight from the sun elevation (``environment.Weather``);
  markings, road, curbs and actors differ only by their material albedo.
- Sky: a gradient from horizon to zenith colour, darkening with the sun.
- Fog and rain: Koschmieder's law, C = C₀·e^(−βd) + C_sky·(1 − e^(−βd)).
- Output in sRGB (IEC 61966-2-1 transfer function) as 8-bit ``rgb8``.
Depth follows REP 118 (metres along the optical axis, ``inf`` where nothing
is hit); semantic pixels carry CARLA tags; instance pixels the entity index
plus one (0: static world or sky).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sensors.base import SensorConfig, TypedParameters
from sensors.camera_boxes import Box2D, Box3D, ground_truth_boxes
from sensors.camera_model import BODY_FROM_OPTICAL, CameraInfo, Intrinsics, pixel_rays
from sensors.environment import Weather
from sensors.frames import Transform, sensor_transform
from sensors.materials import SemanticTag
from sensors.scene import SensorScene, actor_box_corners
from simplatform.world import WorldSnapshot

_DEFAULTS = {
    "width": 640, "height": 480, "horizontal_fov_deg": 90.0, "fx": None, "fy": None, "cx": None, "cy": None,
    "distortion": [0.0, 0.0, 0.0, 0.0, 0.0], "max_range_m": 1000.0, "outputs": ["rgb", "depth", "semantic", "instance"],
    "boxes": True, "pixel_noise": 0.0, "frame_id": None,
}
OUTPUTS = ("rgb", "depth", "semantic", "instance")

SKY_ZENITH = np.array([0.20, 0.38, 0.80])
SKY_HORIZON = np.array([0.70, 0.80, 0.92])
NIGHT_SKY = np.array([0.01, 0.015, 0.03])


@dataclass(frozen=True)
class CameraFrame:
    """Images are row-major (height, width[, 3]); absent outputs are None."""

    stamp: float
    frame_id: str
    info: CameraInfo
    rgb: np.ndarray | None
    depth: np.ndarray | None
    semantic: np.ndarray | None
    instance: np.ndarray | None
    boxes_2d: tuple[Box2D, ...] = ()
    boxes_3d: tuple[Box3D, ...] = ()


def srgb_encode(linear: np.ndarray) -> np.ndarray:
    """IEC 61966-2-1 sRGB transfer function, linear 0…1 → 8 bit."""
    c = np.clip(linear, 0.0, 1.0)
    s = np.where(c <= 0.0031308, 12.92 * c, 1.055 * np.power(c, 1 / 2.4) - 0.055)
    return np.round(s * 255.0).astype(np.uint8)


class Camera:
    def __init__(self, config: SensorConfig) -> None:
        self.config = config
        p = TypedParameters(config, _DEFAULTS)
        width, height = p.int("width", minimum=1), p.int("height", minimum=1)
        distortion = p.floats("distortion", 5)
        if p.raw("fx") is not None:
            fx = p.float("fx", minimum=1e-6)
            fy = p.float("fy", minimum=1e-6) if p.raw("fy") is not None else fx
            cx = p.float("cx") if p.raw("cx") is not None else (width - 1) / 2
            cy = p.float("cy") if p.raw("cy") is not None else (height - 1) / 2
            self.intrinsics = Intrinsics(width, height, fx, fy, cx, cy, distortion)
        else:
            hfov = math.radians(p.float("horizontal_fov_deg", minimum=1.0, maximum=179.0))
            self.intrinsics = Intrinsics.from_fov(width, height, hfov, distortion)
        outputs = p.raw("outputs")
        if not isinstance(outputs, (list, tuple)) or any(o not in OUTPUTS for o in outputs):
            raise config.error(f"outputs must be a list drawn from {', '.join(OUTPUTS)}, got {outputs!r}", "outputs")
        self.outputs = tuple(outputs)
        self.boxes = p.bool("boxes")
        self.max_range = p.float("max_range_m", minimum=0.1)
        self.pixel_noise = p.float("pixel_noise", minimum=0.0)
        self.frame_id = str(p.raw("frame_id") or config.name)
        self.rng = config.rng()

    def optical_to_world(self, snapshot: WorldSnapshot) -> Transform:
        body = sensor_transform(snapshot, self.config.mount)
        return body @ Transform(BODY_FROM_OPTICAL, np.zeros(3))

    def sense(self, snapshot: WorldSnapshot, scene: SensorScene) -> CameraFrame:
        intr = self.intrinsics
        to_world = self.optical_to_world(snapshot)
        rays = pixel_rays(intr)
        dirs = rays @ to_world.rotation.T.astype(np.float32)
        origin = to_world.translation.astype(np.float32)
        hits = scene.cast(np.broadcast_to(origin, dirs.shape), dirs, max_range=self.max_range,
                          actor_rays=self._actor_pixels(snapshot, scene, to_world))
        h, w = intr.height, intr.width
        hit = np.isfinite(hits.t)
        rgb = depth = semantic = instance = None
        if "rgb" in self.outputs:
            rgb = self._shade(snapshot, scene, dirs, hits, hit).reshape(h, w, 3)
        if "depth" in self.outputs:
            depth = np.where(hit, hits.t * rays[:, 2], np.inf).astype(np.float32).reshape(h, w)
        if "semantic" in self.outputs:
            sem = scene.material_table("semantic").astype(np.uint8)
            semantic = np.where(hit, sem[np.maximum(hits.material, 0)], SemanticTag.SKY).astype(np.uint8).reshape(h, w)
        if "instance" in self.outputs or self.boxes:
            inst = (hits.actor + 1).astype(np.uint16).reshape(h, w)
            instance = inst if "instance" in self.outputs else None
        boxes_2d: tuple[Box2D, ...] = ()
        boxes_3d: tuple[Box3D, ...] = ()
        if self.boxes:
            boxes_2d, boxes_3d = ground_truth_boxes(snapshot, scene, intr, to_world, inst, self.max_range)
        return CameraFrame(snapshot.time, self.frame_id, intr.camera_info(snapshot.time, self.frame_id),
                           rgb, depth, semantic, instance, boxes_2d, boxes_3d)

    def _actor_pixels(self, snapshot, scene, to_world) -> np.ndarray | None:
        """Pixels inside the (margined) projected boxes of actors; None (= all) when one surrounds the camera."""
        idx = scene.actor_indices
        if len(idx) == 0:
            return np.zeros(0, dtype=np.int64)
        intr = self.intrinsics
        corners = to_world.inverse().apply(actor_box_corners(snapshot, idx).reshape(-1, 3)).reshape(-1, 8, 3)
        behind = (corners[..., 2] <= 0.05)
        if np.any(behind.any(axis=1) & ~behind.all(axis=1)):
            return None                                   # an actor straddles the image plane: test all pixels
        front = ~behind.all(axis=1)
        if not np.any(front):
            return np.zeros(0, dtype=np.int64)
        u, v = intr.project(corners[front].reshape(-1, 3))
        u, v = u.reshape(-1, 8), v.reshape(-1, 8)
        pad_u = 0.05 * (u.max(axis=1) - u.min(axis=1)) + 2
        pad_v = 0.05 * (v.max(axis=1) - v.min(axis=1)) + 2
        u0 = np.clip(np.floor(u.min(axis=1) - pad_u), 0, intr.width).astype(int)
        u1 = np.clip(np.ceil(u.max(axis=1) + pad_u) + 1, 0, intr.width).astype(int)
        v0 = np.clip(np.floor(v.min(axis=1) - pad_v), 0, intr.height).astype(int)
        v1 = np.clip(np.ceil(v.max(axis=1) + pad_v) + 1, 0, intr.height).astype(int)
        mask = np.zeros((intr.height + 1, intr.width + 1), dtype=np.int32)
        ok = (u1 > u0) & (v1 > v0)
        np.add.at(mask, (v0[ok], u0[ok]), 1)
        np.add.at(mask, (v0[ok], u1[ok]), -1)
        np.add.at(mask, (v1[ok], u0[ok]), -1)
        np.add.at(mask, (v1[ok], u1[ok]), 1)
        covered = mask.cumsum(axis=0).cumsum(axis=1)[: intr.height, : intr.width] > 0
        return np.flatnonzero(covered.ravel())

    def _shade(self, snapshot, scene, dirs, hits, hit) -> np.ndarray:
        weather = Weather.from_environment(snapshot.environment)
        day = weather.daylight()
        sun = weather.sun_direction()
        sky_el = np.clip(dirs[:, 2].astype(float), 0.0, 1.0)[:, None]
        sky_day = SKY_HORIZON + (SKY_ZENITH - SKY_HORIZON) * np.sqrt(sky_el)
        sky = NIGHT_SKY + day * (sky_day - NIGHT_SKY)
        color = sky.copy()
        if np.any(hit):
            albedo = np.array([m.albedo for m in scene.materials])[hits.material[hit]]
            n = hits.normal[hit].astype(float)
            d = dirs[hit].astype(float)
            facing = np.einsum("ij,ij->i", n, d) > 0
            n[facing] *= -1                                  # normal towards the camera
            sun_light = np.maximum(n @ sun, 0.0) * max(math.sin(weather.sun_elevation_rad), 0.0) ** 0.3
            ambient = 0.25 + 0.15 * np.clip(n[:, 2], 0, 1)   # more sky light on up-facing surfaces
            light = day * (ambient + 0.9 * sun_light) + (1 - day) * 0.03
            color[hit] = albedo * light[:, None]
        beta = weather.visible_extinction()
        if beta > 0:
            fog = SKY_HORIZON * (0.05 + 0.95 * day)
            t = np.where(hit, hits.t, np.inf)
            trans = np.exp(-beta * t)[:, None]
            color = color * trans + fog * (1 - trans)
        if self.pixel_noise > 0:
            color = color + self.rng.normal(0.0, self.pixel_noise, color.shape)
        return srgb_encode(color)
