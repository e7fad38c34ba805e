"""Behaviour and longitudinal planning of the reference stack, in the route's Frenet frame.

One planning cycle (every ``planning_period``) turns the ego state, the
tracked objects, the signal states and the V2X warnings into a desired
acceleration and a target lateral offset (which lane, relative to the
route lane):

* desired speed: the route's speed limit (else ``cruise_speed``), capped by
  the driver's ``set_speed`` when one is set, the curve speed ahead, reduced
  while a V2X hazard warning is valid;
* car following: the IDM (Treiber, Hennecke, Helbing, Phys. Rev. E 62, 2000)
  on every "leader": the in-corridor object ahead, a red (or stoppable
  amber) stop line, a vulnerable road user predicted to cross the
  corridor, the end of the route — each a virtual vehicle, the least
  acceleration wins;
* lane changes: MOBIL (Kesting, Treiber, Helbing, TRR 1999, 2007) with a
  keep-right bias, only where the route has a same-direction lane on that side
  for ``lane_change_lookahead`` metres;
* AEB: full braking when the time to collision with an in-corridor object
  stays below ``aeb_ttc`` for ``aeb_confirm_cycles`` cycles.

Deliberate weaknesses of this baseline (the test library should find them):
constant-velocity prediction of crossing objects over ``crossing_horizon``
only; a fixed reaction latency (planning cycle, AEB confirmation, track
confirmation); nothing is known of what perception does not report (no
reasoning about occluded pedestrians); V2X does not fuse RSM/BSM objects
with perception; amber/unknown lights are passed when no
comfortable stop is possible.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import NamedTuple

import numpy as np

from .inputs import EgoState, Warning
from .parameters import StackParameters
from .route import RoutePath
from .tracking import TrackedObjects
from .v2x import Constraint, V2XAwareness

RED, YELLOW = 0, 1
VULNERABLE = frozenset({"pedestrian", "bicycle", "cyclist", "wheelchair", "animal"})


class Plan(NamedTuple):
    """One planning cycle's decision (a named tuple: one per cycle)."""

    accel: float
    target_offset: float
    aeb: bool
    reason: str


class Leader(NamedTuple):
    """A virtual vehicle the IDM follows (a named tuple: several per cycle)."""

    gap: float
    speed: float
    reason: str


class Scene(NamedTuple):
    """Objects in the Frenet frame of the route, one plain float per object: a cycle sees a handful of
    objects, where a Python loop over floats costs less than numpy's per-call overhead (the values are
    those of the former whole-array expressions, operation for operation)."""

    s: list[float]
    d: list[float]
    vs: list[float]
    vd: list[float]
    half_along: list[float]
    half_across: list[float]
    categories: tuple[str, ...]


@lru_cache(maxsize=8)
def _horizon_times(horizon: float) -> tuple[float, ...]:
    """The nine prediction instants over the crossing horizon (``numpy.linspace``'s values)."""
    return tuple(np.linspace(0.0, horizon, 9).tolist())


def idm(p: StackParameters, v: float, v0: float, gap: float = math.inf, v_lead: float = 0.0) -> float:
    """Intelligent Driver Model acceleration (Treiber 2000, eqs. 1-2)."""
    free = 1.0 - (max(v, 0.0) / max(v0, 0.1)) ** p.idm_delta
    if not math.isfinite(gap):
        return p.idm_accel * free
    s_star = p.idm_min_gap + max(0.0, v * p.idm_time_gap + v * (v - v_lead) / (2 * math.sqrt(p.idm_accel * p.idm_decel)))
    return p.idm_accel * (free - (s_star / max(gap, 0.1)) ** 2)


class Planner:
    def __init__(self, params: StackParameters) -> None:
        self.p = params
        self.target_offset = 0.0
        self.aeb_cycles = 0
        self.aeb_active = False
        self.last_change = -math.inf
        self.stop_lines: list[tuple[float, int]] = []   # (route s, signal id)
        self._s: float | None = None

    def set_stop_lines(self, route: RoutePath, lines: list[dict[str, float]]) -> None:
        """Keep the stop lines that lie on the route and govern its direction of travel."""
        self.stop_lines = []
        if not lines:
            return
        f = route.project(np.array([[ln["x"], ln["y"]] for ln in lines]))
        for k, ln in enumerate(lines):
            aligned = math.cos(ln["heading"] - f.heading[k]) > 0.5
            if aligned and abs(f.d[k]) < 8.0 and 0.0 <= f.s[k] <= route.length:
                self.stop_lines.append((float(f.s[k]), int(ln["id"])))
        self.stop_lines.sort()

    # ------------------------------------------------------------------ scene
    def scene(self, route: RoutePath, s_ego: float, objects: TrackedObjects) -> Scene:
        if len(objects) == 0:
            return Scene([], [], [], [], [], [], ())
        f = route.project(objects.xy, s_hint=s_ego, window=250.0)
        # the trigonometry stays numpy's (its float64 sin/cos need not be libm's to the last bit)
        rel = objects.yaw - f.heading
        cos_h, sin_h = np.cos(f.heading).tolist(), np.sin(f.heading).tolist()
        cos_r, sin_r = np.cos(rel).tolist(), np.sin(rel).tolist()
        vs, vd, half_along, half_across = [], [], [], []
        for (vx, vy), (length, width, _), c, s, cr, sr in zip(objects.velocity.tolist(), objects.size.tolist(),
                                                             cos_h, sin_h, cos_r, sin_r):
            vs.append(vx * c + vy * s)
            vd.append(-vx * s + vy * c)
            cr, sr = abs(cr), abs(sr)
            half_along.append(0.5 * (length * cr + width * sr))
            half_across.append(0.5 * (length * sr + width * cr))
        return Scene(f.s.tolist(), f.d.tolist(), vs, vd, half_along, half_across, objects.categories)

    @staticmethod
    def _leader_in(sc: Scene, s_front: float, s_rear: float, d_centre: float, half: float,
                   ahead: bool = True) -> Leader | None:
        """Nearest object overlapping the lateral band [d_centre ± half] ahead of (or behind) the ego.

        The smallest gap among the objects in the band, the first on a tie and a NaN gap before any
        number (``numpy.argmin``'s rule)."""
        best_k, best = -1, 0.0
        for k, (s, d, along, across) in enumerate(zip(sc.s, sc.d, sc.half_along, sc.half_across)):
            if not abs(d - d_centre) < half + across:
                continue
            if ahead:
                if not s + along > s_front:
                    continue
                gap = s - along - s_front
            else:
                if not s - along < s_rear:
                    continue
                gap = s_rear - (s + along)
            if best_k < 0 or gap < best or (gap != gap and best == best):
                best_k, best = k, gap
        if best_k < 0:
            return None
        return Leader(best, sc.vs[best_k], f"object {best_k}")

    # ------------------------------------------------------------------ cycle
    def plan(self, ego: EgoState, route: RoutePath, objects: TrackedObjects, lights: dict[int, int],
             v2x: V2XAwareness | list[Warning] | None = None) -> Plan:
        """One cycle; ``v2x`` is the stack's :class:`~.v2x.V2XAwareness` (a plain list of
        ``inputs.Warning`` only lowers the desired speed, the first baseline's behaviour)."""
        p = self.p
        s_ego, d_ego, _ = route.project_point(ego.x, ego.y, s_hint=self._s)
        self._s = s_ego
        v = max(ego.speed, 0.0)
        s_front, s_rear = s_ego + p.front_length, s_ego - p.rear_length
        preview = max(30.0, 3.0 * v)
        v0 = route.attribute_min("speed_limit", s_ego, s_ego + preview)
        v0 = p.cruise_speed if not math.isfinite(v0) else v0
        if p.set_speed > 0.0:
            v0 = min(v0, p.set_speed)
        v0 = min(v0, route.curvature_speed(s_ego, s_ego + preview, p.lateral_accel))
        advice = Constraint()
        glosa, glosa_reason = math.inf, ""
        if isinstance(v2x, V2XAwareness):
            advice = v2x.constraint(ego.time, route, s_ego, self.target_offset, v)
            v0 *= advice.speed_factor
            lights = v2x.lights(lights, self.stop_lines, s_front)
            glosa, glosa_reason = v2x.glosa(ego.time, self.stop_lines, s_front, v, v0)
        elif v2x and self._warned(ego, v2x):
            v0 *= p.warning_speed_factor
        sc = self.scene(route, s_ego, objects)
        half_lane = 0.5 * route.attribute_at("lane_width", s_ego)
        corridor = 0.5 * p.width + p.corridor_margin

        leaders: list[Leader] = []
        for d_c in {self.target_offset, d_ego}:
            lead = self._leader_in(sc, s_front, s_rear, d_c, min(half_lane, corridor + 0.3))
            if lead is not None:
                leaders.append(lead)
        leaders += self._crossing(sc, s_front, d_ego, corridor)
        leaders += self._stop_lines(s_front, v, lights)
        leaders += [Leader(gap, 0.0, advice.reason + " hazard") for gap in advice.stop_gaps]
        leaders.append(Leader(route.length - s_front + p.idm_min_gap - p.stop_margin, 0.0, "route end"))
        accel, reason = idm(p, v, v0), "free"
        for lead in leaders:
            a = idm(p, v, v0, lead.gap, lead.speed)
            if a < accel:
                accel, reason = a, lead.reason
        for bound, why in ((advice.accel_bound, advice.reason + " speed limit"), (glosa, glosa_reason)):
            if bound < accel:
                accel, reason = bound, why
        if advice.speed_factor < 1.0 and advice.reason not in reason:
            reason = f"{reason} [{advice.reason}: desired speed x{advice.speed_factor:g}]"
        accel = max(accel, -p.max_decel)
        aeb = self._aeb(sc, s_front, d_ego, corridor, v)
        if aeb:
            return Plan(-p.aeb_decel, self.target_offset, True, "AEB")
        if advice.make_way:
            self._make_way(ego.time, sc, route, s_ego, s_front, s_rear, d_ego, v, v0, half_lane)
        else:
            self._mobil(ego.time, sc, route, s_ego, s_front, s_rear, d_ego, v, v0, half_lane)
        return Plan(accel, self.target_offset, False, reason)

    def _make_way(self, t: float, sc: Scene, route: RoutePath, s_ego: float, s_front: float, s_rear: float,
                  d_ego: float, v: float, v0: float, half_lane: float) -> None:
        """EVW: leave the lane of an emergency vehicle coming from behind, right first, when the new
        follower need not brake harder than ``safe_decel`` (MOBIL's safety criterion, Kesting 2007)."""
        p = self.p
        if abs(d_ego - self.target_offset) > 0.3 or t - self.last_change < p.lane_change_cooldown:
            return
        width = 2 * half_lane
        current = int(round(self.target_offset / width)) if width > 0 else 0
        span = (s_ego, s_ego + p.lane_change_lookahead)
        for side in (-1, +1):
            lane = current + side
            room = route.attribute_min("lanes_left" if lane > 0 else "lanes_right", *span) if lane != 0 else math.inf
            if lane != 0 and abs(lane) > room:
                continue
            follower = self._leader_in(sc, s_front, s_rear, lane * width, half_lane, ahead=False)
            if follower is not None and idm(p, max(follower.speed, 0.0), v0, follower.gap, v) < -p.safe_decel:
                continue
            self.target_offset = lane * width
            self.last_change = t
            return

    def _warned(self, ego: EgoState, warnings: list[Warning]) -> bool:
        for w in warnings:
            if ego.time - w.time > w.validity_s:
                continue
            if w.x is None or math.hypot(w.x - ego.x, w.y - ego.y) <= self.p.warning_range:
                return True
        return False

    def _crossing(self, sc: Scene, s_front: float, d_ego: float, corridor: float) -> list[Leader]:
        """Objects moving across the route that a constant-velocity prediction puts into the corridor."""
        out = []
        if len(sc.s) == 0:
            return out
        times = _horizon_times(self.p.crossing_horizon)
        for k, (s, d, vd, along, across, category) in enumerate(
                zip(sc.s, sc.d, sc.vd, sc.half_along, sc.half_across, sc.categories)):
            if not (s + along > s_front and s - s_front < 80.0):
                continue
            vulnerable = category in VULNERABLE
            if not (abs(vd) > 0.3 or vulnerable):
                continue
            limit = corridor + across
            if not any(abs(d + vd * t - d_ego) < limit for t in times):
                continue
            speed = 0.0 if vulnerable else max(0.0, sc.vs[k])
            out.append(Leader(s - along - s_front, speed, "yield to crossing " + (category or "object")))
        return out

    def _stop_lines(self, s_front: float, v: float, lights: dict[int, int]) -> list[Leader]:
        out = []
        p = self.p
        for s_line, sid in self.stop_lines:
            dist = s_line - s_front
            if dist < -0.5 or dist > 150.0:
                continue
            state = lights.get(sid)
            if state not in (RED, YELLOW):
                continue
            comfortable = v * v / (2 * 3.0) < dist - p.stop_margin
            possible = v * v / (2 * p.max_decel) < dist
            if (state == YELLOW and not comfortable) or (state == RED and not possible and v > 1.0):
                continue  # dilemma zone: go on
            out.append(Leader(dist - p.stop_margin + p.idm_min_gap - 0.0, 0.0, f"stop line {sid}"))
        return out

    def _aeb(self, sc: Scene, s_front: float, d_ego: float, corridor: float, v: float) -> bool:
        p = self.p
        lead = self._leader_in(sc, s_front, s_front, d_ego, 0.5 * p.width)
        ttc = math.inf
        if lead is not None and v > lead.speed:
            ttc = max(lead.gap, 0.0) / (v - lead.speed)
        if ttc < p.aeb_ttc:
            self.aeb_cycles += 1
        else:
            self.aeb_cycles = 0
        if self.aeb_cycles >= p.aeb_confirm_cycles:
            self.aeb_active = True
        if self.aeb_active and (v < 0.1 or ttc > 2.0 * p.aeb_ttc):
            self.aeb_active = False
        return self.aeb_active

    def _mobil(self, t: float, sc: Scene, route: RoutePath, s_ego: float, s_front: float, s_rear: float,
               d_ego: float, v: float, v0: float, half_lane: float) -> None:
        """MOBIL decision between the current target lane and its neighbours (Kesting 2007, eqs. 2-5)."""
        p = self.p
        width = 2 * half_lane
        if v < 5.0 or t - self.last_change < p.lane_change_cooldown or abs(d_ego - self.target_offset) > 0.3:
            return
        current = int(round(self.target_offset / width)) if width > 0 else 0
        span = (s_ego, s_ego + p.lane_change_lookahead)
        a_old = self._lane_accel(sc, s_front, s_rear, self.target_offset, half_lane, v, v0)
        side_of = "lanes_left" if current > 0 else "lanes_right"
        must_return = current != 0 and route.attribute_min(side_of, *span) < abs(current)
        best, best_gain = None, 0.0
        for side in (+1, -1):
            lane = current + side
            room = route.attribute_min("lanes_left" if lane > 0 else "lanes_right", *span) if lane != 0 else math.inf
            if lane != 0 and abs(lane) > room or (must_return and abs(lane) > abs(current)):
                continue
            d_new = lane * width
            follower = self._leader_in(sc, s_front, s_rear, d_new, half_lane, ahead=False)
            a_new = self._lane_accel(sc, s_front, s_rear, d_new, half_lane, v, v0)
            if follower is not None:
                v_f = max(follower.speed, 0.0)
                a_f_new = idm(p, v_f, v0, follower.gap, v)
                if a_f_new < -p.safe_decel:
                    continue
                lead_new = self._leader_in(sc, s_front, s_rear, d_new, half_lane)
                gap_old = (follower.gap + p.front_length + p.rear_length + lead_new.gap) if lead_new else math.inf
                a_f_old = idm(p, v_f, v0, gap_old, lead_new.speed if lead_new else 0.0)
                courtesy = p.politeness * (a_f_new - a_f_old)
            else:
                courtesy = 0.0
            if abs(lane) < abs(current):
                bias = -2 * p.keep_right_bias  # back towards the route lane when nothing speaks against it
            else:
                bias = p.keep_right_bias if side > 0 else 0.0  # overtaking on the left costs the keep-right bias
            gain = a_new - a_old + courtesy - p.change_threshold - bias
            if must_return and lane == 0:
                gain = math.inf  # the route lane ends on this side ahead: go back while it is safe
            if gain > best_gain:
                best, best_gain = d_new, gain
        if best is not None:
            self.target_offset = best
            self.last_change = t

    def _lane_accel(self, sc: Scene, s_front: float, s_rear: float, d: float, half_lane: float, v: float,
                    v0: float) -> float:
        lead = self._leader_in(sc, s_front, s_rear, d, half_lane)
        return idm(self.p, v, v0) if lead is None else idm(self.p, v, v0, lead.gap, lead.speed)
