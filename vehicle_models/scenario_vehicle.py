"""OpenSCENARIO Vehicle (Performance, Axles, BoundingBox, category, mass) → VehicleParameters.

OpenSCENARIO 1.x §7.3.2 ("Vehicle"): ``Performance`` gives maxSpeed,
maxAcceleration, maxDeceleration; ``Axles`` gives per axle maxSteering,
wheelDiameter, trackWidth, positionX (from the reference point, the rear axle
centre) and positionZ; ``BoundingBox`` the body; ``vehicleCategory`` and the
optional ``mass`` (1.1+).  A file states what it knows, so a preset chosen by
category and size supplies the rest and the file's numbers override it:

* wheelbase = front.positionX - rear.positionX, the CoG at the preset's fraction of it;
* maxSteering, wheel radius (wheelDiameter / 2), track width from the front axle;
* mass given: yaw inertia scaled as ``m l²`` (same radius of gyration per wheelbase);
* maxDeceleration → brake force limit ``m · maxDeceleration``;
* maxAcceleration → the engine torque map scaled so that the tractive effort at
  launch is ``m · maxAcceleration``;
* maxSpeed → top speed.

The caller (the scenario layer) passes plain numbers: this module does not
read XML.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from simplatform.world import BoundingBox
from vehicle_models.parameters import VehicleParameters
from vehicle_models.presets import BUS, COMPACT_CAR, MIDSIZE_SEDAN, SUV, TRUCK


@dataclass(frozen=True)
class Performance:
    max_speed: float
    max_acceleration: float
    max_deceleration: float


@dataclass(frozen=True)
class Axle:
    max_steering: float
    wheel_diameter: float
    track_width: float
    position_x: float
    position_z: float


def base_preset(category: str, bbox: BoundingBox) -> VehicleParameters:
    """The preset whose class fits the category and the body size."""
    category = category.lower()
    if category in ("bus",):
        return BUS
    if category in ("truck", "trailer", "semitrailer"):
        return TRUCK
    if category == "van" or (category == "car" and bbox.height > 1.7):
        return SUV
    if bbox.length < 4.4:
        return COMPACT_CAR
    return MIDSIZE_SEDAN


def vehicle_parameters_from_scenario(
    name: str, category: str, bbox: BoundingBox, performance: Performance,
    front: Axle, rear: Axle, mass: float | None = None,
) -> VehicleParameters:
    """A parameter set for a scenario vehicle: preset by class, overridden by the file's values."""
    base = base_preset(category, bbox)
    wheelbase = front.position_x - rear.position_x
    if wheelbase <= 0:
        raise ValueError(f"vehicle {name!r}: front axle positionX must exceed the rear's")
    share = base.cog_to_front_axle / base.wheelbase
    new_mass = base.mass if mass is None or mass <= 0 else mass
    inertia = base.yaw_inertia * (new_mass / base.mass) * (wheelbase / base.wheelbase) ** 2
    launch_force = float(base.powertrain.max_wheel_force(0.0, base.wheel_radius))
    wheel_radius = front.wheel_diameter / 2 if front.wheel_diameter > 0 else base.wheel_radius
    scale = performance.max_acceleration * new_mass / launch_force * (wheel_radius / base.wheel_radius)
    powertrain = replace(base.powertrain, max_torque=tuple(t * scale for t in base.powertrain.max_torque))
    sources = {**base.sources, "mass": "scenario" if mass else base.sources.get("mass", ""),
               "cog_to_front_axle": f"scenario wheelbase, {base.name} CoG share",
               "max_steering_angle": "scenario Axles", "max_brake_force": "scenario maxDeceleration",
               "powertrain": f"{base.name} map scaled to scenario maxAcceleration"}
    return replace(
        base, name=name, category=category, mass=new_mass, yaw_inertia=inertia,
        cog_to_front_axle=share * wheelbase, cog_to_rear_axle=(1 - share) * wheelbase,
        length=bbox.length, width=bbox.width, height=bbox.height,
        rear_overhang=bbox.length / 2 - bbox.center_x,
        track_width=front.track_width if front.track_width > 0 else base.track_width,
        wheel_radius=wheel_radius,
        max_steering_angle=front.max_steering if front.max_steering > 0 else base.max_steering_angle,
        max_speed=performance.max_speed,
        max_brake_force=new_mass * performance.max_deceleration,
        powertrain=powertrain, sources=sources,
    )
