"""Intelligent Driver Model (IDM) car following: a compiled per-driver law, looped over drivers.

Treiber, Hennecke & Helbing, "Congested traffic states in empirical observations
and microscopic simulations", Phys. Rev. E 62, 1805 (2000), eq. (2)-(3):

    dv/dt = a [1 - (v / v0)^delta - (s*(v, dv) / s)^2]
    s*(v, dv) = s0 + max(0, v T + v dv / (2 sqrt(a b)))

with ``dv = v - v_leader`` the approach rate.  Its equilibrium gap at speed v
(dv/dt = 0, dv = 0) is ``s_e(v) = (s0 + v T) / sqrt(1 - (v / v0)^delta)``
(Treiber & Kesting, *Traffic Flow Dynamics*, 2013, eq. 11.20).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from vehicle_models.jit import kernel


@dataclass(frozen=True)
class IDMParameters:
    """IDM parameters; defaults are the highway set of Treiber, Hennecke & Helbing 2000, Tab. 1.

    (v0 = 120 km/h, T = 1.6 s, s0 = 2 m, a = 0.73 m/s², b = 1.67 m/s², delta = 4.)
    ``max_deceleration`` bounds the output, as a vehicle's brakes do (not part of IDM).
    """

    desired_speed: float = 120.0 / 3.6
    time_headway: float = 1.6
    min_gap: float = 2.0
    max_acceleration: float = 0.73
    comfortable_deceleration: float = 1.67
    exponent: float = 4.0
    max_deceleration: float = 9.0


# Rows of IDMArrays.values.
DESIRED_SPEED, TIME_HEADWAY, MIN_GAP, MAX_ACCELERATION, COMFORTABLE_DECELERATION, EXPONENT, MAX_DECELERATION = range(7)
_FIELDS = ("desired_speed", "time_headway", "min_gap", "max_acceleration", "comfortable_deceleration",
           "exponent", "max_deceleration")


class IDMArrays:
    """Columns of :class:`IDMParameters` for N vehicles: rows of ``values`` (one array for the
    kernels), each also an attribute of the field's name."""

    def __init__(self, params: list[IDMParameters]) -> None:
        self.values = np.array([[float(getattr(p, name)) for p in params] for name in _FIELDS]).reshape(
            len(_FIELDS), len(params))
        for row, name in enumerate(_FIELDS):
            setattr(self, name, self.values[row])


@kernel
def idm_scalar(i, idm, speed, desired_speed, gap, leader_speed):
    """IDM acceleration of a driver with parameters ``idm[:, i]`` (THH 2000 eq. 2); ``gap = inf``: free road."""
    v = max(speed, 0.0)
    v0 = max(desired_speed, 1e-3)
    a = idm[MAX_ACCELERATION, i]
    dynamic = v * idm[TIME_HEADWAY, i] + v * (v - leader_speed) / (
        2.0 * math.sqrt(a * idm[COMFORTABLE_DECELERATION, i]))
    s_star = idm[MIN_GAP, i] + max(0.0, dynamic)
    interaction = (s_star / max(gap, 1e-3)) ** 2 if math.isfinite(gap) else 0.0
    acc = a * (1.0 - (v / v0) ** idm[EXPONENT, i] - interaction)
    return max(acc, -idm[MAX_DECELERATION, i])


@kernel
def _idm_loop(idm, rows, speed, desired_speed, gap, leader_speed, out):
    for k in range(out.shape[0]):
        out[k] = idm_scalar(rows[k], idm, speed[k], desired_speed[k], gap[k], leader_speed[k])


def idm_acceleration(p: IDMArrays, speed: np.ndarray, desired_speed: np.ndarray,
                     gap: np.ndarray, leader_speed: np.ndarray) -> np.ndarray:
    """IDM acceleration (THH 2000 eq. 2) per driver; ``gap = inf`` means a free road.

    Inputs broadcast against the drivers (numpy rules), as arrays or scalars.
    """
    values = (speed, desired_speed, gap, leader_speed)
    shape = np.broadcast_shapes((p.values.shape[1],), *(np.shape(a) for a in values))
    rows = np.empty(shape, dtype=np.int64)
    rows[...] = np.arange(p.values.shape[1])
    inputs = []
    for value in values:
        column = np.empty(shape)
        column[...] = value
        inputs.append(column.reshape(-1))
    out = np.empty(shape)
    _idm_loop(p.values, rows.reshape(-1), *inputs, out.reshape(-1))
    return out


def equilibrium_gap(p: IDMParameters, speed: float) -> float:
    """Steady-state gap at ``speed`` (Treiber & Kesting 2013 eq. 11.20)."""
    ratio = (speed / p.desired_speed) ** p.exponent
    return (p.min_gap + speed * p.time_headway) / np.sqrt(1.0 - ratio)


def string_stability_margin(p: IDMParameters, speed: float) -> float:
    """Linear string-stability criterion of a car-following model a = f(s, v, dv_w).

    Wilson, "Mechanisms for spatio-temporal pattern formation in highway traffic
    models", Phil. Trans. R. Soc. A 366 (2008), eq. (3.4) (also Treiber & Kesting
    2013 §15.4): with ``dv_w = v_leader - v`` the platoon is string stable iff
    ``f_v² / 2 - f_dvw f_v - f_s >= 0``.  Partial derivatives are taken at the
    equilibrium ``s_e(v)`` by central differences.  Returns that expression:
    negative means perturbations grow into stop-and-go waves.
    """
    arr = IDMArrays([p])
    s = equilibrium_gap(p, speed)

    def f(gap, v, dvw):
        return float(idm_acceleration(arr, np.array([v]), np.array([p.desired_speed]),
                                      np.array([gap]), np.array([v + dvw]))[0])

    h = 1e-4
    f_s = (f(s + h, speed, 0.0) - f(s - h, speed, 0.0)) / (2 * h)
    f_v = (f(s, speed + h, 0.0) - f(s, speed - h, 0.0)) / (2 * h)  # dv_w held fixed
    f_dvw = (f(s, speed, h) - f(s, speed, -h)) / (2 * h)
    return 0.5 * f_v**2 - f_dvw * f_v - f_s
