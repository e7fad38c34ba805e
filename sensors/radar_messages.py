"""Radar outputs shaped like ``radar_msgs/RadarScan`` and ``radar_msgs/RadarTracks`` (ROS 2).

``RadarReturn`` fields (range, azimuth, elevation, doppler_velocity,
amplitude) are those of radar_msgs/RadarReturn; azimuth is positive to the
left (REP-103), doppler_velocity is the range rate (positive receding), and
amplitude is the measured RCS in dBsm, as automotive radars such as the
Continental ARS 408 report it.  Ground truth rides along in ``truth``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

RETURN_DTYPE = np.dtype([
    ("range", "<f4"), ("azimuth", "<f4"), ("elevation", "<f4"), ("doppler_velocity", "<f4"), ("amplitude", "<f4"),
])

# truth.kind codes: CLUTTER is a static surface of the scene (guard rail, pole, wall), FALSE_ALARM thermal
# noise over the CFAR threshold, RAIN_CLUTTER the raindrops' echo over it (``radar_clutter``)
TARGET, CLUTTER, FALSE_ALARM, GHOST, RAIN_CLUTTER = 0, 1, 2, 3, 4
KIND_NAMES = ("target", "clutter", "false_alarm", "ghost", "rain_clutter")
TRUTH_DTYPE = np.dtype([("actor", "<i4"), ("kind", "u1"), ("snr_db", "<f4")])


@dataclass(frozen=True)
class RadarScan:
    stamp: float
    frame_id: str
    returns: np.ndarray
    truth: np.ndarray
    actor_names: tuple[str, ...] = ()

    def xyz(self) -> np.ndarray:
        r, az, el = (self.returns[k].astype(float) for k in ("range", "azimuth", "elevation"))
        return np.stack([r * np.cos(el) * np.cos(az), r * np.cos(el) * np.sin(az), r * np.sin(el)], axis=1)

    def to_json(self) -> dict:
        return {
            "header": {"stamp": self.stamp, "frame_id": self.frame_id},
            "returns": [
                {k: float(row[k]) for k in RETURN_DTYPE.names}
                | {"actor": self.actor_names[t["actor"]] if t["actor"] >= 0 else None,
                   "kind": KIND_NAMES[t["kind"]], "snr_db": float(t["snr_db"])}
                for row, t in zip(self.returns, self.truth)
            ],
        }


@dataclass(frozen=True)
class RadarTrack:
    """radar_msgs/RadarTrack: position, velocity and size in the sensor frame; covariances as upper triangles."""

    uuid: str
    position: tuple[float, float, float]
    velocity: tuple[float, float, float]
    acceleration: tuple[float, float, float] = (0.0, 0.0, 0.0)
    size: tuple[float, float, float] = (0.0, 0.0, 0.0)
    classification: int = 0
    position_covariance: tuple[float, ...] = (0.0,) * 6
    velocity_covariance: tuple[float, ...] = (0.0,) * 6
    acceleration_covariance: tuple[float, ...] = (0.0,) * 6
    size_covariance: tuple[float, ...] = (0.0,) * 6


@dataclass(frozen=True)
class RadarTracks:
    stamp: float
    frame_id: str
    tracks: tuple[RadarTrack, ...] = field(default_factory=tuple)
