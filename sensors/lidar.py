"""Rotating and non-repetitive lidar over the ray-casting scene.

Per sweep: one table of ray directions (``lidar_patterns``), rotated into the
world with the mount and ego pose by one small GEMM, cast against the static
scene (the rays that cannot reach the ground within range are not cast:
``static_cast``), and, for the rays whose azimuth × elevation window can reach
an actor box, tested against that box analytically (``lidar_actors``,
``actor_boxes``).  Each return is then judged by the lidar range equation for an
extended Lambertian target (Jelalian, *Laser Radar Systems*, 1992, ch. 2):

    P_r ∝ ρ · cos θ · e^(−2αR) / R²

with ρ the surface reflectivity at 905 nm, θ the incidence angle, α the
atmospheric extinction (fog, rain: ``environment.Weather``).  A return is
kept when P_r reaches the power of the datasheet's reference target (a ρ_ref
Lambertian target at normal incidence at ``detection_range_m``), so the
reach of a dark surface is shorter than that of a bright one, as datasheets
state ("120 m at 80 %, 50 m at 10 %").  Reported intensity is P_r
normalised so that a white (ρ = 1) target at normal incidence saturates at
255 from ``intensity_reference_range_m`` inwards.

Range noise is Gaussian with the datasheet accuracy as σ (plus Goodin's rain
spread); dropout removes a return with a fixed probability.  With
``motion_distortion`` every ray is cast from the pose the ego had when that
ray fired (constant velocity and yaw rate backwards from the snapshot, the
sweep ending at the snapshot), while the point is reported in the sensor
frame of its own firing time — exactly what an un-deskewed driver publishes.
Actors do not move within a sweep.

Speed (``bench/sensor_bench.py``): the per-return work after the cast —
gathering each return from the cast-order hits into the cloud's firing
order, its echo power, its PointXYZIRT record — is two compiled loops
(``lidar_kernels``) around the sensor's numpy random draws, which keep their
order and count, so a seed gives the same cloud as the numpy code did.
"""

from __future__ import annotations

import math

import numpy as np
import open3d as o3d

from sensors.base import SensorConfig, TypedParameters
from sensors.environment import Weather
from sensors.frames import MountPose, ego_index, sensor_transform
from sensors.lidar_patterns import (
    LidarSpec, PatternTables, ScanPattern, explicit_spec, pattern_tables, preset, risley_pattern, spinning_pattern,
)
from sensors.lidar_actors import candidate_pairs
from sensors.lidar_kernels import fill_points, gather_permuted, gather_returns
from sensors.pointcloud import LABEL_DTYPE, POINT_DTYPE, PointCloud
from sensors.scene import SensorScene
from simplatform.world import WorldSnapshot

_DEFAULTS = {
    "channels": None, "vertical_fov_deg": None, "elevations_deg": None, "columns": None,
    "horizontal_resolution_deg": None, "horizontal_fov_deg": None,
    "max_range_m": None, "min_range_m": None, "range_noise_m": None, "dropout_probability": 0.0,
    "detection_range_m": None, "detection_reflectivity": None, "intensity_reference_range_m": 10.0,
    "motion_distortion": False, "labels": False, "wavelength_nm": 905.0, "frame_id": None,
}


class Lidar:
    """A lidar of a rig; ``sense`` returns one sweep as a ``PointCloud``."""

    def __init__(self, config: SensorConfig) -> None:
        self.config = config
        p = TypedParameters(config, _DEFAULTS)
        base = None
        if config.preset is not None:
            base = preset(config.preset)
            if base is None:
                from sensors.lidar_patterns import PRESETS
                raise config.error(f"unknown lidar preset {config.preset!r}; known: {', '.join(PRESETS)}", "preset")
        self.spec = self._spec(p, base)
        self.rate_hz = config.rate_hz
        self.max_range = p.float("max_range_m", minimum=0.0) if p.raw("max_range_m") is not None else self.spec.max_range_m
        self.min_range = p.float("min_range_m", minimum=0.0) if p.raw("min_range_m") is not None else self.spec.min_range_m
        self.range_sigma = p.float("range_noise_m", minimum=0.0) if p.raw("range_noise_m") is not None else self.spec.range_accuracy_m
        self.dropout = p.float("dropout_probability", minimum=0.0, maximum=1.0)
        det_range = p.float("detection_range_m", minimum=1e-3) if p.raw("detection_range_m") is not None else self.spec.detection_range_m
        det_refl = p.float("detection_reflectivity", minimum=1e-6) if p.raw("detection_reflectivity") is not None else self.spec.detection_reflectivity
        self.power_threshold = det_refl / det_range ** 2
        self.intensity_reference = p.float("intensity_reference_range_m", minimum=1e-3)
        self.motion_distortion = p.bool("motion_distortion")
        self.labels = p.bool("labels")
        self.wavelength_nm = p.float("wavelength_nm", minimum=100.0)
        self.frame_id = str(p.raw("frame_id") or config.name)
        self.rng = config.rng()
        self._static_pattern = None if self.spec.risley_fov_deg > 0 else spinning_pattern(self.spec, self.rate_hz)

    def _spec(self, p: TypedParameters, base: LidarSpec | None) -> LidarSpec:
        explicit = any(p.raw(k) is not None for k in ("channels", "vertical_fov_deg", "elevations_deg", "columns",
                                                      "horizontal_resolution_deg", "horizontal_fov_deg"))
        if base is not None and not explicit:
            return base
        if base is None and p.raw("channels") is None and p.raw("elevations_deg") is None:
            raise self.config.error("a lidar needs a preset or explicit channels / elevations_deg", "parameters")
        if base is not None and base.risley_fov_deg > 0:
            raise self.config.error(f"preset {base.name} has a fixed non-repetitive pattern; drop the explicit "
                                    "channels/fov keys", "parameters")
        hfov = p.float("horizontal_fov_deg", minimum=1e-3, maximum=360.0) if p.raw("horizontal_fov_deg") is not None \
            else (base.horizontal_fov_deg if base else 360.0)
        if p.raw("columns") is not None:
            columns = p.int("columns", minimum=1)
        elif p.raw("horizontal_resolution_deg") is not None:
            columns = int(round(hfov / p.float("horizontal_resolution_deg", minimum=1e-4)))
        elif base is not None:
            from sensors.lidar_patterns import column_count
            columns = column_count(base, self.config.rate_hz)
        else:
            raise self.config.error("give columns or horizontal_resolution_deg", "parameters")
        elevations = p.floats("elevations_deg")
        channels = p.int("channels", minimum=1) if p.raw("channels") is not None else (
            len(elevations) if elevations else len(base.elevations_deg))
        vfov = p.floats("vertical_fov_deg", 2)
        if elevations is None and vfov is None and base is not None:
            elevations = base.elevations_deg if channels == len(base.elevations_deg) else None
            vfov = (min(base.elevations_deg), max(base.elevations_deg))
        if elevations is not None and len(elevations) != channels:
            raise self.config.error(f"elevations_deg lists {len(elevations)} angles for {channels} channels", "elevations_deg")
        return explicit_spec(self.config.name, channels, vfov, elevations, columns, hfov, base)

    # ------------------------------------------------------------------ sweep
    def pattern(self, time: float) -> ScanPattern:
        if self._static_pattern is not None:
            return self._static_pattern
        return risley_pattern(self.spec, self.rate_hz, int(round(time * self.rate_hz)))

    def sense(self, snapshot: WorldSnapshot, scene: SensorScene) -> PointCloud:
        pattern = self.pattern(snapshot.time)
        tables = pattern_tables(pattern)
        to_world = sensor_transform(snapshot, self.config.mount)
        ego = ego_index(snapshot) if self.motion_distortion else None
        motion = None
        if ego is None:
            # one small GEMM writes origins and directions into the ray buffer: [d, 1] · [[0, Rᵀ], [o, 0]]
            m = np.zeros((4, 6), dtype=np.float32)
            m[:3, 3:] = to_world.rotation.T
            m[3, :3] = to_world.translation
            rays = tables.homogeneous.matmul(o3d.core.Tensor.from_numpy(m))
            ball = (to_world.translation, 0.0)
        else:
            rays, ball = self._distort(snapshot, ego, pattern, tables, to_world)
            motion = (math.hypot(snapshot.vx[ego], snapshot.vy[ego]), float(snapshot.yaw_rate[ego]))
        pairs = candidate_pairs(scene.actor_boxes, pattern, tables.cast_position, to_world, self.max_range, motion)
        hits = scene.cast_rays(rays, max_range=self.max_range, actor_pairs=pairs, origin_ball=ball)
        return self._returns(snapshot, scene, pattern, tables, rays.numpy(), hits)

    def _distort(self, snapshot, i: int, pattern, tables: PatternTables, to_world):
        """Rays (cast order) from the ego pose at each firing time (sweep ends at the snapshot), and their origins' ball."""
        dt = (tables.cast_time - pattern.period_s).astype(np.float64)    # ≤ 0: before the snapshot
        yaw = snapshot.yaw_rate[i] * dt
        c, s = np.cos(yaw), np.sin(yaw)
        origin = to_world.translation.astype(np.float32).astype(np.float64)
        directions = tables.cast_directions @ to_world.rotation.T.astype(np.float32)
        pivot = np.array([snapshot.x[i], snapshot.y[i], 0.0])
        rel = origin - pivot
        rays = np.empty((len(dt), 6), dtype=np.float32)
        rays[:, 0] = c * rel[0] - s * rel[1] + pivot[0] + snapshot.vx[i] * dt
        rays[:, 1] = s * rel[0] + c * rel[1] + pivot[1] + snapshot.vy[i] * dt
        rays[:, 2] = rel[2]
        rays[:, 3] = c * directions[:, 0] - s * directions[:, 1]
        rays[:, 4] = s * directions[:, 0] + c * directions[:, 1]
        rays[:, 5] = directions[:, 2]
        # the origins lie on an arc no longer than the distance travelled in one sweep
        travel = (math.hypot(snapshot.vx[i], snapshot.vy[i]) + abs(snapshot.yaw_rate[i]) * float(np.linalg.norm(rel[:2])))
        return o3d.core.Tensor.from_numpy(rays), (origin, travel * pattern.period_s + 1e-3)

    def _returns(self, snapshot, scene: SensorScene, pattern: ScanPattern, tables: PatternTables,
                 rays: np.ndarray, hits) -> PointCloud:
        """Points in pattern order from hits in cast order (compiled gathers, numpy random draws)."""
        weather = Weather.from_environment(snapshot.environment)
        alpha = weather.lidar_extinction(self.wavelength_nm)
        n = len(hits.t)
        idx = np.empty(n, dtype=np.int64)
        r = np.empty(n, dtype=np.float32)
        mat = np.empty(n, dtype=np.int32)
        echo = np.empty(n, dtype=np.float32)
        reflectivity = scene.material_table("reflectivity").astype(np.float32)
        grid = pattern.grid
        if grid is not None:
            count = gather_returns(hits.t, hits.material, hits.normal, rays, grid.channels, grid.columns,
                                   reflectivity, self.min_range, self.max_range, idx, r, mat, echo)
        else:
            count = gather_permuted(hits.t, hits.material, hits.normal, rays, tables.cast_order, reflectivity,
                                    self.min_range, self.max_range, idx, r, mat, echo)
        idx, r, mat, echo = idx[:count], r[:count], mat[:count], echo[:count]
        keep = self.rng.random(count, dtype=np.float32) >= self.dropout if self.dropout > 0 else None
        if alpha > 0:
            echo = echo * np.exp(-2.0 * alpha * r)
        bright = echo / (r * r) >= self.power_threshold
        if keep is not None:
            bright &= keep
        sel = np.flatnonzero(bright)
        sigma = math.hypot(self.range_sigma, weather.lidar_rain_range_sigma())
        noise = self.rng.standard_normal(len(sel), dtype=np.float32) if sigma > 0 else np.zeros(0, np.float32)
        points = np.empty(len(sel), dtype=POINT_DTYPE)
        fill_points(points["x"], points["y"], points["z"], points["intensity"], points["ring"], points["time"],
                    tables.columns, sel, idx, r, echo, noise, sigma, 255.0 * self.intensity_reference ** 2,
                    self.intensity_reference ** 2, pattern.ring, pattern.time)
        labels = None
        if self.labels:
            labels = np.empty(len(sel), dtype=LABEL_DTYPE)
            labels["actor"] = hits.actor[tables.cast_position[idx[sel]]]
            labels["semantic"] = scene.material_table("semantic").astype(np.uint8)[mat[sel]]
        return PointCloud(stamp=snapshot.time - pattern.period_s, frame_id=self.frame_id, points=points,
                          labels=labels, actor_names=snapshot.names)
