"""Low-level control of the reference stack: pure pursuit (lateral), PID on speed (longitudinal).

Lateral: pure pursuit (Coulter, "Implementation of the Pure Pursuit Path
Tracking Algorithm", CMU-RI-TR-92-01, 1992): steer the rear axle on the arc
through a goal point on the path at look-ahead distance ``L_d``,
δ = atan(2 L sin α / L_d), with ``L_d`` growing with speed (Snider,
"Automatic Steering Methods for Autonomous Automobile Path Tracking",
CMU-RI-TR-09-08, 2009, §2.2) — stable at speed, precise when slow, and
cutting tight curves a little (a known trait of the method).

Longitudinal: the planner's acceleration is the feed-forward; a PI term on
the error between a reference speed (the planner's acceleration integrated
each step) and the measured speed removes the drift; acceleration and jerk
are limited (not during AEB).  The result goes out as an
``ackermann_msgs/AckermannDrive`` the way the message intends a target and
its bound: ``acceleration`` is the magnitude to use, ``speed`` the speed that
acceleration would reach after ``speed_horizon`` s.  A vehicle ECU tracking
the speed target then saturates at the acceleration bound and executes the
demanded acceleration (for any speed-loop gain above 1/``speed_horizon``),
and settles on the target if the stack stops answering.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .inputs import EgoState
from .parameters import StackParameters
from .route import RoutePath


@dataclass(frozen=True)
class Command:
    speed: float
    acceleration: float
    steering_angle: float


class PurePursuit:
    def __init__(self, params: StackParameters) -> None:
        self.p = params
        self.offset = 0.0
        self._s: float | None = None

    def steer(self, ego: EgoState, route: RoutePath, target_offset: float, dt: float) -> float:
        p = self.p
        # the path offset moves towards the planner's lane at the lane-change rate
        rate = 3.5 / max(p.lane_change_duration, 0.1)
        self.offset += min(max(target_offset - self.offset, -rate * dt), rate * dt)   # _clip, inline (per step)
        # the ego moved at most speed·dt since the last projection: a short window of segments suffices
        x, y, speed = ego.x, ego.y, ego.speed
        self._s, _, _ = route.project_point(x, y, s_hint=self._s, window=10.0 + 2.0 * abs(speed) * dt)
        lookahead = min(max(p.lookahead_min + p.lookahead_gain * max(speed, 0.0), p.lookahead_min), p.lookahead_max)
        gx, gy, _ = route._pose_at_scalar(self._s + lookahead, self.offset)   # pose_at for floats
        dx, dy = gx - x, gy - y
        alpha = math.atan2(dy, dx) - ego.heading
        dist = max(math.hypot(dx, dy), 1e-3)
        delta = math.atan2(2.0 * p.wheelbase * math.sin(alpha), dist)
        return _clip(delta, -p.max_steer, p.max_steer)


def _clip(value: float, low: float, high: float) -> float:
    """``float(np.clip(value, low, high))`` for one number, without numpy's per-call overhead."""
    return float(min(max(value, low), high))


class SpeedController:
    def __init__(self, params: StackParameters) -> None:
        self.p = params
        self.v_ref: float | None = None
        self.integral = 0.0
        self.last_accel = 0.0

    def command(self, speed: float, planned_accel: float, dt: float, emergency: bool) -> tuple[float, float]:
        """(speed set point for the next step, acceleration magnitude) for a planned acceleration."""
        p = self.p
        v = max(speed, 0.0)
        if self.v_ref is None:
            self.v_ref = v
        v_ref = max(0.0, self.v_ref + planned_accel * dt)
        self.v_ref = v_ref = min(max(v_ref, v - 1.5), v + 1.5)   # anti-windup of the reference (_clip, inline)
        error = v_ref - v
        self.integral = min(max(self.integral + error * dt, -2.0), 2.0)
        accel = planned_accel + p.speed_kp * error + p.speed_ki * self.integral
        if emergency:
            accel = planned_accel
        else:
            accel = min(max(accel, -p.max_decel), p.max_accel)
            step = p.max_jerk * dt
            accel = min(max(accel, self.last_accel - step), self.last_accel + step)
        if v <= 0.05 and planned_accel <= 0.0:  # hold at standstill
            self.v_ref, self.integral, self.last_accel = 0.0, 0.0, 0.0
            return 0.0, p.max_decel
        self.last_accel = accel
        return max(0.0, v + accel * p.speed_horizon), max(abs(accel), 0.05)
