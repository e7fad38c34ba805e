"""MOBIL lane-change decisions, vectorised.

Kesting, Treiber & Helbing, "General lane-changing model MOBIL for car-following
models", Transp. Res. Rec. 1999, 86-94 (2007), eq. (1)-(4).  A change to a
target lane is *safe* if the new follower need not brake harder than
``b_safe`` (eq. 2: ``a~_n >= -b_safe``) and *advantageous* if

    a~_c - a_c + p [(a~_n - a_n) + (a~_o - a_o)] > delta_a_th (+/- a_bias)

with ``c`` the changing vehicle, ``n`` the new and ``o`` the old follower,
``~`` after the change, ``p`` the politeness.  ``keep_right_bias`` is the
asymmetric (European) rule's ``a_bias`` of eq. (5)-(6): it is added to the
threshold to the left and subtracted to the right.  The followers'
accelerations are computed with the changing vehicle's IDM parameters, as the
deciding driver can only estimate how others drive (a standard simplification,
e.g. in highway-env's MOBIL).

:func:`mobil_scalar` is the compiled per-driver rule (the traffic driver's
kernel calls it); :func:`mobil_lane_change` loops it over a context.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from vehicle_models.drivers.context import TrafficContext
from vehicle_models.drivers.idm import IDMArrays, idm_scalar
from vehicle_models.jit import kernel


@dataclass(frozen=True)
class MOBILParameters:
    """Defaults: Kesting et al. 2007, Tab. 1 (p = 0.5 within their 0..1 range; b_safe 4 m/s²)."""

    politeness: float = 0.5
    threshold: float = 0.1
    safe_deceleration: float = 4.0
    keep_right_bias: float = 0.0
    min_interval: float = 5.0
    """s between two lane changes of one vehicle (a lane change takes time; not part of MOBIL)."""


# Rows of MOBILArrays.values.
POLITENESS, THRESHOLD, SAFE_DECELERATION, KEEP_RIGHT_BIAS, MIN_INTERVAL = range(5)
_FIELDS = ("politeness", "threshold", "safe_deceleration", "keep_right_bias", "min_interval")


class MOBILArrays:
    """Columns of :class:`MOBILParameters`: rows of ``values``, each also an attribute."""

    def __init__(self, params: list[MOBILParameters]) -> None:
        self.values = np.array([[float(getattr(p, name)) for p in params] for name in _FIELDS]).reshape(
            len(_FIELDS), len(params))
        for row, name in enumerate(_FIELDS):
            setattr(self, name, self.values[row])


@kernel
def _incentive(i, idm, m, v, v0, length, own_now, old_follower_now, old_follower_after,
               available, leader_gap, leader_speed, follower_gap, follower_speed):
    """(advantage, safe) of driver ``i``'s change into one target lane (eq. 1-2); unsafe if unavailable."""
    if not available:
        return 0.0, False
    own_after = idm_scalar(i, idm, v, v0, leader_gap, leader_speed)
    new_follower_after = idm_scalar(i, idm, follower_speed, v0, follower_gap, v)
    through_gap = follower_gap + length + leader_gap
    new_follower_now = idm_scalar(i, idm, follower_speed, v0, through_gap, leader_speed)
    has_follower = math.isfinite(follower_gap)
    safe = follower_gap > 0 and leader_gap > 0 and (
        not has_follower or new_follower_after >= -m[SAFE_DECELERATION, i])
    others = (new_follower_after - new_follower_now if has_follower else 0.0) + (
        old_follower_after - old_follower_now)
    advantage = own_after - own_now + m[POLITENESS, i] * others
    return advantage, safe


@kernel
def mobil_scalar(i, idm, m, v, v0, length, own_now, leader_gap, leader_speed, follower_gap, follower_speed,
                 left_available, left_leader_gap, left_leader_speed, left_follower_gap, left_follower_speed,
                 right_available, right_leader_gap, right_leader_speed, right_follower_gap,
                 right_follower_speed):
    """-1 (right), 0, +1 (left) for driver ``i``; ``own_now`` is its IDM acceleration in its lane."""
    if not (left_available or right_available):
        return 0
    old_now = 0.0
    old_after = 0.0
    if math.isfinite(follower_gap):
        old_now = idm_scalar(i, idm, follower_speed, v0, follower_gap, v)
        old_after = idm_scalar(i, idm, follower_speed, v0, follower_gap + length + leader_gap, leader_speed)
    left_adv, left_safe = _incentive(i, idm, m, v, v0, length, own_now, old_now, old_after, left_available,
                                     left_leader_gap, left_leader_speed, left_follower_gap, left_follower_speed)
    right_adv, right_safe = _incentive(i, idm, m, v, v0, length, own_now, old_now, old_after, right_available,
                                       right_leader_gap, right_leader_speed, right_follower_gap,
                                       right_follower_speed)
    left_score = left_adv - m[THRESHOLD, i] - m[KEEP_RIGHT_BIAS, i] if left_safe else -np.inf
    right_score = right_adv - m[THRESHOLD, i] + m[KEEP_RIGHT_BIAS, i] if right_safe else -np.inf
    if right_score > 0 and right_score > left_score:
        return -1
    if left_score > 0 and left_score >= right_score:
        return 1
    return 0


@kernel
def _mobil_loop(idm, m, v, v0, length, own_now, lg, ls, fg, fs, la, llg, lls, lfg, lfs, ra, rlg, rls, rfg, rfs,
                out):
    for i in range(out.shape[0]):
        out[i] = mobil_scalar(i, idm, m, v[i], v0[i], length[i], own_now[i], lg[i], ls[i], fg[i], fs[i],
                              la[i], llg[i], lls[i], lfg[i], lfs[i], ra[i], rlg[i], rls[i], rfg[i], rfs[i])


def mobil_lane_change(idm: IDMArrays, m: MOBILArrays, ctx: TrafficContext,
                      own_now: np.ndarray) -> np.ndarray:
    """-1 (right), 0, +1 (left) per vehicle; ``own_now`` is its IDM acceleration in its lane."""
    c = ctx.kernel_arrays()
    out = np.empty(len(c[0]), dtype=np.int64)
    _mobil_loop(idm.values, m.values, c[0], c[1], c[2], np.asarray(own_now, dtype=float), *c[3:17], out)
    return out
