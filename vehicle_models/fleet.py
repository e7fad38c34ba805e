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

Integration is classical RK4 with a fixed step; when the step is too long for
the tyre dynamics (``dt * lambda_max > 2``, with ``lambda_max`` from
:func:`~vehicle_models.single_track.stiffness_bound`, the fleet's largest) it
is split into equal sub-steps, so ``step(0.01)`` is safe down to standstill.
The step is one compiled call (:func:`vehicle_models.integrator.fleet_step`).

Cost (bench/vehicle_bench.py): a step of 100 vehicles takes about 25 µs of
CPU with the kinematic model and about 160–190 µs with the dynamic one (driving:
most of it the tyres' slip inversion; about 30 µs when coasting); one
scalar ``apply_control(i, ...)`` or ``apply_ackermann(i, ...)`` about 1.3 µs,
so commanding 100 vehicles one by one costs more than a kinematic step —
use the array forms ``apply_pedals``, ``apply_ackermann_targets`` and
``apply_acceleration`` (about 5–9 µs for 100 vehicles).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from simplatform.control import AckermannCommand, Control
from vehicle_models import single_track as st
from vehicle_models.fleet_parameters import ParameterArrays
from vehicle_models.indexing import as_column, as_indices
from vehicle_models.integrator import (  # noqa: F401 (re-exported names of the input modes and limits)
    ACCELERATION, ACKERMANN, PEDALS, REFERENCE, RK4_STABILITY_MARGIN, STANDSTILL_SPEED, WORK_ROWS, fleet_step,
)
from vehicle_models.jit import checked_kernel
from vehicle_models.low_level import LowLevelController
from vehicle_models.parameters import VehicleParameters

_THROTTLE, _BRAKE, _STEER = range(3)


@checked_kernel
def _latch_pedals(rows, mode, pedals, reverse, hand_brake, throttle, brake, steer, backwards, hand):
    for k in range(rows.shape[0]):
        i = rows[k]
        mode[i] = PEDALS
        pedals[_THROTTLE, i] = min(max(throttle[k if throttle.shape[0] > 1 else 0], 0.0), 1.0)
        pedals[_BRAKE, i] = min(max(brake[k if brake.shape[0] > 1 else 0], 0.0), 1.0)
        pedals[_STEER, i] = min(max(steer[k if steer.shape[0] > 1 else 0], -1.0), 1.0)
        reverse[i] = backwards[k if backwards.shape[0] > 1 else 0]
        hand_brake[i] = hand[k if hand.shape[0] > 1 else 0]


@checked_kernel
def _latch_mode(rows, mode, hand_brake, value):
    """Input mode ``value`` for the vehicles ``rows``; the controller's modes release the hand brake."""
    for k in range(rows.shape[0]):
        mode[rows[k]] = value
        hand_brake[rows[k]] = False


class VehicleFleet:
    """State and parameter arrays of N vehicles; ``model`` is ``"dynamic"`` or ``"kinematic"``.

    ``throttle``, ``brake`` and ``steer`` (the latched pedal inputs) are rows of
    ``pedals``; each attribute reads and writes its row.
    """

    def __init__(self, parameters: Sequence[VehicleParameters], model: str = "dynamic") -> None:
        if model not in ("dynamic", "kinematic"):
            raise ValueError(f"model must be 'dynamic' or 'kinematic', not {model!r}")
        self.model = model
        self.params = ParameterArrays(list(parameters))
        self.n = len(self.params)
        self.state = np.zeros((st.N_STATES, self.n))
        self.inputs = st.StepInputs.zeros(self.n)
        self.mode = np.full(self.n, PEDALS)
        self.pedals = np.zeros((3, self.n))
        self.reverse = np.zeros(self.n, dtype=bool)
        self.hand_brake = np.zeros(self.n, dtype=bool)
        self.controller = LowLevelController(self.params)
        self.accel_body = np.zeros((2, self.n))
        self.time = 0.0
        self.last_substeps = 1
        self._derivative = st.dynamic_derivative if model == "dynamic" else st.kinematic_derivative
        self._work = np.empty((WORK_ROWS, st.N_STATES))

    @property
    def throttle(self) -> np.ndarray:
        return self.pedals[_THROTTLE]

    @throttle.setter
    def throttle(self, value) -> None:
        self.pedals[_THROTTLE] = value

    @property
    def brake(self) -> np.ndarray:
        return self.pedals[_BRAKE]

    @brake.setter
    def brake(self, value) -> None:
        self.pedals[_BRAKE] = value

    @property
    def steer(self) -> np.ndarray:
        """Latched steering input as a fraction of the maximum road-wheel angle."""
        return self.pedals[_STEER]

    @steer.setter
    def steer(self, value) -> None:
        self.pedals[_STEER] = value

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

    def set_road_friction(self, index, scale) -> None:
        """Road friction under vehicles ``index`` as a scale of their tyres' peak friction.

        ``scale`` (array or scalar, >= 0) is the road's grip relative to the surface the tyre
        coefficients were measured on — e.g. OpenSCENARIO RoadCondition@frictionScaleFactor times
        an OpenDRIVE lane material's friction.  It scales the Magic Formula peaks of both axles
        (Pacejka's ``lambda_mu``), the kinematic model's friction limit and the deceleration the
        low-level controller plans with.  Latched until the next call; 1 restores the tyres' own.
        """
        rows = as_indices(index, self.n) % self.n
        scale = np.broadcast_to(as_column(scale, len(rows)), rows.shape)
        if not np.all(np.isfinite(scale)) or np.any(scale < 0.0):
            raise ValueError(f"road friction scale must be finite and >= 0, got {scale}")
        self.params.set_friction_scale(rows, scale)

    @property
    def road_friction(self) -> np.ndarray:
        """The latched per-vehicle road friction scale (as applied, floored at MIN_FRICTION_SCALE)."""
        return self.params.friction_scale

    # ------------------------------------------------------------------ inputs
    def apply_control(self, index, control: Control) -> None:
        """Pedals and steering as CARLA's VehicleControl: ``steer`` is a fraction of max angle."""
        pedals = self.pedals
        self.mode[index] = PEDALS
        pedals[_THROTTLE, index] = min(max(control.throttle, 0.0), 1.0)
        pedals[_BRAKE, index] = min(max(control.brake, 0.0), 1.0)
        pedals[_STEER, index] = min(max(control.steer, -1.0), 1.0)
        self.reverse[index] = control.reverse
        self.hand_brake[index] = control.hand_brake

    def apply_pedals(self, index, throttle, brake, steer, reverse=False, hand_brake=False) -> None:
        """Vectorised ``apply_control``: arrays (or scalars) for the vehicles ``index``."""
        rows = as_indices(index, self.n)
        k = len(rows)
        _latch_pedals(rows, self.mode, self.pedals, self.reverse, self.hand_brake, as_column(throttle, k),
                      as_column(brake, k), as_column(steer, k), as_column(reverse, k, bool),
                      as_column(hand_brake, k, bool))

    def apply_ackermann(self, index, command: AckermannCommand) -> None:
        """ackermann_msgs/AckermannDrive targets through the low-level controller."""
        self.mode[index] = ACKERMANN
        self.hand_brake[index] = False
        self.controller.set_ackermann(index, command.speed, command.steering_angle,
                                      abs(command.acceleration), abs(command.jerk),
                                      abs(command.steering_angle_velocity))

    def apply_ackermann_targets(self, index, speed, steering_angle, acceleration=0.0, jerk=0.0,
                                steering_angle_velocity=0.0) -> None:
        """Vectorised ``apply_ackermann``: AckermannDrive fields as arrays (or scalars) for ``index``."""
        rows = as_indices(index, self.n)
        _latch_mode(rows, self.mode, self.hand_brake, ACKERMANN)
        self.controller.set_ackermann(rows, speed, steering_angle, np.abs(acceleration), np.abs(jerk),
                                      np.abs(steering_angle_velocity))

    def apply_acceleration(self, index, acceleration, steering_angle=0.0, jerk=0.0) -> None:
        """An acceleration demand (m/s², e.g. from IDM) and road-wheel angle, through the controller."""
        rows = as_indices(index, self.n)
        _latch_mode(rows, self.mode, self.hand_brake, ACCELERATION)
        self.controller.set_acceleration(rows, acceleration, steering_angle, jerk)

    def apply_reference_inputs(self, index, steering_rate, acceleration) -> None:
        """CommonRoad inputs: steering-angle velocity (rad/s) and longitudinal acceleration (m/s²)."""
        self.mode[index] = REFERENCE
        self.inputs.direct_steer_rate[index] = steering_rate
        self.inputs.direct_acceleration[index] = acceleration

    # ------------------------------------------------------------------ stepping
    def step(self, dt: float, grade: np.ndarray | float | None = None) -> None:
        """Advance every vehicle by ``dt`` seconds; ``grade`` (rad, uphill positive) per vehicle."""
        u, p, c = self.inputs, self.params, self.controller
        u.values[st.GRADE] = 0.0 if grade is None else grade
        new_state = np.empty_like(self.state)
        self.last_substeps = fleet_step(
            self.model == "dynamic", float(dt), self.state, new_state, self.accel_body, self.mode, self.pedals,
            self.reverse, self.hand_brake, u.values, u.direct, c.values, c.speed_mode, p.values,
            p.axle_tyres.coefficients, p.torque_map, p.total_ratio, p.drive_gain, float(c.kp), float(c.ki),
            self._work)
        self.state = new_state
        self.time += dt

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
