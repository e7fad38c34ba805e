"""GNSS receiver: ``sensor_msgs/NavSatFix`` through the map's geo-reference.

The antenna position (ego pose ∘ mount) is in the OpenDRIVE inertial frame.
OpenDRIVE's ``<header><offset>`` (ASAM OpenDRIVE 1.8 §6.4) relocates the map:
projected = Rz(hdg)·(x, y) + (x₀, y₀), z + z₀ — the same affine map as OSI's
``ProjFrameOffset`` — and ``<geoReference>`` holds the PROJ string of the
projected CRS; pyproj takes it to WGS-84 (EPSG:4326) latitude/longitude.  The
height is passed through as altitude (the map's vertical datum is kept).

Errors: white Gaussian noise per fix plus a bias that follows a random walk,
b_k = b_{k−1} + σ_b·√Δt·N(0, 1) (the Gauss–Markov limit for long correlation
times; Groves, *Principles of GNSS, Inertial, and Multisensor Integrated
Navigation Systems*, 2nd ed., §9.4 and §14.2.7), and a publication latency.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from sensors.base import SensorConfig, TypedParameters
from sensors.frames import sensor_transform
from sensors.latency import DelayLine
from simplatform.errors import ConfigError
from simplatform.world import WorldSnapshot

_DEFAULTS = {
    "horizontal_noise_m": 1.0, "vertical_noise_m": 2.0, "bias_random_walk_m_per_sqrt_s": 0.05,
    "initial_bias_m": 0.0, "latency_s": 0.05, "geo_reference": None, "frame_id": None,
}


@dataclass(frozen=True)
class GeoReference:
    """The OpenDRIVE header's ``geoReference`` PROJ string and ``offset``."""

    proj: str
    x: float = 0.0
    y: float = 0.0
    z: float = 0.0
    hdg: float = 0.0

    @staticmethod
    def from_header(header) -> "GeoReference | None":
        if header is None or not getattr(header, "geo_reference", None):
            return None
        off = header.offset
        return GeoReference(header.geo_reference.strip(), off.x, off.y, off.z, off.hdg)

    def to_wgs84(self, x: "float | np.ndarray", y: "float | np.ndarray", z: "float | np.ndarray"
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(lat, lon, alt) of map points: floats for one point (pyproj's point path; a one-element array
        would be turned into a scalar there, which numpy deprecates), arrays of the same shape otherwise."""
        c, s = math.cos(self.hdg), math.sin(self.hdg)
        px = c * x - s * y + self.x
        py = s * x + c * y + self.y
        lon, lat = _transformer(self.proj).transform(px, py)
        return np.asarray(lat), np.asarray(lon), z + self.z


@lru_cache(maxsize=8)
def _transformer(proj: str):
    import pyproj

    try:
        return pyproj.Transformer.from_crs(pyproj.CRS.from_user_input(proj), "EPSG:4326", always_xy=True)
    except pyproj.exceptions.CRSError as exc:
        raise ConfigError(f"the OpenDRIVE geoReference {proj!r} is not a valid PROJ string: {exc}",
                          element="header/geoReference") from None


@dataclass(frozen=True)
class NavSatFixMessage:
    stamp: float
    frame_id: str
    latitude: float
    longitude: float
    altitude: float
    position_covariance: tuple[float, ...]
    status: int = 0          # NavSatStatus.STATUS_FIX
    service: int = 1         # SERVICE_GPS


class Gnss:
    def __init__(self, config: SensorConfig, geo_reference: GeoReference | None = None) -> None:
        self.config = config
        p = TypedParameters(config, _DEFAULTS)
        self.sigma_h = p.float("horizontal_noise_m", minimum=0.0)
        self.sigma_v = p.float("vertical_noise_m", minimum=0.0)
        self.sigma_bias = p.float("bias_random_walk_m_per_sqrt_s", minimum=0.0)
        proj = p.raw("geo_reference")
        self.geo_reference = GeoReference(str(proj)) if proj else geo_reference
        self.delay: DelayLine[NavSatFixMessage] = DelayLine(p.float("latency_s", minimum=0.0))
        self.frame_id = str(p.raw("frame_id") or config.name)
        self.rng = config.rng()
        self.bias = self.rng.standard_normal(3) * p.float("initial_bias_m", minimum=0.0)
        self._last_time: float | None = None

    def sense(self, snapshot: WorldSnapshot, scene=None) -> NavSatFixMessage | None:
        geo = self.geo_reference or getattr(scene, "geo_reference", None)
        if geo is None:
            raise ConfigError("the GNSS needs a geo-reference: the map has no <geoReference> and the rig "
                              "gives no geo_reference parameter", file=self.config.source,
                              element=f"sensors[{self.config.name}]")
        dt = 0.0 if self._last_time is None else max(snapshot.time - self._last_time, 0.0)
        self._last_time = snapshot.time
        self.bias = self.bias + self.sigma_bias * math.sqrt(dt) * self.rng.standard_normal(3)
        antenna = sensor_transform(snapshot, self.config.mount).translation
        noise = self.rng.standard_normal(3) * np.array([self.sigma_h, self.sigma_h, self.sigma_v])
        p = antenna + self.bias + noise
        lat, lon, alt = geo.to_wgs84(float(p[0]), float(p[1]), float(p[2]))
        var_h, var_v = self.sigma_h ** 2, self.sigma_v ** 2
        cov = (var_h, 0.0, 0.0, 0.0, var_h, 0.0, 0.0, 0.0, var_v)   # ENU, row-major as NavSatFix defines
        self.delay.push(snapshot.time, NavSatFixMessage(snapshot.time, self.frame_id, float(lat), float(lon), float(alt),
                                                        cov))
        return self.delay.latest(snapshot.time)
