"""Driver and traffic models: IDM, MOBIL, human-driver errors, styles, controller properties.

The engine fills a :class:`TrafficContext` (arrays, one entry per driven
vehicle) from the road model each step and calls :meth:`TrafficDriver.decide`,
which returns accelerations and lane-change decisions; the accelerations go to
``VehicleFleet.apply_acceleration`` (or the fleet's reference inputs for
perfectly actuated traffic).  Controllers in a scenario map onto
:class:`DriverConfig` with :func:`driver_config_from_properties`.
"""

from vehicle_models.drivers.context import DriverDecision, TrafficContext
from vehicle_models.drivers.human import HumanParameters, HumanPerception
from vehicle_models.drivers.idm import IDMParameters, equilibrium_gap, idm_acceleration, string_stability_margin
from vehicle_models.drivers.mobil import MOBILParameters
from vehicle_models.drivers.properties import PROPERTY_NAMES, driver_config_from_properties
from vehicle_models.drivers.styles import DRIVER_STYLES, DriverStyle
from vehicle_models.drivers.traffic import DriverConfig, TrafficDriver

__all__ = [
    "DRIVER_STYLES", "DriverConfig", "DriverDecision", "DriverStyle", "HumanParameters",
    "HumanPerception", "IDMParameters", "MOBILParameters", "PROPERTY_NAMES", "TrafficContext",
    "TrafficDriver", "driver_config_from_properties", "equilibrium_gap", "idm_acceleration",
    "string_stability_margin",
]
