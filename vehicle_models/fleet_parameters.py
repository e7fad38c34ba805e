"""Per-vehicle parameter arrays of a fleet, built once from a list of parameter sets.

Why a separate struct of arrays: the derivative functions evaluate every
vehicle at once, so each parameter must be a column (``mass[i]`` for vehicle
``i``); the powertrain's tractive-effort envelope is tabulated once on a speed
grid so that its look-up each step is a single gather, not a loop over
per-vehicle torque maps.
"""

from __future__ import annotations

import numpy as np

from vehicle_models.parameters import VehicleParameters
from vehicle_models.tyre import TyreArrays

ENVELOPE_SPEED_STEP = 0.5
"""m/s between tabulated points of the tractive-effort envelope (linear interpolation between)."""


class ParameterArrays:
    """Columns of :class:`VehicleParameters` for N vehicles (read-only by convention)."""

    def __init__(self, parameters: list[VehicleParameters]) -> None:
        if not parameters:
            raise ValueError("a fleet needs at least one vehicle")
        self.sets = list(parameters)

        def col(attr: str) -> np.ndarray:
            return np.array([float(getattr(p, attr)) for p in parameters])

        self.mass = col("mass")
        self.yaw_inertia = col("yaw_inertia")
        self.lf = col("cog_to_front_axle")
        self.lr = col("cog_to_rear_axle")
        self.wheelbase = self.lf + self.lr
        self.cog_height = col("cog_height")
        self.wheel_radius = col("wheel_radius")
        self.max_steer = col("max_steering_angle")
        self.max_steer_rate = col("max_steering_rate")
        self.steer_tau = col("steering_time_constant")
        self.max_speed = col("max_speed")
        self.max_reverse_speed = col("max_reverse_speed")
        self.drive_front = col("drive_split_front")
        self.brake_front = col("brake_balance_front")
        self.max_brake_force = col("max_brake_force")
        self.drive_tau = col("drive_time_constant")
        self.brake_tau = col("brake_time_constant")
        self.drag_area = col("drag_area")
        self.rolling = col("rolling_resistance")
        self.mu_x = np.array([p.tyre.mu_x for p in parameters])
        self.mu_y = np.array([p.tyre.mu_y for p in parameters])
        self.k_y_front = np.array([p.tyre.cornering_stiffness_per_load for p in parameters])
        self.k_y_rear = np.array([p.tyre_rear.cornering_stiffness_per_load for p in parameters])
        # Front and rear axles are evaluated in one call on stacked (2N) arrays.
        self.axle_tyres = TyreArrays([p.tyre for p in parameters] + [p.tyre_rear for p in parameters])
        top = max(p.max_speed for p in parameters) + 2 * ENVELOPE_SPEED_STEP
        self._grid = np.arange(0.0, top + ENVELOPE_SPEED_STEP, ENVELOPE_SPEED_STEP)
        self.envelope = np.stack(
            [p.powertrain.max_wheel_force(self._grid, p.wheel_radius) for p in parameters]
        )
        self._rows = np.arange(len(parameters))

    def __len__(self) -> int:
        return len(self.sets)

    def max_drive_force(self, speed: np.ndarray) -> np.ndarray:
        """Tractive effort envelope at each vehicle's |speed| (N): a gather on the tabulated grid."""
        pos = np.minimum(np.abs(speed) / ENVELOPE_SPEED_STEP, len(self._grid) - 1.000001)
        idx = pos.astype(np.intp)
        frac = pos - idx
        lo = self.envelope[self._rows, idx]
        hi = self.envelope[self._rows, idx + 1]
        return lo + frac * (hi - lo)
