"""Driver styles: aggressive, normal, cautious parameter sets (IDM + MOBIL + human).

* **normal**: IDM highway set of Treiber, Hennecke & Helbing (2000) Tab. 1
  (T = 1.6 s, s0 = 2 m, a = 0.73 m/s², b = 1.67 m/s²); MOBIL p = 0.5,
  threshold 0.1 m/s², b_safe = 4 m/s² (Kesting, Treiber & Helbing 2007 Tab. 1);
  HDM estimation errors V_s = 0.1, r_c = 0.01 1/s, tau = 20 s (Treiber, Kesting
  & Helbing 2006); reaction time 1.0 s (Green, "How long does it take to
  stop?", Transp. Hum. Factors 2(3), 2000: ~0.7-1.5 s depending on expectation).
* **aggressive** / **cautious**: the short and long ends of the parameter ranges
  Treiber & Kesting (*Traffic Flow Dynamics*, 2013, §11.3.5 and Tab. 11.2)
  discuss — T 0.8 s vs 2.0 s, s0 1 m vs 3 m, a 2.0 vs 0.6 m/s², b 3.0 vs
  1.2 m/s²; politeness 0.1 vs 0.8 (Kesting 2007 discusses 0 "egoistic" to 1);
  reaction times 0.7 s and 1.4 s from Green 2000's range.  The combination per
  style is our choice (est.), the ranges are the sources'.
"""

from __future__ import annotations

from dataclasses import dataclass

from vehicle_models.drivers.human import HumanParameters
from vehicle_models.drivers.idm import IDMParameters
from vehicle_models.drivers.mobil import MOBILParameters


@dataclass(frozen=True)
class DriverStyle:
    idm: IDMParameters
    mobil: MOBILParameters
    human: HumanParameters
    speed_factor: float
    """Desired speed as a multiple of the speed limit."""


DRIVER_STYLES: dict[str, DriverStyle] = {
    "aggressive": DriverStyle(
        idm=IDMParameters(time_headway=0.8, min_gap=1.0, max_acceleration=2.0, comfortable_deceleration=3.0),
        mobil=MOBILParameters(politeness=0.1, threshold=0.05, safe_deceleration=5.0, min_interval=3.0),
        human=HumanParameters(reaction_time=0.7, gap_noise=0.1, speed_error=0.05),
        speed_factor=1.15,
    ),
    "normal": DriverStyle(
        idm=IDMParameters(),
        mobil=MOBILParameters(),
        human=HumanParameters(),
        speed_factor=1.0,
    ),
    "cautious": DriverStyle(
        idm=IDMParameters(time_headway=2.0, min_gap=3.0, max_acceleration=0.6, comfortable_deceleration=1.2),
        mobil=MOBILParameters(politeness=0.8, threshold=0.3, safe_deceleration=2.0, min_interval=8.0),
        human=HumanParameters(reaction_time=1.4, gap_noise=0.05, speed_error=0.02),
        speed_factor=0.9,
    ),
}
