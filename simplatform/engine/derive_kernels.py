"""Compiled kinematics of ``DefaultController.derive`` on the entity table's columns.

Why: the per-entity Python loop wrote six numpy scalars per entity (~100 ns
each) and called cos, sin and atan through Python; with a dozen entities on
a road that was ~20 µs of every engine step in a harness run.  One compiled
pass over the columns does the same arithmetic in about a microsecond.

Bit-identity with the scalar loop it replaces (kept as
``motion.derive_kinematics_python`` and tested against this kernel bit for
bit): the same IEEE operations in the same order; numba without
``fastmath`` neither reassociates nor fuses a multiply and an add, its float
``%`` has Python's sign rule, and its ``math.cos``/``sin``/``atan`` are the
C library's, the same functions Python's :mod:`math` calls.
numba's cache notices a change of this file only, so the kernel stays here alone.
"""

from __future__ import annotations

import math

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def derive_kinematics(heading, speed, prev_heading, prev_speed, wheelbase, skip, dt,
                      yaw_rate, vx, vy, ax, ay, wheel_angle) -> None:
    """Yaw rate, world velocity, world acceleration and road-wheel angle (bicycle model,
    atan(L·ψ̇/v)) of every row whose ``skip`` is false, from this step's change of heading and
    speed over ``dt``."""
    two_pi = 2 * math.pi
    for i in range(skip.shape[0]):
        if skip[i]:
            continue
        v = speed[i]
        h = heading[i]
        rate = ((h - prev_heading[i] + math.pi) % two_pi - math.pi) / dt
        along = (v - prev_speed[i]) / dt
        c = math.cos(h)
        s = math.sin(h)
        lateral = v * rate
        yaw_rate[i] = rate
        vx[i] = v * c
        vy[i] = v * s
        ax[i] = along * c - lateral * s
        ay[i] = along * s + lateral * c
        wheel_angle[i] = math.atan(wheelbase[i] * rate / v) if abs(v) > 0.1 else 0.0


def warm_up() -> None:
    """Compile, or load from numba's cache, the kernel for the table's column types."""
    z = np.zeros(2)
    derive_kinematics(z, np.ones(2), z.copy(), z.copy(), np.full(2, 2.7), np.zeros(2, dtype=np.bool_), 0.05,
                      *(np.zeros(2) for _ in range(6)))
