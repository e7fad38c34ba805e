"""Vehicle dynamics, actuators, pedestrians/cyclists and driver/traffic models.

Engine-facing interface (all vectorised over vehicles; a single vehicle is a batch of 1):

* :class:`~vehicle_models.fleet.VehicleFleet` ``(parameters, model="dynamic"|"kinematic")``:
  ``reset(index, x=, y=, heading=, speed=, steering=)``;
  inputs ``apply_control(i, Control)``, ``apply_pedals(idx, throttle, brake, steer)``,
  ``apply_ackermann(i, AckermannCommand)``,
  ``apply_ackermann_targets(idx, speed, steering_angle, acceleration=, jerk=, steering_angle_velocity=)``,
  ``apply_acceleration(idx, a, steering_angle)``,
  ``apply_reference_inputs(idx, steering_rate, acceleration)`` (for many vehicles per step
  prefer the array forms: one call costs about what one scalar call does);
  ``step(dt, grade=None)`` with ``grade`` (rad, uphill positive, i.e. minus the
  ISO 8855 pitch) per vehicle from the road model;
  outputs at the reference point (rear-axle centre): ``x, y, heading, speed,
  yaw_rate, steering_angle, lateral_velocity, velocity_world, ax_body, ay_body,
  acceleration_world``; ``cog_position``.
* Parameter sets: :mod:`vehicle_models.parameters` (frozen dataclasses) and
  :mod:`vehicle_models.presets` (``COMPACT_CAR, MIDSIZE_SEDAN, SUV, BUS, TRUCK``,
  ``PEDESTRIAN, BICYCLE``, each number with its source);
  :func:`~vehicle_models.scenario_vehicle.vehicle_parameters_from_scenario`
  maps an OpenSCENARIO Vehicle's Performance/Axles/BoundingBox/mass onto them.
* :class:`~vehicle_models.vulnerable.PedestrianFleet`, :class:`~vehicle_models.vulnerable.CyclistFleet`.
* Driver and traffic models: :mod:`vehicle_models.drivers` (IDM, MOBIL, human
  perception errors, styles, OpenSCENARIO controller properties).
* Analytic references: :mod:`vehicle_models.analysis`.

The per-step work (RK4 on the single-track models, tyres, actuators, low-level
controller, IDM/MOBIL) runs in numba-compiled kernels (:mod:`vehicle_models.jit`),
cached on disk; ``python -m vehicle_models.warmup`` fills the cache before
parallel workers start.

Sources: Pacejka, *Tire and Vehicle Dynamics* (2012); Rajamani, *Vehicle
Dynamics and Control* (2012); Althoff & Würsching, *CommonRoad: Vehicle
Models* (2020); Treiber, Hennecke & Helbing (2000); Kesting, Treiber & Helbing
(2007); Treiber, Kesting & Helbing (2006); Sugiyama et al. (2008).
"""

from vehicle_models.fleet import VehicleFleet
from vehicle_models.parameters import (
    CyclistParameters,
    PedestrianParameters,
    PowertrainParameters,
    TyreParameters,
    VehicleParameters,
)
from vehicle_models.presets import (
    BICYCLE,
    BUS,
    COMPACT_CAR,
    MIDSIZE_SEDAN,
    PEDESTRIAN,
    SUV,
    TRUCK,
    VEHICLE_PRESETS,
)
from vehicle_models.scenario_vehicle import Axle, Performance, vehicle_parameters_from_scenario
from vehicle_models.vulnerable import CyclistFleet, PedestrianFleet

__all__ = [
    "Axle", "BICYCLE", "BUS", "COMPACT_CAR", "CyclistFleet", "CyclistParameters", "MIDSIZE_SEDAN",
    "PEDESTRIAN", "PedestrianFleet", "PedestrianParameters", "Performance", "PowertrainParameters",
    "SUV", "TRUCK", "TyreParameters", "VEHICLE_PRESETS", "VehicleFleet", "VehicleParameters",
    "vehicle_parameters_from_scenario",
]
