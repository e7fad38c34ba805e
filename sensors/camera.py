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
from functools import lru_cache

import numpy as np
import open3d as o3d

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
    """IEC 61966-2-1 sRGB transfer function, linear 0…1 → 8 bit.

    s = 12.92 c (c ≤ 0.0031308), 1.055 c^(1/2.4) − 0.055 above; evaluated in the
    input's precision with in-place passes (one buffer for the whole image).
    """
    c = np.clip(linear, 0.0, 1.0)
    s = np.power(c, 1 / 2.4)
    s *= 1.055
    s -= 0.055
    dark = c <= 0.0031308
    s[dark] = 12.92 * c[dark]
    s *= 255.0
    np.rint(s, out=s)
    return s.astype(np.uint8)


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
        table = camera_ray_table(intr)
        m = np.zeros((4, 6), dtype=np.float32)          # [d, 1] · [[0, Rᵀ], [o, 0]]: the ray buffer in one GEMM
        m[:3, 3:] = to_world.rotation.T
        m[3, :3] = to_world.translation
        rays = table.matmul(o3d.core.Tensor.from_numpy(m))
        if scene.has_actor_meshes:
            hits = scene.cast_rays(rays, max_range=self.max_range, origin_ball=(to_world.translation, 0.0),
                                   actor_rays=self._actor_pixels(snapshot, scene, to_world), own_rays=True)
        else:
            hits = scene.cast_rays(rays, max_range=self.max_range, origin_ball=(to_world.translation, 0.0),
                                   actor_pairs=self._actor_pairs(scene, to_world), own_rays=True)
        dirs = rays.numpy()[:, 3:]
        h, w = intr.height, intr.width
        rgb = depth = semantic = instance = None
        if "rgb" in self.outputs:
            rgb = self._shade(snapshot, scene, dirs, hits).reshape(h, w, 3)
        if "depth" in self.outputs:
            depth = (hits.t * pixel_rays(intr)[:, 2]).reshape(h, w)            # misses: inf · z = inf
        if "semantic" in self.outputs:
            sem = np.append(scene.material_table("semantic").astype(np.uint8), np.uint8(SemanticTag.SKY))
            semantic = sem[hits.material].reshape(h, w)                          # material −1 → the SKY entry
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
        covered = np.zeros((intr.height, intr.width), dtype=bool)
        for a, b, c, d in zip(v0, v1, u0, u1):                     # one slice per actor, not per pixel
            covered[a:b, c:d] = True
        return np.flatnonzero(covered.ravel())

    def _actor_pairs(self, scene, to_world) -> tuple[np.ndarray, np.ndarray]:
        """(pixel, offsets) per box of ``scene.actor_boxes``: the pixels of its margined projected rectangle.

        A box straddling the image plane (a corner at or behind it) gets every
        pixel, as the rectangle of its projection is then unbounded.
        """
        boxes = scene.actor_boxes
        intr = self.intrinsics
        m = len(boxes)
        if m == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(1, dtype=np.int64)
        corners = to_world.inverse().apply(actor_box_corners(scene.snapshot, boxes.entity).reshape(-1, 3)).reshape(-1, 8, 3)
        behind = corners[..., 2] <= 0.05
        straddle = behind.any(axis=1) & ~behind.all(axis=1)
        front = ~behind.any(axis=1)
        u0 = np.zeros(m, dtype=np.int64)
        v0 = np.zeros(m, dtype=np.int64)
        u1 = np.where(straddle, intr.width, 0).astype(np.int64)
        v1 = np.where(straddle, intr.height, 0).astype(np.int64)
        if np.any(front):
            u, v = intr.project(corners[front].reshape(-1, 3))
            u, v = u.reshape(-1, 8), v.reshape(-1, 8)
            pad_u = 0.05 * (u.max(axis=1) - u.min(axis=1)) + 2
            pad_v = 0.05 * (v.max(axis=1) - v.min(axis=1)) + 2
            u0[front] = np.clip(np.floor(u.min(axis=1) - pad_u), 0, intr.width)
            u1[front] = np.clip(np.ceil(u.max(axis=1) + pad_u) + 1, 0, intr.width)
            v0[front] = np.clip(np.floor(v.min(axis=1) - pad_v), 0, intr.height)
            v1[front] = np.clip(np.ceil(v.max(axis=1) + pad_v) + 1, 0, intr.height)
        rows = [(np.arange(a, b)[:, None] * intr.width + np.arange(c, d)[None, :]).ravel()
                for a, b, c, d in zip(v0, v1, u0, u1)]                   # one block per box, not per pixel
        offsets = np.zeros(m + 1, dtype=np.int64)
        offsets[1:] = np.cumsum([len(r) for r in rows])
        return np.concatenate(rows).astype(np.int64), offsets

    def _shade(self, snapshot, scene, dirs, hits) -> np.ndarray:
        """(N, 3) sRGB pixels, shaded per colour channel in float32 over contiguous rows (no (N, 3) broadcasts)."""
        weather = Weather.from_environment(snapshot.environment)
        f32 = np.float32
        day = f32(weather.daylight())
        sun = weather.sun_direction().astype(f32)
        hit = np.isfinite(hits.t)
        n = hits.normal
        # the normal facing the camera: flip the sign where n·d > 0 (misses have n = 0 and stay unlit)
        toward = np.where(np.einsum("ij,ij->i", n, dirs) > 0, f32(-1.0), f32(1.0))
        sun_light = np.maximum(toward * (n @ sun), 0.0) * f32(max(math.sin(weather.sun_elevation_rad), 0.0) ** 0.3)
        ambient = f32(0.25) + f32(0.15) * np.clip(toward * n[:, 2], 0.0, 1.0)   # more sky light facing up
        light = day * (ambient + f32(0.9) * sun_light) + f32((1 - day) * 0.03)
        material = hits.material.astype(np.intp)                                 # −1 picks the appended row
        albedo = np.array([m.albedo for m in scene.materials] + [(0.0, 0.0, 0.0)], dtype=f32).T.copy()
        sky_el = np.sqrt(np.clip(dirs[:, 2], 0.0, 1.0))
        sky_base = (NIGHT_SKY + day * (SKY_HORIZON - NIGHT_SKY)).astype(f32)
        sky_slope = (day * (SKY_ZENITH - SKY_HORIZON)).astype(f32)
        beta = weather.visible_extinction()
        trans = np.exp(f32(-beta) * hits.t) if beta > 0 else None             # t = inf → 0: pure fog
        fog = (SKY_HORIZON * (0.05 + 0.95 * day)).astype(f32)
        miss = (~hit).astype(f32)
        color = np.empty((len(light), 3), dtype=f32)
        for k in range(3):
            # albedo·light on hits (the miss row of the table is 0) plus sky·1 on misses: exact, no masked copy
            sky = np.multiply(sky_slope[k], sky_el)
            sky += sky_base[k]
            sky *= miss
            channel = albedo[k].take(material)
            channel *= light
            channel += sky
            if trans is not None:
                channel *= trans
                channel += fog[k] * (1 - trans)
            color[:, k] = channel
        if self.pixel_noise > 0:
            color = color + self.rng.normal(0.0, self.pixel_noise, color.shape)
        return srgb_encode(color)


@lru_cache(maxsize=8)
def camera_ray_table(intrinsics: Intrinsics) -> "o3d.core.Tensor":
    """(H·W, 4) float32 ``[x, y, z, 1]`` optical-frame pixel rays, reused for every frame of these intrinsics."""
    rays = pixel_rays(intrinsics)
    table = np.ones((len(rays), 4), dtype=np.float32)
    table[:, :3] = rays
    return o3d.core.Tensor(table)
