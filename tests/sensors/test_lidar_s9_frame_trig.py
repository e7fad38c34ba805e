"""Session 9: a rosette frame's directions by polynomials under a rounding test (``lidar_frame.frame_columns``)
are the C library's, bit for bit — over many frames, where every ray falls back, and on inputs built to sit on
float32 rounding boundaries (where the polynomials alone round the other way: the test can fail)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numba import njit

import sensors.lidar_frame_rosette as rosette
from sensors.lidar_frame import POLY_REACH, SETTLE_BOUND, frame_columns
from sensors.lidar_patterns import PRESETS, risley_pattern_reference

SPEC = PRESETS["Livox-Mid40"]


@njit
def _libm_kernel(u, v, cols):
    for j in range(len(u)):                              # the kernel before session 9: the C library's cos/sin
        a = 1.0 * ((1.0 * u[j] - 0.0 * v[j]) + (0.0 * 0.0 - 0.0 * 0.0))    # the deflections ``_direct`` makes
        b = 1.0 * ((0.0 * u[j] + 1.0 * v[j]) + (0.0 * 0.0 + 0.0 * 0.0))
        ce = math.cos(b)
        cols[0, j] = np.float32(ce * math.cos(a))
        cols[1, j] = np.float32(ce * math.sin(a))
        cols[2, j] = np.float32(math.sin(b))


def _libm(u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(columns, z64) by the previous kernel's arithmetic."""
    cols = np.empty((3, len(u)), np.float32)
    _libm_kernel(u, v, cols)
    return cols, np.clip(cols[2].astype(np.float64), -1.0, 1.0)


def _direct(u: np.ndarray, v: np.ndarray, bound: float = SETTLE_BOUND):
    """``frame_columns`` on given deflections: a1 = 1, the other phases 0, δ = 1 make u = c1 and v = s1
    (finite ones; ``_libm_kernel`` makes the same expression for −0.0 and NaN): (columns, the clipped float64
    z, fallbacks)."""
    n = len(u)
    zeros = np.zeros(n)
    columns, deflection = np.empty((3, n), np.float32), np.empty(n)
    fallbacks = frame_columns(u, v, zeros, zeros, 1.0, 0.0, 0.0, 0.0, 1.0, columns, deflection, bound)
    finite = np.isfinite(u) & np.isfinite(v)
    assert deflection[finite].tobytes() == (1.0 * ((1.0 * u - 0.0 * v) + 0.0))[finite].tobytes()
    return columns, np.clip(columns[2].astype(np.float64), -1.0, 1.0), fallbacks


def _frame(frame: int, bound: float = SETTLE_BOUND):
    """(directions (N, 3), columns, z64, deflection, fallbacks) of ``frame``."""
    shared = rosette._frame_constants(SPEC, 10.0)
    n = len(shared.time)
    columns, deflection = np.empty((3, n), np.float32), np.empty(n)
    fallbacks = frame_columns(*shared.phases[1:], *rosette._frame_rotation(10.0, frame), shared.delta, columns,
                              deflection, bound)
    return (np.ascontiguousarray(columns.T), columns, np.clip(columns[2].astype(np.float64), -1.0, 1.0), deflection,
            fallbacks)


@pytest.mark.parametrize("first", [0, 7_777, 123_456_789])
def test_frames_are_the_reference_directions(first):
    total = 0
    shared = rosette._frame_constants(SPEC, 10.0)
    c1, s1, c2, s2 = shared.phases[1:]
    for frame in range(first, first + 60):
        directions, columns, z64, deflection, fallbacks = _frame(frame)
        total += fallbacks
        a1, b1, a2, b2 = rosette._frame_rotation(10.0, frame)
        assert deflection.tobytes() == (shared.delta * ((a1 * c1 - b1 * s1) + (a2 * c2 - b2 * s2))).tobytes()
        want, want_tables = risley_pattern_reference(SPEC, 10.0, frame)
        assert directions.tobytes() == want.directions.tobytes(), frame
        assert columns.tobytes() == np.ascontiguousarray(want.directions.T).tobytes()
        assert z64.tobytes() == np.clip(want.directions[:, 2].astype(np.float64), -1.0, 1.0).tobytes()
        assert np.arcsin(z64).tobytes() == want_tables.elevation.tobytes()
    assert total < 60 * 10                                  # a few in 10⁶ components: the fast path did the work


def test_every_ray_falling_back_gives_the_same_frame():
    fast = _frame(31_337)
    slow = _frame(31_337, bound=1.0)                        # q ± |q| never round alike: all C library
    assert slow[4] == len(fast[1][0])
    for a, b in zip(fast[:4], slow[:4]):
        assert a.tobytes() == b.tobytes()


def _near_boundaries(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Deflections whose sin (v) or cos·cos, cos·sin (u) lie within a few float64 ulps of a float32 midpoint."""
    f32 = rng.uniform(0.01, 0.45, n).astype(np.float32)
    mid = f32.astype(np.float64) + np.spacing(f32).astype(np.float64) / 2       # halfway to the next float32
    angles = np.arcsin(mid) + rng.integers(-3, 4, n) * np.spacing(mid)
    return angles * rng.choice([-1.0, 1.0], n), angles[::-1].copy()


def test_inputs_on_float32_midpoints_fall_back_and_match():
    rng = np.random.default_rng(9)
    u, v = _near_boundaries(rng, 20_000)
    want_cols, want_z = _libm(u, v)
    cols, z64, fallbacks = _direct(u, v)
    assert fallbacks > 1_000                                # the rounding test caught them
    assert cols.tobytes() == want_cols.tobytes() and z64.tobytes() == want_z.tobytes()
    # without the test (bound 0) the polynomials alone round some of them the other way: what it guards
    loose, _, _ = _direct(u, v, bound=0.0)
    assert loose.tobytes() != want_cols.tobytes()


def test_out_of_reach_tiny_and_non_finite_angles_use_the_c_library():
    u = np.array([POLY_REACH * 1.0001, -1.4, 3.0, 1e-120, 0.0, -0.0, np.nan, np.inf, 0.2, 0.1])
    v = np.array([0.1, 0.2, -0.3, 0.1, 0.0, -0.0, 0.1, 0.1, np.nan, -np.inf])
    want_cols, want_z = _libm(u, v)
    cols, z64, fallbacks = _direct(u, v)
    assert fallbacks == len(u)
    assert cols.tobytes() == want_cols.tobytes() and z64.tobytes() == want_z.tobytes()


def test_random_deflections_within_reach():
    rng = np.random.default_rng(5)
    u = rng.uniform(-POLY_REACH, POLY_REACH, 200_000)
    v = rng.uniform(-POLY_REACH, POLY_REACH, 200_000)
    want_cols, want_z = _libm(u, v)
    cols, z64, fallbacks = _direct(u, v)
    assert fallbacks < 100
    assert cols.tobytes() == want_cols.tobytes() and z64.tobytes() == want_z.tobytes()
