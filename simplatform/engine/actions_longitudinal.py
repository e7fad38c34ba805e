"""Longitudinal private actions on the default controller (OpenSCENARIO §7.x LongitudinalAction).

SpeedAction: the actor's speed goes from its current value to the target
along the TransitionDynamics shape (time, distance or rate).  A relative
target (delta or factor) with ``continuous=true`` keeps tracking the
reference entity after the transition and never ends by itself.
SpeedProfileAction (1.2): consecutive linear segments to each entry's speed,
over the entry's ``time`` or, without one, at the DynamicConstraints
acceleration.  With ``followingMode="position"`` that profile is the speed
(the standard: follow the target "exactly by ignoring the dynamic
constraints"); with ``"follow"`` it is the reference of a jerk-limited speed
controller that keeps the DynamicConstraints (acceleration, deceleration,
their rates, maxSpeed), so the actor lags a profile it cannot drive.  LongitudinalDistanceAction: holds a distance or time gap
behind (``trailingReferencedEntity``) or ahead of the reference entity with a
P-controller on gap and speed, bounded by DynamicConstraints (or the
vehicle's Performance), like esmini's implementation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from simplatform.engine.dynamics import Transition


class _PerActor:
    """Base: one runner per actor; the engine stops the previous owner of a domain."""

    domains: tuple[str, ...] = ("longitudinal",)

    def __init__(self, engine, actor: str, el) -> None:
        self.engine = engine
        self.actor = actor
        self.i = engine.table.index[actor]
        self.el = el
        self.done = False

    def start(self) -> bool:
        return True

    def step(self, dt: float) -> bool:
        return True

    def stop(self) -> None:
        self.done = True


def _distance_as_time(shape: str, distance: float, v0: float, target: float) -> tuple[str, str, float]:
    """A speed transition over a distance, as the same shape over the time that covers that distance.

    Each shape's mean fraction is 1/2 (linear, cubic and sinusoidal are point-symmetric), so a
    transition of duration T covers (|v0| + |v1|)/2 · T: T = 2·distance/(|v0| + |v1|), esmini's
    reading too.  The shape taken over the distance travelled instead never leaves a standstill
    (v(s = 0) = v0 = 0): esmini's Unittest speed_over_distance.xosc, a sinusoidal start from 0 to
    50 km/h over 50 m, stood at its start for good (esmini: 31.74 m and 10.93 m/s at 5 s)."""
    if distance < 0.0:
        return shape, "distance", distance  # Transition.create reports it
    mean = 0.5 * (abs(v0) + abs(target))
    if mean <= 0.0:
        return "step", "time", 0.0
    return shape, "time", distance / mean


class SpeedRunner(_PerActor):
    def start(self) -> bool:
        el, eng = self.el, self.engine
        dyn = el.speed_action_dynamics
        target_el = el.speed_action_target.choice
        self.relative = type(target_el).__name__ == "RelativeTargetSpeed"
        self.continuous = bool(getattr(target_el, "continuous", False)) if self.relative else False
        self.target_el = target_el
        v0 = float(eng.table.speed[self.i])
        shape, dimension, value, target = str(dyn.dynamics_shape), str(dyn.dynamics_dimension), dyn.value, self._target()
        if dimension == "distance" and shape != "step":
            shape, dimension, value = _distance_as_time(shape, value, v0, target)
        self.transition = Transition.create(shape, dimension, value, v0, target)
        self.progress = 0.0
        self.odo0 = float(eng.table.odometer[self.i])
        if self.transition.extent <= 0.0:
            eng.table.speed[self.i] = self.transition.target
            return not self.continuous
        return False

    def _target(self) -> float:
        el = self.target_el
        if not self.relative:
            return float(el.value)
        ref = self.engine.entity_index(el.entity_ref, el)
        v_ref = float(self.engine.table.speed[ref])
        if str(el.speed_target_value_type) == "factor":
            return v_ref * el.value
        return v_ref + el.value

    def step(self, dt: float) -> bool:
        t = self.engine.table
        tr = self.transition
        if tr.dimension == "distance":
            self.progress = float(t.odometer[self.i]) - self.odo0 + abs(float(t.speed[self.i])) * dt
        else:
            self.progress += dt
        if self.continuous:
            target = self._target()
            if tr.done(self.progress):
                t.speed[self.i] = target
                return False
            start = tr.start
            f = (tr.value_at(self.progress) - start) / (tr.target - start) if tr.target != start else 1.0
            t.speed[self.i] = start + (target - start) * f
            return False
        t.speed[self.i] = tr.value_at(self.progress)
        return tr.done(self.progress)


class SpeedProfileRunner(_PerActor):
    def start(self) -> bool:
        el = self.el
        t = self.engine.table
        dc = el.dynamic_constraints
        self.max_acc = (dc.max_acceleration if dc and dc.max_acceleration else float(t.max_acceleration[self.i]))
        self.max_dec = (dc.max_deceleration if dc and dc.max_deceleration else float(t.max_deceleration[self.i]))
        self.follow = str(el.following_mode) == "follow"
        self.tracker = SpeedTracker.from_constraints(dc, self.max_acc, self.max_dec, self._along_acceleration()) \
            if self.follow else None
        self.entries = list(el.speed_profile_entries)
        self.k = -1
        self.reference = float(t.speed[self.i])
        self._next(self.reference)
        return False

    def _along_acceleration(self) -> float:
        """The actor's acceleration along its heading when the action starts (the jerk limit starts there)."""
        t, i = self.engine.table, self.i
        h = float(t.heading[i])
        return float(t.ax[i]) * math.cos(h) + float(t.ay[i]) * math.sin(h)

    def _next(self, v0: float) -> None:
        self.k += 1
        if self.k >= len(self.entries):
            self.transition = None
            return
        e = self.entries[self.k]
        target = float(e.speed)
        if self.el.entity_ref:
            target += float(self.engine.table.speed[self.engine.entity_index(self.el.entity_ref, self.el)])
        if e.time is not None:
            # a time of 0 reaches the speed at once (OSC 1.2 SpeedProfileEntry: "the time to reach the
            # specified speed"; esmini's condition_delay.xosc profile starts with speed 50/3.6 at time 0
            # and has the car at 25 m/s at 3.2 s); before session 11 it was read as no time, so the
            # speed ramped at the constraint rate and every later entry came late
            shape = "linear" if e.time > 0 else "step"
            self.transition = Transition.create(shape, "time", e.time, v0, target)
        else:
            rate = self.max_acc if target >= v0 else self.max_dec
            self.transition = Transition.create("linear", "rate", rate, v0, target)
        self.progress = 0.0

    def _advance_reference(self, dt: float) -> bool:
        """Move the profile ``dt`` on; True when its last entry is reached."""
        carry = dt
        while self.transition is not None:
            tr = self.transition
            remaining = tr.extent - self.progress
            if carry < remaining - 1e-12:
                self.progress += carry
                self.reference = tr.value_at(self.progress)
                return False
            carry -= max(remaining, 0.0)
            self.reference = tr.target
            self._next(tr.target)
        return True

    def step(self, dt: float) -> bool:
        t = self.engine.table
        if self.tracker is None:
            done = self._advance_reference(dt)
            t.speed[self.i] = self.reference
            return done
        return self._follow_step(dt)

    def _follow_step(self, dt: float) -> bool:
        """``follow``: a timed entry is a ramp of the reference over its time; an untimed entry is a
        target the controller drives to (within the constraints) before the next entry starts."""
        t = self.engine.table
        tr = self.transition
        if tr is not None and tr.dimension == "time":
            self.progress += dt
            self.reference = tr.value_at(min(self.progress, tr.extent))
            if self.progress >= tr.extent - 1e-12:
                self._next(tr.target)
        elif tr is not None:
            self.reference = tr.target
        v, settled = self.tracker.step(float(t.speed[self.i]), self.reference, dt)
        t.speed[self.i] = v
        if tr is not None and tr.dimension != "time" and settled:
            self._next(tr.target)
        return self.transition is None and settled


@dataclass
class SpeedTracker:
    """Jerk-limited speed control towards a moving reference (SpeedProfileAction ``follow``).

    The commanded acceleration closes the speed error within one step, bounded by
    the maximum acceleration/deceleration, and by √(2·r·|Δv|) — the largest
    acceleration that the rate limit r can still bring back to zero before the
    speed reaches the reference, so the speed does not overshoot — and it moves
    from the previous acceleration at most by maxAccelerationRate (rising) or
    maxDecelerationRate (falling) per second (OpenSCENARIO 1.2 DynamicConstraints).
    Without rates the acceleration may jump (a rate of infinity).  The step that lands on the
    reference takes the exact remaining change, so its jerk may exceed the rate by a fraction
    of one step's change (the price of landing exactly instead of oscillating around it).
    """

    max_acc: float
    max_dec: float
    acc_rate: float = math.inf
    dec_rate: float = math.inf
    max_speed: float = math.inf
    acc: float = 0.0

    @classmethod
    def from_constraints(cls, dc, max_acc: float, max_dec: float, acc: float) -> "SpeedTracker":
        def given(name: str) -> float:
            value = getattr(dc, name, None) if dc is not None else None
            return float(value) if value else math.inf

        return cls(abs(max_acc), abs(max_dec), given("max_acceleration_rate"), given("max_deceleration_rate"),
                   given("max_speed"), acc if math.isfinite(acc) else 0.0)

    def step(self, v: float, reference: float, dt: float) -> tuple[float, bool]:
        """(new speed, whether the speed has settled on the reference)."""
        target = min(reference, self.max_speed)
        error = target - v
        wanted = min(max(error / dt, -self.max_dec), self.max_acc)
        if error > 0.0 and math.isfinite(self.dec_rate):  # accelerating: must be able to ease off in time
            wanted = min(wanted, _easing_bound(error, self.dec_rate * dt, dt))
        elif error < 0.0 and math.isfinite(self.acc_rate):  # braking: must be able to release in time
            wanted = max(wanted, -_easing_bound(-error, self.acc_rate * dt, dt))
        acc = min(max(wanted, self.acc - self.dec_rate * dt), self.acc + self.acc_rate * dt)
        v_new = v + acc * dt
        if (v_new - target) * error > 0.0 or abs(v_new - target) < 1e-12:  # this step reaches the reference
            v_new, acc = target, error / dt
        self.acc = acc
        settled = v_new == target and abs(acc) <= max(self.acc_rate, self.dec_rate) * dt
        if settled:
            self.acc = 0.0
        return v_new, settled


def _easing_bound(error: float, step: float, dt: float) -> float:
    """The largest acceleration ``a`` whose ramp down to zero in decrements of ``step`` per step
    still fits in the speed ``error``: dt·(a²/(2·step) + a/2) ≤ error (the discrete form of
    a ≤ √(2·rate·error))."""
    return step * (-0.5 + math.sqrt(0.25 + 2.0 * error / (step * dt)))


class LongitudinalDistanceRunner(_PerActor):
    """Gap keeping to a reference entity (OpenSCENARIO 1.x LongitudinalDistanceAction).

    ``displacement`` says on which side the actor keeps its distance:
    ``trailingReferencedEntity`` behind the reference, ``leadingReferencedEntity``
    ahead of it, ``any`` on the side it is on when the action starts.  Without
    DynamicConstraints the distance is applied at once (the actor is moved
    along its lane and takes the reference's speed); with them a PD law on
    the gap error and the speed difference,
    a = side·k_p·(gap − desired) + k_v·(v_ref − v), bounded by the constraints.
    """

    KP = 0.5
    KV = 1.5

    def start(self) -> bool:
        el = self.el
        t = self.engine.table
        self.ref = self.engine.entity_index(el.entity_ref, el)
        dc = el.dynamic_constraints
        self.max_acc = dc.max_acceleration if dc and dc.max_acceleration else float(t.max_acceleration[self.i])
        self.max_dec = dc.max_deceleration if dc and dc.max_deceleration else float(t.max_deceleration[self.i])
        self.max_speed = dc.max_speed if dc and dc.max_speed else float(t.max_speed[self.i])
        disp = str(el.displacement) if el.displacement is not None else "trailingReferencedEntity"
        if disp == "leadingReferencedEntity":
            self.side = -1.0
        elif disp == "any":
            self.side = 1.0 if self._ahead_of_actor() >= 0 else -1.0
        else:
            self.side = 1.0  # +1: the actor is behind the reference
        if dc is None:  # no constraints: the distance is applied at once (standard)
            self._snap()
            return not el.continuous
        return False

    def _ahead_of_actor(self) -> float:
        """Longitudinal distance of the reference from the actor, positive when it is ahead."""
        from simplatform.engine.measure import longitudinal_distance

        return longitudinal_distance(self.engine, self.i, self.ref, self.el.freespace, self.el.coordinate_system)

    def _desired(self) -> float:
        el = self.el
        if el.time_gap is not None:
            return float(el.time_gap) * abs(float(self.engine.table.speed[self.i]))
        return float(el.distance or 0.0)

    def _gap(self) -> float:
        """The gap on the actor's side: positive while the actor is on that side."""
        return self.side * self._ahead_of_actor()

    def _snap(self) -> None:
        t = self.engine.table
        self.engine.shift_along(self.i, self.side * (self._gap() - self._desired()))
        t.speed[self.i] = t.speed[self.ref]

    def step(self, dt: float) -> bool:
        t = self.engine.table
        if self.el.dynamic_constraints is None:
            self._snap()
            return not self.el.continuous
        err = self._gap() - self._desired()
        v, v_ref = float(t.speed[self.i]), float(t.speed[self.ref])
        acc = self.side * self.KP * err + self.KV * (v_ref - v)
        acc = min(max(acc, -self.max_dec), self.max_acc)
        t.speed[self.i] = min(max(v + acc * dt, 0.0), self.max_speed)
        if not self.el.continuous and abs(err) < 0.1 and abs(v_ref - v) < 0.1:
            return True
        return False
