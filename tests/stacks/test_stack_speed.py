"""The stack's fast paths give the numbers of the general ones."""

from __future__ import annotations

import numpy as np

from simplatform.stacks.tracking import _inv2


def test_adjugate_inverse_matches_lapack_on_innovation_covariances():
    rng = np.random.default_rng(11)
    for _ in range(200):
        a = rng.normal(size=(2, 2)) * rng.uniform(0.01, 30.0)
        s = a @ a.T + np.eye(2) * 0.0625          # P_xy + R: symmetric positive definite
        np.testing.assert_allclose(_inv2(s), np.linalg.inv(s), rtol=1e-9, atol=1e-12)
