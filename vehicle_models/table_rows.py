"""A fleet's step results written into an entity table's rows, in one compiled call.

The engine keeps its entities as a struct of arrays (one column per quantity);
a backend that drives some of them by a :class:`~vehicle_models.VehicleFleet`
copies the fleet's pose, speed, world velocity and acceleration, yaw rate,
road-wheel angle, odometer and wheel rotation into those columns every step.
Written with numpy, that is some forty array operations on columns of one or
two vehicles, each costing its call overhead (about 1 µs) and not its
arithmetic; here it is one loop over the vehicles.

The arithmetic is the numpy formulation's, operation for operation and in the
same order (the properties ``VehicleFleet.velocity_world`` and
``acceleration_world``, ``np.hypot``, ``np.sign``, Python's float ``%`` —
numpy's ``remainder`` has the same floor-modulo rule), so the table gets the
same bits; ``tests/vehicle_models/test_vm_table_rows_fast.py`` compares both.
"""

from __future__ import annotations

import math

from vehicle_models.jit import kernel
from vehicle_models.single_track import STEER, VX, VY, X, Y, YAW, YAW_RATE

TWO_PI = 2.0 * math.pi


@kernel
def write_rows(old_state, state, accel_body, lr, wheel_radius, rows, x, y, heading, speed, vx, vy, ax, ay,
               yaw_rate, wheel_angle, odometer, wheel_rot, written, disp):
    """Fleet vehicle ``k`` (state ``state``, ``old_state`` before the step) into table row ``rows[k]``.

    Heading is wrapped to [-pi, pi); the world velocity and acceleration are those of the reference
    point (rear axle); ``odometer`` grows by the distance between the old and new positions and
    ``wheel_rot`` (rad, mod 2 pi) turns by it over the wheel radius in the direction of travel.
    ``written`` (4 x N) receives what was written to x, y, heading and speed (to see later whether
    the scenario moved the entity itself); ``disp`` (2 x N) the world displacement.
    """
    for k in range(rows.shape[0]):
        i = rows[k]
        h = state[YAW, k]
        v = state[VX, k]
        r = state[YAW_RATE, k]
        c = math.cos(h)
        s = math.sin(h)
        lat = state[VY, k] - lr[k] * r
        bx = accel_body[0, k]
        by = accel_body[1, k]
        px = state[X, k]
        py = state[Y, k]
        dx = px - old_state[X, k]
        dy = py - old_state[Y, k]
        wrapped = (h + math.pi) % TWO_PI - math.pi
        x[i] = px
        y[i] = py
        heading[i] = wrapped
        speed[i] = v
        vx[i] = v * c - lat * s
        vy[i] = v * s + lat * c
        ax[i] = bx * c - by * s
        ay[i] = bx * s + by * c
        yaw_rate[i] = r
        wheel_angle[i] = state[STEER, k]
        travelled = math.hypot(dx, dy)
        odometer[i] += travelled
        if v > 0.0:
            sign = 1.0
        elif v < 0.0:
            sign = -1.0
        elif v == 0.0:
            sign = 0.0
        else:  # nan, as np.sign
            sign = v
        wheel_rot[i] = (wheel_rot[i] + sign * travelled / wheel_radius[k]) % TWO_PI
        written[0, k] = px
        written[1, k] = py
        written[2, k] = wrapped
        written[3, k] = v
        disp[0, k] = dx
        disp[1, k] = dy


@kernel
def rows_moved(rows, x, y, heading, speed, written, tolerance):
    """Whether any row's x, y, heading or speed differs from ``written`` by more than ``tolerance``."""
    for k in range(rows.shape[0]):
        i = rows[k]
        if (abs(x[i] - written[0, k]) > tolerance or abs(y[i] - written[1, k]) > tolerance
                or abs(heading[i] - written[2, k]) > tolerance or abs(speed[i] - written[3, k]) > tolerance):
            return True
    return False
