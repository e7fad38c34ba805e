"""The engine step's compiled kernels against the Python formulations they replaced, bit for bit."""

from __future__ import annotations

import math

import numpy as np

from simplatform.engine.collision import overlapping_pairs_numpy
from simplatform.engine.collision_kernels import table_pairs_kernel
from simplatform.engine.derive_kernels import derive_kinematics
from simplatform.engine.motion import derive_kinematics_python


def _bits(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=float).view(np.int64)


def test_derive_kernel_equals_the_scalar_loop_bit_for_bit():
    """Headings across ±π, speeds around the wheel-angle and standstill thresholds, negative and
    NaN speeds, skipped (external) rows left untouched: every output bit equal."""
    rng = np.random.default_rng(11)
    for trial in range(300):
        n = int(rng.integers(1, 40))
        heading = rng.uniform(-3.5, 3.5, n)
        prev_heading = heading + rng.normal(0.0, 0.05 if trial % 2 else 3.0, n)
        speed = rng.choice([0.0, 0.05, 0.1, -0.1, 0.1000001, 1e-5, -3.0, 13.7, 42.0], n) + \
            (rng.normal(0.0, 5.0, n) if trial % 3 == 0 else 0.0)
        if n > 2 and trial % 5 == 0:
            speed[1] = np.nan
        prev_speed = speed + rng.normal(0.0, 0.4, n)
        wheelbase = rng.uniform(1.0, 6.0, n)
        skip = rng.random(n) < 0.2
        dt = float(rng.choice([0.01, 0.05, 1 / 60]))
        outs = []
        for f in (derive_kinematics, derive_kinematics_python):
            cols = [np.full(n, 7.25) for _ in range(6)]
            f(heading, speed, prev_heading, prev_speed, wheelbase, skip, dt, *cols)
            outs.append(cols)
        for got, want in zip(*outs):
            assert np.array_equal(_bits(got), _bits(want))
        assert all((col[skip] == 7.25).all() for col in outs[0])


def _table_centres(x, y, heading, bcx, bcy):
    """``EntityTable.bbox_centers``' numpy formulation."""
    c, s = np.cos(heading), np.sin(heading)
    return x + c * bcx - s * bcy, y + s * bcx + c * bcy


def test_table_pair_kernel_equals_the_gathered_numpy_formulation():
    """Crowds with inactive rows and offset box centres: the same pairs in the same order, in table
    row numbers, as the numpy SAT on the active rows' centres (what the engine did before)."""
    rng = np.random.default_rng(5)
    contacts = 0
    for trial in range(300):
        n = int(rng.integers(0, 30))
        x, y = rng.uniform(0, 30, n), rng.uniform(0, 12, n)
        heading = rng.uniform(-math.pi, math.pi, n)
        bcx, bcy = rng.uniform(-0.5, 2.0, n), rng.uniform(-0.2, 0.2, n)
        length, width = rng.uniform(0.5, 12, n), rng.uniform(0.5, 2.6, n)
        active = rng.random(n) < (1.0 if trial % 2 else 0.7)
        if n > 3:
            x[2] = np.nan
        cx, cy = _table_centres(x, y, heading, bcx, bcy)
        sel = np.nonzero(active)[0]
        want = [(int(sel[a]), int(sel[b])) for a, b in
                overlapping_pairs_numpy(cx[sel], cy[sel], heading[sel], length[sel], width[sel])]
        out = np.empty((max(n * (n - 1) // 2, 0), 2), dtype=np.int64)
        count = table_pairs_kernel(x, y, heading, bcx, bcy, length, width, active, out)
        assert [tuple(p) for p in out[:count].tolist()] == want
        contacts += count
    assert contacts > 500
