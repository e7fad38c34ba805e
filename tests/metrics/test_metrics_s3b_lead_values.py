"""The leader's gap and closing speed read in one compiled pass are the numpy reading's."""

from __future__ import annotations

import math

import numpy as np

from metrics import kernels


def _numpy(lead, gap, closing):
    rows = np.arange(lead.size)
    has = lead >= 0
    return (np.where(has, gap[rows, np.maximum(lead, 0)], math.inf),
            np.where(has, closing[rows, np.maximum(lead, 0)], 0.0))


def test_same_as_numpy():
    rng = np.random.default_rng(5)
    gap, closing = rng.normal(0, 30, (300, 9)), rng.normal(0, 5, (300, 9))
    gap[4, 2], closing[6, 1], gap[7, 0] = np.nan, -0.0, -np.inf
    lead = rng.integers(-1, 9, 300)
    lead[[4, 6, 7]] = [2, 1, 0]
    for w, g in zip(_numpy(lead, gap, closing), kernels.lead_values(lead, gap, closing)):
        assert g.dtype == w.dtype and g.tobytes() == w.tobytes()
    assert (lead == -1).any()


def test_no_steps():
    g, c = kernels.lead_values(np.zeros(0, dtype=np.int64), np.zeros((0, 2)), np.zeros((0, 2)))
    assert g.shape == c.shape == (0,)
