"""Lines crossed exactly at a block boundary: the session-4 skip rules (stop lines only within reach
of the ego's path box, road-rule onsets only in blocks with a departure step) against the same run
one step per block and from ``from_states`` copies.

Positions are exact binary fractions, so the ego's front (or a box corner) lies exactly on the
line at the chosen step: the last step of a block, the first of the next, or the one after.
"""

from __future__ import annotations

import math

import pytest
from metrics_testkit import FakeStraightRoad
from test_metrics_s4_diff_suite import canon, copied, differences, evaluate

from metrics import ScenarioContext, StopLine
from metrics import suite as suite_module
from simplatform.engine.entities import EntitySpec, EntityTable
from simplatform.world import EntityKind

DT = 1 / 64
STEP = 1 / 32          # metres per step (2 m/s)
BOUNDARY = 1000        # the suite's first block is steps 0..999


def _run(cross_step: int, lateral: bool, heading: float = 0.0):
    """The ego's front reaches x = 40 (or its left corners y = 0) exactly at ``cross_step``."""
    table = EntityTable([EntitySpec("ego", EntityKind.VEHICLE, "car", 4.5, 2.0, 1.5, is_ego=True),
                         EntitySpec("other", EntityKind.VEHICLE, "car", 4.0, 1.8, 1.4)])
    snaps = []
    for k in range(BOUNDARY + 40):
        if lateral:   # drifting left: the left corners' y = centre y + 1 reaches the line y = 0 (lane -1 | +1)
            x, y = 10.0 + k * STEP, -1.0 - (cross_step - k) * STEP / 64
            table.heading[0] = heading
        else:         # front x = centre x + 2.25 reaches the stop line x = 40
            x, y = 40.0 - 2.25 - (cross_step - k) * STEP, -1.75
            table.heading[0] = heading
        table.x[:], table.y[:] = [x, x + 30.0], [y, -5.25]
        table.speed[:] = [2.0, 2.0]
        table.set_velocity_from_speed()
        if lateral:
            table.vy[0] = STEP / 64 / DT
        for i in range(2):
            table.set_lane(i, "1", -1 if table.y[i] < 0 else 1, float(table.x[i]), float(table.y[i] + 1.75),
                           float(table.y[i]))
        red = k >= cross_step - 5
        snaps.append(table.snapshot(k * DT, k, signals={"S": "red" if red else "green"}))
    return snaps


def _context() -> ScenarioContext:
    return ScenarioContext(road=FakeStraightRoad(),
                           stop_lines=(StopLine("L", (40.0, -3.5), (40.0, 0.0), 0.0, signal_id="S"),))


@pytest.mark.parametrize("offset", [-1, 0, 1])
@pytest.mark.parametrize("lateral", [False, True])
def test_a_line_reached_exactly_at_a_block_boundary(offset, lateral, monkeypatch):
    snaps = _run(BOUNDARY + offset, lateral)
    context = _context()
    want = evaluate(snaps, context)
    if lateral:
        assert want.metrics["lane_departure"].scalars["lane_departures"] == 1
    else:
        assert want.metrics["traffic_control"].scalars["red_light_violations"] == 1
    assert differences(want, evaluate([copied(s) for s in snaps], context)) == []
    for block in ((1, 7) if offset == 0 else (1,)):
        monkeypatch.setattr(suite_module, "BLOCK_STEPS", block)
        got = evaluate(snaps, context)
        assert differences(want, got) == [], block
        assert canon(want.events) == canon(got.events), block


@pytest.mark.parametrize("heading", [math.pi, -math.pi])
def test_a_front_reached_backwards_at_plus_minus_pi(heading, monkeypatch):
    """Facing -x (heading exactly +-pi, the float nearest to it): the front is at x - 2.25 and the line is not
    the ego's way (it governs +x travel); both block paths must say so alike."""
    snaps = _run(BOUNDARY, False, heading)
    context = _context()
    want = evaluate(snaps, context)
    monkeypatch.setattr(suite_module, "BLOCK_STEPS", 1)
    assert differences(want, evaluate(snaps, context)) == []


@pytest.mark.parametrize("when", [0, 1000])
def test_a_v2x_warning_handed_over_before_or_between_steps(when, monkeypatch):
    """A warning the context did not expect builds the reaction metric from the last evaluated step: before
    the first step, mid-block, and at a block boundary; one step per block must say the same."""
    from metrics.context import V2XWarning

    snaps = _run(BOUNDARY + 5, False)
    warning = V2XWarning(when * DT, "SLW/IVI", advised_speed=1.0)
    items = snaps[:when] + [warning] + snaps[when:]
    context = _context()
    want = evaluate(items, context)
    assert "v2x_reaction_time_max" in want.scalars()
    monkeypatch.setattr(suite_module, "BLOCK_STEPS", 1)
    assert differences(want, evaluate(items, context)) == []
    assert differences(want, evaluate([copied(s) for s in items], context)) == []
