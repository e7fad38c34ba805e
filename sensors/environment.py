"""What the sensors read of ``WorldSnapshot.environment`` and how weather attenuates light.

Keys read (all optional; the engine fills them from the OpenSCENARIO
``Environment`` — TimeOfDay, Weather/Sun, Weather/Fog, Weather/Precipitation):

========================================  =====================================================
``time_of_day_s``                         seconds since local midnight (TimeOfDay@dateTime)
``sun_elevation_rad``                     Sun@elevation: 0 horizon, π/2 zenith
``sun_azimuth_rad``                       Sun@azimuth: 0 north, π/2 east (OpenSCENARIO 1.x)
``sun_intensity_lux``                     Sun@illuminance (OpenSCENARIO 1.1+; ``intensity`` in 1.0)
``fog_visual_range_m``                    Fog@visualRange (meteorological visibility)
``precipitation_intensity_mm_h``          Precipitation@precipitationIntensity (mm/h)
``precipitation_type``                    Precipitation@precipitationType: dry, rain, snow
``temperature_k``                         Weather@temperature (OpenSCENARIO 1.2+, K); only the
                                          radar's fog loss reads it (``radar_weather``)
========================================  =====================================================

The engine's own names (``fog_visual_range``, ``precipitation_intensity``,
``sun_elevation``, ``sun_azimuth``, ``sun_intensity`` and ``time_of_day`` as an
ISO 8601 date-time string) are accepted as aliases of the keys above.

Without a sun position the sun follows a stand-in day (sunrise 06:00, sunset
18:00, 60° at noon) driven by ``time_of_day_s``; with neither, it is noon.

Optical attenuation (two-way for the lidar, one-way for the camera):
- Fog: Koschmieder's law gives the visible extinction β = 3.912 / V (2 %
  contrast threshold); at the lidar wavelength the Kim–Korevaar–McArthur
  visibility model scales it by (λ/550 nm)^(−q) with q from V (Kim et al.,
  "Comparison of laser beam propagation at 785 nm and 1550 nm in fog and
  haze for optical wireless communications", Proc. SPIE 4214, 2001).
- Rain: specific attenuation γ = 1.076·R^0.67 dB/km (ITU-R P.1814 for
  free-space optics), R the rain rate in mm/h.
- Rain also spreads the lidar range: σ_rain = 0.02·(1 − e^(−R))² m (Goodin
  et al., "Predicting the influence of rain on LIDAR in ADAS", Electronics
  8(1):89, 2019).

The radar's millimetre-wave losses (ITU-R P.838-3 rain, ITU-R P.840 fog) are
in ``radar_weather``; they read ``rain_mm_h`` and ``fog_visual_range_m`` from
here, so snow counts as its liquid-water rate for every sensor.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping

import numpy as np

from simplatform.errors import ConfigError

KNOWN_KEYS = (
    "time_of_day_s", "sun_elevation_rad", "sun_azimuth_rad", "sun_intensity_lux",
    "fog_visual_range_m", "precipitation_intensity_mm_h", "precipitation_type", "temperature_k",
)


_ALIASES = {
    "fog_visual_range": "fog_visual_range_m", "precipitation_intensity": "precipitation_intensity_mm_h",
    "sun_elevation": "sun_elevation_rad", "sun_azimuth": "sun_azimuth_rad", "sun_intensity": "sun_intensity_lux",
}


def _with_engine_aliases(env: Mapping[str, object]) -> dict[str, object]:
    """Accept the engine's unit-less key names too, and ``time_of_day`` as an ISO 8601 date-time."""
    out = dict(env)
    for alias, key in _ALIASES.items():
        if alias in env and key not in env:
            out[key] = env[alias]
    tod = env.get("time_of_day")
    if "time_of_day_s" not in env and isinstance(tod, str):
        from datetime import datetime

        try:
            stamp = datetime.fromisoformat(tod)
            out["time_of_day_s"] = stamp.hour * 3600 + stamp.minute * 60 + stamp.second + stamp.microsecond * 1e-6
        except ValueError:
            # A snapshot file written by hand (``sensors render --snapshot``) can carry this;
            # falling back to the default sun silently would render the wrong light.
            raise ConfigError(f"environment time_of_day {tod!r} is not an ISO 8601 date-time") from None
    return out


def _float(env: Mapping[str, object], key: str, default: float) -> float:
    value = env.get(key)
    if value is None:
        return default
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


@dataclass(frozen=True)
class Weather:
    time_of_day_s: float = 12 * 3600.0
    sun_elevation_rad: float = math.radians(60.0)
    sun_azimuth_rad: float = math.pi  # south
    sun_intensity_lux: float = 100_000.0
    fog_visual_range_m: float = math.inf
    rain_mm_h: float = 0.0

    @staticmethod
    def from_environment(env: Mapping[str, object] | None) -> "Weather":
        env = _with_engine_aliases(env or {})
        tod = _float(env, "time_of_day_s", 12 * 3600.0) % 86400.0
        if "sun_elevation_rad" in env:
            elevation = _float(env, "sun_elevation_rad", math.radians(60.0))
        else:
            elevation = math.radians(60.0) * math.sin(math.pi * (tod - 6 * 3600.0) / (12 * 3600.0))
        azimuth = _float(env, "sun_azimuth_rad", math.pi * tod / (12 * 3600.0))  # east at 06:00, south at noon
        ptype = str(env.get("precipitation_type", "rain")).lower()
        rain = _float(env, "precipitation_intensity_mm_h", 0.0) if ptype != "dry" else 0.0
        fog = _float(env, "fog_visual_range_m", math.inf)
        return Weather(tod, elevation, azimuth, _float(env, "sun_intensity_lux", 100_000.0),
                       fog if fog > 0 else math.inf, max(rain, 0.0))

    # ------------------------------------------------------------------ light
    def sun_direction(self) -> np.ndarray:
        """Unit vector towards the sun in the world frame (x east, y north, z up)."""
        ce = math.cos(self.sun_elevation_rad)
        return np.array([ce * math.sin(self.sun_azimuth_rad), ce * math.cos(self.sun_azimuth_rad),
                         math.sin(self.sun_elevation_rad)])

    def daylight(self) -> float:
        """0 at night … 1 in full day: a smooth ramp through civil twilight (sun −6°…+10°)."""
        lo, hi = math.radians(-6.0), math.radians(10.0)
        x = min(max((self.sun_elevation_rad - lo) / (hi - lo), 0.0), 1.0)
        return x * x * (3 - 2 * x)

    # ------------------------------------------------------------ attenuation
    def visible_extinction(self) -> float:
        """β (1/m) at 550 nm: fog (Koschmieder) plus rain (ITU-R P.1814)."""
        return self._fog_extinction(550.0) + self._rain_extinction()

    def lidar_extinction(self, wavelength_nm: float = 905.0) -> float:
        """α (1/m) at the lidar wavelength: fog (Kim model) plus rain (ITU-R P.1814)."""
        return self._fog_extinction(wavelength_nm) + self._rain_extinction()

    def lidar_rain_range_sigma(self) -> float:
        return 0.02 * (1.0 - math.exp(-self.rain_mm_h)) ** 2

    def _fog_extinction(self, wavelength_nm: float) -> float:
        if not math.isfinite(self.fog_visual_range_m):
            return 0.0
        v_km = self.fog_visual_range_m / 1000.0
        if v_km > 50:
            q = 1.6
        elif v_km > 6:
            q = 1.3
        elif v_km > 1:
            q = 0.16 * v_km + 0.34
        elif v_km > 0.5:
            q = v_km - 0.5
        else:
            q = 0.0
        return 3.912 / self.fog_visual_range_m * (wavelength_nm / 550.0) ** (-q)

    def _rain_extinction(self) -> float:
        if self.rain_mm_h <= 0:
            return 0.0
        db_per_km = 1.076 * self.rain_mm_h ** 0.67
        return db_per_km * math.log(10.0) / 10.0 / 1000.0
