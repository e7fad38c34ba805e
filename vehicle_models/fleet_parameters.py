"""Per-vehicle parameter arrays of a fleet, built once from a list of parameter sets.

Why a struct of arrays: the compiled step kernels read vehicle ``i``'s
parameters as column ``i`` of one (rows × N) array ``values`` (rows named
below), so a step passes a handful of arrays, not dozens; the named
attributes (``mass``, ``lf`` …) are views of those rows.  The powertrains'
full-load torque maps are resampled once on uniform engine-speed grids (the
same number of points for every vehicle, each up to its own redline) so that
the look-up each step is an index computation over (vehicles × gears), not a
search in per-vehicle maps.
"""

from __future__ import annotations

import numpy as np

from vehicle_models.jit import kernel
from vehicle_models.parameters import VehicleParameters
from vehicle_models.tyre import TyreArrays

ENGINE_GRID_POINTS = 257
"""Points of the common engine-speed grid the full-load torque maps are resampled on."""

# Rows of ParameterArrays.values.
(MASS, YAW_INERTIA, LF, LR, WHEELBASE, COG_HEIGHT, WHEEL_RADIUS, MAX_STEER, MAX_STEER_RATE,
 STEER_TAU, MAX_SPEED, MAX_REVERSE_SPEED, DRIVE_FRONT, BRAKE_FRONT, MAX_BRAKE_FORCE, DRIVE_TAU,
 BRAKE_TAU, DRAG_AREA, ROLLING, MU_X, MU_Y, K_Y_FRONT, K_Y_REAR, REDLINE, LAUNCH_SPEED, OMEGA_STEP) = range(26)
N_PARAMETER_ROWS = 26

MIN_FRICTION_SCALE = 1e-3
"""Smallest road friction scale applied: the standard allows 0 (RoadCondition@frictionScaleFactor
in [0, inf[), but a zero peak makes the Magic Formula's B = K / (C D) infinite."""


@kernel
def drive_force_envelope(speed, i, torque_map, total_ratio, drive_gain, wheel_radius, launch_speed,
                         redline, omega_step):
    """Tractive-effort envelope of vehicle ``i`` at ``|speed|`` (N): the best gear.

    Same rule as :meth:`PowertrainParameters.max_wheel_force`, evaluated on the
    resampled torque map (piecewise linear between grid points); padded gears
    have ratio and gain 0.
    """
    best = -np.inf
    top = ENGINE_GRID_POINTS - 1.000001
    v = abs(speed)
    for g in range(total_ratio.shape[1]):
        omega_true = v * total_ratio[i, g] / wheel_radius
        if omega_true > redline:
            torque = 0.0
        else:
            pos = min(max(omega_true, launch_speed) / omega_step, top)
            k = int(pos)
            frac = pos - k
            lo = torque_map[i, k]
            torque = lo + frac * (torque_map[i, k + 1] - lo)
        best = max(best, torque * drive_gain[i, g])
    return best


@kernel
def _envelope_loop(speed, rows, values, torque_map, total_ratio, drive_gain, out):
    for k in range(speed.shape[0]):
        i = rows[k]
        out[k] = drive_force_envelope(speed[k], i, torque_map, total_ratio, drive_gain,
                                      values[WHEEL_RADIUS, i], values[LAUNCH_SPEED, i],
                                      values[REDLINE, i], values[OMEGA_STEP, i])


class ParameterArrays:
    """Columns of :class:`VehicleParameters` for N vehicles (read-only by convention)."""

    def __init__(self, parameters: list[VehicleParameters]) -> None:
        if not parameters:
            raise ValueError("a fleet needs at least one vehicle")
        self.sets = list(parameters)
        n = len(parameters)
        v = np.zeros((N_PARAMETER_ROWS, n))

        def col(attr: str) -> np.ndarray:
            return np.array([float(getattr(p, attr)) for p in parameters])

        for row, attr in ((MASS, "mass"), (YAW_INERTIA, "yaw_inertia"), (LF, "cog_to_front_axle"),
                          (LR, "cog_to_rear_axle"), (COG_HEIGHT, "cog_height"),
                          (WHEEL_RADIUS, "wheel_radius"), (MAX_STEER, "max_steering_angle"),
                          (MAX_STEER_RATE, "max_steering_rate"), (STEER_TAU, "steering_time_constant"),
                          (MAX_SPEED, "max_speed"), (MAX_REVERSE_SPEED, "max_reverse_speed"),
                          (DRIVE_FRONT, "drive_split_front"), (BRAKE_FRONT, "brake_balance_front"),
                          (MAX_BRAKE_FORCE, "max_brake_force"), (DRIVE_TAU, "drive_time_constant"),
                          (BRAKE_TAU, "brake_time_constant"), (DRAG_AREA, "drag_area"),
                          (ROLLING, "rolling_resistance")):
            v[row] = col(attr)
        v[WHEELBASE] = v[LF] + v[LR]
        v[MU_X] = [p.tyre.mu_x for p in parameters]
        v[MU_Y] = [p.tyre.mu_y for p in parameters]
        v[K_Y_FRONT] = [p.tyre.cornering_stiffness_per_load for p in parameters]
        v[K_Y_REAR] = [p.tyre_rear.cornering_stiffness_per_load for p in parameters]
        v[REDLINE] = [p.powertrain.max_engine_speed for p in parameters]
        v[LAUNCH_SPEED] = [p.powertrain.launch_speed for p in parameters]
        self.values = v
        self.mass, self.yaw_inertia, self.lf, self.lr = v[MASS], v[YAW_INERTIA], v[LF], v[LR]
        self.wheelbase, self.cog_height, self.wheel_radius = v[WHEELBASE], v[COG_HEIGHT], v[WHEEL_RADIUS]
        self.max_steer, self.max_steer_rate, self.steer_tau = v[MAX_STEER], v[MAX_STEER_RATE], v[STEER_TAU]
        self.max_speed, self.max_reverse_speed = v[MAX_SPEED], v[MAX_REVERSE_SPEED]
        self.drive_front, self.brake_front, self.max_brake_force = v[DRIVE_FRONT], v[BRAKE_FRONT], v[MAX_BRAKE_FORCE]
        self.drive_tau, self.brake_tau = v[DRIVE_TAU], v[BRAKE_TAU]
        self.drag_area, self.rolling = v[DRAG_AREA], v[ROLLING]
        self.mu_x, self.mu_y, self.k_y_front, self.k_y_rear = v[MU_X], v[MU_Y], v[K_Y_FRONT], v[K_Y_REAR]
        self.redline = v[REDLINE][:, None]
        self.launch_speed = v[LAUNCH_SPEED][:, None]
        # Front and rear axles are one table: front of vehicle i at column i, rear at n + i.
        self.axle_tyres = TyreArrays([p.tyre for p in parameters] + [p.tyre_rear for p in parameters])
        # Powertrain: each full-load map resampled on ENGINE_GRID_POINTS points from 0 to its own
        # redline (so a vehicle's envelope does not depend on the other vehicles of the fleet).
        v[OMEGA_STEP] = v[REDLINE] / (ENGINE_GRID_POINTS - 1)
        self.torque_map = np.stack([
            np.interp(np.linspace(0.0, p.powertrain.max_engine_speed, ENGINE_GRID_POINTS), p.powertrain.engine_speed,
                      p.powertrain.max_torque, left=p.powertrain.max_torque[0], right=0.0) for p in parameters])
        gears = max(len(p.powertrain.gear_ratios) for p in parameters)
        self.total_ratio = np.zeros((n, gears))
        for i, p in enumerate(parameters):
            pt = p.powertrain
            self.total_ratio[i, :len(pt.gear_ratios)] = np.asarray(pt.gear_ratios) * pt.final_drive
        self.drive_gain = (self.total_ratio * np.array([p.powertrain.efficiency for p in parameters])[:, None]
                           / self.wheel_radius[:, None])
        self._rows = np.arange(n)
        self.nominal_mu_x = v[MU_X].copy()
        self.friction_scale = np.ones(n)
        """Per-vehicle road friction scale applied by :meth:`set_friction_scale` (1 = reference surface)."""

    def set_friction_scale(self, rows: np.ndarray, scale: np.ndarray) -> None:
        """Scale the peak tyre-road friction of vehicles ``rows`` (both axles' Magic Formula peaks and
        the friction limit of the kinematic model and of the low-level controller's deceleration)."""
        scale = np.maximum(scale, MIN_FRICTION_SCALE)
        self.friction_scale[rows] = scale
        self.values[MU_X, rows] = self.nominal_mu_x[rows] * scale
        n = len(self.sets)
        self.axle_tyres.scale_friction(np.concatenate((rows, rows + n)), np.concatenate((scale, scale)))

    def __len__(self) -> int:
        return len(self.sets)

    @property
    def omega_step(self) -> np.ndarray:
        """Spacing of each vehicle's engine-speed grid (rad/s)."""
        return self.values[OMEGA_STEP]

    def max_drive_force(self, speed: np.ndarray) -> np.ndarray:
        """Tractive-effort envelope at each vehicle's |speed| (N): best gear.

        ``speed`` broadcasts against the vehicles (one speed per vehicle, or
        many speeds for a one-vehicle fleet).
        """
        shape = np.broadcast_shapes(np.shape(speed), self._rows.shape)
        speeds, rows = np.empty(shape), np.empty(shape, dtype=np.int64)
        speeds[...] = speed
        rows[...] = self._rows
        out = np.empty(shape)
        _envelope_loop(speeds.reshape(-1), rows.reshape(-1), self.values, self.torque_map, self.total_ratio,
                       self.drive_gain, out.reshape(-1))
        return out

