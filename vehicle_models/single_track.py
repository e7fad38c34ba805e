"""Right-hand sides of the kinematic and dynamic single-track models (compiled, per vehicle).

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

Vehicles do not interact inside a step, so each right-hand side is written for
one vehicle (``x`` its 9 states, ``i`` its column) and compiled;
:func:`kinematic_derivative` and :func:`dynamic_derivative` evaluate them for a
whole fleet, and :mod:`vehicle_models.integrator` calls them inside its RK4 loop.
"""

from __future__ import annotations

import math

import numpy as np

from vehicle_models.fleet_parameters import (
    BRAKE_FRONT, BRAKE_TAU, COG_HEIGHT, DRAG_AREA, DRIVE_FRONT, DRIVE_TAU, K_Y_FRONT, K_Y_REAR, LF, LR, MASS,
    MAX_STEER, MU_X, ROLLING, STEER_TAU, WHEELBASE, YAW_INERTIA, ParameterArrays,
)
from vehicle_models.jit import kernel
from vehicle_models.parameters import AIR_DENSITY, GRAVITY
from vehicle_models.tyre import axle_force
from vehicle_models.tyre_pair import axle_forces_four

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

# Rows of StepInputs.values.
STEER_TARGET, STEER_RATE_LIMIT, DRIVE_TARGET, BRAKE_TARGET, GRADE, DIRECT_STEER_RATE, DIRECT_ACCELERATION = range(7)
N_INPUT_ROWS = 7
_INPUT_ROWS = {"steer_target": STEER_TARGET, "steer_rate_limit": STEER_RATE_LIMIT, "drive_target": DRIVE_TARGET,
               "brake_target": BRAKE_TARGET, "grade": GRADE, "direct_steer_rate": DIRECT_STEER_RATE,
               "direct_acceleration": DIRECT_ACCELERATION}


class StepInputs:
    """Actuator targets held constant over one fleet step (arrays of length N).

    ``direct`` selects the reference-input mode of CommonRoad (steering rate and
    longitudinal acceleration imposed directly, no resistances): used for
    validation and for perfectly actuated traffic.  The float inputs are rows
    of ``values`` (one array for the kernels); each named attribute reads and
    writes its row.
    """

    def __init__(self, steer_target, steer_rate_limit, drive_target, brake_target, grade, direct,
                 direct_steer_rate, direct_acceleration) -> None:
        n = len(direct)
        self.values = np.zeros((N_INPUT_ROWS, n))
        self.direct = np.asarray(direct, dtype=bool).copy()
        for name, value in (("steer_target", steer_target), ("steer_rate_limit", steer_rate_limit),
                            ("drive_target", drive_target), ("brake_target", brake_target), ("grade", grade),
                            ("direct_steer_rate", direct_steer_rate), ("direct_acceleration", direct_acceleration)):
            setattr(self, name, value)

    @classmethod
    def zeros(cls, n: int) -> "StepInputs":
        z = np.zeros(n)
        return cls(z, np.full(n, np.inf), z, z, z, np.zeros(n, dtype=bool), z, z)

    def __getattr__(self, name: str) -> np.ndarray:
        if name in _INPUT_ROWS:
            return self.__dict__["values"][_INPUT_ROWS[name]]
        raise AttributeError(name)

    def __setattr__(self, name: str, value) -> None:
        if name in _INPUT_ROWS:
            self.values[_INPUT_ROWS[name]] = value
        elif name == "direct":
            if "direct" in self.__dict__:
                self.__dict__["direct"][:] = value
            else:
                self.__dict__["direct"] = value
        else:
            object.__setattr__(self, name, value)


@kernel
def _clip(value, low, high):
    """``np.clip`` for scalars: ``min(max(value, low), high)``."""
    return min(max(value, low), high)


@kernel
def _actuators(x, i, u, direct, p):
    """Steering servo (rate-limited first order) and drive/brake first-order lags."""
    delta = x[STEER]
    limit = u[STEER_RATE_LIMIT, i]
    rate = u[DIRECT_STEER_RATE, i]
    if direct[i]:
        at_stop = (delta >= p[MAX_STEER, i] and rate > 0) or (delta <= -p[MAX_STEER, i] and rate < 0)
        d_delta = 0.0 if at_stop else rate
    else:
        d_delta = _clip((u[STEER_TARGET, i] - delta) / p[STEER_TAU, i], -limit, limit)
    d_drive = (u[DRIVE_TARGET, i] - x[DRIVE]) / p[DRIVE_TAU, i]
    d_brake = (u[BRAKE_TARGET, i] - x[BRAKE]) / p[BRAKE_TAU, i]
    return d_delta, d_drive, d_brake


@kernel
def _longitudinal_loads(x, i, u, direct, p, cos_g, sin_g):
    """Forces along the body x axis (N): tyre demand, resistances, rolling part, external, normal load."""
    vx = x[VX]
    weight = p[MASS, i] * GRAVITY
    normal = weight * cos_g
    if direct[i]:
        return 0.0, 0.0, 0.0, p[MASS, i] * u[DIRECT_ACCELERATION, i], normal
    sign = _clip(vx / SIGN_SPEED, -1.0, 1.0)
    tyre_demand = x[DRIVE] - x[BRAKE] * sign
    rolling = p[ROLLING, i] * weight * cos_g * sign
    resistance = rolling + (0.5 * AIR_DENSITY * p[DRAG_AREA, i] * vx * abs(vx) + weight * sin_g)
    return tyre_demand, resistance, rolling, 0.0, normal


@kernel
def kinematic_rhs(x, i, u, direct, p, tyres, cos_g, sin_g, dx):
    """Kinematic single-track (KS) model at the rear axle; longitudinal force friction-limited."""
    d_delta, d_drive, d_brake = _actuators(x, i, u, direct, p)
    tyre_demand, resistance, _, external, normal = _longitudinal_loads(x, i, u, direct, p, cos_g, sin_g)
    limit = p[MU_X, i] * normal
    force = _clip(tyre_demand, -limit, limit) - resistance + external
    vx, yaw = x[VX], x[YAW]
    dx[X] = vx * math.cos(yaw)
    dx[Y] = vx * math.sin(yaw)
    dx[YAW] = vx * math.tan(x[STEER]) / p[WHEELBASE, i]
    dx[VX] = force / p[MASS, i]
    dx[VY] = 0.0
    dx[YAW_RATE] = 0.0
    dx[STEER] = d_delta
    dx[DRIVE] = d_drive
    dx[BRAKE] = d_brake


@kernel
def _dynamic_before_tyres(x, i, u, direct, p, cos_g, sin_g):
    """First part of :func:`dynamic_rhs`: everything up to the axle forces' arguments.

    Returns ``(d_delta, d_drive, d_brake, resistance, external, sd, cd, vyr, dvx_kin, dvy_kin,
    dr_kin, w, alpha_front, alpha_rear, fx_front, fx_rear, fz_front, fz_rear)``; the slip
    angles are 0 (not computed) where the dynamic weight ``w`` is 0.
    """
    mass, lf, lr, l = p[MASS, i], p[LF, i], p[LR, i], p[WHEELBASE, i]
    d_delta, d_drive, d_brake = _actuators(x, i, u, direct, p)
    tyre_demand, resistance, rolling, external, normal = _longitudinal_loads(x, i, u, direct, p, cos_g, sin_g)
    vx, vy, r, delta = x[VX], x[VY], x[YAW_RATE], x[STEER]
    sd, cd = math.sin(delta), math.cos(delta)
    # Load transfer (Rajamani §4.2): the net ground-level force (tyre force less rolling
    # resistance, which also acts at the ground) balances forces at CoG height.  The tyres
    # deliver at most mu Fz: a brake or drive demand beyond the road's grip transfers no more
    # load than the grip allows (else the unloaded axle's Fz clamps at 0 and the sum of the
    # axle loads, hence of the friction forces, exceeds the weight).
    limit = p[MU_X, i] * normal
    transfer = p[COG_HEIGHT, i] * (_clip(tyre_demand, -limit, limit) - rolling + external) / l
    fz_front = normal * lr / l - transfer
    fz_rear = normal * lf / l + transfer
    if tyre_demand >= 0:
        fx_front = tyre_demand * p[DRIVE_FRONT, i]
        fx_rear = tyre_demand * (1 - p[DRIVE_FRONT, i])
    else:
        fx_front = tyre_demand * p[BRAKE_FRONT, i]
        fx_rear = tyre_demand * (1 - p[BRAKE_FRONT, i])
    vyr = vy - lr * r
    # Kinematic regime: no-slip yaw rate v tan(delta)/l, CoG lateral velocity lr * r.
    dvx_kin = (_clip(tyre_demand, -limit, limit) - resistance + external) / mass
    tan_d = math.tan(delta)
    r_kin = vx * tan_d / l
    dr_ff = (dvx_kin * tan_d + vx * d_delta / (cd * cd)) / l
    dr_kin = dr_ff + (r_kin - r) / KINEMATIC_RELAXATION
    dvy_kin = lr * dr_ff + (lr * r_kin - vy) / KINEMATIC_RELAXATION
    w = _clip((abs(vx) - V_KINEMATIC) / (V_DYNAMIC - V_KINEMATIC), 0.0, 1.0)
    alpha_front = alpha_rear = 0.0
    if w > 0.0:  # below V_KINEMATIC the dynamic part has weight 0: the tyres need no evaluation
        # Slip angles in the wheel frames (valid forwards and in reverse), speed floored at V_KINEMATIC.
        w_front = vy + lf * r
        vxf = vx * cd + w_front * sd
        vyf = w_front * cd - vx * sd
        alpha_front = -math.atan(vyf / max(abs(vxf), V_KINEMATIC))
        alpha_rear = -math.atan(vyr / max(abs(vx), V_KINEMATIC))
    return (d_delta, d_drive, d_brake, resistance, external, sd, cd, vyr, dvx_kin, dvy_kin, dr_kin, w,
            alpha_front, alpha_rear, fx_front, fx_rear, fz_front, fz_rear)


@kernel
def _dynamic_after_tyres(x, i, u, direct, p, before, fxf, fyf, fxr, fyr, dx):
    """Second part of :func:`dynamic_rhs`: the body's equations from the axle forces; writes ``dx``."""
    (d_delta, d_drive, d_brake, resistance, external, sd, cd, vyr, dvx_kin, dvy_kin, dr_kin, w,
     _, _, _, _, _, _) = before
    mass, lf, lr = p[MASS, i], p[LF, i], p[LR, i]
    vx, vy, r, yaw = x[VX], x[VY], x[YAW_RATE], x[YAW]
    dvx, dvy, dr = dvx_kin, dvy_kin, dr_kin
    if w > 0.0:
        front_lat = fxf * sd + fyf * cd
        long_force = fxf * cd - fyf * sd + fxr - resistance + external
        dvx_dyn = long_force / mass + vy * r
        dvy_dyn = (front_lat + fyr) / mass - vx * r
        dr_dyn = (lf * front_lat - lr * fyr) / p[YAW_INERTIA, i]
        if direct[i]:
            # Reference inputs impose the acceleration along the CoG velocity, as CommonRoad's
            # ST model does (its state is the speed |v|): d|v|/dt = (vx dvx + vy dvy) / |v| = a.
            speed = math.hypot(vx, vy)
            vx_floor = max(vx, V_KINEMATIC) if vx >= 0 else min(vx, -V_KINEMATIC)
            dvx_dyn = (u[DIRECT_ACCELERATION, i] * speed * np.sign(vx) - vy * dvy_dyn) / vx_floor
        dvx = dvx_kin + w * (dvx_dyn - dvx_kin)
        dvy = dvy_kin + w * (dvy_dyn - dvy_kin)
        dr = dr_kin + w * (dr_dyn - dr_kin)
    cy, sy = math.cos(yaw), math.sin(yaw)
    dx[X] = vx * cy - vyr * sy
    dx[Y] = vx * sy + vyr * cy
    dx[YAW] = r
    dx[VX] = dvx
    dx[VY] = dvy
    dx[YAW_RATE] = dr
    dx[STEER] = d_delta
    dx[DRIVE] = d_drive
    dx[BRAKE] = d_brake


@kernel
def dynamic_rhs(x, i, u, direct, p, tyres, cos_g, sin_g, dx):
    """Dynamic single-track model with Magic-Formula tyres, blended to kinematic at low speed.

    ``tyres`` is the fleet's axle table: front axle of vehicle ``i`` at column
    ``i``, rear at ``i + N``.  Written in two parts around the axle forces so
    that :func:`dynamic_rhs_pair` can evaluate two vehicles' tyres interleaved.
    """
    n = p.shape[1]
    before = _dynamic_before_tyres(x, i, u, direct, p, cos_g, sin_g)
    fxf = fyf = fxr = fyr = 0.0
    if before[11] > 0.0:
        fxf, fyf = axle_force(before[12], before[14], before[16], tyres, i)
        fxr, fyr = axle_force(before[13], before[15], before[17], tyres, n + i)
    _dynamic_after_tyres(x, i, u, direct, p, before, fxf, fyf, fxr, fyr, dx)


@kernel
def dynamic_rhs_pair(xa, ia, xb, ib, u, direct, p, tyres, cos_ga, sin_ga, cos_gb, sin_gb, dxa, dxb):
    """:func:`dynamic_rhs` of two vehicles, their axle forces interleaved (:func:`axle_forces_four`).

    Each vehicle's result is computed by the same operations on the same values
    as :func:`dynamic_rhs` alone: the two are independent, and interleaving
    only lets the processor overlap two chains of dependent ``atan`` calls.
    """
    n = p.shape[1]
    a = _dynamic_before_tyres(xa, ia, u, direct, p, cos_ga, sin_ga)
    b = _dynamic_before_tyres(xb, ib, u, direct, p, cos_gb, sin_gb)
    fxf_a, fyf_a, fxr_a, fyr_a, fxf_b, fyf_b, fxr_b, fyr_b = axle_forces_four(
        a[11] > 0.0, a[12], a[13], a[14], a[15], a[16], a[17], ia, ia + n,
        b[11] > 0.0, b[12], b[13], b[14], b[15], b[16], b[17], ib, ib + n, tyres)
    _dynamic_after_tyres(xa, ia, u, direct, p, a, fxf_a, fyf_a, fxr_a, fyr_a, dxa)
    _dynamic_after_tyres(xb, ib, u, direct, p, b, fxf_b, fyf_b, fxr_b, fyr_b, dxb)


@kernel
def lateral_stiffness(vx, i, p):
    """Largest lateral eigenvalue magnitude of vehicle ``i`` (1/s), for choosing sub-steps.

    For the linear single-track model the lateral eigenvalues are bounded by
    ``(Cf + Cr) / (m v) + (lf² Cf + lr² Cr) / (Iz v)`` (trace of its system
    matrix, Rajamani eq. 2.45), scaled by the blend weight below ``V_DYNAMIC``
    (the blended system's lateral eigenvalues scale with the dynamic weight);
    the actuator and relaxation constants add theirs.
    """
    mass, lf, lr, l = p[MASS, i], p[LF, i], p[LR, i], p[WHEELBASE, i]
    v = max(abs(vx), V_KINEMATIC)
    cf = p[K_Y_FRONT, i] * mass * GRAVITY * lr / l
    cr = p[K_Y_REAR, i] * mass * GRAVITY * lf / l
    lateral = (cf + cr) / (mass * v) + (lf**2 * cf + lr**2 * cr) / (p[YAW_INERTIA, i] * v)
    lateral = lateral * _clip((v - V_KINEMATIC) / (V_DYNAMIC - V_KINEMATIC), 0.0, 1.0)
    actuators = max(1.0 / p[STEER_TAU, i], 1.0 / KINEMATIC_RELAXATION)
    return max(lateral, actuators)


@kernel
def _fleet_derivative(dynamic, state, u, direct, p, tyres, out, work):
    xi, di = work[0], work[1]
    for i in range(state.shape[1]):
        for k in range(N_STATES):
            xi[k] = state[k, i]
        cos_g, sin_g = math.cos(u[GRADE, i]), math.sin(u[GRADE, i])
        if dynamic:
            dynamic_rhs(xi, i, u, direct, p, tyres, cos_g, sin_g, di)
        else:
            kinematic_rhs(xi, i, u, direct, p, tyres, cos_g, sin_g, di)
        for k in range(N_STATES):
            out[k, i] = di[k]


def kinematic_derivative(x: np.ndarray, u: StepInputs, p: ParameterArrays) -> np.ndarray:
    """d(state)/dt of the kinematic model for a whole fleet (9 × N)."""
    out = np.empty(np.shape(x))
    _fleet_derivative(False, np.ascontiguousarray(x, dtype=float), u.values, u.direct, p.values,
                      p.axle_tyres.coefficients, out, np.empty((2, N_STATES)))
    return out


def dynamic_derivative(x: np.ndarray, u: StepInputs, p: ParameterArrays) -> np.ndarray:
    """d(state)/dt of the dynamic model for a whole fleet (9 × N)."""
    out = np.empty(np.shape(x))
    _fleet_derivative(True, np.ascontiguousarray(x, dtype=float), u.values, u.direct, p.values,
                      p.axle_tyres.coefficients, out, np.empty((2, N_STATES)))
    return out


def stiffness_bound(x: np.ndarray, p: ParameterArrays) -> float:
    """Largest lateral eigenvalue magnitude of the fleet (1/s): see :func:`lateral_stiffness`."""
    return float(max(lateral_stiffness(float(vx), i, p.values) for i, vx in enumerate(x[VX])))
