"""Pinhole camera with Brown–Conrady lens distortion, and its ``sensor_msgs/CameraInfo``.

Projection (OpenCV's model, the ROS ``plumb_bob`` distortion model):
x = X/Z, y = Y/Z, r² = x² + y²,
x_d = x(1 + k1 r² + k2 r⁴ + k3 r⁶) + 2 p1 x y + p2 (r² + 2x²),
y_d = y(1 + k1 r² + k2 r⁴ + k3 r⁶) + p1 (r² + 2y²) + 2 p2 x y,
u = fx x_d + cx, v = fy y_d + cy
(Brown, "Decentering distortion of lenses", Photogramm. Eng. 32(3), 1966).
Pixel (i, j) has its centre at u = i, v = j, as in OpenCV and ROS.

Points are in the camera's optical frame (REP-103 ``_optical``: x right,
y down, z forward); ``BODY_FROM_OPTICAL`` turns it into the ISO 8855 mount
frame (x forward, y left, z up).  Rendering needs the inverse mapping, pixel
→ ray, which has no closed form with distortion; ``pixel_rays`` inverts it by
the fixed-point iteration OpenCV's ``undistortPoints`` uses, once per camera.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

BODY_FROM_OPTICAL = np.array([[0.0, 0.0, 1.0], [-1.0, 0.0, 0.0], [0.0, -1.0, 0.0]])


@dataclass(frozen=True)
class CameraInfo:
    """sensor_msgs/CameraInfo."""

    stamp: float
    frame_id: str
    height: int
    width: int
    distortion_model: str
    d: tuple[float, ...]
    k: tuple[float, ...]
    r: tuple[float, ...]
    p: tuple[float, ...]


@dataclass(frozen=True)
class Intrinsics:
    width: int
    height: int
    fx: float
    fy: float
    cx: float
    cy: float
    distortion: tuple[float, float, float, float, float] = (0.0, 0.0, 0.0, 0.0, 0.0)
    """(k1, k2, p1, p2, k3) in OpenCV / ROS plumb_bob order."""

    @staticmethod
    def from_fov(width: int, height: int, horizontal_fov_rad: float,
                 distortion: tuple[float, ...] = (0.0,) * 5) -> "Intrinsics":
        f = (width / 2.0) / math.tan(horizontal_fov_rad / 2.0)
        return Intrinsics(width, height, f, f, (width - 1) / 2.0, (height - 1) / 2.0, tuple(distortion))

    def distort(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        k1, k2, p1, p2, k3 = self.distortion
        r2 = x * x + y * y
        radial = 1 + r2 * (k1 + r2 * (k2 + r2 * k3))
        xd = x * radial + 2 * p1 * x * y + p2 * (r2 + 2 * x * x)
        yd = y * radial + p1 * (r2 + 2 * y * y) + 2 * p2 * x * y
        return xd, yd

    def project(self, points_optical: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(N, 3) optical-frame points → pixel coordinates (u, v); points with Z ≤ 0 give NaN."""
        z = points_optical[:, 2]
        with np.errstate(divide="ignore", invalid="ignore"):
            x = np.where(z > 0, points_optical[:, 0] / z, np.nan)
            y = np.where(z > 0, points_optical[:, 1] / z, np.nan)
        xd, yd = self.distort(x, y)
        return self.fx * xd + self.cx, self.fy * yd + self.cy

    def undistort(self, u: np.ndarray, v: np.ndarray, iterations: int = 20) -> tuple[np.ndarray, np.ndarray]:
        """Normalised (x, y) of pixels (u, v): OpenCV's fixed-point inversion of ``distort``."""
        k1, k2, p1, p2, k3 = self.distortion
        xd = (u - self.cx) / self.fx
        yd = (v - self.cy) / self.fy
        x, y = xd.copy(), yd.copy()
        if not any(self.distortion):
            return x, y
        for _ in range(iterations):
            r2 = x * x + y * y
            radial = 1 + r2 * (k1 + r2 * (k2 + r2 * k3))
            dx = 2 * p1 * x * y + p2 * (r2 + 2 * x * x)
            dy = p1 * (r2 + 2 * y * y) + 2 * p2 * x * y
            x = (xd - dx) / radial
            y = (yd - dy) / radial
        return x, y

    def camera_info(self, stamp: float, frame_id: str) -> CameraInfo:
        k = (self.fx, 0.0, self.cx, 0.0, self.fy, self.cy, 0.0, 0.0, 1.0)
        p = (self.fx, 0.0, self.cx, 0.0, 0.0, self.fy, self.cy, 0.0, 0.0, 0.0, 1.0, 0.0)
        return CameraInfo(stamp, frame_id, self.height, self.width, "plumb_bob", tuple(self.distortion), k,
                          (1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0), p)


@lru_cache(maxsize=8)
def pixel_rays(intrinsics: Intrinsics) -> np.ndarray:
    """(H·W, 3) float32 unit ray directions in the optical frame, row-major (v, then u)."""
    v, u = np.mgrid[0:intrinsics.height, 0:intrinsics.width]
    x, y = intrinsics.undistort(u.ravel().astype(float), v.ravel().astype(float))
    d = np.stack([x, y, np.ones_like(x)], axis=1)
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    return d.astype(np.float32)
