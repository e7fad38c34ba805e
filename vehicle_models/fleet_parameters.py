"""Per-vehicle parameter arrays of a fleet, built once from a list of parameter sets.

Why a separate struct of arrays: the derivative functions evaluate every
vehicle at once, so each parameter must be a column (``mass[i]`` for vehicle
``i``); the powertrains' full-load torque maps are resampled once on a common
engine-speed grid so that the look-up each step is a gather over
(vehicles × gears), not a loop over per-vehicle maps.
"""

from __future__ import annotations

import numpy as np

from vehicle_models.parameters import VehicleParameters
from vehicle_models.tyre import TyreArrays

ENGINE_GRID_POINTS = 257
"""Points of the common engine-speed grid the full-load torque maps are resampled on."""


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
        # Powertrain: full-load maps resampled on one engine-speed grid, gear ratios padded with 0.
        top = max(p.powertrain.max_engine_speed for p in parameters)
        self._omega_step = top / (ENGINE_GRID_POINTS - 1)
        grid = np.linspace(0.0, top, ENGINE_GRID_POINTS)
        self.torque_map = np.stack([
            np.interp(grid, p.powertrain.engine_speed, p.powertrain.max_torque, left=p.powertrain.max_torque[0],
                      right=0.0) for p in parameters])
        gears = max(len(p.powertrain.gear_ratios) for p in parameters)
        self.total_ratio = np.zeros((len(parameters), gears))
        for i, p in enumerate(parameters):
            pt = p.powertrain
            self.total_ratio[i, :len(pt.gear_ratios)] = np.asarray(pt.gear_ratios) * pt.final_drive
        self.redline = np.array([p.powertrain.max_engine_speed for p in parameters])[:, None]
        self.launch_speed = np.array([p.powertrain.launch_speed for p in parameters])[:, None]
        self.drive_gain = (self.total_ratio * np.array([p.powertrain.efficiency for p in parameters])[:, None]
                           / self.wheel_radius[:, None])
        self._rows = np.arange(len(parameters))[:, None]

    def __len__(self) -> int:
        return len(self.sets)

    def max_drive_force(self, speed: np.ndarray) -> np.ndarray:
        """Tractive-effort envelope at each vehicle's |speed| (N): best gear, vectorised (N × gears).

        Same rule as :meth:`PowertrainParameters.max_wheel_force`, evaluated on the
        resampled torque maps (piecewise linear between grid points).
        """
        omega_true = np.abs(speed)[:, None] * self.total_ratio / self.wheel_radius[:, None]
        omega = np.maximum(omega_true, self.launch_speed)
        pos = np.minimum(omega / self._omega_step, ENGINE_GRID_POINTS - 1.000001)
        idx = pos.astype(np.intp)
        frac = pos - idx
        lo = self.torque_map[self._rows, idx]
        hi = self.torque_map[self._rows, idx + 1]
        torque = np.where(omega_true > self.redline, 0.0, lo + frac * (hi - lo))
        return (torque * self.drive_gain).max(axis=1)
