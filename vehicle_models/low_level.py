"""Low-level controller: Ackermann targets (or an acceleration demand) to pedals, per vehicle.

A stack that speaks ``ackermann_msgs/AckermannDrive`` (``simplatform.control.AckermannCommand``)
or a driver model that outputs an acceleration does not press pedals; this
controller does, as the vehicle's own ECU would:

* speed loop: PI on the speed error (Åström & Murray, *Feedback Systems*, 2008,
  §10.3, with conditional-integration anti-windup), its acceleration output
  clipped to the command's ``acceleration`` (or the vehicle's limits when 0)
  and rate-limited by ``jerk`` (when > 0);
* feed-forward inversion of the longitudinal model: the force needed for the
  acceleration plus drag, rolling resistance and grade, divided by the
  powertrain envelope (throttle) or the brake force limit (brake) — so the PI
  only trims model error and actuator lag;
* steering: the target road-wheel angle, its rate limited to
  ``steering_angle_velocity`` (when > 0) and the vehicle's own rate limit.

:func:`controller_command` is the compiled per-vehicle law; the fleet's step
kernel calls it, and :meth:`LowLevelController.update` runs it for a fleet.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Integral

import numpy as np

from vehicle_models.fleet_parameters import (
    DRAG_AREA, MASS, MAX_BRAKE_FORCE, MAX_STEER, MAX_STEER_RATE, MU_X, ROLLING, ParameterArrays,
)
from vehicle_models.indexing import as_column, as_indices
from vehicle_models.jit import checked_kernel, kernel
from vehicle_models.parameters import AIR_DENSITY, GRAVITY

HOLD_SPEED = 0.2
"""m/s: with a zero speed target below this, the controller holds the car with the brake."""

# Rows of LowLevelController.values.
INTEGRAL, LAST_ACCEL, TARGET_SPEED, TARGET_ACCEL, ACCEL_LIMIT, JERK_LIMIT, STEER_TARGET, STEER_RATE = range(8)
N_CONTROLLER_ROWS = 8
_ROWS = {"integral": INTEGRAL, "last_accel": LAST_ACCEL, "target_speed": TARGET_SPEED,
         "target_accel": TARGET_ACCEL, "accel_limit": ACCEL_LIMIT, "jerk_limit": JERK_LIMIT,
         "steer_target": STEER_TARGET, "steer_rate": STEER_RATE}


@dataclass
class PedalCommand:
    """Arrays of pedal demands for the fleet: throttle, brake in [0, 1]; steer target (rad)."""

    throttle: np.ndarray
    brake: np.ndarray
    reverse: np.ndarray
    steer_target: np.ndarray
    steer_rate_limit: np.ndarray


@kernel
def controller_command(i, vx, grade, dt, max_drive, c, speed_mode, p, kp, ki):
    """Pedals of vehicle ``i`` for this step; updates its integral and last acceleration in ``c``.

    ``max_drive`` is the vehicle's tractive-effort envelope at ``vx`` (N).
    Returns ``(throttle, brake, reverse, steer_target, steer_rate_limit)``.
    """
    mass = p[MASS, i]
    max_accel = max_drive / mass
    max_decel = min(p[MAX_BRAKE_FORCE, i] / mass, p[MU_X, i] * GRAVITY)
    target_speed = c[TARGET_SPEED, i]
    accel_limit = c[ACCEL_LIMIT, i]
    error = target_speed - vx
    upper = accel_limit if accel_limit > 0 else max_accel
    lower = -(accel_limit if accel_limit > 0 else max_decel)
    raw = kp * error + ki * c[INTEGRAL, i]
    saturated = raw > upper or raw < lower
    if speed_mode[i] and not saturated:
        c[INTEGRAL, i] += error * dt
    demand = min(max(raw, lower), upper) if speed_mode[i] else c[TARGET_ACCEL, i]
    step = c[JERK_LIMIT, i] * dt if c[JERK_LIMIT, i] > 0 else np.inf
    last = c[LAST_ACCEL, i]
    accel = last + min(max(demand - last, -step), step)
    c[LAST_ACCEL, i] = accel
    force = (mass * accel + 0.5 * AIR_DENSITY * p[DRAG_AREA, i] * vx * abs(vx)
             + p[ROLLING, i] * mass * GRAVITY * math.cos(grade) * np.sign(vx)
             + mass * GRAVITY * math.sin(grade))
    reverse = speed_mode[i] and target_speed < 0 and vx < 0.1
    along = -force if reverse else force
    throttle = min(max(along / max(max_drive, 1.0), 0.0), 1.0)
    brake = min(max(-along / p[MAX_BRAKE_FORCE, i], 0.0), 1.0)
    if speed_mode[i] and abs(target_speed) < 1e-3 and abs(vx) < HOLD_SPEED:
        brake = max(brake, 0.3)
        throttle = 0.0
    rate_wish = c[STEER_RATE, i]
    rate = min(rate_wish, p[MAX_STEER_RATE, i]) if rate_wish > 0 else p[MAX_STEER_RATE, i]
    steer = min(max(c[STEER_TARGET, i], -p[MAX_STEER, i]), p[MAX_STEER, i])
    return throttle, brake, reverse, steer, rate


@kernel
def _update_loop(vx, grade, dt, max_drive, c, speed_mode, p, kp, ki, out, reverse):
    for i in range(vx.shape[0]):
        throttle, brake, rev, steer, rate = controller_command(i, vx[i], grade[i], dt, max_drive[i], c,
                                                               speed_mode, p, kp, ki)
        out[0, i], out[1, i], out[2, i], out[3, i] = throttle, brake, steer, rate
        reverse[i] = rev


@checked_kernel
def _latch_ackermann(rows, c, speed_mode, speed, steering_angle, acceleration, jerk, steering_angle_velocity):
    for k in range(rows.shape[0]):
        i = rows[k]
        speed_mode[i] = True
        c[TARGET_SPEED, i] = speed[k if speed.shape[0] > 1 else 0]
        c[STEER_TARGET, i] = steering_angle[k if steering_angle.shape[0] > 1 else 0]
        c[ACCEL_LIMIT, i] = acceleration[k if acceleration.shape[0] > 1 else 0]
        c[JERK_LIMIT, i] = jerk[k if jerk.shape[0] > 1 else 0]
        c[STEER_RATE, i] = steering_angle_velocity[k if steering_angle_velocity.shape[0] > 1 else 0]


@checked_kernel
def _latch_acceleration(rows, c, speed_mode, acceleration, steering_angle, jerk):
    for k in range(rows.shape[0]):
        i = rows[k]
        speed_mode[i] = False
        c[TARGET_ACCEL, i] = acceleration[k if acceleration.shape[0] > 1 else 0]
        c[STEER_TARGET, i] = steering_angle[k if steering_angle.shape[0] > 1 else 0]
        c[JERK_LIMIT, i] = jerk[k if jerk.shape[0] > 1 else 0]
        c[STEER_RATE, i] = 0.0
        c[INTEGRAL, i] = 0.0


class LowLevelController:
    """Per-vehicle PI speed loop + feed-forward; state: integral and last acceleration command.

    The float per-vehicle arrays (``integral``, ``last_accel``, ``target_speed``,
    ``target_accel``, ``accel_limit``, ``jerk_limit``, ``steer_target``,
    ``steer_rate``) are rows of ``values`` (one array for the kernels); each
    attribute reads and writes its row.  ``speed_mode``: True tracks
    ``target_speed``, False follows ``target_accel`` directly.
    """

    def __init__(self, params: ParameterArrays, kp: float = 1.5, ki: float = 0.4) -> None:
        n = len(params)
        self.p = params
        self.kp = kp
        self.ki = ki
        self.values = np.zeros((N_CONTROLLER_ROWS, n))
        self.speed_mode = np.ones(n, dtype=bool)

    def __getattr__(self, name: str) -> np.ndarray:
        if name in _ROWS:
            return self.__dict__["values"][_ROWS[name]]
        raise AttributeError(name)

    def __setattr__(self, name: str, value) -> None:
        if name in _ROWS:
            self.values[_ROWS[name]] = value
        else:
            object.__setattr__(self, name, value)

    def set_ackermann(self, idx: np.ndarray, speed, steering_angle, acceleration=0.0, jerk=0.0,
                      steering_angle_velocity=0.0) -> None:
        """Latch ``AckermannCommand`` fields for the vehicles ``idx`` (0 means 'vehicle limit')."""
        if type(idx) is int or isinstance(idx, Integral):  # one vehicle (a stack's command): plain assignments
            v = self.values
            self.speed_mode[idx] = True
            v[TARGET_SPEED, idx], v[STEER_TARGET, idx] = speed, steering_angle
            v[ACCEL_LIMIT, idx], v[JERK_LIMIT, idx], v[STEER_RATE, idx] = acceleration, jerk, steering_angle_velocity
            return
        rows = as_indices(idx, len(self.speed_mode))
        k = len(rows)
        _latch_ackermann(rows, self.values, self.speed_mode, as_column(speed, k), as_column(steering_angle, k),
                         as_column(acceleration, k), as_column(jerk, k), as_column(steering_angle_velocity, k))

    def set_acceleration(self, idx: np.ndarray, acceleration, steering_angle, jerk=0.0) -> None:
        """Latch an acceleration demand (a driver model's output) and a steering angle."""
        rows = as_indices(idx, len(self.speed_mode))
        k = len(rows)
        _latch_acceleration(rows, self.values, self.speed_mode, as_column(acceleration, k),
                            as_column(steering_angle, k), as_column(jerk, k))

    def update(self, vx: np.ndarray, grade: np.ndarray, dt: float) -> PedalCommand:
        """Pedal demands for this step from the current speed and grade (advances the PI state)."""
        n = len(self.speed_mode)
        vx = np.array(np.broadcast_to(np.asarray(vx, dtype=float), (n,)))
        grade = np.array(np.broadcast_to(np.asarray(grade, dtype=float), (n,)))
        out = np.empty((4, n))
        reverse = np.empty(n, dtype=bool)
        _update_loop(vx, grade, float(dt), self.p.max_drive_force(vx), self.values, self.speed_mode,
                     self.p.values, float(self.kp), float(self.ki), out, reverse)
        return PedalCommand(out[0], out[1], reverse, out[2], out[3])
