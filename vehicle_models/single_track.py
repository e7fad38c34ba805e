"""Right-hand sides of the kinematic and dynamic single-track models, for N vehicles at once.

State columns (``X[k, i]`` is state ``k`` of vehicle ``i``), reference point at
the centre of the rear axle (OpenSCENARIO):

====  =========  ==========================================================
 k    name       meaning
====  =========  ==========================================================
 0    X, Y       world position of the rear-axle centre (m)
 2    YAW        heading (rad, counter-clockwise from +x)
 3    VX         longitudinal body velocity (m/s; the same at every point of the x axis)
 4    VY         lateral body velocity *of the centre of gravity* (m/s)
 5    YAW_RATE   (rad/s)
 6    STEER      road-wheel steering angle (rad, left positive)
 7    DRIVE      drive force at the wheels after the powertrain lag (N, signed)
 8    BRAKE      service brake force after the brake lag (N, >= 0)
====  =========  ==========================================================

Kinematic model: Rajamani 2012 §2.2 / Althoff & Würsching 2020 §3 (KS, rear
axle reference): ``dx = v cos(psi)``, ``dy = v sin(psi)``, ``dpsi = v tan(delta) / l``.

Dynamic model: Rajamani 2012 §2.3 (planar rigid body, two axles) with
Magic-Formula axle forces (:mod:`vehicle_models.tyre`), longitudinal load
transfer ``dFz_f = -h F_x / l`` (Rajamani §4.2), drag, rolling resistance and
road grade (Wong 2008 §3).  Below ``V_KINEMATIC`` the slip angles lose meaning
and the equations stiffen (eigenvalues ~ ``C / (m v)``), so the derivative is
blended linearly into the kinematic one between ``V_KINEMATIC`` and
``V_DYNAMIC``; the kinematic part relaxes ``vy`` and ``yaw_rate`` onto the
no-slip values, so the switch is continuous (no jump in any state).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vehicle_models.fleet_parameters import ParameterArrays
from vehicle_models.parameters import AIR_DENSITY, GRAVITY
from vehicle_models.tyre import axle_forces

X, Y, YAW, VX, VY, YAW_RATE, STEER, DRIVE, BRAKE = range(9)
N_STATES = 9

V_KINEMATIC = 1.0
"""m/s: at or below, the dynamic model is purely kinematic."""
V_DYNAMIC = 3.0
"""m/s: at or above, purely dynamic; linear blend in between."""
KINEMATIC_RELAXATION = 0.05
"""s: time constant pulling vy and yaw rate onto their no-slip values in the kinematic regime."""
SIGN_SPEED = 0.1
"""m/s: brake and rolling resistance act as ``F * clip(v / SIGN_SPEED, -1, 1)`` (Coulomb friction, regularised)."""


@dataclass
class StepInputs:
    """Actuator targets held constant over one fleet step (arrays of length N).

    ``direct`` selects the reference-input mode of CommonRoad (steering rate and
    longitudinal acceleration imposed directly, no resistances): used for
    validation and for perfectly actuated traffic.
    """

    steer_target: np.ndarray
    steer_rate_limit: np.ndarray
    drive_target: np.ndarray
    brake_target: np.ndarray
    grade: np.ndarray
    direct: np.ndarray
    direct_steer_rate: np.ndarray
    direct_acceleration: np.ndarray

    @classmethod
    def zeros(cls, n: int) -> "StepInputs":
        z = np.zeros(n)
        return cls(z.copy(), np.full(n, np.inf), z.copy(), z.copy(), z.copy(),
                   np.zeros(n, dtype=bool), z.copy(), z.copy())


def _actuators(x: np.ndarray, u: StepInputs, p: ParameterArrays) -> tuple[np.ndarray, ...]:
    """Steering servo (rate-limited first order) and drive/brake first-order lags."""
    delta = x[STEER]
    servo = np.clip((u.steer_target - delta) / p.steer_tau, -u.steer_rate_limit, u.steer_rate_limit)
    at_stop = ((delta >= p.max_steer) & (u.direct_steer_rate > 0)) | (
        (delta <= -p.max_steer) & (u.direct_steer_rate < 0))
    direct_rate = np.where(at_stop, 0.0, u.direct_steer_rate)
    d_delta = np.where(u.direct, direct_rate, servo)
    d_drive = (u.drive_target - x[DRIVE]) / p.drive_tau
    d_brake = (u.brake_target - x[BRAKE]) / p.brake_tau
    return d_delta, d_drive, d_brake


def _longitudinal_loads(x: np.ndarray, u: StepInputs, p: ParameterArrays):
    """Forces along the body x axis (N): tyre demand, resistances, rolling part, external, normal load."""
    vx = x[VX]
    sign = np.clip(vx / SIGN_SPEED, -1.0, 1.0)
    weight = p.mass * GRAVITY
    cos_g = np.cos(u.grade)
    live = ~u.direct
    tyre_demand = np.where(live, x[DRIVE] - x[BRAKE] * sign, 0.0)
    rolling = live * (p.rolling * weight * cos_g * sign)
    resistance = rolling + live * (0.5 * AIR_DENSITY * p.drag_area * vx * np.abs(vx)
                                   + weight * np.sin(u.grade))
    external = np.where(u.direct, p.mass * u.direct_acceleration, 0.0)
    return tyre_demand, resistance, rolling, external, weight * cos_g


def kinematic_derivative(x: np.ndarray, u: StepInputs, p: ParameterArrays) -> np.ndarray:
    """Kinematic single-track (KS) model at the rear axle; longitudinal force friction-limited."""
    d_delta, d_drive, d_brake = _actuators(x, u, p)
    tyre_demand, resistance, rolling, external, normal = _longitudinal_loads(x, u, p)
    limit = p.mu_x * normal
    force = np.clip(tyre_demand, -limit, limit) - resistance + external
    vx, yaw = x[VX], x[YAW]
    dx = np.empty_like(x)
    dx[X] = vx * np.cos(yaw)
    dx[Y] = vx * np.sin(yaw)
    dx[YAW] = vx * np.tan(x[STEER]) / p.wheelbase
    dx[VX] = force / p.mass
    dx[VY] = 0.0
    dx[YAW_RATE] = 0.0
    dx[STEER] = d_delta
    dx[DRIVE] = d_drive
    dx[BRAKE] = d_brake
    return dx


def dynamic_derivative(x: np.ndarray, u: StepInputs, p: ParameterArrays) -> np.ndarray:
    """Dynamic single-track model with Magic-Formula tyres, blended to kinematic at low speed."""
    n = x.shape[1]
    d_delta, d_drive, d_brake = _actuators(x, u, p)
    tyre_demand, resistance, rolling, external, normal = _longitudinal_loads(x, u, p)
    vx, vy, r, delta, yaw = x[VX], x[VY], x[YAW_RATE], x[STEER], x[YAW]
    sd, cd = np.sin(delta), np.cos(delta)
    # Load transfer (Rajamani §4.2): the net ground-level force (tyre force less rolling
    # resistance, which also acts at the ground) balances forces at CoG height.
    transfer = p.cog_height * (tyre_demand - rolling + external) / p.wheelbase
    fz = np.concatenate((normal * p.lr / p.wheelbase - transfer,
                         normal * p.lf / p.wheelbase + transfer))
    fx_demand = np.concatenate((tyre_demand * np.where(tyre_demand >= 0, p.drive_front, p.brake_front),
                                tyre_demand * np.where(tyre_demand >= 0, 1 - p.drive_front, 1 - p.brake_front)))
    # Slip angles in the wheel frames (valid forwards and in reverse), speed floored at V_KINEMATIC.
    w_front = vy + p.lf * r
    vxf = vx * cd + w_front * sd
    vyf = w_front * cd - vx * sd
    vyr = vy - p.lr * r
    den = np.maximum(np.abs(np.concatenate((vxf, vx))), V_KINEMATIC)
    alpha = -np.arctan(np.concatenate((vyf, vyr)) / den)
    fx, fy = axle_forces(alpha, fx_demand, fz, p.axle_tyres)
    fxf, fxr, fyf, fyr = fx[:n], fx[n:], fy[:n], fy[n:]
    front_lat = fxf * sd + fyf * cd
    long_force = fxf * cd - fyf * sd + fxr - resistance + external
    dvx_dyn = long_force / p.mass + vy * r
    dvy_dyn = (front_lat + fyr) / p.mass - vx * r
    dr_dyn = (p.lf * front_lat - p.lr * fyr) / p.yaw_inertia
    # Reference inputs impose the acceleration along the CoG velocity, as CommonRoad's
    # ST model does (its state is the speed |v|): d|v|/dt = (vx dvx + vy dvy) / |v| = a.
    speed = np.hypot(vx, vy)
    vx_floor = np.where(vx >= 0, np.maximum(vx, V_KINEMATIC), np.minimum(vx, -V_KINEMATIC))
    dvx_ref = (u.direct_acceleration * speed * np.sign(vx) - vy * dvy_dyn) / vx_floor
    dvx_dyn = np.where(u.direct, dvx_ref, dvx_dyn)
    # Kinematic regime: no-slip yaw rate v tan(delta)/l, CoG lateral velocity lr * r.
    limit = p.mu_x * normal
    dvx_kin = (np.clip(tyre_demand, -limit, limit) - resistance + external) / p.mass
    tan_d = np.tan(delta)
    r_kin = vx * tan_d / p.wheelbase
    dr_ff = (dvx_kin * tan_d + vx * d_delta / (cd * cd)) / p.wheelbase
    dr_kin = dr_ff + (r_kin - r) / KINEMATIC_RELAXATION
    dvy_kin = p.lr * dr_ff + (p.lr * r_kin - vy) / KINEMATIC_RELAXATION
    w = np.clip((np.abs(vx) - V_KINEMATIC) / (V_DYNAMIC - V_KINEMATIC), 0.0, 1.0)
    dx = np.empty_like(x)
    cy, sy = np.cos(yaw), np.sin(yaw)
    dx[X] = vx * cy - vyr * sy
    dx[Y] = vx * sy + vyr * cy
    dx[YAW] = r
    dx[VX] = dvx_kin + w * (dvx_dyn - dvx_kin)
    dx[VY] = dvy_kin + w * (dvy_dyn - dvy_kin)
    dx[YAW_RATE] = dr_kin + w * (dr_dyn - dr_kin)
    dx[STEER] = d_delta
    dx[DRIVE] = d_drive
    dx[BRAKE] = d_brake
    return dx


def stiffness_bound(x: np.ndarray, p: ParameterArrays) -> float:
    """Largest lateral eigenvalue magnitude of the fleet (1/s), for choosing sub-steps.

    For the linear single-track model the lateral eigenvalues are bounded by
    ``(Cf + Cr) / (m v) + (lf² Cf + lr² Cr) / (Iz v)`` (trace of its system
    matrix, Rajamani eq. 2.45), scaled by the blend weight below ``V_DYNAMIC``;
    the actuator and relaxation constants add theirs.
    """
    v = np.maximum(np.abs(x[VX]), V_KINEMATIC)
    cf = p.k_y_front * p.mass * GRAVITY * p.lr / p.wheelbase
    cr = p.k_y_rear * p.mass * GRAVITY * p.lf / p.wheelbase
    lateral = (cf + cr) / (p.mass * v) + (p.lf**2 * cf + p.lr**2 * cr) / (p.yaw_inertia * v)
    # The blended system's lateral eigenvalues scale with the dynamic weight.
    lateral = lateral * np.clip((v - V_KINEMATIC) / (V_DYNAMIC - V_KINEMATIC), 0.0, 1.0)
    actuators = np.maximum(1.0 / p.steer_tau, 1.0 / KINEMATIC_RELAXATION)
    return float(np.max(np.maximum(lateral, actuators)))
