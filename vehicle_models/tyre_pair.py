"""Axle forces of two vehicles at once, their slip inversions interleaved: the same values, sooner.

Almost all of a dynamic vehicle's step is the combined-slip inversion of
:func:`vehicle_models.tyre.axle_force`: three passes of ``asin``, ``tan``, a
Newton solve of up to four ``atan`` and a combined-slip weight, each call
waiting for the one before.  One chain keeps the processor's floating-point
units mostly idle (a four-iteration Newton solve measured 76 ns alone, 46 ns a
solve with two independent ones interleaved).  Two vehicles' inversions are
independent, so :func:`axle_forces_four` runs them in lockstep: every value is
computed by the same operations on the same operands as in ``axle_force``
(only the order of independent operations differs), so the forces are
bit-identical; ``tests/vehicle_models/test_vehicle_s11_exact_speed.py``
checks this against the straightforward implementation.
"""

from __future__ import annotations

import numpy as np

from vehicle_models.jit import kernel
from vehicle_models.tyre import (
    B_X, B_Y, C_X, C_Y, E_X, E_Y, LINEAR, MU_X, MU_Y, R_BX1, R_BX2, R_BY1, R_BY2, R_CX1, R_CY1, SLIP_PASSES,
    _combined_weight, _slip_for_force_scalar, axle_force, magic_formula, same_value,
)


@kernel
def _needs_inversion(fx_demand, t, j):
    """Whether :func:`axle_force` inverts the slip for this axle (Magic Formula, non-zero demand)."""
    return t[LINEAR, j] == 0.0 and fx_demand != 0.0


@kernel
def _slip_for_force_two(force1, b1, c1, d1, e1, force2, b2, c2, d2, e2):
    """Two :func:`~vehicle_models.tyre._slip_for_force_scalar` calls, their Newton iterations in lockstep."""
    ratio1 = np.minimum(np.maximum(force1 / np.maximum(d1, 1e-9), -1.0), 1.0)
    ratio2 = np.minimum(np.maximum(force2 / np.maximum(d2, 1e-9), -1.0), 1.0)
    phi1 = np.tan(np.arcsin(ratio1) / c1)
    phi2 = np.tan(np.arcsin(ratio2) / c2)
    u1, u2 = phi1, phi2
    moving1 = moving2 = True
    for _ in range(4):
        if moving1:
            residual1 = (1.0 - e1) * u1 + e1 * np.arctan(u1) - phi1
            slope1 = (1.0 - e1) + e1 / (1.0 + u1 * u1)
            next1 = u1 - residual1 / slope1
            if same_value(next1, u1):
                moving1 = False
            else:
                u1 = next1
        if moving2:
            residual2 = (1.0 - e2) * u2 + e2 * np.arctan(u2) - phi2
            slope2 = (1.0 - e2) + e2 / (1.0 + u2 * u2)
            next2 = u2 - residual2 / slope2
            if same_value(next2, u2):
                moving2 = False
            else:
                u2 = next2
        if not (moving1 or moving2):
            break
    return u1 / b1, ratio1 * d1, u2 / b2, ratio2 * d2


@kernel
def _two_axles(alpha1, fx1, fz1, j1, alpha2, fx2, fz2, j2, t):
    """(fx, fy) of axles ``j1`` and ``j2``, each exactly :func:`axle_force`'s; inversions interleaved."""
    if not (_needs_inversion(fx1, t, j1) and _needs_inversion(fx2, t, j2)):
        fxa, fya = axle_force(alpha1, fx1, fz1, t, j1)
        fxb, fyb = axle_force(alpha2, fx2, fz2, t, j2)
        return fxa, fya, fxb, fyb
    fz1 = max(fz1, 0.0)
    fz2 = max(fz2, 0.0)
    fy01 = magic_formula(alpha1, t[B_Y, j1], t[C_Y, j1], t[MU_Y, j1] * fz1, t[E_Y, j1])
    fy02 = magic_formula(alpha2, t[B_Y, j2], t[C_Y, j2], t[MU_Y, j2] * fz2, t[E_Y, j2])
    b1, c1, d1, e1 = t[B_X, j1], t[C_X, j1], t[MU_X, j1] * fz1, t[E_X, j1]
    b2, c2, d2, e2 = t[B_X, j2], t[C_X, j2], t[MU_X, j2] * fz2, t[E_X, j2]
    demand1, demand2 = fx1, fx2
    kappa1, f01, g1 = 0.0, 0.0, 1.0
    kappa2, f02, g2 = 0.0, 0.0, 1.0
    open1 = open2 = True
    for _ in range(SLIP_PASSES + 1):
        if open1 and open2:
            kappa1, f01, kappa2, f02 = _slip_for_force_two(demand1, b1, c1, d1, e1, demand2, b2, c2, d2, e2)
        elif open1:
            kappa1, f01 = _slip_for_force_scalar(demand1, b1, c1, d1, e1)
        elif open2:
            kappa2, f02 = _slip_for_force_scalar(demand2, b2, c2, d2, e2)
        else:
            break
        if open1:
            g1 = _combined_weight(alpha1, kappa1, t[R_BX1, j1], t[R_BX2, j1], t[R_CX1, j1])
            next1 = fx1 / g1
            if same_value(next1, demand1):
                open1 = False
            else:
                demand1 = next1
        if open2:
            g2 = _combined_weight(alpha2, kappa2, t[R_BX1, j2], t[R_BX2, j2], t[R_CX1, j2])
            next2 = fx2 / g2
            if same_value(next2, demand2):
                open2 = False
            else:
                demand2 = next2
    g_yk1 = _combined_weight(kappa1, alpha1, t[R_BY1, j1], t[R_BY2, j1], t[R_CY1, j1])
    g_yk2 = _combined_weight(kappa2, alpha2, t[R_BY1, j2], t[R_BY2, j2], t[R_CY1, j2])
    return f01 * g1, fy01 * g_yk1, f02 * g2, fy02 * g_yk2


@kernel
def axle_forces_four(live_a, alpha_fa, alpha_ra, fx_fa, fx_ra, fz_fa, fz_ra, j_fa, j_ra,
                     live_b, alpha_fb, alpha_rb, fx_fb, fx_rb, fz_fb, fz_rb, j_fb, j_rb, t):
    """(fx, fy) of the front and rear axles of vehicles a and b (zeros for a vehicle not ``live``).

    The axles are paired so that as many inversions as possible run two at a
    time: a vehicle braking on both axles with itself, else the driven axle of
    one vehicle with the driven axle of the other.
    """
    zero = 0.0
    if not live_b:
        if not live_a:
            return zero, zero, zero, zero, zero, zero, zero, zero
        f1, g1, f2, g2 = _two_axles(alpha_fa, fx_fa, fz_fa, j_fa, alpha_ra, fx_ra, fz_ra, j_ra, t)
        return f1, g1, f2, g2, zero, zero, zero, zero
    if not live_a:
        f1, g1, f2, g2 = _two_axles(alpha_fb, fx_fb, fz_fb, j_fb, alpha_rb, fx_rb, fz_rb, j_rb, t)
        return zero, zero, zero, zero, f1, g1, f2, g2
    h_fa, h_ra = _needs_inversion(fx_fa, t, j_fa), _needs_inversion(fx_ra, t, j_ra)
    h_fb, h_rb = _needs_inversion(fx_fb, t, j_fb), _needs_inversion(fx_rb, t, j_rb)
    if (h_fa and h_ra) or (h_fb and h_rb) or not ((h_fa or h_ra) and (h_fb or h_rb)):
        fxf_a, fyf_a, fxr_a, fyr_a = _two_axles(alpha_fa, fx_fa, fz_fa, j_fa, alpha_ra, fx_ra, fz_ra, j_ra, t)
        fxf_b, fyf_b, fxr_b, fyr_b = _two_axles(alpha_fb, fx_fb, fz_fb, j_fb, alpha_rb, fx_rb, fz_rb, j_rb, t)
    elif h_fa == h_fb:  # both front-driven or both rear-driven: fronts together, rears together
        fxf_a, fyf_a, fxf_b, fyf_b = _two_axles(alpha_fa, fx_fa, fz_fa, j_fa, alpha_fb, fx_fb, fz_fb, j_fb, t)
        fxr_a, fyr_a, fxr_b, fyr_b = _two_axles(alpha_ra, fx_ra, fz_ra, j_ra, alpha_rb, fx_rb, fz_rb, j_rb, t)
    else:  # one front-driven, one rear-driven
        fxf_a, fyf_a, fxr_b, fyr_b = _two_axles(alpha_fa, fx_fa, fz_fa, j_fa, alpha_rb, fx_rb, fz_rb, j_rb, t)
        fxr_a, fyr_a, fxf_b, fyf_b = _two_axles(alpha_ra, fx_ra, fz_ra, j_ra, alpha_fb, fx_fb, fz_fb, j_fb, t)
    return fxf_a, fyf_a, fxr_a, fyr_a, fxf_b, fyf_b, fxr_b, fyr_b
