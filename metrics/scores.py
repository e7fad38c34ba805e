"""Scores: the CARLA Leaderboard 2.0 driving score, and our safety / function / comfort scores.

**Leaderboard** (carla-simulator/leaderboard, branch leaderboard-2.0,
``leaderboard/utils/statistics_manager.py``, ``compute_route_statistics``)::

    driving_score = max(route_completion × infraction_penalty, 0)
    infraction_penalty = Π over events p_event
      fixed p (PENALTY_VALUE_DICT): pedestrian collision 0.50, vehicle 0.60,
      static 0.65, red light 0.70, stop sign 0.80, scenario timeout 0.70,
      failure to yield to an emergency vehicle 0.70
      percentage p (PENALTY_PERC_DICT): outside route lanes [0, 'increases']:
      p = 1 − pct/100; minimum speed [0.7, 'decreases'] per checkpoint event:
      p = 1 − (1 − 0.7)(1 − pct/100)

Route deviation and blocked end the route (``terminate_on_failure``): events
after the first of them do not count and the completion is frozen there.
Route completion and the scores are rounded as the Leaderboard does (2 and 6
decimals).  ``min_speed_mode="unused"`` reproduces Bench2Drive's variant,
which records but does not penalise minimum speed.

**Scenario scores** (0–100, ours; documented so they can be compared):

* safety = 100 × 0.5^ped × 0.6^veh × 0.65^static × 0.7^red × 0.8^stop ×
  0.9^near_misses × (1 − f_ttc) × (1 − f_offroad) × (1 − f_wrong_way), with
  f the share of run time with TTC < 1.5 s, off road, against traffic;
* function = 100 × completion × (1 − f_blocked), completion being route
  completion/100, else goal reached (0/1), else 1;
* comfort = 100 × (1 − share of time outside the nuPlan comfort bounds);
* overall = function × safety/100 × (0.8 + 0.2 × comfort/100): safety and
  progress multiply as in the Leaderboard; discomfort costs at most 20 %.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Mapping, Sequence

import numpy as np

from metrics.base import step_durations
from simplatform.results import MetricEvent, MetricResult

PENALTY_VALUE = {
    "collision_pedestrian": 0.50, "collision_vehicle": 0.60, "collision_static": 0.65,
    "red_light": 0.70, "stop_sign": 0.80, "scenario_timeout": 0.70, "yield_emergency": 0.70,
}
MIN_SPEED_PENALTY = 0.7
TERMINATING = ("route_deviation", "blocked")
_TIME = attrgetter("time")
_COMPUTE = object()
"""``scenario_scores``' default ``leaderboard``: made from the results."""


@dataclass(frozen=True)
class LeaderboardScore:
    route_completion: float
    infraction_penalty: float
    driving_score: float
    infractions: dict[str, int] = field(default_factory=dict)
    terminated_by: str | None = None


def leaderboard_score(results: Mapping[str, MetricResult], *, min_speed_mode: str = "decreases",
                      events: Sequence[MetricEvent] | None = None) -> LeaderboardScore | None:
    """The Leaderboard's route record scores from our metric results (None without a route).

    ``events``: every result's events in time order, as ``sorted`` of them in ``results``' order by
    time gives them (``MetricSuite.finish`` has them already: one sort per run, not three)."""
    route = results.get("route_completion")
    if route is None:
        return None
    if events is None:
        events = sorted((e for r in results.values() for e in r.events), key=_TIME)
    end = next((e for e in events if e.kind in TERMINATING), None)
    t_end = end.time if end is not None else math.inf
    completion = route.scalars["route_completion"]
    columns = route.series_arrays("completion") if end is not None else None
    if columns is not None:
        t, c = columns
        done = np.flatnonzero(t <= t_end)
        completion = float(c[done[-1]]) if done.size else 0.0
    penalty = 1.0
    counts: dict[str, int] = {}
    for e in events:
        if e.time > t_end:
            break
        if e.kind in PENALTY_VALUE:
            penalty *= PENALTY_VALUE[e.kind]
        elif e.kind == "min_speed":
            if min_speed_mode == "decreases":
                penalty *= 1 - (1 - MIN_SPEED_PENALTY) * (1 - e.value / 100)
            elif min_speed_mode != "unused":
                raise ValueError(f"unknown min_speed_mode {min_speed_mode!r}")
        else:
            continue
        counts[e.kind] = counts.get(e.kind, 0) + 1
    outside = results.get("outside_route_lanes")
    if outside is not None and outside.scalars.get("outside_route_lanes", 0.0) > 0:
        penalty *= 1 - outside.scalars["outside_route_lanes"] / 100
        counts["outside_route_lanes"] = 1
    completion = round(completion, 2)
    return LeaderboardScore(
        route_completion=round(completion, 6), infraction_penalty=round(penalty, 6),
        driving_score=round(max(completion * penalty, 0.0), 6), infractions=counts,
        terminated_by=end.kind if end is not None else None,
    )


def _share(result: MetricResult | None, series: str, duration: float, predicate) -> float:
    columns = result.series_arrays(series) if result is not None and duration > 0 else None
    if columns is None:
        return 0.0
    t, v = columns
    if t.size == 0:
        return 0.0
    mask = predicate(v)
    if not mask.any():   # numpy's sum of nothing is 0.0: the share is 0.0 without the durations
        return 0.0
    return float(min(1.0, np.sum(step_durations(t)[mask]) / duration))


def scenario_scores(results: Mapping[str, MetricResult], *, critical_ttc: float = 1.5,
                    leaderboard: LeaderboardScore | None | object = _COMPUTE) -> dict[str, float]:
    """safety, function, comfort and overall scores (0–100), see the module docstring.

    ``leaderboard``: ``leaderboard_score(results)`` when the caller has it (``MetricSuite.finish``
    reports it beside the scores: made once per run)."""
    kin = results.get("kinematics")
    duration = kin.scalars.get("duration", 0.0) if kin else 0.0
    col = results.get("collision")
    c = col.scalars if col else {}
    near = results.get("surrogate_safety")
    safety = 100.0 * (0.5 ** c.get("collisions_pedestrian", 0) * 0.6 ** c.get("collisions_vehicle", 0)
                      * 0.65 ** c.get("collisions_static", 0))
    tc = results.get("traffic_control")
    if tc:
        safety *= 0.7 ** tc.scalars.get("red_light_violations", 0) * 0.8 ** tc.scalars.get("stop_sign_violations", 0)
    if near:
        safety *= 0.9 ** near.scalars.get("near_misses", 0)
        safety *= 1 - _share(near, "ttc", duration, lambda v: v < critical_ttc)
    safety *= 1 - _share(results.get("off_road"), "offroad", duration, lambda v: v > 0)
    safety *= 1 - _share(results.get("wrong_way"), "wrong_way", duration, lambda v: v > 0)

    if "route_completion" in results:
        completion = results["route_completion"].scalars["route_completion"] / 100
    elif "goal" in results:
        completion = results["goal"].scalars["goal_reached"]
    else:
        completion = 1.0
    function = 100.0 * completion * (1 - _share(results.get("blocked"), "blocked", duration, lambda v: v > 0))
    comfort_result = results.get("comfort")
    comfort = 100.0
    if comfort_result is not None and duration > 0:
        comfort = 100.0 * max(0.0, 1 - comfort_result.scalars.get("comfort_violation_time", 0.0) / duration)
    overall = function * safety / 100 * (0.8 + 0.2 * comfort / 100)
    scores = {"safety": safety, "function": function, "comfort": comfort, "overall": overall}
    lb = leaderboard_score(results) if leaderboard is _COMPUTE else leaderboard
    if lb is not None:
        scores.update({"leaderboard_driving_score": lb.driving_score, "leaderboard_route_completion": lb.route_completion,
                       "leaderboard_infraction_penalty": lb.infraction_penalty})
    return {k: round(v, 6) for k, v in scores.items()}
