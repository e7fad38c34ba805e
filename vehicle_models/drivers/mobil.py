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
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vehicle_models.drivers.context import TrafficContext
from vehicle_models.drivers.idm import IDMArrays, idm_acceleration


@dataclass(frozen=True)
class MOBILParameters:
    """Defaults: Kesting et al. 2007, Tab. 1 (p = 0.5 within their 0..1 range; b_safe 4 m/s²)."""

    politeness: float = 0.5
    threshold: float = 0.1
    safe_deceleration: float = 4.0
    keep_right_bias: float = 0.0
    min_interval: float = 5.0
    """s between two lane changes of one vehicle (a lane change takes time; not part of MOBIL)."""


class MOBILArrays:
    def __init__(self, params: list[MOBILParameters]) -> None:
        self.politeness = np.array([p.politeness for p in params])
        self.threshold = np.array([p.threshold for p in params])
        self.safe_deceleration = np.array([p.safe_deceleration for p in params])
        self.keep_right_bias = np.array([p.keep_right_bias for p in params])
        self.min_interval = np.array([p.min_interval for p in params])


def _incentive(idm: IDMArrays, m: MOBILArrays, ctx: TrafficContext, own_now: np.ndarray,
               old_follower_now: np.ndarray, old_follower_after: np.ndarray,
               available, leader_gap, leader_speed, follower_gap, follower_speed):
    """(advantage, safe) of a change into one target lane."""
    v, v0, length = ctx.speed, ctx.desired_speed, ctx.length
    own_after = idm_acceleration(idm, v, v0, leader_gap, leader_speed)
    new_follower_after = idm_acceleration(idm, follower_speed, v0, follower_gap, v)
    through_gap = follower_gap + length + leader_gap
    new_follower_now = idm_acceleration(idm, follower_speed, v0, through_gap, leader_speed)
    has_follower = np.isfinite(follower_gap)
    safe = available & (follower_gap > 0) & (leader_gap > 0) & (
        ~has_follower | (new_follower_after >= -m.safe_deceleration))
    others = np.where(has_follower, new_follower_after - new_follower_now, 0.0) + (
        old_follower_after - old_follower_now)
    advantage = own_after - own_now + m.politeness * others
    return advantage, safe


def mobil_lane_change(idm: IDMArrays, m: MOBILArrays, ctx: TrafficContext,
                      own_now: np.ndarray) -> np.ndarray:
    """-1 (right), 0, +1 (left) per vehicle; ``own_now`` is its IDM acceleration in its lane."""
    v0 = ctx.desired_speed
    has_old = np.isfinite(ctx.follower_gap)
    old_now = np.where(has_old, idm_acceleration(idm, ctx.follower_speed, v0, ctx.follower_gap, ctx.speed), 0.0)
    old_after = np.where(has_old, idm_acceleration(
        idm, ctx.follower_speed, v0, ctx.follower_gap + ctx.length + ctx.leader_gap, ctx.leader_speed), 0.0)
    left_adv, left_safe = _incentive(idm, m, ctx, own_now, old_now, old_after, ctx.left_available,
                                     ctx.left_leader_gap, ctx.left_leader_speed,
                                     ctx.left_follower_gap, ctx.left_follower_speed)
    right_adv, right_safe = _incentive(idm, m, ctx, own_now, old_now, old_after, ctx.right_available,
                                       ctx.right_leader_gap, ctx.right_leader_speed,
                                       ctx.right_follower_gap, ctx.right_follower_speed)
    left_score = np.where(left_safe, left_adv - m.threshold - m.keep_right_bias, -np.inf)
    right_score = np.where(right_safe, right_adv - m.threshold + m.keep_right_bias, -np.inf)
    decision = np.zeros(len(ctx), dtype=int)
    decision[(left_score > 0) & (left_score >= right_score)] = 1
    decision[(right_score > 0) & (right_score > left_score)] = -1
    return decision
