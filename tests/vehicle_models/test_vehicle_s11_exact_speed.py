"""The dynamic model's faster paths compute exactly what the straightforward code computes, bit for bit.

``tyre.axle_force`` stops its Newton solve and its combined-slip passes once
an iteration returns its own input (every later one would repeat it);
``tyre_pair`` interleaves two vehicles' inversions; the fleet step integrates
dynamic vehicles two at a time.  None of this may change a single bit: the
scenario library's stack-driven ego uses this model.  The references below are
the straightforward implementations (all Newton iterations, all passes, one
vehicle at a time), compiled with the same settings.
"""

import math
from dataclasses import replace

import numba
import numpy as np
import pytest

from vehicle_models import BUS, COMPACT_CAR, MIDSIZE_SEDAN, SUV, TRUCK, VehicleFleet
from vehicle_models.tyre import (
    B_X, B_Y, C_X, C_Y, E_X, E_Y, K_Y, LINEAR, MU_X, MU_Y, R_BX1, R_BX2, R_BY1, R_BY2, R_CX1, R_CY1, SLIP_PASSES,
    TyreArrays, axle_force, magic_formula, slip_for_force,
)
from vehicle_models.tyre_pair import _two_axles, axle_forces_four

reference_kernel = numba.njit(error_model="numpy")


@reference_kernel
def _reference_solve_phi(phi, e):
    u = phi
    for _ in range(4):
        residual = (1.0 - e) * u + e * np.arctan(u) - phi
        slope = (1.0 - e) + e / (1.0 + u * u)
        u = u - residual / slope
    return u


@reference_kernel
def _reference_weight(slip, other_slip, r_1, r_2, r_c):
    shape = r_1 / math.sqrt(1.0 + (r_2 * other_slip) * (r_2 * other_slip))
    return math.cos(r_c * math.atan(shape * slip))


@reference_kernel
def reference_axle_force(alpha, fx_demand, fz, t, j):
    """``axle_force`` as first written: four Newton iterations, every combined-slip pass."""
    fz = max(fz, 0.0)
    if t[LINEAR, j] != 0.0:
        return fx_demand, t[K_Y, j] * fz * alpha
    fy0 = magic_formula(alpha, t[B_Y, j], t[C_Y, j], t[MU_Y, j] * fz, t[E_Y, j])
    if fx_demand == 0.0:
        return 0.0, fy0
    b, c, d, e = t[B_X, j], t[C_X, j], t[MU_X, j] * fz, t[E_X, j]
    demand = fx_demand
    kappa, fx0, g_xa = 0.0, 0.0, 1.0
    for _ in range(SLIP_PASSES + 1):
        ratio = np.minimum(np.maximum(demand / np.maximum(d, 1e-9), -1.0), 1.0)
        kappa = _reference_solve_phi(np.tan(np.arcsin(ratio) / c), e) / b
        fx0 = ratio * d
        g_xa = _reference_weight(alpha, kappa, t[R_BX1, j], t[R_BX2, j], t[R_CX1, j])
        demand = fx_demand / g_xa
    g_yk = _reference_weight(kappa, alpha, t[R_BY1, j], t[R_BY2, j], t[R_CY1, j])
    return fx0 * g_xa, fy0 * g_yk


@numba.njit(error_model="numpy")
def _run_axles(alpha, fx, fz, t, j, reference, out):
    for k in range(alpha.shape[0]):
        if reference:
            out[0, k], out[1, k] = reference_axle_force(alpha[k], fx[k], fz[k], t, j[k])
        else:
            out[0, k], out[1, k] = axle_force(alpha[k], fx[k], fz[k], t, j[k])


@numba.njit(error_model="numpy")
def _run_pairs(alpha, fx, fz, t, j, out):
    for k in range(0, alpha.shape[0] - 1, 2):
        out[0, k], out[1, k], out[0, k + 1], out[1, k + 1] = _two_axles(
            alpha[k], fx[k], fz[k], j[k], alpha[k + 1], fx[k + 1], fz[k + 1], j[k + 1], t)


@numba.njit(error_model="numpy")
def _run_fours(live, alpha, fx, fz, t, j, out):
    for k in range(0, alpha.shape[0] - 3, 4):
        r = axle_forces_four(live[k], alpha[k], alpha[k + 1], fx[k], fx[k + 1], fz[k], fz[k + 1], j[k], j[k + 1],
                             live[k + 2], alpha[k + 2], alpha[k + 3], fx[k + 2], fx[k + 3], fz[k + 2], fz[k + 3],
                             j[k + 2], j[k + 3], t)
        for m in range(4):
            out[0, k + m], out[1, k + m] = r[2 * m], r[2 * m + 1]


def _bits(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.float64).view(np.int64)


def _tyres() -> TyreArrays:
    """A passenger tyre, its linear form, a truck's and one with an unusual longitudinal shape."""
    passenger = MIDSIZE_SEDAN.tyre
    return TyreArrays([passenger, replace(passenger, linear=True), TRUCK.tyre,
                       replace(passenger, curvature_x=-0.5, shape_x=1.9)])


def _axle_inputs(n: int, seed: int):
    """Random slips, demands and loads with the edge cases: zero (both signs), beyond the peak
    (saturation), reversing-sized slip angles, zero and negative loads, tiny and huge demands."""
    rng = np.random.default_rng(seed)
    alpha = rng.choice([rng.normal(0, 0.03, n), rng.normal(0, 0.6, n), rng.uniform(-3.2, 3.2, n)], axis=0)
    alpha = np.where(rng.random(n) < 0.1, rng.choice([0.0, -0.0, 1e-300, math.pi / 2], n), alpha)
    fz = np.where(rng.random(n) < 0.05, rng.choice([0.0, -100.0, 1e-12], n), rng.uniform(500, 60000, n))
    fx = rng.normal(0, 1, n) * fz * rng.choice([0.01, 0.3, 1.0, 3.0], n)
    fx = np.where(rng.random(n) < 0.1, rng.choice([0.0, -0.0, 1e-300, -1e-300, 1e12, -1e12], n), fx)
    j = rng.integers(0, 4, n)
    return alpha, fx, fz, j


@pytest.mark.parametrize("seed", range(4))
def test_axle_force_and_the_interleaved_pairs_equal_the_straightforward_tyre_bit_for_bit(seed):
    t = _tyres().coefficients
    alpha, fx, fz, j = _axle_inputs(4000, seed)
    ref, new, pairs, fours = (np.empty((2, len(alpha))) for _ in range(4))
    _run_axles(alpha, fx, fz, t, j, True, ref)
    _run_axles(alpha, fx, fz, t, j, False, new)
    _run_pairs(alpha, fx, fz, t, j, pairs)
    live = np.random.default_rng(seed + 100).random(len(alpha)) < 0.8
    live[1::2] = live[0::2]  # front and rear of one vehicle are live together
    _run_fours(live, alpha, fx, fz, t, j, fours)
    expected_fours = np.where(live, ref, 0.0)
    assert np.array_equal(_bits(new), _bits(ref))
    assert np.array_equal(_bits(pairs), _bits(ref))
    assert np.array_equal(_bits(fours), _bits(expected_fours))
    saturated = np.abs(fx) > 2 * np.maximum(fz, 0) * t[MU_X, j]
    assert saturated.sum() > 100 and (fx == 0).sum() > 10  # the edge cases were exercised


@reference_kernel
def _reference_slips(force, b, c, d, e, out):
    for k in range(force.shape[0]):
        ratio = np.minimum(np.maximum(force[k] / np.maximum(d, 1e-9), -1.0), 1.0)
        out[k] = _reference_solve_phi(np.tan(np.arcsin(ratio) / c), e) / b


def test_slip_for_force_array_form_still_runs_every_iteration():
    """The array form (Python callers) is unchanged: the same values as the four-iteration solve."""
    tp = _tyres()
    force = np.linspace(-5000, 5000, 101)
    kappa, _ = slip_for_force(force, tp.b_x[0], tp.c_x[0], tp.mu_x[0] * 4000.0, tp.e_x[0])
    ref = np.empty_like(force)
    _reference_slips(force, tp.b_x[0], tp.c_x[0], tp.mu_x[0] * 4000.0, tp.e_x[0], ref)
    assert np.array_equal(_bits(kappa), _bits(ref))


def _mixed_fleet(n: int, seed: int) -> VehicleFleet:
    presets = [MIDSIZE_SEDAN, COMPACT_CAR, SUV, BUS, TRUCK]
    rng = np.random.default_rng(seed)
    fleet = VehicleFleet([presets[k % 5] for k in rng.permutation(n)], model="dynamic")
    speed = rng.uniform(-6, 35, n) * (rng.random(n) > 0.2)  # standstill, reversing, forwards
    fleet.reset(x=np.arange(n) * 10.0, speed=speed, steering=rng.uniform(-0.3, 0.3, n))
    return fleet


def _command(fleet: VehicleFleet, k: int) -> None:
    n = fleet.n
    r = np.random.default_rng(1000 + k)
    idx = np.arange(n)
    q = n // 5
    fleet.apply_pedals(idx[:q], r.uniform(0, 1, q), r.uniform(0, 1, q) * (r.random(q) < 0.4), r.uniform(-1, 1, q))
    fleet.apply_pedals(idx[q:2 * q], r.uniform(0, 1, q), 0.0, r.uniform(-1, 1, q), reverse=True)
    fleet.apply_ackermann_targets(idx[2 * q:3 * q], r.uniform(-3, 30, q), r.uniform(-0.7, 0.7, q))
    fleet.apply_acceleration(idx[3 * q:4 * q], r.uniform(-9, 3, q), r.uniform(-0.3, 0.3, q))
    fleet.apply_pedals(idx[4 * q:], 0.0, 1.0, 1.0)  # full brake, full lock


@pytest.mark.parametrize("n", [7, 10])
def test_fleet_step_two_at_a_time_equals_each_vehicle_stepped_alone(n):
    fleet = _mixed_fleet(n, n)
    alone = [VehicleFleet([fleet.params.sets[i]], model="dynamic") for i in range(n)]
    for i, single in enumerate(alone):
        single.state[:, 0] = fleet.state[:, i]
    for k in range(300):
        if k % 40 == 0:
            _command(fleet, k)
            for i, single in enumerate(alone):
                single.mode[0], single.pedals[:, 0] = fleet.mode[i], fleet.pedals[:, i]
                single.reverse[0], single.hand_brake[0] = fleet.reverse[i], fleet.hand_brake[i]
                single.controller.values[:, 0] = fleet.controller.values[:, i]
                single.controller.speed_mode[0] = fleet.controller.speed_mode[i]
        fleet.step(0.01)
        for single in alone:
            single.step(0.01)
            assert single.last_substeps == fleet.last_substeps
    together = np.column_stack([s.state[:, 0] for s in alone])
    accel = np.column_stack([s.accel_body[:, 0] for s in alone])
    assert np.array_equal(_bits(fleet.state), _bits(together))
    assert np.array_equal(_bits(fleet.accel_body), _bits(accel))
