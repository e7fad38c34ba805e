"""Control messages <-> the engine's command types (``simplatform.control``).

``ackermann_msgs/AckermannDriveStamped`` maps field for field onto
:class:`~simplatform.control.AckermannCommand`.  ``carla_msgs/CarlaEgoVehicleControl``
maps onto :class:`~simplatform.control.Control` with one sign change: CARLA's
``steer`` is positive to the *right* (Unreal's left-handed frame; CARLA Python
API ``carla.VehicleControl``), while simplatform's ``Control.steer`` is positive
to the left (ISO 8855 / REP-103).  A stack written for the CARLA ROS bridge
therefore steers the same way here.
"""

from __future__ import annotations

import math
from typing import Any

from ..control import AckermannCommand, Control
from ..errors import StackError
from .codec import is_finite_message
from .msgs import AckermannDrive, AckermannDriveStamped, CarlaEgoVehicleControl, Header, Time

EngineCommand = Control | AckermannCommand


def stamp_of(msg: Any) -> Time | None:
    """The header stamp of a control message; None for a bare engine command."""
    header = getattr(msg, "header", None)
    return header.stamp if isinstance(header, Header) else None


def to_engine_command(msg: Any, *, source: str = "the stack") -> EngineCommand:
    """Turn whatever a stack answered into an engine command, or raise :class:`StackError` saying why not."""
    if type(msg) is AckermannDriveStamped and type(msg.drive) is AckermannDrive:  # the usual answer, directly
        if not is_finite_message(msg):
            raise StackError(f"{source} sent a control with a NaN or infinite value: {msg}")
        d = msg.drive  # AckermannCommand's fields in order: speed, steering_angle, acceleration, jerk, rate
        return AckermannCommand(d.speed, d.steering_angle, d.acceleration, d.jerk, d.steering_angle_velocity)
    if isinstance(msg, (Control, AckermannCommand)):
        values = [v for v in vars(msg).values() if isinstance(v, float)]
        if not all(math.isfinite(v) for v in values):
            raise StackError(f"{source} sent a control with a NaN or infinite value: {msg}")
        return msg
    if isinstance(msg, (AckermannDriveStamped, AckermannDrive, CarlaEgoVehicleControl)):
        if not is_finite_message(msg):
            raise StackError(f"{source} sent a control with a NaN or infinite value: {msg}")
    if isinstance(msg, AckermannDriveStamped):
        msg = msg.drive
    if isinstance(msg, AckermannDrive):
        return AckermannCommand(
            speed=msg.speed, steering_angle=msg.steering_angle, acceleration=msg.acceleration,
            jerk=msg.jerk, steering_angle_velocity=msg.steering_angle_velocity,
        )
    if isinstance(msg, CarlaEgoVehicleControl):
        return Control(
            throttle=min(max(msg.throttle, 0.0), 1.0), brake=min(max(msg.brake, 0.0), 1.0),
            steer=min(max(-msg.steer, -1.0), 1.0), reverse=msg.reverse, hand_brake=msg.hand_brake,
        )
    raise StackError(
        f"{source} returned {type(msg).__name__}, not a control "
        "(AckermannDriveStamped, CarlaEgoVehicleControl, Control or AckermannCommand)"
    )


def from_engine_command(command: EngineCommand, stamp: Time, frame_id: str = "base_link") -> Any:
    """The ROS message for an engine command (for recording what the stack decided, and for tests)."""
    header = Header(stamp=stamp, frame_id=frame_id)
    if isinstance(command, AckermannCommand):
        return AckermannDriveStamped(header=header, drive=AckermannDrive(
            steering_angle=command.steering_angle, steering_angle_velocity=command.steering_angle_velocity,
            speed=command.speed, acceleration=command.acceleration, jerk=command.jerk))
    return CarlaEgoVehicleControl(header=header, throttle=command.throttle, steer=-command.steer,
                                  brake=command.brake, hand_brake=command.hand_brake, reverse=command.reverse)
