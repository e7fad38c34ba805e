"""Our commands → CARLA's vehicle controls.

``Control`` is CARLA's ``VehicleControl`` shape except for the steering sign:
ours is left-positive (ISO 8855, like every angle of ours), CARLA's is
right-positive (a clockwise yaw in UE4's left-handed frame), so it is
negated.  ``AckermannCommand`` is ``ackermann_msgs/AckermannDrive`` (left-positive
road-wheel angle in rad); CARLA's ``VehicleAckermannControl`` (0.9.14+) takes
the same targets with the angle right-positive.  Zero acceleration / jerk /
steering speed mean "as fast as possible" in ackermann_msgs; CARLA's
Ackermann controller reads them as given.
"""

from __future__ import annotations

from simplatform.control import AckermannCommand, Control


def _clip(v: float, lo: float, hi: float) -> float:
    return min(max(float(v), lo), hi)


def vehicle_control(carla, c: Control):
    return carla.VehicleControl(throttle=_clip(c.throttle, 0.0, 1.0), steer=-_clip(c.steer, -1.0, 1.0),
                                brake=_clip(c.brake, 0.0, 1.0), hand_brake=bool(c.hand_brake),
                                reverse=bool(c.reverse))


def ackermann_control(carla, a: AckermannCommand):
    return carla.VehicleAckermannControl(steer=-float(a.steering_angle), steer_speed=abs(float(a.steering_angle_velocity)),
                                         speed=float(a.speed), acceleration=abs(float(a.acceleration)),
                                         jerk=abs(float(a.jerk)))


def control_command(carla, actor_id: int, command: Control | AckermannCommand):
    """The batch command that hands ``command`` to actor ``actor_id``."""
    if isinstance(command, Control):
        return carla.command.ApplyVehicleControl(actor_id, vehicle_control(carla, command))
    return carla.command.ApplyVehicleAckermannControl(actor_id, ackermann_control(carla, command))
