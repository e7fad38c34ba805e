"""Analytic results of the linear single-track model and of straight-line braking.

These are the references the dynamic model is validated against (tests) and
that reports quote; they are closed forms, independent of the simulation code.

* Understeer gradient and yaw-rate gain: Rajamani 2012 §3.3, eq. (3.14)-(3.17),
  with axle cornering stiffnesses ``Cf, Cr`` (N/rad):
  ``delta = l / R + K a_y``, ``K = m (lr / Cf - lf / Cr) / l`` (rad per m/s²).
* Yaw-rate transfer function ``r(s) / delta(s)`` of the linear model in
  (lateral velocity, yaw rate) state form, Rajamani eq. (2.45).
* Step-steer characteristics as ISO 7401:2011 §9 defines them: response time
  from 50 % of the steering input to 90 % of the steady-state yaw rate, and
  the overshoot of the peak over the steady state.
* Stopping distance with first-order brake lag, drag and rolling resistance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import signal

from vehicle_models.parameters import AIR_DENSITY, GRAVITY, VehicleParameters


def understeer_gradient(p: VehicleParameters) -> float:
    """K in rad/(m/s²): positive understeer (Rajamani eq. 3.17 with axle stiffnesses)."""
    cf, cr = p.front_cornering_stiffness, p.rear_cornering_stiffness
    return p.mass * (p.cog_to_rear_axle / cf - p.cog_to_front_axle / cr) / p.wheelbase


def yaw_rate_gain(p: VehicleParameters, speed: float) -> float:
    """Steady-state yaw rate per road-wheel angle, ``v / (l + K v²)`` (1/s)."""
    return speed / (p.wheelbase + understeer_gradient(p) * speed**2)


def lateral_state_space(p: VehicleParameters, speed: float) -> signal.StateSpace:
    """Linear single-track model at constant speed: x = (v_y at CoG, r), u = delta, y = r."""
    m, iz, lf, lr, v = p.mass, p.yaw_inertia, p.cog_to_front_axle, p.cog_to_rear_axle, speed
    cf, cr = p.front_cornering_stiffness, p.rear_cornering_stiffness
    a = np.array([
        [-(cf + cr) / (m * v), -v + (cr * lr - cf * lf) / (m * v)],
        [(cr * lr - cf * lf) / (iz * v), -(cf * lf**2 + cr * lr**2) / (iz * v)],
    ])
    b = np.array([[cf / m], [cf * lf / iz]])
    return signal.StateSpace(a, b, np.array([[0.0, 1.0]]), np.array([[0.0]]))


@dataclass(frozen=True)
class StepSteerResponse:
    """ISO 7401 step-steer characteristics of a yaw-rate time history."""

    steady_state: float
    response_time: float
    """s from 50 % of the steering input to 90 % of the steady-state yaw rate."""
    peak_response_time: float
    """s from 50 % of the steering input to the yaw-rate peak."""
    overshoot: float
    """(peak - steady state) / steady state, 0 if there is no overshoot."""


def step_steer_characteristics(time: np.ndarray, steer: np.ndarray, yaw_rate: np.ndarray,
                               settle_window: float = 1.0) -> StepSteerResponse:
    """ISO 7401 metrics; the steady state is the mean over the last ``settle_window`` seconds."""
    final = time[-1] - settle_window
    steady = float(np.mean(yaw_rate[time >= final]))
    steer_final = float(np.mean(steer[time >= final]))
    t50 = _crossing(time, steer / steer_final, 0.5)
    t90 = _crossing(time, yaw_rate / steady, 0.9)
    peak_index = int(np.argmax(yaw_rate * math.copysign(1.0, steady)))
    peak = float(yaw_rate[peak_index])
    return StepSteerResponse(
        steady_state=steady,
        response_time=t90 - t50,
        peak_response_time=float(time[peak_index]) - t50,
        overshoot=max(0.0, (peak - steady) / steady),
    )


def linear_step_steer(p: VehicleParameters, speed: float, time: np.ndarray,
                      steer: np.ndarray) -> np.ndarray:
    """Yaw rate of the linear single-track model for a given steering history (exact LTI solution)."""
    _, yaw_rate, _ = signal.lsim(lateral_state_space(p, speed), steer, time)
    return np.asarray(yaw_rate)


def _crossing(time: np.ndarray, value: np.ndarray, level: float) -> float:
    """First time ``value`` reaches ``level`` (linear interpolation between samples)."""
    above = np.nonzero(value >= level)[0]
    if len(above) == 0:
        raise ValueError(f"signal never reaches {level}")
    i = int(above[0])
    if i == 0:
        return float(time[0])
    t0, t1, v0, v1 = time[i - 1], time[i], value[i - 1], value[i]
    return float(t0 + (level - v0) * (t1 - t0) / (v1 - v0))


def stopping_distance(p: VehicleParameters, speed: float, grade: float = 0.0, friction_scale: float = 1.0) -> float:
    """Distance (m) to stop from ``speed`` with the brake at its limit, from the parameters.

    Full brake force ``F_b`` (limited by tyre friction) builds up with the
    first-order lag ``tau``; drag ``c v²`` and rolling resistance act throughout.
    With constant resistance ``A = F_b + f_r m g + m g sin(grade)`` and drag,
    ``m dv/dt = -(A + c v²)`` integrates to ``s = m / (2c) ln(1 + c v0² / A)``
    (Wong 2008 §3.5).  Only the brake lags: with brake deceleration ``b`` of a
    total ``a``, ``v(t) = v0 - a t + b tau (1 - exp(-t / tau))``, which adds
    ``v0 tau b / a + b tau² (b / (2a) - 1)`` to the distance (exact for constant
    ``a``; evaluated with the deceleration at ``v0``).  When the brakes are stronger
    than the tyres' grip (``F_max > mu m g``), the lagging brake force meets the friction
    limit at ``t* = -tau ln(1 - b / b_max)`` and stays there: the speed lost to the lag is
    ``dv = b t* + b tau - b_max t*`` (the shortfall integrated up to ``t*``), which adds
    ``dv (v0 - dv / 2) / a``.  ``friction_scale`` is the road's grip relative to the tyres'
    reference surface (``VehicleFleet.set_road_friction``).
    """
    weight = p.mass * GRAVITY
    brake = min(p.max_brake_force, p.tyre.mu_x * friction_scale * weight * math.cos(grade))
    resist = brake + p.rolling_resistance * weight * math.cos(grade) + weight * math.sin(grade)
    c = 0.5 * AIR_DENSITY * p.drag_area
    if c > 0:
        base = p.mass / (2 * c) * math.log1p(c * speed**2 / resist)
    else:
        base = p.mass * speed**2 / (2 * resist)
    tau = p.brake_time_constant
    decel = (resist + c * speed**2) / p.mass
    brake_decel = brake / p.mass
    max_brake_decel = p.max_brake_force / p.mass
    if max_brake_decel > brake_decel > 0.0:  # friction-limited: the lag ends when the tyres saturate
        t_star = -tau * math.log(1.0 - brake_decel / max_brake_decel)
        lost = brake_decel * (t_star + tau) - max_brake_decel * t_star
        return base + lost * (speed - 0.5 * lost) / decel
    return base + speed * tau * brake_decel / decel + brake_decel * tau**2 * (
        brake_decel / (2 * decel) - 1.0)
