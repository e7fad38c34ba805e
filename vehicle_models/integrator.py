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
    YAW_RATE, dynamic_rhs, kinematic_rhs, lateral_stiffness,
)

PEDALS, ACKERMANN, ACCELERATION, REFERENCE = range(4)
RK4_STABILITY_MARGIN = 2.0
"""Largest ``dt * lambda`` per sub-step (RK4's real-axis stability limit is 2.785)."""
WORK_ROWS = 7
"""Scratch rows of :func:`fleet_step`: start state, state, stage state, four stage derivatives."""
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
def _integrate(dynamic, dt, n_sub, state, new_state, accel_body, u, direct, p, tyres, work):
    """RK4 for every vehicle, then limits, standstill hold and body accelerations."""
    h = dt / n_sub
    x0, x, xt, k = work[0], work[1], work[2], work[3:7]
    for i in range(state.shape[1]):
        for j in range(N_STATES):
            x0[j] = state[j, i]
            x[j] = x0[j]
        cos_g, sin_g = math.cos(u[GRADE, i]), math.sin(u[GRADE, i])
        for _ in range(n_sub):
            for stage in range(4):
                if stage == 0:
                    for j in range(N_STATES):
                        xt[j] = x[j]
                elif stage < 3:
                    for j in range(N_STATES):
                        xt[j] = x[j] + 0.5 * h * k[stage - 1, j]
                else:
                    for j in range(N_STATES):
                        xt[j] = x[j] + h * k[2, j]
                if dynamic:
                    dynamic_rhs(xt, i, u, direct, p, tyres, cos_g, sin_g, k[stage])
                else:
                    kinematic_rhs(xt, i, u, direct, p, tyres, cos_g, sin_g, k[stage])
            for j in range(N_STATES):
                x[j] = x[j] + (h / 6.0) * (k[0, j] + 2.0 * (k[1, j] + k[2, j]) + k[3, j])
        _finish(dynamic, dt, i, x0, x, accel_body, direct, p, cos_g, sin_g)
        for j in range(N_STATES):
            new_state[j, i] = x[j]


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
