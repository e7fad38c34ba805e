"""Engine building blocks: transition shapes, triggers, storyboard states, collision."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simplatform.engine.collision import box_corners, freespace_distance, overlapping_pairs
from simplatform.engine.dynamics import Transition
from simplatform.engine.storyboard import Element, State, Storyboard
from simplatform.engine.triggers import ConditionRuntime, TriggerRuntime
from simplatform.errors import ScenarioError


def test_linear_rate_speed_change_lasts_delta_over_rate():
    tr = Transition.create("linear", "rate", 2.0, 10.0, 20.0)
    assert tr.extent == pytest.approx(5.0)
    assert tr.value_at(2.5) == pytest.approx(15.0)
    assert tr.value_at(5.0) == 20.0


def test_a_negative_rate_is_its_magnitude_as_esmini_reads_it_and_zero_is_refused():
    """Braking written as ``value="-4"`` (esmini-style files) lasts Δv/4 s, like ``value="4"``."""
    tr = Transition.create("linear", "rate", -4.0, 20.0, 0.0)
    assert tr.extent == pytest.approx(5.0)
    assert tr.value_at(2.5) == pytest.approx(10.0)
    with pytest.raises(ScenarioError, match="must not be 0"):
        Transition.create("linear", "rate", 0.0, 20.0, 0.0)


@pytest.mark.parametrize("shape,mid", [("cubic", 0.5), ("sinusoidal", 0.5), ("linear", 0.5)])
def test_shapes_are_symmetric_and_reach_the_target(shape, mid):
    tr = Transition.create(shape, "time", 4.0, 0.0, 1.0)
    assert tr.value_at(2.0) == pytest.approx(mid)
    assert tr.value_at(4.0) == 1.0
    assert tr.rate_at(0.0) == pytest.approx(0.0 if shape != "linear" else 0.25)


def test_cubic_rate_peak_slope_equals_rate():
    tr = Transition.create("cubic", "rate", 3.0, 0.0, 9.0)
    assert tr.extent == pytest.approx(1.5 * 9 / 3)
    assert tr.rate_at(tr.extent / 2) == pytest.approx(3.0)


def test_step_is_instant():
    assert Transition.create("step", "time", 5.0, 1.0, 2.0).extent == 0.0


def _cond(values, edge="rising", delay=0.0):
    it = iter(values)
    return ConditionRuntime("c", edge, delay, lambda ctx: (next(it), ()))


def test_rising_edge_fires_once():
    c = _cond([False, True, True, False, True])
    assert [c.evaluate(None, t) for t in range(5)] == [False, True, False, False, True]


def test_falling_and_both_edges():
    f = _cond([True, False, False, True, False], "falling")
    assert [f.evaluate(None, t) for t in range(5)] == [False, True, False, False, True]
    b = _cond([False, True, False], "risingOrFalling")
    assert [b.evaluate(None, t) for t in range(3)] == [False, True, True]


def test_an_edge_needs_an_earlier_evaluation():
    # OSC 1.3 §8.4.3: a rising edge is "true at t and false at t - ts"; before the first evaluation there is
    # no value at t - ts, so a condition true from the start is no edge (esmini reads it so; ASAM's CutIn.xosc
    # relies on it). A level ("none") is true at once.
    c = _cond([True, True, False, True])
    assert [c.evaluate(None, t) for t in range(4)] == [False, False, False, True]
    f = _cond([False, False, True, False], "falling")
    assert [f.evaluate(None, t) for t in range(4)] == [False, False, False, True]
    b = _cond([True, False], "risingOrFalling")
    assert [b.evaluate(None, t) for t in range(2)] == [False, True]
    n = _cond([True, True], "none")
    assert [n.evaluate(None, t) for t in range(2)] == [True, True]


def test_an_edge_memory_is_forgotten_on_reset():
    c = _cond([False, True, True])
    assert c.evaluate(None, 0) is False
    c.reset()
    assert c.evaluate(None, 1) is False    # true at the first evaluation after the reset: no edge
    assert c.evaluate(None, 2) is False


def test_delay_shifts_the_answer_in_time():
    c = _cond([False, True] + [False] * 10, "rising", delay=0.3)
    out = [c.evaluate(None, round(k * 0.1, 10)) for k in range(7)]
    assert out == [False, False, False, False, True, False, False]


def test_trigger_is_or_of_ands():
    t = TriggerRuntime([[_cond([True], "none"), _cond([False], "none")], [_cond([True], "none")]])
    assert t.evaluate(None, 0.0)
    t2 = TriggerRuntime([[_cond([True], "none"), _cond([False], "none")]])
    assert not t2.evaluate(None, 0.0)


class _Runner:
    def __init__(self, steps):
        self.steps, self.left, self.stopped = steps, steps, False

    def start(self, engine, actors):
        self.left = self.steps
        return self.steps == 0

    def step(self, engine, dt):
        self.left -= 1
        return self.left <= 0

    def stop(self, engine):
        self.stopped = True


def _tree(events):
    man = Element("m", "Maneuver", children=events)
    mg = Element("g", "ManeuverGroup", children=[man], actors=("car",))
    act = Element("a", "Act", children=[mg])
    return Storyboard([Element("s", "Story", children=[act])], None), man


def _always():
    return TriggerRuntime([[ConditionRuntime("t", "none", 0.0, lambda ctx: (True, ()))]])


def test_event_runs_its_actions_then_everything_completes():
    runner = _Runner(3)
    ev = Element("e", "Event", children=[Element("x", "Action", runner=runner)], start_trigger=_always())
    sb, _ = _tree([ev])
    sb.begin(None)
    for k in range(5):
        sb.evaluate(None, k * 0.1, k)
        sb.step_actions(None, 0.1)
    assert ev.state is State.COMPLETE
    assert sb.complete
    assert [e.transition for e in sb.log if e.element == "e"] == ["startTransition", "endTransition"]


def test_maximum_execution_count_reruns_the_event():
    ev = Element("e", "Event", children=[Element("x", "Action", runner=_Runner(1))], start_trigger=_always(),
                 maximum_execution_count=3)
    sb, _ = _tree([ev])
    sb.begin(None)
    for k in range(10):
        sb.evaluate(None, k * 0.1, k)
        sb.step_actions(None, 0.1)
    assert ev.executions == 3 and ev.state is State.COMPLETE


def test_override_stops_the_running_event_and_skip_is_skipped():
    long_runner = _Runner(100)
    first = Element("first", "Event", children=[Element("x", "Action", runner=long_runner)], start_trigger=_always())
    skipper = Element("skipper", "Event", children=[Element("y", "Action", runner=_Runner(5))],
                      start_trigger=_always(), priority="skip")
    sb, _ = _tree([first, skipper])
    sb.begin(None)
    sb.evaluate(None, 0.0, 0)
    assert first.state is State.RUNNING and skipper.state is State.STANDBY
    assert any(e.transition == "skipTransition" for e in sb.log)
    override = Element("over", "Event", children=[Element("z", "Action", runner=_Runner(1))],
                       start_trigger=_always(), priority="overwrite")  # the 1.0 spelling
    sb2, _ = _tree([Element("first", "Event", children=[Element("x", "Action", runner=(r := _Runner(100)))],
                            start_trigger=_always()), override])
    sb2.begin(None)
    sb2.evaluate(None, 0.0, 0)
    assert r.stopped
    assert sb2.stories[0].children[0].children[0].children[0].children[0].state is State.COMPLETE


def test_obb_overlap_and_freespace_distance():
    # two 4x2 boxes, 3 m apart centre to centre, one rotated 90°: they overlap
    pairs = overlapping_pairs(np.array([0.0, 3.0]), np.array([0.0, 0.0]), np.array([0.0, math.pi / 2]),
                              np.array([4.0, 4.0]), np.array([2.0, 2.0]))
    assert pairs == [(0, 1)]
    apart = overlapping_pairs(np.array([0.0, 4.5]), np.array([0.0, 0.0]), np.array([0.0, 0.0]),
                              np.array([4.0, 4.0]), np.array([2.0, 2.0]))
    assert apart == []
    a = box_corners(0.0, 0.0, 0.0, 4.0, 2.0)
    b = box_corners(10.0, 0.0, 0.0, 4.0, 2.0)
    assert freespace_distance(a, b, 0.0, 0.0) == pytest.approx(6.0)
