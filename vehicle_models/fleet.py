"""``VehicleFleet``: N vehicles advanced together, one fixed step at a time.

This is the interface the engine (native backend) uses:

>>> fleet = VehicleFleet([MIDSIZE_SEDAN, COMPACT_CAR], model="dynamic")
>>> fleet.reset(x=[0, 0], y=[0, 4], heading=0.0, speed=[20, 15])
>>> fleet.apply_control(0, Control(throttle=0.3, steer=0.05))      # pedals
>>> fleet.apply_ackermann(1, AckermannCommand(speed=15, steering_angle=0.02))
>>> fleet.step(0.01, grade=road_grade)   # grade: rad, uphill positive, per vehicle
>>> fleet.x, fleet.y, fleet.heading, fleet.speed, fleet.yaw_rate, fleet.ax_body

Each vehicle is in one input mode, latched until the next ``apply_*``:
pedals (``Control``), Ackermann targets or an acceleration demand (both through
:class:`~vehicle_models.low_level.LowLevelController`), or CommonRoad reference
inputs (steering rate, acceleration; no actuators or resistances).

Integration is classical RK4 on the whole state array with a fixed step; when
the step is too long for the tyre dynamics (``dt * lambda_max > 2``, with
``lambda_max`` from :func:`~vehicle_models.single_track.stiffness_bound`) it is
split into equal sub-steps, so ``step(0.01)`` is safe down to standstill.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from simplatform.control import AckermannCommand, Control
from vehicle_models import single_track as st
from vehicle_models.fleet_parameters import ParameterArrays
from vehicle_models.low_level import LowLevelController
from vehicle_models.parameters import GRAVITY, VehicleParameters

PEDALS, ACKERMANN, ACCELERATION, REFERENCE = range(4)
RK4_STABILITY_MARGIN = 2.0
"""Largest ``dt * lambda`` per sub-step (RK4's real-axis stability limit is 2.785)."""
STANDSTILL_SPEED = 0.05
"""m/s: below this a vehicle whose brakes and rolling resistance can hold it is set at rest."""


class VehicleFleet:
    """State and parameter arrays of N vehicles; ``model`` is ``"dynamic"`` or ``"kinematic"``."""

    def __init__(self, parameters: Sequence[VehicleParameters], model: str = "dynamic") -> None:
        if model not in ("dynamic", "kinematic"):
            raise ValueError(f"model must be 'dynamic' or 'kinematic', not {model!r}")
        self.model = model
        self.params = ParameterArrays(list(parameters))
        self.n = len(self.params)
        self.state = np.zeros((st.N_STATES, self.n))
        self.inputs = st.StepInputs.zeros(self.n)
        self.mode = np.full(self.n, PEDALS)
        self.throttle = np.zeros(self.n)
        self.brake = np.zeros(self.n)
        self.steer = np.zeros(self.n)
        self.reverse = np.zeros(self.n, dtype=bool)
        self.hand_brake = np.zeros(self.n, dtype=bool)
        self.controller = LowLevelController(self.params)
        self.accel_body = np.zeros((2, self.n))
        self.time = 0.0
        self.last_substeps = 1
        self._derivative = st.dynamic_derivative if model == "dynamic" else st.kinematic_derivative

    # ------------------------------------------------------------------ set-up
    def reset(self, index=slice(None), *, x=0.0, y=0.0, heading=0.0, speed=0.0,
              steering=0.0, yaw_rate=None) -> None:
        """Place vehicles (rear-axle pose) at a speed on a no-slip trajectory for ``steering``."""
        s = self.state
        p = self.params
        s[:, index] = 0.0
        s[st.X, index] = x
        s[st.Y, index] = y
        s[st.YAW, index] = heading
        s[st.VX, index] = speed
        s[st.STEER, index] = steering
        kin_rate = s[st.VX, index] * np.tan(s[st.STEER, index]) / p.wheelbase[index]
        s[st.YAW_RATE, index] = kin_rate if yaw_rate is None else yaw_rate
        s[st.VY, index] = p.lr[index] * s[st.YAW_RATE, index]
        self.controller.integral[index] = 0.0
        self.controller.last_accel[index] = 0.0
        self.controller.target_speed[index] = s[st.VX, index]
        self.controller.steer_target[index] = s[st.STEER, index]
        self.accel_body[:, index] = 0.0

    # ------------------------------------------------------------------ inputs
    def apply_control(self, index, control: Control) -> None:
        """Pedals and steering as CARLA's VehicleControl: ``steer`` is a fraction of max angle."""
        self.mode[index] = PEDALS
        self.throttle[index] = min(max(control.throttle, 0.0), 1.0)
        self.brake[index] = min(max(control.brake, 0.0), 1.0)
        self.steer[index] = min(max(control.steer, -1.0), 1.0)
        self.reverse[index] = control.reverse
        self.hand_brake[index] = control.hand_brake

    def apply_pedals(self, index, throttle, brake, steer, reverse=False, hand_brake=False) -> None:
        """Vectorised ``apply_control``: arrays (or scalars) for the vehicles ``index``."""
        self.mode[index] = PEDALS
        self.throttle[index] = np.clip(throttle, 0.0, 1.0)
        self.brake[index] = np.clip(brake, 0.0, 1.0)
        self.steer[index] = np.clip(steer, -1.0, 1.0)
        self.reverse[index] = reverse
        self.hand_brake[index] = hand_brake

    def apply_ackermann(self, index, command: AckermannCommand) -> None:
        """ackermann_msgs/AckermannDrive targets through the low-level controller."""
        self.mode[index] = ACKERMANN
        self.hand_brake[index] = False
        self.controller.set_ackermann(index, command.speed, command.steering_angle,
                                      abs(command.acceleration), abs(command.jerk),
                                      abs(command.steering_angle_velocity))

    def apply_acceleration(self, index, acceleration, steering_angle=0.0, jerk=0.0) -> None:
        """An acceleration demand (m/s², e.g. from IDM) and road-wheel angle, through the controller."""
        self.mode[index] = ACCELERATION
        self.hand_brake[index] = False
        self.controller.set_acceleration(index, acceleration, steering_angle, jerk)

    def apply_reference_inputs(self, index, steering_rate, acceleration) -> None:
        """CommonRoad inputs: steering-angle velocity (rad/s) and longitudinal acceleration (m/s²)."""
        self.mode[index] = REFERENCE
        self.inputs.direct_steer_rate[index] = steering_rate
        self.inputs.direct_acceleration[index] = acceleration

    # ------------------------------------------------------------------ stepping
    def _prepare_inputs(self, dt: float, grade: np.ndarray) -> None:
        p, u, vx = self.params, self.inputs, self.state[st.VX]
        throttle, brake = self.throttle.copy(), self.brake.copy()
        steer_target = self.steer * p.max_steer
        rate = p.max_steer_rate.copy()
        reverse = self.reverse.copy()
        controlled = (self.mode == ACKERMANN) | (self.mode == ACCELERATION)
        if controlled.any():
            cmd = self.controller.update(vx, grade, dt)
            throttle = np.where(controlled, cmd.throttle, throttle)
            brake = np.where(controlled, cmd.brake, brake)
            steer_target = np.where(controlled, cmd.steer_target, steer_target)
            rate = np.where(controlled, cmd.steer_rate_limit, rate)
            reverse = np.where(controlled, cmd.reverse, reverse)
        drive = throttle * p.max_drive_force(vx)
        over = np.where(reverse, -vx >= p.max_reverse_speed, vx >= p.max_speed)
        u.drive_target = np.where(over, 0.0, np.where(reverse, -drive, drive))
        u.brake_target = np.maximum(brake, 0.3 * self.hand_brake) * p.max_brake_force
        u.steer_target = steer_target
        u.steer_rate_limit = rate
        u.grade = grade
        u.direct = self.mode == REFERENCE

    def step(self, dt: float, grade: np.ndarray | float | None = None) -> None:
        """Advance every vehicle by ``dt`` seconds; ``grade`` (rad, uphill positive) per vehicle."""
        grade_arr = np.zeros(self.n) if grade is None else np.broadcast_to(
            np.asarray(grade, dtype=float), (self.n,))
        self._prepare_inputs(dt, grade_arr)
        n_sub = 1
        if self.model == "dynamic":
            n_sub = max(1, math.ceil(dt * st.stiffness_bound(self.state, self.params) / RK4_STABILITY_MARGIN))
        self.last_substeps = n_sub
        h = dt / n_sub
        x0 = self.state
        f, u, p = self._derivative, self.inputs, self.params
        x = x0
        for _ in range(n_sub):
            k1 = f(x, u, p)
            k2 = f(x + 0.5 * h * k1, u, p)
            k3 = f(x + 0.5 * h * k2, u, p)
            k4 = f(x + h * k3, u, p)
            x = x + (h / 6.0) * (k1 + 2.0 * (k2 + k3) + k4)
        self._finish_step(x0, x, dt)
        self.time += dt

    def _finish_step(self, x0: np.ndarray, x: np.ndarray, dt: float) -> None:
        """Limits, standstill hold and body accelerations (at the reference point)."""
        p, u = self.params, self.inputs
        x[st.STEER] = np.clip(x[st.STEER], -p.max_steer, p.max_steer)
        x[st.VX] = np.clip(x[st.VX], -p.max_reverse_speed, p.max_speed)
        if self.model == "kinematic":
            x[st.YAW_RATE] = x[st.VX] * np.tan(x[st.STEER]) / p.wheelbase
            x[st.VY] = p.lr * x[st.YAW_RATE]
        weight = p.mass * GRAVITY
        holding = x[st.BRAKE] + p.rolling * weight * np.cos(u.grade)
        pushing = np.abs(x[st.DRIVE] - weight * np.sin(u.grade))
        rest = ~u.direct & (np.abs(x[st.VX]) < STANDSTILL_SPEED) & (holding >= pushing)
        if rest.any():
            parked = rest & (x0[st.VX] == 0.0)
            x[:st.VX, parked] = x0[:st.VX, parked]  # at rest before and after: the pose holds
            x[st.VX, rest] = 0.0
            x[st.VY, rest] = 0.0
            x[st.YAW_RATE, rest] = 0.0
        r = x[st.YAW_RATE]
        dvx = (x[st.VX] - x0[st.VX]) / dt
        dvy = (x[st.VY] - x0[st.VY]) / dt
        dr = (r - x0[st.YAW_RATE]) / dt
        # CoG acceleration in the rotating body frame, then moved to the rear axle (rigid body).
        ax_cg = dvx - r * x[st.VY]
        ay_cg = dvy + r * x[st.VX]
        self.accel_body[0] = ax_cg + r * r * p.lr
        self.accel_body[1] = ay_cg - dr * p.lr
        self.state = x

    # ------------------------------------------------------------------ outputs
    @property
    def x(self) -> np.ndarray:
        return self.state[st.X]

    @property
    def y(self) -> np.ndarray:
        return self.state[st.Y]

    @property
    def heading(self) -> np.ndarray:
        return self.state[st.YAW]

    @property
    def speed(self) -> np.ndarray:
        """Signed longitudinal speed (m/s), negative when reversing."""
        return self.state[st.VX]

    @property
    def yaw_rate(self) -> np.ndarray:
        return self.state[st.YAW_RATE]

    @property
    def steering_angle(self) -> np.ndarray:
        return self.state[st.STEER]

    @property
    def lateral_velocity(self) -> np.ndarray:
        """Body-frame lateral velocity of the reference point (rear axle), m/s."""
        return self.state[st.VY] - self.params.lr * self.state[st.YAW_RATE]

    @property
    def velocity_world(self) -> np.ndarray:
        """(2, N) world-frame velocity of the reference point."""
        c, s = np.cos(self.heading), np.sin(self.heading)
        vy = self.lateral_velocity
        return np.stack((self.speed * c - vy * s, self.speed * s + vy * c))

    @property
    def ax_body(self) -> np.ndarray:
        """Longitudinal acceleration of the reference point in the body frame (m/s²)."""
        return self.accel_body[0]

    @property
    def ay_body(self) -> np.ndarray:
        """Lateral acceleration of the reference point in the body frame (m/s²)."""
        return self.accel_body[1]

    @property
    def acceleration_world(self) -> np.ndarray:
        """(2, N) world-frame acceleration of the reference point."""
        c, s = np.cos(self.heading), np.sin(self.heading)
        return np.stack((self.ax_body * c - self.ay_body * s, self.ax_body * s + self.ay_body * c))

    @property
    def cog_position(self) -> np.ndarray:
        """(2, N) world position of the centre of gravity."""
        lr = self.params.lr
        return np.stack((self.x + lr * np.cos(self.heading), self.y + lr * np.sin(self.heading)))
