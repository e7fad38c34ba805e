"""The compiled box centres are numpy's expression, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from metrics.centre_kernel import block_centres


def _numpy(x, y, c, s, bx, by):
    return x + c * bx - s * by, y + s * bx + c * by


@pytest.mark.parametrize("seed", range(4))
def test_same_floats_as_numpy(seed):
    rng = np.random.default_rng(seed)
    shape = (200, 17)
    x, y = rng.uniform(-1e4, 1e4, shape), rng.normal(0, 1e3, shape)
    h = rng.uniform(-7, 7, shape)
    bx, by = rng.uniform(-3, 3, shape), rng.normal(0, 0.3, shape)
    x[3, 4], y[5, 6], bx[7, 8], h[9, 10] = np.nan, np.inf, -0.0, np.inf
    by[11] = 0.0
    with np.errstate(invalid="ignore"):
        c, s = np.cos(h), np.sin(h)
        want = _numpy(x, y, c, s, bx, by)
    got = block_centres(x, y, c, s, bx, by)
    for w, g in zip(want, got):
        assert g.shape == w.shape and g.tobytes() == w.tobytes()


def test_empty_block():
    z = np.zeros((0, 3))
    cx, cy = block_centres(z, z, z, z, z, z)
    assert cx.shape == cy.shape == (0, 3)
