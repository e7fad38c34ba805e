"""One fleet step, compiled: input preparation, fixed-step RK4 with sub-steps, limits, standstill.

Classical RK4 on each vehicle's state with a fixed step; when the step is too
long for the fastest dynamics in the fleet (``dt * lambda_max > 2``, with
``lambda_max`` from :func:`~vehicle_models.single_track.lateral_stiffness`,
the actuators and the kinematic relaxation) it is split into equal sub-steps,
the same number for every vehicle, so ``step(0.01)`` is safe down to
standstill.  RK4's real-axis stability limit is 2.785 (Hairer & Wanner,
*Solving ODEs II*, 1996, §IV.2), hence the margin of 2.

Vehicles do not interact within a step, so the loop over vehicles is the
outer one and each vehicle's RK4 stages run on nine scalars: the numpy
formulation this replaces spent its time on the overhead of hundreds of small
array operations per stage.  The arithmetic is the same, term by term.
Dynamic vehicles that drive or brake are integrated two at a time, so that
their tyres' chains of dependent libm calls overlap in the processor; each
vehicle's values are those of integrating it alone, bit for bit.
"""

from __future__ import annotations

import math

import numpy as np

from vehicle_models.fleet_parameters import (
    LAUNCH_SPEED, LR, MASS, MAX_BRAKE_FORCE, MAX_REVERSE_SPEED, MAX_SPEED, MAX_STEER, MAX_STEER_RATE, OMEGA_STEP,
    REDLINE, ROLLING, WHEEL_RADIUS, WHEELBASE, drive_force_envelope,
)
from vehicle_models.jit import kernel
from vehicle_models.low_level import controller_command
from vehicle_models.parameters import GRAVITY
from vehicle_models.single_track import (
    BRAKE, BRAKE_TARGET, DRIVE, DRIVE_TARGET, GRADE, N_STATES, STEER, STEER_RATE_LIMIT, STEER_TARGET, VX, VY,
    YAW_RATE, dynamic_rhs, dynamic_rhs_pair, kinematic_rhs, lateral_stiffness,
)

PEDALS, ACKERMANN, ACCELERATION, REFERENCE = range(4)
RK4_STABILITY_MARGIN = 2.0
"""Largest ``dt * lambda`` per sub-step (RK4's real-axis stability limit is 2.785)."""
WORK_ROWS = 14
"""Scratch rows of :func:`fleet_step`: per vehicle of a pair, start state, state, stage state, four stage
derivatives."""
STANDSTILL_SPEED = 0.05
"""m/s: below this a vehicle whose brakes and rolling resistance can hold it is set at rest."""


@kernel
def _prepare_inputs(dt, state, mode, pedals, reverse, hand_brake, u, direct, c, speed_mode, p,
                    torque_map, total_ratio, drive_gain, kp, ki):
    """Actuator targets for the step from each vehicle's input mode (pedals or low-level controller).

    When any vehicle is under the low-level controller, the controller is
    advanced for every vehicle (its state evolves the same way whatever the
    latched mode), as it always has been.
    """
    n = state.shape[1]
    controlled_any = False
    for i in range(n):
        if mode[i] == ACKERMANN or mode[i] == ACCELERATION:
            controlled_any = True
    for i in range(n):
        vx = state[VX, i]
        max_drive = drive_force_envelope(vx, i, torque_map, total_ratio, drive_gain, p[WHEEL_RADIUS, i],
                                         p[LAUNCH_SPEED, i], p[REDLINE, i], p[OMEGA_STEP, i])
        throttle, brake, backwards = pedals[0, i], pedals[1, i], reverse[i]
        steer_target = pedals[2, i] * p[MAX_STEER, i]
        rate = p[MAX_STEER_RATE, i]
        if controlled_any:
            cmd = controller_command(i, vx, u[GRADE, i], dt, max_drive, c, speed_mode, p, kp, ki)
            if mode[i] == ACKERMANN or mode[i] == ACCELERATION:
                throttle, brake, backwards, steer_target, rate = cmd
        drive = throttle * max_drive
        over = -vx >= p[MAX_REVERSE_SPEED, i] if backwards else vx >= p[MAX_SPEED, i]
        u[DRIVE_TARGET, i] = 0.0 if over else (-drive if backwards else drive)
        u[BRAKE_TARGET, i] = max(brake, 0.3 if hand_brake[i] else 0.0) * p[MAX_BRAKE_FORCE, i]
        u[STEER_TARGET, i] = steer_target
        u[STEER_RATE_LIMIT, i] = rate
        direct[i] = mode[i] == REFERENCE


@kernel
def substeps(dynamic, dt, state, p):
    """Number of equal RK4 sub-steps for the fleet (1 for the kinematic model)."""
    if not dynamic:
        return 1
    bound = 0.0
    for i in range(state.shape[1]):
        bound = max(bound, lateral_stiffness(state[VX, i], i, p))
    return max(1, math.ceil(dt * bound / RK4_STABILITY_MARGIN))


@kernel
def _stage_state(stage, h, x, k, xt):
    """RK4 stage ``stage``'s argument: ``x``, ``x + h/2 k1``, ``x + h/2 k2`` or ``x + h k3``."""
    if stage == 0:
        for j in range(N_STATES):
            xt[j] = x[j]
    elif stage < 3:
        for j in range(N_STATES):
            xt[j] = x[j] + 0.5 * h * k[stage - 1, j]
    else:
        for j in range(N_STATES):
            xt[j] = x[j] + h * k[2, j]


@kernel
def _rk4_update(h, x, k):
    for j in range(N_STATES):
        x[j] = x[j] + (h / 6.0) * (k[0, j] + 2.0 * (k[1, j] + k[2, j]) + k[3, j])


@kernel
def _integrate_one(dynamic, dt, n_sub, i, state, new_state, accel_body, u, direct, p, tyres, w):
    """RK4, limits, standstill hold and body accelerations of vehicle ``i`` (scratch rows ``w``)."""
    h = dt / n_sub
    x0, x, xt, k = w[0], w[1], w[2], w[3:7]
    for j in range(N_STATES):
        x0[j] = state[j, i]
        x[j] = x0[j]
    cos_g, sin_g = math.cos(u[GRADE, i]), math.sin(u[GRADE, i])
    for _ in range(n_sub):
        for stage in range(4):
            _stage_state(stage, h, x, k, xt)
            if dynamic:
                dynamic_rhs(xt, i, u, direct, p, tyres, cos_g, sin_g, k[stage])
            else:
                kinematic_rhs(xt, i, u, direct, p, tyres, cos_g, sin_g, k[stage])
        _rk4_update(h, x, k)
    _finish(dynamic, dt, i, x0, x, accel_body, direct, p, cos_g, sin_g)
    for j in range(N_STATES):
        new_state[j, i] = x[j]


@kernel
def _integrate_pair(dt, n_sub, i, b, state, new_state, accel_body, u, direct, p, tyres, w):
    """:func:`_integrate_one` of the dynamic vehicles ``i`` and ``b`` in lockstep.

    Each vehicle's arithmetic is :func:`_integrate_one`'s, value for value;
    evaluating the two right-hand sides together (:func:`dynamic_rhs_pair`)
    lets their tyre inversions overlap in the processor.
    """
    h = dt / n_sub
    x0a, xa, xta, ka = w[0], w[1], w[2], w[3:7]
    x0b, xb, xtb, kb = w[7], w[8], w[9], w[10:14]
    for j in range(N_STATES):
        x0a[j] = state[j, i]
        xa[j] = x0a[j]
        x0b[j] = state[j, b]
        xb[j] = x0b[j]
    cos_ga, sin_ga = math.cos(u[GRADE, i]), math.sin(u[GRADE, i])
    cos_gb, sin_gb = math.cos(u[GRADE, b]), math.sin(u[GRADE, b])
    for _ in range(n_sub):
        for stage in range(4):
            _stage_state(stage, h, xa, ka, xta)
            _stage_state(stage, h, xb, kb, xtb)
            dynamic_rhs_pair(xta, i, xtb, b, u, direct, p, tyres, cos_ga, sin_ga, cos_gb, sin_gb,
                             ka[stage], kb[stage])
        _rk4_update(h, xa, ka)
        _rk4_update(h, xb, kb)
    _finish(True, dt, i, x0a, xa, accel_body, direct, p, cos_ga, sin_ga)
    _finish(True, dt, b, x0b, xb, accel_body, direct, p, cos_gb, sin_gb)
    for j in range(N_STATES):
        new_state[j, i] = xa[j]
        new_state[j, b] = xb[j]


@kernel
def _pushes_tyres(i, state, u):
    """Whether vehicle ``i`` drives or brakes in this step (its tyres then invert the slip).

    Only a choice of which vehicles to integrate together: any pairing gives
    the same values; pairing two coasting vehicles gains nothing and costs a
    little.
    """
    return state[DRIVE, i] != 0.0 or state[BRAKE, i] != 0.0 or u[DRIVE_TARGET, i] != 0.0 or u[BRAKE_TARGET, i] != 0.0


@kernel
def _integrate(dynamic, dt, n_sub, state, new_state, accel_body, u, direct, p, tyres, work):
    """RK4 for every vehicle, then limits, standstill hold and body accelerations.

    Dynamic vehicles that drive or brake go two at a time (:func:`_integrate_pair`),
    the others (and an odd one out) alone; the results are the same as one at
    a time, bit for bit.
    """
    waiting = -1
    for i in range(state.shape[1]):
        if dynamic and _pushes_tyres(i, state, u):
            if waiting < 0:
                waiting = i
                continue
            _integrate_pair(dt, n_sub, waiting, i, state, new_state, accel_body, u, direct, p, tyres, work)
            waiting = -1
        else:
            _integrate_one(dynamic, dt, n_sub, i, state, new_state, accel_body, u, direct, p, tyres, work)
    if waiting >= 0:
        _integrate_one(dynamic, dt, n_sub, waiting, state, new_state, accel_body, u, direct, p, tyres, work)


@kernel
def _finish(dynamic, dt, i, x0, x, accel_body, direct, p, cos_g, sin_g):
    """Limits, standstill hold and body accelerations (at the reference point) of vehicle ``i``."""
    lr = p[LR, i]
    x[STEER] = min(max(x[STEER], -p[MAX_STEER, i]), p[MAX_STEER, i])
    x[VX] = min(max(x[VX], -p[MAX_REVERSE_SPEED, i]), p[MAX_SPEED, i])
    if not dynamic:
        x[YAW_RATE] = x[VX] * math.tan(x[STEER]) / p[WHEELBASE, i]
        x[VY] = lr * x[YAW_RATE]
    weight = p[MASS, i] * GRAVITY
    holding = x[BRAKE] + p[ROLLING, i] * weight * cos_g
    pushing = abs(x[DRIVE] - weight * sin_g)
    if not direct[i] and abs(x[VX]) < STANDSTILL_SPEED and holding >= pushing:
        if x0[VX] == 0.0:  # at rest before and after: the pose holds
            for j in range(VX):
                x[j] = x0[j]
        x[VX] = 0.0
        x[VY] = 0.0
        x[YAW_RATE] = 0.0
    r = x[YAW_RATE]
    dvx = (x[VX] - x0[VX]) / dt
    dvy = (x[VY] - x0[VY]) / dt
    dr = (r - x0[YAW_RATE]) / dt
    # CoG acceleration in the rotating body frame, then moved to the rear axle (rigid body).
    ax_cg = dvx - r * x[VY]
    ay_cg = dvy + r * x[VX]
    accel_body[0, i] = ax_cg + r * r * lr
    accel_body[1, i] = ay_cg - dr * lr


@kernel
def fleet_step(dynamic, dt, state, new_state, accel_body, mode, pedals, reverse, hand_brake, u, direct, c,
               speed_mode, p, tyres, torque_map, total_ratio, drive_gain, kp, ki, work):
    """Advance every vehicle by ``dt``; writes ``new_state``, ``accel_body`` and ``u``; returns sub-steps.

    ``work`` is (WORK_ROWS × N_STATES) scratch space (the kernel allocates nothing).
    """
    _prepare_inputs(dt, state, mode, pedals, reverse, hand_brake, u, direct, c, speed_mode, p,
                    torque_map, total_ratio, drive_gain, kp, ki)
    n_sub = substeps(dynamic, dt, state, p)
    _integrate(dynamic, dt, n_sub, state, new_state, accel_body, u, direct, p, tyres, work)
    return n_sub
