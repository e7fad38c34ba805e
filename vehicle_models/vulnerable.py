"""Pedestrians (point mass) and cyclists (kinematic bicycle), vectorised, with limits.

Pedestrian: a point mass that turns freely within a yaw-rate limit and changes
speed within acceleration limits toward a target speed and heading (the
"desired velocity" of the Social Force model, Helbing & Molnár 1995, without
the interaction forces: the engine moves pedestrians along scenario routes).

Cyclist: the kinematic single-track model at the rear wheel (Rajamani 2012
§2.2), steering angle rate-limited, speed toward a target within limits —
bicycles at urban speeds roll without appreciable slip.  Within a step the
speed changes at a constant (limited) acceleration, so position integrates
exactly for straight motion (trapezoid on speed), the heading by the mean speed.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from vehicle_models.parameters import CyclistParameters, PedestrianParameters


def _wrap(angle: np.ndarray) -> np.ndarray:
    return (angle + np.pi) % (2 * np.pi) - np.pi


class PedestrianFleet:
    """N pedestrians: ``set_target(speed, heading)`` then ``step(dt)``."""

    def __init__(self, params: Sequence[PedestrianParameters]) -> None:
        n = len(params)
        self.max_speed = np.array([p.max_speed for p in params])
        self.max_accel = np.array([p.max_acceleration for p in params])
        self.max_decel = np.array([p.max_deceleration for p in params])
        self.max_yaw_rate = np.array([p.max_yaw_rate for p in params])
        self.x, self.y, self.heading, self.speed = (np.zeros(n) for _ in range(4))
        self.target_speed = np.zeros(n)
        self.target_heading = np.zeros(n)
        self.yaw_rate = np.zeros(n)
        self.acceleration = np.zeros(n)

    def set_target(self, index, speed, heading) -> None:
        self.target_speed[index] = speed
        self.target_heading[index] = heading

    def step(self, dt: float) -> None:
        v0 = self.speed
        wanted = np.clip(self.target_speed, 0.0, self.max_speed)
        dv = np.clip(wanted - v0, -self.max_decel * dt, self.max_accel * dt)
        turn = np.clip(_wrap(self.target_heading - self.heading), -self.max_yaw_rate * dt, self.max_yaw_rate * dt)
        mean_heading = self.heading + 0.5 * turn
        mean_speed = v0 + 0.5 * dv
        self.x = self.x + mean_speed * dt * np.cos(mean_heading)
        self.y = self.y + mean_speed * dt * np.sin(mean_heading)
        self.heading = _wrap(self.heading + turn)
        self.speed = v0 + dv
        self.yaw_rate = turn / dt
        self.acceleration = dv / dt


class CyclistFleet:
    """N cyclists: ``set_target(speed, steering_angle)`` then ``step(dt)``; pose at the rear wheel."""

    def __init__(self, params: Sequence[CyclistParameters]) -> None:
        n = len(params)
        self.wheelbase = np.array([p.wheelbase for p in params])
        self.max_steer = np.array([p.max_steering_angle for p in params])
        self.max_steer_rate = np.array([p.max_steering_rate for p in params])
        self.max_speed = np.array([p.max_speed for p in params])
        self.max_accel = np.array([p.max_acceleration for p in params])
        self.max_decel = np.array([p.max_deceleration for p in params])
        self.x, self.y, self.heading, self.speed, self.steering = (np.zeros(n) for _ in range(5))
        self.target_speed = np.zeros(n)
        self.target_steering = np.zeros(n)
        self.acceleration = np.zeros(n)

    def set_target(self, index, speed, steering_angle) -> None:
        self.target_speed[index] = speed
        self.target_steering[index] = steering_angle

    @property
    def yaw_rate(self) -> np.ndarray:
        return self.speed * np.tan(self.steering) / self.wheelbase

    def step(self, dt: float) -> None:
        v0 = self.speed
        dv = np.clip(np.clip(self.target_speed, 0.0, self.max_speed) - v0,
                     -self.max_decel * dt, self.max_accel * dt)
        wanted = np.clip(self.target_steering, -self.max_steer, self.max_steer)
        d_steer = np.clip(wanted - self.steering, -self.max_steer_rate * dt, self.max_steer_rate * dt)
        steer_mid = self.steering + 0.5 * d_steer
        mean_speed = v0 + 0.5 * dv
        turn = mean_speed * np.tan(steer_mid) / self.wheelbase * dt
        mean_heading = self.heading + 0.5 * turn
        # Chord of the arc: exact for constant curvature (sin(x/2)/(x/2) factor).
        chord = mean_speed * dt * np.sinc(turn / (2 * np.pi))
        self.x = self.x + chord * np.cos(mean_heading)
        self.y = self.y + chord * np.sin(mean_heading)
        self.heading = _wrap(self.heading + turn)
        self.steering = self.steering + d_steer
        self.speed = v0 + dv
        self.acceleration = dv / dt
