"""Reaction to V2X warnings: what counts as a response, warnings known only during the run."""

from __future__ import annotations

import math

import pytest
from metrics_testkit import FakeStraightRoad, entity, run, snapshot

from metrics import MetricSuite, ScenarioContext, V2XWarning, load_requirement_set
from metrics import suite as suite_module
from simplatform.results import Verdict
from simplatform.world import LaneLocation

REQUIREMENTS = "scenarios/requirements/cooperative_warning.yaml"


def _reaction(warnings, states, t_end=6.0, dt=0.01, road=None):
    ev = run(MetricSuite(ScenarioContext(road=road, v2x_warnings=tuple(warnings))), states, t_end=t_end, dt=dt)
    return ev.metrics["v2x_reaction"]


def _ego(t, *, ax=0.0, speed=15.0, y=-1.75, vy=0.0, lane=None):
    return [entity("ego", 15 * t, y, speed=speed, ax=ax, vy=vy, lane=lane, ego=True)]


def test_an_ego_already_braking_answers_only_by_braking_harder():
    # Braking 1.5 m/s² before and at the FCW at 2 s; a 0.1 s dip to 2.6 m/s² at 2.5 s is too short;
    # 3 m/s² from 3 s on is 1.5 m/s² more for longer than 0.2 s: response at 3 s, 1 s after the warning.
    def ax(t):
        return -2.6 if 2.5 <= t < 2.6 else (-3.0 if t >= 3.0 else -1.5)
    r = _reaction([V2XWarning(2.0, "FCW/BSM")], lambda t: _ego(t, ax=ax(t)))
    assert r.scalars["v2x_reaction_time_max"] == pytest.approx(1.0)
    assert r.scalars["v2x_unanswered"] == 0
    assert [e.detail for e in r.events] == ["FCW/BSM: braking"]


def test_a_cruising_ego_answers_with_a_brake_pulse_or_sustained_braking():
    # Cruising at delivery (2 s): 2.5 m/s² for 0.05 s at 2.3 s reaches the 2 m/s² level → 0.3 s.
    pulse = _reaction([V2XWarning(2.0, "EEBL/DENM")],
                      lambda t: _ego(t, ax=-2.5 if 2.3 <= t < 2.35 else (-1.2 if t >= 2.6 else 0.0)))
    assert pulse.scalars["v2x_reaction_time_max"] == pytest.approx(0.3)
    # 1.2 m/s² from 2.6 s on, sustained: 1 m/s² more than at delivery → 0.6 s.
    gentle = _reaction([V2XWarning(2.0, "EEBL/DENM")], lambda t: _ego(t, ax=-1.2 if t >= 2.6 else 0.0))
    assert gentle.scalars["v2x_reaction_time_max"] == pytest.approx(0.6)
    # 1.2 m/s² for 0.15 s only: no response at all.
    short = _reaction([V2XWarning(2.0, "EEBL/DENM")], lambda t: _ego(t, ax=-1.2 if 2.6 <= t < 2.75 else 0.0))
    assert math.isinf(short.scalars["v2x_reaction_time_max"]) and short.scalars["v2x_unanswered"] == 1


def test_a_lane_change_answers_a_hazard_warning():
    # On the straight fake road (lane direction +x), lateral velocity = vy.  A 0.2 s wiggle of
    # 0.5 m/s at 1.2 s is too short; moving right at 1 m/s from 1.6 s on starts a lane change → 0.6 s.
    def states(t):
        vy = 0.5 if 1.2 <= t < 1.4 else (-1.0 if t >= 1.6 else 0.0)
        return _ego(t, vy=vy, y=-1.75 - max(0.0, t - 1.6))
    r = _reaction([V2XWarning(1.0, "HLW/DENM")], states, t_end=4.0, road=FakeStraightRoad())
    assert r.scalars["v2x_reaction_time_max"] == pytest.approx(0.6)
    assert r.events[0].detail == "HLW/DENM: lane change"


def test_a_lane_id_change_on_the_same_road_is_a_lane_change_and_a_new_road_is_not():
    def states(t):
        road, lane = ("1", -1) if t < 2.0 else ("2", -2) if t < 3.0 else ("2", -1)
        return _ego(t, lane=LaneLocation(road, lane, 15 * t, 0.0))
    # no road model: the snapshot's lanes.  Road 1 lane -1 → road 2 lane -2 at 2 s is not a lane
    # change; lane -2 → -1 on road 2 at 3 s is → 2.0 s after the warning at 1 s.
    r = _reaction([V2XWarning(1.0, "FCW/BSM")], states, t_end=4.0, dt=0.1)
    assert r.scalars["v2x_reaction_time_max"] == pytest.approx(2.0)


def test_speed_advice_is_answered_by_reaching_the_advised_speed():
    # SLW at 1 s advising 72 km/h = 20 m/s; the ego slows from 25 m/s at 1 m/s² from 1.5 s and
    # reaches 21 m/s (20 m/s + 5 %) at 5.5 s → 4.5 s.  The braking itself does not answer advice.
    advice = V2XWarning.from_event(1.0, "SLW", "IVI", {"speed_limit_kmh": 72})
    assert advice.message == "SLW/IVI" and advice.advised_speed == pytest.approx(20.0)

    def states(t):
        return _ego(t, speed=25.0 - max(0.0, t - 1.5), ax=-1.0 if t >= 1.5 else 0.0)
    r = _reaction([advice], states, t_end=8.0)
    assert r.scalars["v2x_reaction_time_max"] == pytest.approx(4.5, abs=1e-6)
    # the same advice without a speed (the label only) is answered by the braking at 1.5 s
    label_only = _reaction([V2XWarning(1.0, "SLW/IVI")], states, t_end=8.0)
    assert V2XWarning(1.0, "SLW/IVI").is_advisory
    assert label_only.scalars["v2x_reaction_time_max"] == pytest.approx(0.5)
    # already at the advised speed when it arrives: answered at once
    slow = _reaction([advice], lambda t: _ego(t, speed=20.5), t_end=3.0)
    assert slow.scalars["v2x_reaction_time_max"] == 0.0


def test_an_ego_standing_at_delivery_has_answered():
    r = _reaction([V2XWarning(1.0, "RLVW/DENM")], lambda t: _ego(0.0, speed=0.0), t_end=2.0)
    assert r.scalars["v2x_reaction_time_max"] == 0.0 and r.events[0].detail == "RLVW/DENM: standstill"


def _live_run(context, requirements=(), warn_at=1.2, add_after=None, t_end=3.0, dt=0.01, ax=None):
    """Step a suite; the warning at ``warn_at`` is added right after the step at ``add_after``."""
    add_after = warn_at if add_after is None else add_after
    ax = ax or (lambda t: -3.0 if t >= 1.5 else 0.0)
    suite = MetricSuite(context, requirements)
    for k in range(int(round(t_end / dt)) + 1):
        t = k * dt
        suite.observe(snapshot(t, k, *_ego(t, ax=ax(t))))
        if abs(t - add_after) < dt / 2:
            suite.add_v2x_warning(V2XWarning(warn_at, "FCW/BSM"))
    return suite.finish()


@pytest.mark.parametrize("block_steps", [1, 7, 100])
def test_a_warning_added_during_the_run_is_timed_from_its_own_time(monkeypatch, block_steps):
    # Braking 3 m/s² from 1.5 s: a warning delivered at 1.2 s is answered in 0.3 s whatever part of
    # the run is still buffered when it is added; one added later (1.25 s, between buffered steps,
    # handed over after the step at 1.3 s) in 0.25 s.
    monkeypatch.setattr(suite_module, "BLOCK_STEPS", block_steps)
    reqs = load_requirement_set(REQUIREMENTS)
    ev = _live_run(ScenarioContext(v2x_expected=True), reqs)
    assert ev.metrics["v2x_reaction"].scalars["v2x_reaction_time_max"] == pytest.approx(0.3)
    assert {v.requirement_id: v.verdict for v in ev.verdicts} == {"V2X-1": Verdict.PASS, "V2X-2": Verdict.PASS,
                                                      "V2X-3": Verdict.PASS}
    late = _live_run(ScenarioContext(v2x_expected=True), warn_at=1.25, add_after=1.3)
    assert late.metrics["v2x_reaction"].scalars["v2x_reaction_time_max"] == pytest.approx(0.25)


def test_an_expected_v2x_run_without_warnings_reports_zero():
    reqs = load_requirement_set(REQUIREMENTS)
    ev = run(MetricSuite(ScenarioContext(v2x_expected=True), reqs), lambda t: _ego(t), t_end=1.0)
    assert ev.metrics["v2x_reaction"].scalars == {"v2x_reaction_time_max": 0.0, "v2x_unanswered": 0.0}
    assert all(v.verdict == Verdict.PASS for v in ev.verdicts)
    # nothing expected and nothing delivered: the requirement cannot be checked
    none = run(MetricSuite(ScenarioContext(), reqs), lambda t: _ego(t), t_end=1.0)
    v2x_1 = next(v for v in none.verdicts if v.requirement_id == "V2X-1")
    assert v2x_1.verdict == Verdict.ERROR
    assert "no v2x_warnings or v2x_expected" in v2x_1.message


def test_a_warning_for_an_unexpected_run_builds_the_metric_from_the_state_at_delivery(monkeypatch):
    # Blocks of 5 steps of 0.1 s: the step at 0.4 s is evaluated before the warning at 0.4 s is
    # added.  Braking 1.5 m/s² at delivery, 2.6 m/s² from 0.5 s: 1.1 m/s² more → answered in 0.1 s.
    monkeypatch.setattr(suite_module, "BLOCK_STEPS", 5)
    reqs = load_requirement_set(REQUIREMENTS)
    ev = _live_run(ScenarioContext(), reqs, warn_at=0.4, dt=0.1, ax=lambda t: -2.6 if t >= 0.45 else -1.5)
    assert ev.metrics["v2x_reaction"].scalars["v2x_reaction_time_max"] == pytest.approx(0.1)
    assert all(v.verdict == Verdict.PASS for v in ev.verdicts)
    assert "v2x_reaction" not in ev.unavailable


def test_the_application_comes_from_the_label_or_the_field():
    assert V2XWarning(0.0, "FCW/BSM").kind == "FCW"
    assert V2XWarning(0.0, "DENM: hazard ahead").kind == ""
    assert V2XWarning(0.0, "road works", application="ivs").is_advisory
    assert V2XWarning.from_event(0.0, "GLOSA", "SPAT", {"controller": "plan_100"}).advised_speed is None
