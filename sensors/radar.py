"""Automotive mmWave radar: detections in range–azimuth–elevation–Doppler cells.

How a scan is made:
1. A grid of rays over the field of view (``ray_resolution_deg``, finer than the
   radar's own resolution) plus one ray at the centre of every actor in the
   FoV, so that targets narrower than the grid are still seen, is cast into
   the scene: what no ray reaches is occluded.
2. Each ray that hits an actor carries a share of the actor's aspect-dependent
   RCS (``radar_physics``), weighted by cos(incidence); each ray that hits a
   radar-visible static surface (guard rails, poles, signs, walls) carries
   σ⁰·A·cos²θ over its footprint A = R²·Δaz·Δel·cos(el)/cos θ.
3. Every ray gets its Doppler, the range rate (v_point − v_sensor)·u of the
   hit point (rigid-body velocity of the actor, sensor velocity of the ego at
   the mount).
4. Rays are binned into resolution cells (range, azimuth, elevation, Doppler);
   a cell's RCS is the sum of its rays', its position and Doppler the
   RCS-weighted means, its label the strongest contributor.  Objects closer
   than one resolution cell merge, as they do in a real radar.
5. A cell is detected with the Swerling-I probability for its SNR; the
   reported values get Gaussian noise with the configured accuracies.
6. False alarms: a Poisson number with mean P_fa × (number of cells), uniform
   over the cells, with the same per-cell ``false_alarm_probability`` P_fa as
   the detection in step 5: one CFAR threshold sets both.
7. Optional multipath ghosts off guard rails (``radar_multipath``) and
   clustered tracks (``radar_tracks``).

Weather (``radar_weather``): rain (ITU-R P.838-3) and fog (ITU-R P.840 with
Eldridge's liquid water from the visual range) of the snapshot's OpenSCENARIO
environment add a two-way loss over each cell's range to its SNR in step 5
and to its reported amplitude (the radar cannot tell a weaker echo from a
smaller target); false alarms (thermal noise against the CFAR threshold) do
not change.  In clear weather no loss is computed and the scan is exactly the
clear-air one.

Rain clutter (``radar_clutter``, ``radar_rain_backscatter``): in rain the drops'
echo (Mie backscatter over a Marshall–Palmer drop-size distribution) fills
every cell, strongest near the sensor; the CFAR, averaging Doppler cells
beside the cell under test, sees a cell's power against noise plus the
clutter of its reference cells, so step 5's detection probability becomes
P_fa^((1 + CNR_ref)/(1 + CNR + SNR)) (P_fa^(1/(1 + SINR)) in wide clutter) and
cells of rain alone are detected with P_fa^((1 + CNR_ref)/(1 + CNR)): short-range
detections near the Doppler of the stationary world (``kind`` rain_clutter),
drawn after step 6 from the same random stream.  ``rain_clutter: false`` (or
``weather: false``) turns it off; ``false_alarms: false`` draws no rain clutter
detections but keeps the clutter's effect on targets.  Without rain nothing of
it is computed and the scan is exactly as before.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from sensors.base import SensorConfig, TypedParameters
from sensors.environment import Weather
from sensors.frames import ego_index, point_velocities, sensor_transform
from sensors.materials import SemanticTag
from sensors.radar_clutter import RainClutter
from sensors.radar_messages import CLUTTER, FALSE_ALARM, RETURN_DTYPE, TARGET, TRUTH_DTYPE, RadarScan, RadarTracks
from sensors.radar_physics import RadarEquation, actor_rcs_m2
from sensors.radar_rain_backscatter import rain_backscatter
from sensors.radar_weather import RadarWeatherLoss, environment_temperature_k
from sensors.scene import SensorScene
from simplatform.world import WorldSnapshot

# Continental ARS 408-21 datasheet (far / near scan); generic mid-range otherwise.
PRESETS: dict[str, dict] = {
    "ARS408-far": {"horizontal_fov_deg": 18.0, "vertical_fov_deg": 14.0, "max_range_m": 250.0,
                   "range_resolution_m": 1.79, "azimuth_resolution_deg": 1.6, "range_accuracy_m": 0.4,
                   "azimuth_accuracy_deg": 0.1, "velocity_resolution_mps": 0.1, "velocity_accuracy_mps": 0.1},
    "ARS408-near": {"horizontal_fov_deg": 120.0, "vertical_fov_deg": 20.0, "max_range_m": 70.0,
                    "range_resolution_m": 0.39, "azimuth_resolution_deg": 3.2, "range_accuracy_m": 0.1,
                    "azimuth_accuracy_deg": 0.3, "velocity_resolution_mps": 0.1, "velocity_accuracy_mps": 0.1},
}

_DEFAULTS = {
    "horizontal_fov_deg": 90.0, "vertical_fov_deg": 14.0, "max_range_m": 200.0, "min_range_m": 0.5,
    "range_resolution_m": 0.5, "azimuth_resolution_deg": 2.0, "elevation_resolution_deg": 4.0,
    "velocity_resolution_mps": 0.1, "max_velocity_mps": 70.0,
    "range_accuracy_m": 0.1, "azimuth_accuracy_deg": 0.3, "elevation_accuracy_deg": 1.0,
    "velocity_accuracy_mps": 0.1, "ray_resolution_deg": 0.5,
    "reference_snr_db": 13.0, "reference_rcs_dbsm": 10.0, "reference_range_m": 150.0,
    "false_alarm_probability": 1e-8, "false_alarms": True, "static_returns": True, "multipath": False, "reflection_loss_db": 6.0,
    "tracks": False, "cluster_distance_m": 2.5, "cluster_velocity_mps": 1.5, "frame_id": None,
    "frequency_ghz": 77.0, "polarisation_tilt_deg": 0.0, "weather": True,
    "rain_clutter": True, "rain_clutter_turbulence_mps": 0.5, "cfar_guard_cells": 2, "cfar_reference_cells": 8,
}


@lru_cache(maxsize=16)
def _ray_grid(hfov: float, vfov: float, step: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    naz = max(int(math.ceil(hfov / step)), 1)
    nel = max(int(math.ceil(vfov / step)), 1)
    az = (np.arange(naz) + 0.5) * (hfov / naz) - hfov / 2
    el = (np.arange(nel) + 0.5) * (vfov / nel) - vfov / 2
    a, e = np.meshgrid(az, el, indexing="ij")
    a, e = a.ravel(), e.ravel()
    d = np.stack([np.cos(e) * np.cos(a), np.cos(e) * np.sin(a), np.sin(e)], axis=1).astype(np.float32)
    return d, np.full(len(a), hfov / naz * vfov / nel) * np.cos(e), e


class Radar:
    def __init__(self, config: SensorConfig) -> None:
        self.config = config
        defaults = dict(_DEFAULTS)
        if config.preset is not None:
            if config.preset not in PRESETS:
                raise config.error(f"unknown radar preset {config.preset!r}; known: {', '.join(PRESETS)}", "preset")
            defaults.update(PRESETS[config.preset])
        base = SensorConfig(**{**config.__dict__, "parameters": {**{k: v for k, v in defaults.items() if k in _DEFAULTS}, **config.parameters}})
        p = TypedParameters(base, _DEFAULTS)
        deg = math.radians
        self.hfov = deg(p.float("horizontal_fov_deg", minimum=0.1, maximum=360.0))
        self.vfov = deg(p.float("vertical_fov_deg", minimum=0.1, maximum=180.0))
        self.max_range = p.float("max_range_m", minimum=0.1)
        self.min_range = p.float("min_range_m", minimum=0.0)
        self.res = np.array([p.float("range_resolution_m", minimum=1e-3), deg(p.float("azimuth_resolution_deg", minimum=1e-3)),
                             deg(p.float("elevation_resolution_deg", minimum=1e-3)), p.float("velocity_resolution_mps", minimum=1e-4)])
        self.max_velocity = p.float("max_velocity_mps", minimum=0.1)
        self.sigma = np.array([p.float("range_accuracy_m", minimum=0.0), deg(p.float("azimuth_accuracy_deg", minimum=0.0)),
                               deg(p.float("elevation_accuracy_deg", minimum=0.0)), p.float("velocity_accuracy_mps", minimum=0.0)])
        self.ray_step = deg(p.float("ray_resolution_deg", minimum=0.01))
        n_cells = (self.max_range / self.res[0]) * (self.hfov / self.res[1]) * max(self.vfov / self.res[2], 1.0) \
            * (2 * self.max_velocity / self.res[3])
        pfa = p.float("false_alarm_probability", minimum=1e-300, maximum=0.5)
        self.n_cells = n_cells
        self.false_alarms_per_scan = pfa * n_cells if p.bool("false_alarms") else 0.0
        self.equation = RadarEquation(p.float("reference_snr_db"), p.float("reference_rcs_dbsm"),
                                      p.float("reference_range_m", minimum=1e-3), pfa)
        self.static_returns = p.bool("static_returns")
        self.multipath = p.bool("multipath")
        self.reflection_loss = 10.0 ** (-p.float("reflection_loss_db", minimum=0.0) / 10.0)
        self.tracks = p.bool("tracks")
        self.cluster_distance = p.float("cluster_distance_m", minimum=0.0)
        self.cluster_velocity = p.float("cluster_velocity_mps", minimum=0.0)
        self.frame_id = str(p.raw("frame_id") or config.name)
        self.frequency_ghz = p.float("frequency_ghz", minimum=1.0, maximum=1000.0)   # ITU-R P.838-3's range
        self.polarisation_tilt_deg = p.float("polarisation_tilt_deg", minimum=-90.0, maximum=90.0)
        self.weather = p.bool("weather")
        self.rain_clutter = p.bool("rain_clutter")
        self.rain_clutter_turbulence = p.float("rain_clutter_turbulence_mps", minimum=0.0)
        self.cfar_guard_cells = p.int("cfar_guard_cells", minimum=0)
        self.cfar_reference_cells = p.int("cfar_reference_cells", minimum=1)
        self.clutter: RainClutter | None = None
        """The rain clutter of the last scan's environment (``radar_clutter``); None without rain."""
        self._clutter_cache: tuple[object, RainClutter | None] = ((), None)
        self._weather_cache: tuple[object, RadarWeatherLoss] = ((), RadarWeatherLoss())
        self.weather_loss = RadarWeatherLoss()
        """The loss of the last scan's environment (``radar_weather``)."""
        self.rng = config.rng()
        self.last_tracks: RadarTracks | None = None
        self._scan_motion: tuple[np.ndarray, np.ndarray] | None = None

    def weather_loss_for(self, environment) -> RadarWeatherLoss:
        """The radar's weather loss for a snapshot's environment, parsed again only when its items change
        (an EnvironmentAction replaces the mapping; equal items give the same loss)."""
        if not self.weather or not environment:
            return RadarWeatherLoss()
        try:
            key = tuple(environment.items())
            if key == self._weather_cache[0]:
                return self._weather_cache[1]
        except Exception:                                   # uncomparable values: no cache
            key = None
        loss = RadarWeatherLoss.from_environment(environment, self.frequency_ghz, self.polarisation_tilt_deg)
        if key is not None:
            self._weather_cache = (key, loss)
        return loss

    def rain_clutter_for(self, environment) -> RainClutter | None:
        """The rain clutter for an environment (after ``weather_loss`` is set for it), built again only when
        its items change; None when there is no rain (snow, hail or dry) or clutter is off."""
        if not (self.weather and self.rain_clutter and environment):
            return None
        try:
            key = tuple(environment.items())
            if key == self._clutter_cache[0]:
                return self._clutter_cache[1]
        except Exception:                                   # uncomparable values: no cache
            key = None
        weather = Weather.from_environment(environment)
        kind = str(environment.get("precipitation_type", "rain")).lower()
        clutter = None
        if kind == "rain" and weather.rain_mm_h > 0.0:
            backscatter = rain_backscatter(weather.rain_mm_h, self.frequency_ghz, environment_temperature_k(environment))
            clutter = RainClutter.build(self, backscatter)
        if key is not None:
            self._clutter_cache = (key, clutter)
        return clutter

    # ------------------------------------------------------------------ scan
    def sense(self, snapshot: WorldSnapshot, scene: SensorScene) -> RadarScan:
        to_world = sensor_transform(snapshot, self.config.mount)
        self.weather_loss = self.weather_loss_for(snapshot.environment)
        self.clutter = self.rain_clutter_for(snapshot.environment)
        self._scan_motion = None
        if self.clutter is not None:
            self._scan_motion = (to_world.rotation, self._sensor_velocity(snapshot, to_world.translation))
        grid, solid_angle, _ = _ray_grid(self.hfov, self.vfov, self.ray_step)
        extra = self._actor_centre_rays(snapshot, scene, to_world)
        dirs = np.concatenate([grid, extra]) if len(extra) else grid
        is_grid = np.arange(len(dirs)) < len(grid)
        dirs_world = dirs @ to_world.rotation.T.astype(np.float32)
        origin = to_world.translation.astype(np.float32)
        hits = scene.cast(np.broadcast_to(origin, dirs_world.shape), dirs_world, max_range=self.max_range)
        ok = np.isfinite(hits.t) & (hits.t >= self.min_range)
        actor = hits.actor
        rcs0 = scene.material_table("radar_rcs_per_m2")
        static_ok = ok & (actor < 0) & is_grid & self.static_returns
        static_ok &= rcs0[np.maximum(hits.material, 0)] > 0
        actor_ok = ok & (actor >= 0)
        keep = np.flatnonzero(static_ok | actor_ok)
        r = hits.t[keep].astype(float)
        d_s = dirs[keep].astype(float)
        d_w = dirs_world[keep].astype(float)
        cos_inc = np.maximum(np.abs(np.einsum("ij,ij->i", hits.normal[keep], d_w)), 0.05)
        a = actor[keep]
        sigma = np.zeros(len(keep))
        on_actor = a >= 0
        if np.any(on_actor):
            sigma[on_actor] = self._share_actor_rcs(snapshot, a[on_actor], d_w[on_actor], cos_inc[on_actor])
        st = ~on_actor
        if np.any(st):
            area = r[st] ** 2 * solid_angle[np.minimum(keep[st], len(grid) - 1)] / cos_inc[st]
            sigma[st] = rcs0[hits.material[keep[st]]] * area * cos_inc[st] ** 2
        points_world = origin.astype(float) + d_w * r[:, None]
        doppler = self._doppler(snapshot, a, points_world, d_w, to_world.translation)
        az = np.arctan2(d_s[:, 1], d_s[:, 0])
        el = np.arcsin(np.clip(d_s[:, 2], -1, 1))
        returns, truth = self._detect(r, az, el, doppler, sigma, a)
        returns, truth = self._add_false_alarms(returns, truth)
        if self.clutter is not None and self.false_alarms_per_scan > 0:
            c_ret, c_truth = self.clutter.draw(self.rng, *self._scan_motion)
            returns = np.concatenate([returns, c_ret])
            truth = np.concatenate([truth, c_truth])
        if self.multipath:
            from sensors.radar_multipath import guard_rail_ghosts
            g_ret, g_truth = guard_rail_ghosts(self, snapshot, scene, to_world, returns, truth, hits, dirs, is_grid)
            returns = np.concatenate([returns, g_ret])
            truth = np.concatenate([truth, g_truth])
        scan = RadarScan(snapshot.time, self.frame_id, returns, truth, snapshot.names)
        if self.tracks:
            from sensors.radar_tracks import cluster_tracks
            self.last_tracks = cluster_tracks(scan, self.cluster_distance, self.cluster_velocity)
        return scan

    def _actor_centre_rays(self, snapshot, scene, to_world) -> np.ndarray:
        idx = scene.actor_indices
        if len(idx) == 0:
            return np.zeros((0, 3), dtype=np.float32)
        c, s = np.cos(snapshot.heading[idx]), np.sin(snapshot.heading[idx])
        centre = np.stack([snapshot.x[idx] + c * snapshot.bbox_center_x[idx] - s * snapshot.bbox_center_y[idx],
                           snapshot.y[idx] + s * snapshot.bbox_center_x[idx] + c * snapshot.bbox_center_y[idx],
                           snapshot.z[idx] + snapshot.bbox_center_z[idx]], axis=1)
        local = to_world.inverse().apply(centre)
        rng = np.linalg.norm(local, axis=1)
        az = np.arctan2(local[:, 1], local[:, 0])
        el = np.arcsin(np.clip(local[:, 2] / np.maximum(rng, 1e-9), -1, 1))
        inside = (np.abs(az) <= self.hfov / 2) & (np.abs(el) <= self.vfov / 2) & (rng > 1e-6)
        return (local[inside] / rng[inside, None]).astype(np.float32)

    def _share_actor_rcs(self, snapshot, actor, d_world, cos_inc) -> np.ndarray:
        """Each actor's aspect RCS spread over its rays in proportion to cos(incidence)."""
        ids, inverse = np.unique(actor, return_inverse=True)
        los = np.zeros((len(ids), 2))
        np.add.at(los, inverse, d_world[:, :2])
        aspect = np.arctan2(los[:, 1], los[:, 0]) - snapshot.heading[ids]
        total = actor_rcs_m2([snapshot.categories[i] for i in ids], aspect)
        weight_sum = np.bincount(inverse, weights=cos_inc)
        return total[inverse] * cos_inc / weight_sum[inverse]

    def _doppler(self, snapshot, actor, points_world, d_world, sensor_pos) -> np.ndarray:
        """Range rate (v_point − v_sensor)·u; static points have v_point = 0."""
        v_point = np.zeros_like(points_world)
        on = actor >= 0
        if np.any(on):
            v_point[on] = point_velocities(snapshot, actor[on], points_world[on])
        return np.einsum("ij,ij->i", v_point - self._sensor_velocity(snapshot, sensor_pos), d_world)

    @staticmethod
    def _sensor_velocity(snapshot, sensor_pos) -> np.ndarray:
        """World velocity of the sensor: the ego's rigid-body velocity at the mount (0 without an ego)."""
        e = ego_index(snapshot)
        return point_velocities(snapshot, np.array([e]), sensor_pos[None, :])[0] if e is not None else np.zeros(3)

    def _detect(self, r, az, el, doppler, sigma, actor):
        if len(r) == 0:
            return np.zeros(0, RETURN_DTYPE), np.zeros(0, TRUTH_DTYPE)
        cells = np.floor(np.stack([r, az, el, doppler], axis=1) / self.res).astype(np.int64)
        keys, inverse = np.unique(cells, axis=0, return_inverse=True)
        inverse = inverse.ravel()
        total = np.bincount(inverse, weights=sigma)
        w = sigma / total[inverse]
        mean = lambda x: np.bincount(inverse, weights=w * x)  # noqa: E731
        rc, azc, elc, vc = mean(r), mean(az), mean(el), mean(doppler)
        order = np.lexsort((-sigma, inverse))
        first = order[np.r_[0, np.flatnonzero(np.diff(inverse[order])) + 1]]
        label = actor[first]
        snr = self.equation.snr(total, rc)
        if self.weather_loss.db_per_km > 0.0:
            factor = self.weather_loss.two_way_factor(rc)
            snr = snr * factor
            total = total * factor                      # the amplitude is the echo's apparent RCS
            pd = self.equation.detection_probability_for_snr(snr)
        else:
            pd = self.equation.detection_probability(total, rc)
        if self.clutter is not None:                    # the cell's rain and the CFAR's reference level
            pd = self.clutter.detection_probability(keys, snr, *self._scan_motion)
        detected = self.rng.random(len(total)) < pd
        n = int(detected.sum())
        noise = self.rng.standard_normal((n, 4)) * self.sigma
        fluct = self.rng.exponential(1.0, n)
        out = np.empty(n, RETURN_DTYPE)
        out["range"] = rc[detected] + noise[:, 0]
        out["azimuth"] = azc[detected] + noise[:, 1]
        out["elevation"] = elc[detected] + noise[:, 2]
        out["doppler_velocity"] = vc[detected] + noise[:, 3]
        out["amplitude"] = 10 * np.log10(np.maximum(total[detected] * fluct, 1e-12))
        truth = np.empty(n, TRUTH_DTYPE)
        truth["actor"] = label[detected]
        truth["kind"] = np.where(label[detected] >= 0, TARGET, CLUTTER)
        truth["snr_db"] = 10 * np.log10(np.maximum(snr[detected], 1e-12))
        return out, truth

    def _add_false_alarms(self, returns, truth):
        k = int(self.rng.poisson(self.false_alarms_per_scan)) if self.false_alarms_per_scan > 0 else 0
        if k == 0:
            return returns, truth
        u = self.rng.random((k, 4))
        fa = np.empty(k, RETURN_DTYPE)
        fa["range"] = self.min_range + u[:, 0] * (self.max_range - self.min_range)
        fa["azimuth"] = (u[:, 1] - 0.5) * self.hfov
        fa["elevation"] = (u[:, 2] - 0.5) * self.vfov
        fa["doppler_velocity"] = (u[:, 3] - 0.5) * 2 * self.max_velocity
        # a false alarm just crosses the CFAR threshold: amplitude of a target at SNR ≈ threshold
        fa["amplitude"] = self.equation.reference_rcs_dbsm - self.equation.reference_snr_db \
            + 40 * np.log10(fa["range"] / self.equation.reference_range_m)
        ft = np.empty(k, TRUTH_DTYPE)
        ft["actor"] = -1
        ft["kind"] = FALSE_ALARM
        ft["snr_db"] = 0.0
        return np.concatenate([returns, fa]), np.concatenate([truth, ft])


def is_guard_rail(scene: SensorScene, material: np.ndarray) -> np.ndarray:
    sem = scene.material_table("semantic")
    return (material >= 0) & (sem[np.maximum(material, 0)] == SemanticTag.GUARD_RAIL)
