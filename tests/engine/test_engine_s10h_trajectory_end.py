"""How an entity leaves a timed trajectory: given Other crossing a one-lane road at a right angle
(x = 100, from y = -2.5 to y = -0.5, inside lane -1), it keeps the heading it ended with while it
stands, and a relative Timing whose last time stamp falls on the step grid hands it on at its pace.

ALKS 4.2_3's crossing pedestrian showed both: (1) the relative trajectory time, computed as the
difference of two simulation times, fell a rounding error short of the last stamp, so the path
ended a step later having moved 1e-14 m and the walker was handed on at 1e-12 m/s -- its lane
following then turned it to the lane's direction; (2) an entity that does stand at its path's end
(a trailing hold) was turned to the lane's direction by the first lane step after the hand-over,
and during the hold already to h = 0 (the direction of the zero-length last segment)."""

from __future__ import annotations

import functools
import math
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from engine_esmini_cases import ACROSS as _ACROSS  # noqa: E402
from engine_esmini_cases import crossing_scenario  # noqa: E402
from engine_story import Trace  # noqa: E402

from simplatform.engine.run import RunConfig, run_scenario  # noqa: E402
from simplatform.engine.trajectory import SampledPath  # noqa: E402

_crossing = functools.partial(crossing_scenario, duration=6.0)


def test_an_entity_holding_at_its_path_s_end_keeps_the_heading_it_arrived_with(tmp_path):
    trace = Trace()
    run_scenario(_crossing(tmp_path, ((0, -2.5), (2, -0.5), (3, -0.5))), RunConfig(on_step=trace))
    for t in (2.8, 3.4):                                        # the hold: 2.51 s .. 3.51 s
        x, y, h, v, _, _ = trace.at("Other", t)
        assert (x, y, v) == (100.0, -0.5, 0.0) and h == pytest.approx(_ACROSS, abs=1e-12)


def test_an_entity_that_stands_after_its_path_keeps_its_pose_on_the_lane(tmp_path):
    trace = Trace()
    run_scenario(_crossing(tmp_path, ((0, -2.5), (2, -0.5), (3, -0.5))), RunConfig(on_step=trace))
    for t in (3.6, 5.0, 6.0):                                   # handed to lane following at 3.51 s
        x, y, h, v, _, _ = trace.at("Other", t)
        assert (x, y, v) == (100.0, -0.5, 0.0) and h == pytest.approx(_ACROSS, abs=1e-12)


def test_a_relative_path_ending_on_the_step_grid_hands_the_entity_on_at_its_pace(tmp_path):
    trace = Trace()
    run_scenario(_crossing(tmp_path, ((0, -2.5), (2, -0.5))), RunConfig(on_step=trace))
    # started at 0.51 s: 2 m in 2 s, ended in the step to 2.51 s, at 1 m/s -- not 2e-14 m/s
    assert tuple(trace.at("Other", 2.51)[:2]) == (100.0, -0.5)
    assert trace.at("Other", 2.51)[3] == pytest.approx(1.0, rel=1e-9)
    assert trace.at("Other", 4.0)[3] == pytest.approx(1.0, rel=1e-9)


def test_the_relative_path_time_is_counted_in_steps_from_any_start(tmp_path):
    """Started at 25.86 s (ALKS 4.2_3's walker started near there): 7.2 s later the path is at its end."""
    trace = Trace()
    run_scenario(_crossing(tmp_path, ((0, -2.5), (7.2, -0.5)), start=25.85, duration=33.5), RunConfig(on_step=trace))
    v_end = trace.at("Other", 33.06)[3]
    assert trace.at("Other", 33.06)[1] == -0.5 and v_end == pytest.approx(2 / 7.2, rel=1e-9)


def test_a_zero_length_last_segment_has_the_direction_of_the_one_before():
    path = SampledPath(x=np.array([0.0, 1.0, 1.0]), y=np.array([0.0, 1.0, 1.0]), z=np.zeros(3),
                       s=np.array([0.0, math.sqrt(2), math.sqrt(2)]), times=np.array([0.0, 1.0, 2.0]))
    assert path.pose_at(path.length)[3] == pytest.approx(math.pi / 4)
    assert path.pose_at(0.5)[3] == pytest.approx(math.pi / 4)
