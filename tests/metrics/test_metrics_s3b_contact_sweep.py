"""The sweep-and-prune contact kernel (from box rows) finds the all-pairs kernel's pairs, in its order, bit for bit
(NaN, infinities, ties, crowded blocks; the box-row forms are in ``test_metrics_s4_pairs_geometry``)."""

from __future__ import annotations

import numpy as np
import pytest

from metrics import kernels
from metrics.contact_sweep import block_contacts_boxes


def _block(rng: np.random.Generator, steps: int, n: int, spread: float):
    """Boxes of 1–5 m scattered over ``spread`` metres, moving a little per step: many touch."""
    x0, y0 = rng.uniform(0, spread, n), rng.uniform(0, spread / 4, n)
    vx, vy = rng.normal(0, 1, n), rng.normal(0, 1, n)
    t = np.arange(steps)[:, None] * 0.1
    cx, cy = x0 + vx * t, y0 + vy * t
    heading = rng.uniform(-np.pi, np.pi, (steps, n))
    length = np.repeat(rng.uniform(1, 5, n)[None], steps, axis=0)
    width = np.repeat(rng.uniform(0.5, 2.5, n)[None], steps, axis=0)
    return cx, cy, heading, length, width


def _both(cx, cy, heading, length, width):
    c, s = np.cos(heading), np.sin(heading)
    radius = 0.5 * np.hypot(length, width)
    corners = kernels.block_corners(cx, cy, c, s, length, width)
    return kernels.block_contacts(cx, cy, radius, corners), block_contacts_boxes(cx, cy, radius, c, s, length, width)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("n,spread", [(2, 5.0), (7, 10.0), (20, 40.0), (40, 200.0)])
def test_same_pairs_in_the_same_order(seed, n, spread):
    want, got = _both(*_block(np.random.default_rng(seed), 60, n, spread))
    assert got.dtype == want.dtype and got.shape == want.shape and np.array_equal(got, want)
    if n >= 7 and spread <= 10.0:
        assert len(want) > 0   # the scene does exercise contacts


def test_crowded_block_overflows_the_first_guess_the_same():
    cx, cy, heading, length, width = _block(np.random.default_rng(9), 5, 30, 3.0)
    want, got = _both(cx, cy, heading, length, width)
    assert len(want) > 64 and np.array_equal(got, want)


def test_nan_inf_ties_and_single_entities():
    rng = np.random.default_rng(3)
    cx, cy, heading, length, width = _block(rng, 40, 12, 8.0)
    cx[5, 3] = np.nan
    cx[7:9, 4] = np.inf
    cx[8, 6] = np.inf
    cx[10, 0] = -np.inf
    cy[11, 2] = np.nan
    cx[12, :] = 4.0             # every entity at one x: ties all along the sort
    cx[13:20, 1] = cx[13:20, 2]   # a pair at the same x
    length[:, 5] = np.nan       # a NaN radius bounds nothing
    want, got = _both(cx, cy, heading, length, width)
    assert np.array_equal(got, want)
    for n in (0, 1):
        want, got = _both(*(a[:, :n] for a in (cx, cy, heading, length, width)))
        assert got.shape == want.shape == (0, 3)


def test_an_infinite_radius_turns_the_pruning_off():
    cx, cy, heading, length, width = _block(np.random.default_rng(4), 20, 10, 200.0)
    length[:, 2] = np.inf
    want, got = _both(cx, cy, heading, length, width)
    assert np.array_equal(got, want)
