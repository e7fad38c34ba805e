"""Reaction to V2X warnings: the time from delivery to the ego's first response.

What counts as a response (the first of these at or after the delivery time
``t_w``; the ego's state *at delivery* is its last recorded step at or before
``t_w``):

(a) braking: the longitudinal deceleration rises by at least
    ``v2x_decel_increase`` (1 m/s²) over the deceleration at delivery and
    stays there for ``v2x_decel_hold`` (0.2 s, every step of the closed
    interval); or, when the ego was not braking at delivery (deceleration
    below ``v2x_braking_at_delivery``, 0.5 m/s²: more than coasting against
    rolling and air resistance), the first step with at least
    ``v2x_brake_decel`` (2 m/s²) of deceleration.  So an ego already braking
    when the message arrives has answered only when it brakes harder;
(b) a lane change started: the velocity component normal to the lane's
    direction (world ``vx, vy`` against the road heading at the ego's lane
    position) at least ``v2x_lateral_speed`` (0.3 m/s) one way for
    ``v2x_lateral_hold`` (0.3 s), or the lane id changes on the same road.
    The lateral test needs a road model; the lane id test also works from
    the snapshot's ``LaneLocation``s.  A lane id change where one road ends
    and the next begins is not a lane change;
(c) for speed advice (applications SLW, IVS, GLOSA; ``V2XWarning.is_advisory``)
    that carries an advised speed: the ego's speed falls to at most
    ``1 + v2x_advisory_margin`` (5 %) times it (0 s when already there);
    advice without a speed is answered by braking as in (a).  Braking harder
    without reaching the speed, or a lane change, does not answer advice;
(d) standstill (speed below 0.1 m/s, ScenarioRunner's ``STOP_SPEED``): an ego
    standing at delivery has nothing left to do and answers in 0 s.

A warning without a response by the end of the run is unanswered: the
slowest reaction is then infinite.  A run with no warning reports 0 for both
scalars (the metric is built when ``ScenarioContext.v2x_expected`` is set).
The thresholds are the ones agreed with the V2X and harness engineers
(/work/notes/requests_for_metrics.md): braking onset after the alert is the
usual measure of a forward-collision-warning reaction, and a lateral speed
sustained toward the next lane marks the start of a lane change; a fixed
absolute braking level alone (the former rule: any step braking ≥ 1 m/s²)
credited an ego that was already braking when the message came, and no
evasive lane change.

The ego's state is recorded for the whole run (a few floats per step), and
responses are found at ``result()``: a warning added while steps are still
buffered, or after steps following its time were evaluated, is measured the
same way from its own time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from metrics.base import BlockMetric, ScalarSpec, make_result, register_metric
from metrics.block import StepBlock
from metrics.context import V2XWarning
from metrics.signals import STOP_SPEED
from simplatform.results import MetricEvent, MetricResult

_EPS = 1e-9


@dataclass(frozen=True)
class ResponseRule:
    """The thresholds of the response definition (module docstring), from ``context.thresholds``."""

    decel_increase: float = 1.0
    decel_hold: float = 0.2
    brake_decel: float = 2.0
    braking_at_delivery: float = 0.5
    lateral_speed: float = 0.3
    lateral_hold: float = 0.3
    advisory_margin: float = 0.05

    @classmethod
    def of(cls, context) -> "ResponseRule":
        d = cls()
        return cls(*(context.threshold(f"v2x_{name}", getattr(d, name)) for name in cls.__dataclass_fields__))


@dataclass(frozen=True)
class EgoHistory:
    """The ego per recorded step: time, deceleration (−longitudinal acceleration), |speed|, velocity
    normal to the lane (NaN unknown), road code (−1 unknown) and lane id (0 unknown)."""

    times: np.ndarray
    decel: np.ndarray
    speed: np.ndarray
    lateral: np.ndarray
    road: np.ndarray
    lane: np.ndarray


def _first_sustained(mask: np.ndarray, times: np.ndarray, start: int, hold: float) -> int | None:
    """Index of the first step ≥ ``start`` from which ``mask`` holds for at least ``hold`` seconds."""
    m = mask[start:]
    if not m.any():
        return None
    edges = np.diff(np.concatenate([[0], m.astype(np.int8), [0]]))
    first, last = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1
    t = times[start:]
    ok = np.flatnonzero(t[last] - t[first] >= hold - _EPS)
    return start + int(first[ok[0]]) if ok.size else None


def _first(mask: np.ndarray, start: int) -> int | None:
    idx = np.flatnonzero(mask[start:])
    return start + int(idx[0]) if idx.size else None


def first_response(h: EgoHistory, warning: V2XWarning, rule: ResponseRule) -> tuple[float, str] | None:
    """(time of the response, which criterion) for one warning, or None when there is none."""
    n = h.times.size
    if n == 0:
        return None
    start = int(np.searchsorted(h.times, warning.time - _EPS, side="left"))
    if start >= n:
        return None
    at = int(np.searchsorted(h.times, warning.time + _EPS, side="right")) - 1
    at = max(at, 0)
    found: list[tuple[int, str]] = []

    def braking() -> None:
        d0 = float(h.decel[at])
        k = _first_sustained(h.decel - d0 >= rule.decel_increase - _EPS, h.times, start, rule.decel_hold)
        if k is not None:
            found.append((k, "braking"))
        if d0 < rule.braking_at_delivery:
            k = _first(h.decel >= rule.brake_decel - _EPS, start)
            if k is not None:
                found.append((k, "braking"))

    k = _first(h.speed < STOP_SPEED, start)
    if k is not None:
        found.append((k, "standstill"))
    if warning.is_advisory:
        if warning.advised_speed is not None:
            k = _first(h.speed <= (1.0 + rule.advisory_margin) * warning.advised_speed + _EPS, start)
            if k is not None:
                found.append((k, f"speed at most {warning.advised_speed:.2f} m/s + {rule.advisory_margin:.0%}"))
        else:
            braking()
    else:
        braking()
        with np.errstate(invalid="ignore"):
            for side in (h.lateral >= rule.lateral_speed - _EPS, h.lateral <= -rule.lateral_speed + _EPS):
                k = _first_sustained(side, h.times, start, rule.lateral_hold)
                if k is not None:
                    found.append((k, "lane change"))
        same_road = (h.road[1:] == h.road[:-1]) & (h.road[1:] >= 0)
        changed = same_road & (h.lane[1:] != h.lane[:-1]) & (h.lane[1:] != 0) & (h.lane[:-1] != 0)
        k = _first(np.concatenate([[False], changed]), start)
        if k is not None:
            found.append((k, "lane change"))
    if not found:
        return None
    k, why = min(found, key=lambda f: f[0])
    return float(h.times[k]), why


@register_metric
class V2XReactionMetric(BlockMetric):
    """Time from each V2X warning to the ego's response (see the module docstring for what counts)."""

    name = "v2x_reaction"
    requires = frozenset({"v2x_warnings|v2x_expected"})
    scalars = (ScalarSpec("v2x_reaction_time_max", "s", "time", "final",
                          "slowest response to a V2X warning (0 without warnings, inf when one is unanswered)"),
               ScalarSpec("v2x_unanswered", "1", "count", "count", "warnings without a response",
                          event="v2x_unanswered"))

    def __init__(self, context) -> None:
        super().__init__(context)
        self.warnings: list[V2XWarning] = list(context.v2x_warnings)
        self.rule = ResponseRule.of(context)
        self._chunks: list[tuple[np.ndarray, ...]] = []
        self._road_codes: dict[str, int] = {}

    def add_warning(self, warning: V2XWarning) -> None:
        """A warning that became known during the run (``MetricSuite.add_v2x_warning``)."""
        self.warnings.append(warning)

    def observe_block(self, block: StepBlock) -> None:
        e = block.ego_index
        if e is None:
            return
        T = block.size
        codes = self._road_codes
        st = block.ego_road
        if st is not None:
            heading = st.travel_heading   # NaN off road
            lateral = -block.ego_col("vx") * np.sin(heading) + block.ego_col("vy") * np.cos(heading)
            one = st.one_lane
            if one is not None:   # every step on one lane: its codes, without a look-up per step
                road = np.full(T, codes.setdefault(one[0], len(codes)), dtype=np.int64)
                lane = np.full(T, one[1], dtype=np.int64)
            else:
                road = self._codes_of(st.view.names, st.road_code).astype(np.int64, copy=False)
                lane = np.where(st.on_road, st.lane_id, 0).astype(np.int64, copy=False)
        else:
            lateral = np.full(T, math.nan)
            road = np.full(T, -1, dtype=np.int64)
            lane = np.zeros(T, dtype=np.int64)
            known, rids, lanes, _, _ = block.ego_lanes
            if rids:
                road[known] = [codes.setdefault(r, len(codes)) for r in rids]
                lane[known] = lanes
        self._chunks.append((block.times.copy(), -block.ego_long_lat_accel[0], np.abs(block.ego_col("speed")),
                             lateral, road, lane))

    def _codes_of(self, names: list[str], view_codes: np.ndarray) -> np.ndarray:
        """This metric's road codes (−1 off road) for the road view's codes of one block."""
        codes = self._road_codes
        table = np.array([codes.setdefault(r, len(codes)) for r in names] or [-1], dtype=np.int64)
        return np.where(view_codes >= 0, table[np.maximum(view_codes, 0)], -1)

    def history(self) -> EgoHistory:
        if not self._chunks:
            empty = np.zeros(0)
            return EgoHistory(empty, empty, empty, empty, empty.astype(np.int64), empty.astype(np.int64))
        if len(self._chunks) > 1:
            self._chunks = [tuple(np.concatenate(cols) for cols in zip(*self._chunks))]
        return EgoHistory(*self._chunks[0])

    def result(self) -> MetricResult:
        h = self.history()
        answered: list[tuple[V2XWarning, float]] = []
        events: list[MetricEvent] = []
        unanswered: list[V2XWarning] = []
        for w in sorted(self.warnings, key=lambda w: w.time):
            response = first_response(h, w, self.rule)
            if response is None:
                unanswered.append(w)
                events.append(MetricEvent(w.time, "v2x_unanswered", (), None, w.message))
                continue
            t, why = response
            dt = max(0.0, t - w.time)
            answered.append((w, dt))
            events.append(MetricEvent(t, "v2x_response", (), dt, f"{w.message}: {why}"))
        self.events = sorted(events, key=lambda ev: ev.time)
        worst = max(answered, key=lambda a: a[1], default=None)
        if unanswered:
            value, when = math.inf, unanswered[0].time
        else:
            value, when = (worst[1], worst[0].time + worst[1]) if worst else (0.0, None)
        return make_result(self, {"v2x_reaction_time_max": value, "v2x_unanswered": len(unanswered)}, None,
                           {"v2x_reaction_time_max": when})
