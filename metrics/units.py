"""Units a requirement threshold may carry, converted to the SI unit of the metric scalar.

A threshold is a number with an optional unit (``1.5 s``, ``50 km/h``,
``0.3 g``).  Its unit must belong to the dimension of the scalar it is
compared with (ISO 80000 quantities); ``ttc_min >= 1.5 m`` is rejected when
the suite loads.  Bare numbers are taken in the scalar's own unit.  The table
is deliberately small: these are the units requirement authors write.
"""

from __future__ import annotations

import math

# unit → (dimension, factor to SI)
UNITS: dict[str, tuple[str, float]] = {
    "s": ("time", 1.0), "ms": ("time", 1e-3), "min": ("time", 60.0),
    "m": ("length", 1.0), "cm": ("length", 0.01), "km": ("length", 1000.0),
    "m/s": ("speed", 1.0), "km/h": ("speed", 1 / 3.6), "kph": ("speed", 1 / 3.6), "mph": ("speed", 0.44704),
    "m/s^2": ("acceleration", 1.0), "m/s²": ("acceleration", 1.0), "m/s2": ("acceleration", 1.0), "g": ("acceleration", 9.80665),
    "m/s^3": ("jerk", 1.0), "m/s³": ("jerk", 1.0), "m/s3": ("jerk", 1.0),
    "rad": ("angle", 1.0), "deg": ("angle", math.pi / 180), "°": ("angle", math.pi / 180),
    "rad/s": ("angular_speed", 1.0), "deg/s": ("angular_speed", math.pi / 180), "°/s": ("angular_speed", math.pi / 180),
    "%": ("ratio", 1.0),
}


def to_si(value: float, unit: str, dimension: str) -> float:
    """Convert ``value`` in ``unit`` to the SI unit of ``dimension``; ValueError with the cause if they disagree."""
    if unit not in UNITS:
        raise ValueError(f"unknown unit {unit!r} (known: {', '.join(sorted(UNITS))})")
    unit_dim, factor = UNITS[unit]
    if dimension in ("count", "flag"):
        raise ValueError(f"a {dimension} takes a plain number, not {unit!r}")
    if unit_dim != dimension:
        raise ValueError(f"unit {unit!r} is a {unit_dim}, the metric is a {dimension}")
    return value * factor
