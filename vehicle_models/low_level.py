"""Low-level controller: Ackermann targets (or an acceleration demand) to pedals, vectorised.

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
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vehicle_models.fleet_parameters import ParameterArrays
from vehicle_models.parameters import AIR_DENSITY, GRAVITY

HOLD_SPEED = 0.2
"""m/s: with a zero speed target below this, the controller holds the car with the brake."""


@dataclass
class PedalCommand:
    """Arrays of pedal demands for the fleet: throttle, brake in [0, 1]; steer target (rad)."""

    throttle: np.ndarray
    brake: np.ndarray
    reverse: np.ndarray
    steer_target: np.ndarray
    steer_rate_limit: np.ndarray


class LowLevelController:
    """Per-vehicle PI speed loop + feed-forward; state: integral and last acceleration command."""

    def __init__(self, params: ParameterArrays, kp: float = 1.5, ki: float = 0.4) -> None:
        n = len(params)
        self.p = params
        self.kp = kp
        self.ki = ki
        self.integral = np.zeros(n)
        self.last_accel = np.zeros(n)
        self.target_speed = np.zeros(n)
        self.speed_mode = np.ones(n, dtype=bool)
        """True: track ``target_speed``; False: follow ``target_accel`` directly."""
        self.target_accel = np.zeros(n)
        self.accel_limit = np.zeros(n)
        self.jerk_limit = np.zeros(n)
        self.steer_target = np.zeros(n)
        self.steer_rate = np.zeros(n)

    def set_ackermann(self, idx: np.ndarray, speed, steering_angle, acceleration=0.0, jerk=0.0,
                      steering_angle_velocity=0.0) -> None:
        """Latch ``AckermannCommand`` fields for the vehicles ``idx`` (0 means 'vehicle limit')."""
        self.speed_mode[idx] = True
        self.target_speed[idx] = speed
        self.steer_target[idx] = steering_angle
        self.accel_limit[idx] = acceleration
        self.jerk_limit[idx] = jerk
        self.steer_rate[idx] = steering_angle_velocity

    def set_acceleration(self, idx: np.ndarray, acceleration, steering_angle, jerk=0.0) -> None:
        """Latch an acceleration demand (a driver model's output) and a steering angle."""
        self.speed_mode[idx] = False
        self.target_accel[idx] = acceleration
        self.steer_target[idx] = steering_angle
        self.jerk_limit[idx] = jerk
        self.steer_rate[idx] = 0.0
        self.integral[idx] = 0.0

    def update(self, vx: np.ndarray, grade: np.ndarray, dt: float) -> PedalCommand:
        """Pedal demands for this step from the current speed and grade."""
        p = self.p
        max_drive = p.max_drive_force(vx)
        max_accel = max_drive / p.mass
        max_decel = np.minimum(p.max_brake_force / p.mass, p.mu_x * GRAVITY)
        error = self.target_speed - vx
        upper = np.where(self.accel_limit > 0, self.accel_limit, max_accel)
        lower = -np.where(self.accel_limit > 0, self.accel_limit, max_decel)
        raw = self.kp * error + self.ki * self.integral
        saturated = (raw > upper) | (raw < lower)
        self.integral += np.where(self.speed_mode & ~saturated, error * dt, 0.0)
        demand = np.where(self.speed_mode, np.clip(raw, lower, upper), self.target_accel)
        step = np.where(self.jerk_limit > 0, self.jerk_limit * dt, np.inf)
        accel = self.last_accel + np.clip(demand - self.last_accel, -step, step)
        self.last_accel = accel
        sign = np.sign(vx)
        force = (p.mass * accel + 0.5 * AIR_DENSITY * p.drag_area * vx * np.abs(vx)
                 + p.rolling * p.mass * GRAVITY * np.cos(grade) * sign
                 + p.mass * GRAVITY * np.sin(grade))
        reverse = self.speed_mode & (self.target_speed < 0) & (vx < 0.1)
        along = np.where(reverse, -force, force)
        throttle = np.clip(along / np.maximum(max_drive, 1.0), 0.0, 1.0)
        brake = np.clip(-along / p.max_brake_force, 0.0, 1.0)
        hold = self.speed_mode & (np.abs(self.target_speed) < 1e-3) & (np.abs(vx) < HOLD_SPEED)
        brake = np.where(hold, np.maximum(brake, 0.3), brake)
        throttle = np.where(hold, 0.0, throttle)
        rate = np.where(self.steer_rate > 0, np.minimum(self.steer_rate, p.max_steer_rate), p.max_steer_rate)
        steer = np.clip(self.steer_target, -p.max_steer, p.max_steer)
        return PedalCommand(throttle, brake, reverse, steer, rate)
