"""Radar tracks from one scan: clusters of detections with a velocity from their Dopplers.

Detections are grouped by single-linkage clustering in (x, y, range-rate)
space (scipy.cluster.hierarchy; the DBSCAN criterion with min_samples = 1).
A cluster's velocity is the least-squares solution of v_r,i = u_i · v over its
detections' line-of-sight vectors u_i — the instantaneous full-velocity
estimate of Kellner et al., "Instantaneous full-motion estimation of
arbitrary objects using dual Doppler radar", IEEE IV 2014 — when the
detections span enough angle; otherwise the radial component only.
Positions and velocities are in the radar frame, relative to the radar.
"""

from __future__ import annotations

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage

from sensors.radar_messages import FALSE_ALARM, RadarScan, RadarTrack, RadarTracks


def cluster_tracks(scan: RadarScan, distance_m: float, velocity_mps: float) -> RadarTracks:
    keep = scan.truth["kind"] != FALSE_ALARM
    xyz = scan.xyz()[keep]
    vr = scan.returns["doppler_velocity"][keep].astype(float)
    if len(xyz) == 0:
        return RadarTracks(scan.stamp, scan.frame_id, ())
    if len(xyz) == 1:
        labels = np.array([1])
    else:
        scale = distance_m / max(velocity_mps, 1e-6)
        features = np.column_stack([xyz[:, 0], xyz[:, 1], vr * scale])
        labels = fcluster(linkage(features, method="single"), t=distance_m, criterion="distance")
    tracks = []
    for k in np.unique(labels):
        m = labels == k
        p = xyz[m]
        u = p[:, :2] / np.maximum(np.linalg.norm(p[:, :2], axis=1, keepdims=True), 1e-9)
        spread = np.ptp(np.arctan2(u[:, 1], u[:, 0])) if len(u) > 1 else 0.0
        if len(u) >= 2 and spread > np.radians(1.0):
            v, *_ = np.linalg.lstsq(u, vr[m], rcond=None)
        else:
            v = u.mean(axis=0) * vr[m].mean()
        centre = p.mean(axis=0)
        size = np.ptp(p, axis=0) if len(p) > 1 else np.zeros(3)
        tracks.append(RadarTrack(
            uuid=f"{scan.frame_id}-{int(k)}", position=tuple(float(c) for c in centre),
            velocity=(float(v[0]), float(v[1]), 0.0), size=tuple(float(s) for s in size)))
    return RadarTracks(scan.stamp, scan.frame_id, tuple(tracks))
