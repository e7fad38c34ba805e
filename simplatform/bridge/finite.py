"""Is every float of a message finite?  The check a stack's control passes before it reaches the engine.

Split from :mod:`.codec` (which re-exports it): it walks message objects, not encodings.
"""

from __future__ import annotations

import math
from typing import Any

from .msgs import AckermannDrive, AckermannDriveStamped, Header, Time
from .msgs.schema import schema, type_of


def is_finite_message(msg: Any) -> bool:
    """True when no float in the message is NaN or infinite (a control must not be).

    Every field of every nested message, every element of every sequence: a
    stack's reply is untrusted, so it is walked in full — with each message
    class's field names looked up once (``_FIELD_NAMES``), not per value.
    The usual control, an ``AckermannDriveStamped`` of plain fields, is
    checked flat (``_finite_drive_stamped``) with the same answer."""
    if type(msg) is AckermannDriveStamped:
        flat = _finite_drive_stamped(msg)
        if flat is not None:
            return flat
    return _finite(msg)


def _finite_drive_stamped(msg: AckermannDriveStamped) -> bool | None:
    """``_finite(msg)`` for the shape every stack sends (exact Header, Time, AckermannDrive; int stamp,
    str frame, float set points); None for any other shape, which the general walk then takes."""
    header, drive = msg.header, msg.drive
    if type(header) is not Header or type(drive) is not AckermannDrive or type(header.frame_id) is not str:
        return None
    stamp = header.stamp
    if type(stamp) is not Time or type(stamp.sec) is not int or type(stamp.nanosec) is not int:
        return None
    values = (drive.steering_angle, drive.steering_angle_velocity, drive.speed, drive.acceleration, drive.jerk)
    for v in values:
        if type(v) is not float:
            return None
    return all(map(math.isfinite, values))


def _finite(v: Any) -> bool:
    kind = type(v)
    if kind is float:
        return math.isfinite(v)
    if kind is int or kind is str or kind is bool:
        return True
    if isinstance(v, float):
        return math.isfinite(v)
    if isinstance(v, (tuple, list)):
        return all(map(_finite, v))
    if hasattr(v, "ROS_TYPE"):
        names = _FIELD_NAMES.get(kind)
        if names is None:
            names = _FIELD_NAMES[kind] = tuple(f.name for f in schema(type_of(v)).fields)
        for name in names:  # the scalar leaves inline: most fields of a control are plain floats
            x = getattr(v, name)
            leaf = type(x)
            if leaf is float:
                if not math.isfinite(x):
                    return False
            elif leaf is not int and leaf is not str and leaf is not bool and not _finite(x):
                return False
    return True


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}
"""Each message class's field names, from its schema on first sight."""
