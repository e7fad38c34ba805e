"""Weather losses of a mmWave radar: rain (ITU-R P.838-3) and fog (ITU-R P.840, Eldridge).

The radar equation (``radar_physics.RadarEquation``) is referenced to a
datasheet point measured in clear air, so gaseous absorption (oxygen and water
vapour, ≈0.4 dB/km at 77 GHz by ITU-R P.676) is already inside the reference
SNR and is not added again: clear weather keeps the scan exactly as it was.
What the OpenSCENARIO ``Weather`` adds is a two-way loss over the target range
R, L = 10^(−2·γ·R/10 000) with γ in dB/km and R in metres, applied to the SNR
(and so to the Swerling-I detection probability) and to the reported amplitude.

Rain — ITU-R P.838-3 (03/2005) "Specific attenuation model for rain for use in
prediction methods": γ_R = k·R^α dB/km, R the rain rate in mm/h.  k and α are
computed at the radar's carrier frequency from the recommendation's own
curve fits, eqs. (2) and (3) with the constants of its Tables 1–4 (the
recommendation defines the coefficients by these fits over 1–1000 GHz; no table
interpolation is needed), and combined for the polarisation tilt τ and path
elevation θ by eqs. (4) and (5); an automotive radar's path is horizontal
(θ = 0).  At 77 GHz this gives k_H = 1.1320, α_H = 0.7177 (horizontal: 5.91
dB/km at 10 mm/h, 18.76 dB/km at 50 mm/h) and k_V = 1.1276, α_V = 0.7073
(vertical: 5.75 and 17.94 dB/km).  The radar's ``polarisation_tilt_deg``
picks τ (default 0, horizontal).

Snow: read as its liquid-water equivalent rate through the rain law, as the
lidar does (``environment.Weather.rain_mm_h`` holds any precipitation that is
not ``dry``).  Dry snow attenuates less than rain of the same water rate at
millimetre waves, wet snow more; with no snow type in OpenSCENARIO the rain
law is the middle estimate.

Fog — ITU-R P.840-8 (08/2019) "Attenuation due to clouds and fog", §2: in the
Rayleigh regime (droplets ≪ 3.9 mm) γ_c = K_l(f, T)·M dB/km, with K_l from the
double-Debye permittivity of water (eqs. 2–10) and M the liquid water density in
g/m³.  M comes from the fog's visual range V (Fog@visualRange) by Eldridge's
fog relation M = (0.024/V)^1.54 with V in km (R. G. Eldridge, "Haze and fog
aerosol distributions", J. Atmos. Sci. 23:605–613, 1966; the form quoted by
Altshuler, IEEE Trans. AP 32(7):757–758, 1984).  At 77 GHz K_l is 2.93
(dB/km)/(g/m³) at 15 °C, 3.54 at 0 °C: a 50 m fog (M = 0.32 g/m³) costs
0.95 dB/km at 15 °C, 0.19 dB two-way at 100 m, a 200 m fog 0.11 dB/km — small next to rain, but not nothing for a marginal target,
so it is modelled.  Only fog counts, a visual range below 1 km (WMO): at 1 km the
loss would be 0.009 dB/km, and OpenSCENARIO 1.0 scenarios, where Fog is
required, state clear air as a long visual range (often 100 km) and keep the
clear-air scan.  The temperature is the environment's ``temperature_k``
(OpenSCENARIO 1.2 Weather@temperature) when given, else 288.15 K (ISO 2533
standard atmosphere at sea level).

Rain backscatter (volume clutter, its false alarms and the SINR of targets in
it) is ``radar_clutter``, with the drops' Mie reflectivity in
``radar_rain_backscatter``.  Not modelled: wet-radome loss, and splash or spray
from other vehicles.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping

from sensors.environment import Weather

# ITU-R P.838-3 Tables 1–4: (a_j, b_j, c_j) rows, then (m, c).
_KH = (((-5.33980, -0.10008, 1.13098), (-0.35351, 1.26970, 0.45400), (-0.23789, 0.86036, 0.15354),
        (-0.94158, 0.64552, 0.16817)), (-0.18961, 0.71147))
_KV = (((-3.80595, 0.56934, 0.81061), (-3.44965, -0.22911, 0.51059), (-0.39902, 0.73042, 0.11899),
        (0.50167, 1.07319, 0.27195)), (-0.16398, 0.63297))
_AH = (((-0.14318, 1.82442, -0.55187), (0.29591, 0.77564, 0.19822), (0.32177, 0.63773, 0.13164),
        (-5.37610, -0.96230, 1.47828), (16.1721, -3.29980, 3.43990)), (0.67849, -1.95537))
_AV = (((-0.07771, 2.33840, -0.76284), (0.56727, 0.95545, 0.54039), (-0.20238, 1.14520, 0.26809),
        (-48.2991, 0.791669, 0.116226), (48.5833, 0.791459, 0.116479)), (-0.053739, 0.83433))

STANDARD_TEMPERATURE_K = 288.15


def _fit(table, frequency_ghz: float) -> float:
    """P.838-3 eqs. (2)/(3): Σ a_j·exp(−((log f − b_j)/c_j)²) + m·log f + c."""
    lf = math.log10(frequency_ghz)
    rows, (m, c) = table
    return sum(a * math.exp(-(((lf - b) / w) ** 2)) for a, b, w in rows) + m * lf + c


def rain_coefficients(frequency_ghz: float, tilt_deg: float = 0.0, elevation_deg: float = 0.0) -> tuple[float, float]:
    """(k, α) of P.838-3 for a polarisation tilt τ (0 horizontal, 90 vertical, 45 circular) and path elevation."""
    if not 1.0 <= frequency_ghz <= 1000.0:
        raise ValueError(f"ITU-R P.838-3 covers 1–1000 GHz, got {frequency_ghz} GHz")
    kh, kv = 10.0 ** _fit(_KH, frequency_ghz), 10.0 ** _fit(_KV, frequency_ghz)
    ah, av = _fit(_AH, frequency_ghz), _fit(_AV, frequency_ghz)
    mix = math.cos(math.radians(elevation_deg)) ** 2 * math.cos(math.radians(2.0 * tilt_deg))
    k = (kh + kv + (kh - kv) * mix) / 2.0                                   # eq. (4)
    alpha = (kh * ah + kv * av + (kh * ah - kv * av) * mix) / (2.0 * k)     # eq. (5)
    return k, alpha


def rain_db_per_km(rain_mm_h: float, frequency_ghz: float = 77.0, tilt_deg: float = 0.0) -> float:
    """γ_R = k·R^α (P.838-3 eq. 1), one way, on a horizontal path."""
    if rain_mm_h <= 0.0:
        return 0.0
    k, alpha = rain_coefficients(frequency_ghz, tilt_deg)
    return k * rain_mm_h ** alpha


def water_permittivity(frequency_ghz: float, temperature_k: float) -> tuple[float, float]:
    """(ε′, ε″) of liquid water, ITU-R P.840-8 eqs. (6)–(10): the double-Debye model (Liebe, Hufford and
    Manabe, Int. J. Infrared Millim. Waves 12(7):659–675, 1991), ε = ε′ − jε″.  Also the raindrops'
    permittivity in the rain backscatter (``radar_clutter``)."""
    theta = 300.0 / temperature_k
    eps0 = 77.66 + 103.3 * (theta - 1.0)
    eps1 = 0.0671 * eps0
    eps2 = 3.52
    fp = 20.20 - 146.0 * (theta - 1.0) + 316.0 * (theta - 1.0) ** 2
    fs = 39.8 * fp
    f = frequency_ghz
    eps_im = f * (eps0 - eps1) / (fp * (1.0 + (f / fp) ** 2)) + f * (eps1 - eps2) / (fs * (1.0 + (f / fs) ** 2))
    eps_re = (eps0 - eps1) / (1.0 + (f / fp) ** 2) + (eps1 - eps2) / (1.0 + (f / fs) ** 2) + eps2
    return eps_re, eps_im


def cloud_specific_coefficient(frequency_ghz: float, temperature_k: float) -> float:
    """K_l(f, T) of ITU-R P.840-8 eqs. (2)–(10), (dB/km)/(g/m³): Rayleigh absorption of water droplets."""
    f = frequency_ghz
    eps_re, eps_im = water_permittivity(frequency_ghz, temperature_k)
    eta = (2.0 + eps_re) / eps_im
    return 0.819 * f / (eps_im * (1.0 + eta ** 2))


FOG_VISUAL_RANGE_M = 1000.0
"""Fog is a visual range below 1 km (WMO, *International Meteorological Vocabulary*, WMO-No. 182)."""


def fog_liquid_water_g_m3(visual_range_m: float) -> float:
    """Eldridge (1966): M = (0.024/V)^1.54 g/m³, V the visual range in km; 0 when there is no fog (V ≥ 1 km)."""
    if not 0.0 < visual_range_m < FOG_VISUAL_RANGE_M:
        return 0.0
    return (0.024 / (visual_range_m / 1000.0)) ** 1.54


def fog_db_per_km(visual_range_m: float, frequency_ghz: float = 77.0,
                  temperature_k: float = STANDARD_TEMPERATURE_K) -> float:
    """γ_c = K_l(f, T)·M (P.840-8 eq. 1) with M from the visual range (Eldridge)."""
    m = fog_liquid_water_g_m3(visual_range_m)
    return cloud_specific_coefficient(frequency_ghz, temperature_k) * m if m > 0.0 else 0.0


def environment_temperature_k(env: Mapping[str, object] | None) -> float:
    """The environment's temperature (``temperature_k``, OpenSCENARIO 1.2 Weather@temperature), else 288.15 K."""
    return _temperature_k(env or {})


def _temperature_k(env: Mapping[str, object]) -> float:
    for key in ("temperature_k", "temperature"):
        value = env.get(key)
        if value is not None:
            try:
                t = float(value)
            except (TypeError, ValueError):
                continue
            if t > 0.0:
                return t
    return STANDARD_TEMPERATURE_K


@dataclass(frozen=True)
class RadarWeatherLoss:
    """One-way specific attenuation of a snapshot's weather at the radar's carrier, dB/km."""

    rain_db_per_km: float = 0.0
    fog_db_per_km: float = 0.0

    @property
    def db_per_km(self) -> float:
        return self.rain_db_per_km + self.fog_db_per_km

    @staticmethod
    def from_environment(env: Mapping[str, object] | None, frequency_ghz: float = 77.0,
                         tilt_deg: float = 0.0) -> "RadarWeatherLoss":
        weather = Weather.from_environment(env)
        return RadarWeatherLoss(rain_db_per_km(weather.rain_mm_h, frequency_ghz, tilt_deg),
                                fog_db_per_km(weather.fog_visual_range_m, frequency_ghz, _temperature_k(env or {})))

    def two_way_factor(self, range_m):
        """Linear power factor 10^(−2·γ·R/10 000) over the target range R (m); 1 in clear weather."""
        return 10.0 ** (-2.0 * self.db_per_km * range_m / 10_000.0)
