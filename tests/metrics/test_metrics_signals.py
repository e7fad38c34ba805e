"""Red lights, stop signs and stop lines."""

from __future__ import annotations

import pytest
from metrics_testkit import entity, run

from metrics import MetricSuite, ScenarioContext, StopLine

LINE = StopLine("L1", (100.0, -7.0), (100.0, 0.0), direction=0.0, signal_id="S1")
STOP = StopLine("STOP1", (100.0, -7.0), (100.0, 0.0), direction=0.0, kind="stop")


def _drive(lines, signal_at, x0=80.0, speed=10.0, t_end=4.0, dt=0.01):
    """Ego (4 m, front at x0 + 2) at constant speed on lane -1; ``signal_at(t)`` gives S1's state."""
    return run(MetricSuite(ScenarioContext(stop_lines=lines)),
               lambda t: ([entity("ego", x0 + speed * t, -1.75, speed=speed, ego=True)], {"signals": {"S1": signal_at(t)}}),
               t_end=t_end, dt=dt)


def test_red_light_crossing_is_detected_at_the_stop_line():
    # Front bumper at 82 + 10 t reaches x = 100 at t = 1.8 s; steps of 0.07 s are interpolated.
    ev = _drive((LINE,), lambda t: "red", dt=0.07)
    tc = ev.metrics["traffic_control"]
    assert tc.scalars["red_light_violations"] == 1
    assert tc.worst_time["red_light_violations"] == pytest.approx(1.8, abs=1e-9)
    assert tc.worst_entities["red_light_violations"] == ("L1",)


def test_openscenario_lamp_states_red_is_on_off_off():
    assert _drive((LINE,), lambda t: "on;off;off").metrics["traffic_control"].scalars["red_light_violations"] == 1
    assert _drive((LINE,), lambda t: "off;off;on").metrics["traffic_control"].scalars["red_light_violations"] == 0


def test_no_violation_on_amber_turning_green():
    ev = _drive((LINE,), lambda t: "amber" if t < 1.0 else "green")
    assert ev.metrics["traffic_control"].scalars["red_light_violations"] == 0


def test_no_violation_when_the_light_turns_red_after_the_crossing():
    ev = _drive((LINE,), lambda t: "green" if t < 1.85 else "red")
    assert ev.metrics["traffic_control"].scalars["red_light_violations"] == 0


def test_vehicle_moving_against_the_governed_direction_is_not_checked():
    ev = run(MetricSuite(ScenarioContext(stop_lines=(LINE,))),
             lambda t: ([entity("ego", 120 - 10 * t, -1.75, heading=3.14159, speed=10, ego=True)], {"signals": {"S1": "red"}}),
             t_end=4.0)
    assert ev.metrics["traffic_control"].scalars["red_light_violations"] == 0


def _stop_then_go(t):
    """Brake from 10 m/s at 5 m/s² to stop with the front 1 m before the line, wait 1 s, drive on."""
    # stops after 2 s having covered 10 m: start with the front at 89 → stopped front at 99.
    if t < 2.0:
        x, v = 87 + 10 * t - 2.5 * t * t, 10 - 5 * t
    elif t < 3.0:
        x, v = 97.0, 0.0
    else:
        x, v = 97 + 5 * (t - 3), 5.0
    return [entity("ego", x, -1.75, speed=v, ego=True)]


def test_stop_sign_run_without_stopping_is_a_violation_and_stopping_first_is_not():
    ran = _drive((STOP,), lambda t: "")
    assert ran.metrics["traffic_control"].scalars["stop_sign_violations"] == 1
    stopped = run(MetricSuite(ScenarioContext(stop_lines=(STOP,))), _stop_then_go, t_end=5.0)
    assert stopped.metrics["traffic_control"].scalars["stop_sign_violations"] == 0
    assert stopped.metrics["traffic_control"].scalars["stop_line_violations"] == 0


def test_stopping_over_a_red_stop_line_is_a_stop_line_violation():
    # Stops with the front 1 m past the line (x = 101), rear still behind it.
    def states(t):
        if t < 2.0:
            return [entity("ego", 89 + 10 * t - 2.5 * t * t, -1.75, speed=10 - 5 * t, ego=True)]
        return [entity("ego", 99.0, -1.75, speed=0.0, ego=True)]
    ev = run(MetricSuite(ScenarioContext(stop_lines=(LINE,))), lambda t: (states(t), {"signals": {"S1": "red"}}), t_end=3.0)
    tc = ev.metrics["traffic_control"].scalars
    assert tc["stop_line_violations"] == 1
    assert tc["red_light_violations"] == 1


def test_a_road_without_traffic_lights_or_stop_signs_has_no_violations(road):
    # the fake road has no signals: nothing to run, so 0 rather than an error verdict
    from metrics import requirement
    reqs = [requirement("R", "red_light_violations == 0"), requirement("S", "stop_sign_violations == 0")]
    ev = run(MetricSuite(ScenarioContext(road=road), reqs),
             lambda t: [entity("ego", 80 + 10 * t, -1.75, speed=10, ego=True)], t_end=1.0)
    assert ev.metrics["traffic_control"].scalars == {"red_light_violations": 0.0, "stop_sign_violations": 0.0,
                                                     "stop_line_violations": 0.0}
    assert [v.verdict.value for v in ev.verdicts] == ["pass", "pass"]
    # neither a road nor stop lines: the counts cannot be known
    none = run(MetricSuite(ScenarioContext(), reqs), lambda t: [entity("ego", 80 + 10 * t, -1.75, ego=True)], t_end=1.0)
    assert [v.verdict.value for v in none.verdicts] == ["error", "error"]
    assert "no stop_lines or road" in none.verdicts[0].message
