"""An engine entity row (:class:`~simplatform.engine.entities.EntitySpec`) → vehicle-model parameters.

The scenario's own numbers go to
:func:`vehicle_models.vehicle_parameters_from_scenario` (OpenSCENARIO 1.x
§7.3.2 Vehicle: Performance, Axles, BoundingBox, category, mass), which picks
a preset by class and size and overrides it with what the file states.  A
row without Axles (a spawned traffic vehicle, a hand-built spec) gets axles
shaped like the preset's: the front axle at the entity's wheelbase, the
preset's maximum steering angle, a 0.7 m wheel.
"""

from __future__ import annotations

from simplatform.world import BoundingBox
from vehicle_models import Axle, Performance, VehicleParameters, vehicle_parameters_from_scenario

_DEFAULT_WHEEL_DIAMETER = 0.7
_DEFAULT_TRACK = 1.6
_DEFAULT_MAX_STEER = 0.55


def vehicle_parameters(spec) -> VehicleParameters:
    """Parameters of the vehicle-model for one entity spec (category ``car`` unless it says otherwise)."""
    bbox = BoundingBox(spec.length, spec.width, spec.height, spec.center_x, spec.center_y, spec.center_z)
    perf = Performance(spec.max_speed, spec.max_acceleration, spec.max_deceleration)
    if spec.front_axle is not None and spec.rear_axle is not None and spec.front_axle[3] > spec.rear_axle[3]:
        front, rear = Axle(*spec.front_axle), Axle(*spec.rear_axle)
    else:
        front = Axle(_DEFAULT_MAX_STEER, _DEFAULT_WHEEL_DIAMETER, _DEFAULT_TRACK, max(spec.wheelbase, 0.5), 0.35)
        rear = Axle(0.0, _DEFAULT_WHEEL_DIAMETER, _DEFAULT_TRACK, 0.0, 0.35)
    return vehicle_parameters_from_scenario(spec.name, spec.category or "car", bbox, perf, front, rear,
                                            mass=spec.mass)
