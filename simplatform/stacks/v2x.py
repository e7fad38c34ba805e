"""V2X in the reference stack: which warnings concern the route, and what SPaT says about its lights.

Inputs: ``/v2x/<n>`` (``std_msgs/String``, a JSON list of messages, each
with a ``message`` set name; see ``sensors.v2x_messages``).

* Warnings: event messages (DENM, IVI, or any message whose ``application``
  is a warning application, :data:`HANDLED`) with the event position
  ``x``/``y`` (or ``position``), the ``entity`` it concerns, its sending
  ``time`` and ``validity_s``.  The position of a named entity is kept up to
  date from that entity's own BSMs.  A warning is *relevant* while valid and
  when its position, projected on the route (Frenet ``s``, ``d``), lies
  ``0 … warning_range`` m ahead of the ego (``-warning_behind`` for
  traffic approaching from behind: EVW, BSW) and within ``warning_lateral``
  m of the route (``warning_crossing_lateral`` for traffic crossing it: ICW,
  LTA, VRUCW, RLVW).  A warning without a position is always relevant.
* Responses (what the planner does with a relevant warning):
  - every one lowers the desired speed to ``warning_speed_factor`` of it,
    except an emergency vehicle (EVW): ``yield_speed_factor``, and when it
    comes from behind in the ego's lane, a move to a free neighbour lane
    (right first), the MOBIL safety criterion for the new follower;
  - a stationary hazard in the ego's lane ahead (no entity, or an entity
    whose last known speed is below 1 m/s: HLW obstacle, FCW stopped car,
    TJW queue end) becomes a virtual stopped leader, so the ego prepares to
    stop there before perception can see it (sight-blocked scenarios);
  - a speed-limit advisory (``payload.speed_limit_kmh``: SLW, IVS) bounds
    the acceleration so that the ego reaches the limit at the event
    position, braking at ``advisory_decel``.
* SPaT (SAE J2735 §5.16): each movement's ``signal_group`` is a signal id
  (its ``/traffic_lights`` id is ``simplatform.bridge.observations.signal_id``
  of it), ``state`` a J2735 MovementPhaseState, ``min_end_time`` the time of
  the next change.  The SPaT state stands in for ``/traffic_lights`` for stop
  lines beyond ``light_visibility`` (a camera sees a light that far; default:
  any distance), so the ego stops for a red it cannot see yet; and its timing
  gives GLOSA (Katsaros et al., "Performance study of a Green Light
  Optimized Speed Advisory (GLOSA) application using an integrated
  cooperative ITS simulation platform", IWCMC 2011): towards a red that
  turns green at t_g, the speed D / (t_g − t) that arrives as it turns
  green (not below ``glosa_min_speed``); towards a green that ends before
  the ego can reach the line, stop as for a red when ``glosa_decel``
  suffices.  Both act as an acceleration bound, approached at most at
  ``glosa_decel``, so the advice is comfortable.

Deliberate simplicity: RSMs and other BSMs are not fused with perception;
crossing warnings only slow down; warnings stay until their validity ends.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from simplatform.bridge.msgs import String
from simplatform.bridge.observations import signal_id

from .parameters import StackParameters
from .route import RoutePath

RED, YELLOW, GREEN = 0, 1, 2
J2735_STATES = {"stop-and-remain": RED, "stop-then-proceed": RED, "pre-movement": RED,
                "protected-clearance": YELLOW, "permissive-clearance": YELLOW,
                "protected-movement-allowed": GREEN, "permissive-movement-allowed": GREEN}
WARNING_MESSAGES = frozenset({"DENM", "IVI"})
BEHIND = frozenset({"EVW", "BSW"})
CROSSING = frozenset({"ICW", "LTA", "VRUCW", "RLVW"})
HANDLED = frozenset({"FCW", "EEBL", "AVW", "HLW", "TJW", "CLW", "RWW", "DNPW", "SLW", "IVS"}) | BEHIND | CROSSING
"""Warning applications (CSAE 53-2017 / ETSI TR 102 638 day-one set); GLOSA is advice, handled through SPaT."""


@dataclass
class ReceivedWarning:
    sent: float
    application: str
    message: str
    x: float | None
    y: float | None
    entity: str | None
    speed: float | None
    validity_s: float
    speed_limit: float | None = None
    """m/s, from ``payload.speed_limit_kmh``."""

    def valid(self, now: float) -> bool:
        return now - self.sent <= self.validity_s


@dataclass(frozen=True)
class Signal:
    state: int
    end: float | None


@dataclass(frozen=True)
class Constraint:
    """What the warnings ask of the planner this cycle."""

    speed_factor: float = 1.0
    stop_gaps: tuple[float, ...] = ()
    """Gaps (m, from the front bumper) to virtual stopped leaders."""
    accel_bound: float = math.inf
    make_way: bool = False
    """An emergency vehicle approaches from behind in the ego's lane: move to a free neighbour lane."""
    reason: str = ""


_NO_CONSTRAINT = Constraint(1.0, (), math.inf, False, "")


def _documents(msg: Any) -> list[dict[str, Any]]:
    if not isinstance(msg, String):
        return []
    try:
        doc = json.loads(msg.data)
    except (ValueError, TypeError):
        return []
    return [d for d in (doc if isinstance(doc, list) else [doc]) if isinstance(d, dict)]


def _position(d: Mapping[str, Any]) -> tuple[float | None, float | None]:
    pos = d.get("position") if isinstance(d.get("position"), dict) else d
    x, y = pos.get("x"), pos.get("y")
    return (float(x), float(y)) if isinstance(x, (int, float)) and isinstance(y, (int, float)) else (None, None)


class V2XAwareness:
    """The stack's V2X state: valid warnings, last BSM of each sender, SPaT per signal id."""

    def __init__(self, params: StackParameters) -> None:
        self.p = params
        self.warnings: dict[tuple[str, float, str], ReceivedWarning] = {}
        self.bsm: dict[str, tuple[float, float, float]] = {}
        self.spat: dict[int, Signal] = {}

    def update(self, msg: Any, now: float) -> None:
        for d in _documents(msg):
            kind = str(d.get("message", "")).upper()
            app = str(d.get("application", "")).upper()
            if app in HANDLED and kind not in ("SPAT", "MAP"):
                self._warning(d, kind, app, now)  # a warning application, whatever set carries it (FCW in a BSM)
            elif kind == "BSM" and isinstance(d.get("sender"), str):
                self.bsm[d["sender"]] = (float(d.get("x") or 0.0), float(d.get("y") or 0.0),
                                         float(d.get("speed") or 0.0))
            elif kind == "SPAT" and isinstance(d.get("movements"), list):
                for m in d["movements"]:
                    state = J2735_STATES.get(str(m.get("state", "")).lower())
                    if state is not None and m.get("signal_group") is not None:
                        end = m.get("min_end_time")
                        end = None if end is None else float(end)
                        self.spat[signal_id(str(m["signal_group"]))] = Signal(state, end)
            elif kind in WARNING_MESSAGES or app in HANDLED:
                self._warning(d, kind, app, now)

    def _warning(self, d: Mapping[str, Any], kind: str, app: str, now: float) -> None:
        sent = float(d.get("time", now))
        key = (str(d.get("sender", "")), sent, app or kind)
        if key in self.warnings:
            return
        x, y = _position(d)
        payload = d.get("payload") if isinstance(d.get("payload"), dict) else {}
        limit = payload.get("speed_limit_kmh")
        speed = d.get("speed")
        self.warnings[key] = ReceivedWarning(sent, app or kind, kind, x, y, d.get("entity"),
                                        None if speed is None else float(speed), float(d.get("validity_s", 10.0)),
                                        float(limit) / 3.6 if isinstance(limit, (int, float)) else None)

    # ------------------------------------------------------------------ warnings
    def constraint(self, now: float, route: RoutePath, s_ego: float, d_target: float, v: float) -> Constraint:
        """The responses to the relevant warnings (see the module docstring)."""
        if not self.warnings:
            return _NO_CONSTRAINT      # what the loop below concludes from no warning, built once
        p = self.p
        factor, gaps, bound, reasons, make_way = 1.0, [], math.inf, [], False
        half_lane = 0.5 * route.attribute_at("lane_width", s_ego)
        for w in self.warnings.values():
            if not w.valid(now):
                continue
            x, y, speed = w.x, w.y, w.speed
            if w.entity in self.bsm:
                x, y, speed = self.bsm[w.entity]
            along = d = None
            if x is not None:
                f = route.project(np.array([[x, y]]), s_hint=s_ego, window=p.warning_range + p.warning_behind)
                along, d = float(f.s[0]) - s_ego, float(f.d[0])
                lateral = p.warning_crossing_lateral if w.application in CROSSING else p.warning_lateral
                behind = p.warning_behind if w.application in BEHIND else 10.0
                if not (-behind <= along <= p.warning_range and abs(d) <= lateral):
                    continue
            reasons.append(w.application)
            if w.speed_limit is not None:
                if along is None or along <= p.front_length:
                    bound = min(bound, (w.speed_limit - v) / 1.0)
                elif v > w.speed_limit:
                    needed = (v * v - w.speed_limit ** 2) / (2.0 * (along - p.front_length))
                    if needed >= 0.8 * p.advisory_decel:
                        bound = min(bound, -max(needed, p.advisory_decel))
                continue
            in_lane = d is not None and abs(d - d_target) < half_lane + 0.5
            if w.application == "EVW":
                # pull over: move out of its lane, and ease off (a hard stop in its path is worse)
                factor = min(factor, p.yield_speed_factor)
                make_way = make_way or (in_lane and along is not None and along < 0)
                continue
            factor = min(factor, p.warning_speed_factor)
            stationary = w.entity is None or (speed is not None and speed < 1.0)
            if along is not None and stationary and w.application not in BEHIND | CROSSING and along > 0 and in_lane:
                gaps.append(along - p.front_length - 2.0)
        reason = "V2X " + ",".join(sorted(set(reasons))) if reasons else ""
        return Constraint(factor, tuple(gaps), bound, make_way, reason)

    # ------------------------------------------------------------------ signals
    def lights(self, lights: Mapping[int, int], stop_lines: list[tuple[float, int]], s_front: float) -> dict[int, int]:
        """``/traffic_lights`` within ``light_visibility`` of the front, SPaT for the others."""
        out = dict(lights)
        for s_line, sid in stop_lines:
            if s_line - s_front > self.p.light_visibility:
                out.pop(sid, None)
            if sid not in out and sid in self.spat:
                out[sid] = self.spat[sid].state
        return out

    def glosa(self, now: float, stop_lines: list[tuple[float, int]], s_front: float, v: float,
              v0: float) -> tuple[float, str]:
        """An acceleration bound from the SPaT timing of the next signalised stop line (inf: none)."""
        p = self.p
        for s_line, sid in stop_lines:
            dist = s_line - s_front - p.stop_margin
            if dist < 0.0:
                continue
            sig = self.spat.get(sid)
            if dist > p.glosa_range or sig is None or sig.end is None:
                return math.inf, ""
            left = sig.end - now
            if sig.state == RED and left > 0.0:
                target = max(dist / left, p.glosa_min_speed)
                if target < v0:
                    return max((target - v) / 2.0, -p.glosa_decel), f"GLOSA {target * 3.6:.0f} km/h"
            elif sig.state == GREEN and v0 * max(left, 0.0) < dist and v * v / (2 * max(dist, 0.1)) <= p.glosa_decel:
                a = -v * v / (2 * max(dist, 0.1))
                return a, "GLOSA stop: green ends before arrival"
            return math.inf, ""
        return math.inf, ""
