"""Multipath ghosts off guard rails.

A guard rail is a good mirror at 77 GHz.  Energy that goes radar → rail →
target → rail → radar arrives as if from the target's mirror image across the
rail plane: a ghost at range |p′| and in the direction of p′, with the
mirrored velocity, weakened by the rail's reflection loss twice (Kamann et
al., "Automotive radar multipath propagation in uncertain environments",
IEEE ITSC 2018, §III).  Rail planes come from the scan's own rail hits
(vertical planes through hit points with the hit normal); an image only
counts when the line to it really meets a rail where the plane says.

In rain or fog the ghost's echo has travelled 2·|p′| instead of the target's
2·R: the target's amplitude already carries the two-way weather loss over R
(``radar._detect``), so the ghost gets the remaining two-way loss over
|p′| − R (``radar_weather``; the loss is exponential in distance, so the two
parts make the whole path's loss).
"""

from __future__ import annotations

import numpy as np

from sensors.frames import ego_index, point_velocities
from sensors.radar_messages import GHOST, RETURN_DTYPE, TARGET, TRUTH_DTYPE


def _rail_planes(radar, scene, to_world, hits, dirs, is_grid):
    from sensors.radar import is_guard_rail

    rail = np.flatnonzero(is_grid & np.isfinite(hits.t) & is_guard_rail(scene, hits.material))
    if len(rail) == 0:
        return np.zeros((0, 3)), np.zeros(0)
    q = dirs[rail].astype(float) * hits.t[rail, None]
    n = hits.normal[rail].astype(float) @ to_world.rotation           # world → sensor frame
    n[:, 2] = 0.0                                                      # rails are vertical
    n /= np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-9)
    d = np.einsum("ij,ij->i", n, q)
    flip = d > 0                                                       # radar on the positive side
    n[flip] *= -1
    d[flip] *= -1
    key = np.column_stack([np.round(np.arctan2(n[:, 1], n[:, 0]) / np.radians(2.0)), np.round(d / 0.5)])
    _, first = np.unique(key, axis=0, return_index=True)
    first = first[:8]
    return n[first], d[first]


def guard_rail_ghosts(radar, snapshot, scene, to_world, returns, truth, hits, dirs, is_grid):
    empty = (np.zeros(0, RETURN_DTYPE), np.zeros(0, TRUTH_DTYPE))
    normals, offsets = _rail_planes(radar, scene, to_world, hits, dirs, is_grid)
    targets = np.flatnonzero(truth["kind"] == TARGET)
    if len(normals) == 0 or len(targets) == 0:
        return empty
    r = returns["range"][targets].astype(float)
    az = returns["azimuth"][targets].astype(float)
    el = returns["elevation"][targets].astype(float)
    p = np.stack([r * np.cos(el) * np.cos(az), r * np.cos(el) * np.sin(az), r * np.sin(el)], axis=1)
    side = p @ normals.T - offsets                                     # (T, P) > 0: target on radar side
    ti, pi = np.nonzero(side > 0)
    if len(ti) == 0:
        return empty
    n = normals[pi]
    image = p[ti] - 2 * side[ti, pi, None] * n
    dist = np.linalg.norm(image, axis=1)
    u = image / dist[:, None]
    lam = offsets[pi] / np.einsum("ij,ij->i", n, image)               # where the line meets the plane
    ok = (lam > 0) & (lam < 1)
    u_world = u @ to_world.rotation.T
    check = scene.cast(np.broadcast_to(to_world.translation, u_world.shape), u_world, max_range=radar.max_range)
    from sensors.radar import is_guard_rail

    ok &= is_guard_rail(scene, check.material) & (np.abs(check.t - lam * dist) < 1.0)
    if not np.any(ok):
        return empty
    ti, n, image, dist, u = ti[ok], n[ok], image[ok], dist[ok], u[ok]
    actors = truth["actor"][targets][ti]
    # relative velocity of the target in the sensor frame, mirrored
    centre = to_world.apply(p[ti])
    v_rel = point_velocities(snapshot, actors, centre)
    e = ego_index(snapshot)
    if e is not None:
        v_rel = v_rel - point_velocities(snapshot, np.array([e]), to_world.translation[None, :])[0]
    v_s = v_rel @ to_world.rotation
    v_img = v_s - 2 * np.einsum("ij,ij->i", v_s, n)[:, None] * n
    sigma = 10 ** (returns["amplitude"][targets][ti] / 10.0) * radar.reflection_loss ** 2
    if radar.weather_loss.db_per_km > 0.0:
        sigma = sigma * radar.weather_loss.two_way_factor(np.maximum(dist - r[ti], 0.0))
    pd = radar.equation.detection_probability(sigma, dist)
    detected = radar.rng.random(len(dist)) < pd
    k = int(detected.sum())
    out = np.empty(k, RETURN_DTYPE)
    out["range"] = dist[detected]
    out["azimuth"] = np.arctan2(u[detected, 1], u[detected, 0])
    out["elevation"] = np.arcsin(np.clip(u[detected, 2], -1, 1))
    out["doppler_velocity"] = np.einsum("ij,ij->i", v_img[detected], u[detected])
    out["amplitude"] = 10 * np.log10(sigma[detected])
    tr = np.empty(k, TRUTH_DTYPE)
    tr["actor"] = actors[detected]
    tr["kind"] = GHOST
    tr["snr_db"] = 10 * np.log10(np.maximum(radar.equation.snr(sigma[detected], dist[detected]), 1e-12))
    return out, tr
