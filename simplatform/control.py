"""What a driving stack (or a driver model) sends to move a vehicle.

Two shapes, because stacks come in both: pedal/steering-wheel commands
(``Control``, CARLA's VehicleControl shape) and ROS ``ackermann_msgs/AckermannDrive``
targets (``AckermannCommand``) that a low-level controller in
``vehicle_models`` turns into pedals.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Control:
    """Normalised actuator demands: throttle and brake in [0, 1], steer in [-1, 1] (left positive).

    ``steer`` is a fraction of the vehicle's maximum road-wheel angle, as CARLA defines it;
    ``reverse`` selects reverse gear; ``hand_brake`` holds the car.
    """

    throttle: float = 0.0
    brake: float = 0.0
    steer: float = 0.0
    reverse: bool = False
    hand_brake: bool = False


@dataclass(frozen=True)
class AckermannCommand:
    """ackermann_msgs/AckermannDrive: targets, not actuator positions.

    ``speed`` (m/s) and ``steering_angle`` (rad, road-wheel, left positive) are
    set points; ``acceleration`` (m/s²) and ``jerk`` (m/s³) bound how the speed is
    reached (0 = as fast as the vehicle allows); ``steering_angle_velocity``
    (rad/s) bounds the steering rate likewise.
    """

    speed: float
    steering_angle: float = 0.0
    acceleration: float = 0.0
    jerk: float = 0.0
    steering_angle_velocity: float = 0.0
