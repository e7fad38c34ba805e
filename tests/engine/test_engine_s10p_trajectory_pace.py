"""The pace an entity is handed on with at the end of a timed trajectory (position mode).

Given Other crossing a one-lane road at a right angle (x = 100, from y = -2.5 towards y = -0.5)
along a timed polyline, it leaves the path at the pace of the path's last segment that takes time
-- its length over its duration, times Timing@scale -- as esmini does (FollowTrajectoryAction::Move
stops updating the speed once the trajectory's time is past its last stamp, so the entity keeps
the last segment's pace).  It was handed on at the average speed of its last step: a path ending
mid-step gave a fraction of its pace (the urban zebra walkers left at 0.56 m/s instead of 1.11).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from engine_esmini_cases import crossing_scenario  # noqa: E402
from engine_story import Trace  # noqa: E402

from simplatform.engine.run import RunConfig, run_scenario  # noqa: E402
from simplatform.engine.trajectory import SampledPath  # noqa: E402

_crossing = crossing_scenario


def _handed_on(trace: Trace, end_y: float) -> tuple[float, float, float]:
    """(time of the step that ended the path, speed then, speed 1 s later)."""
    other = trace.of("Other")
    times = trace.time()
    k = int(np.argmax(np.abs(other[:, 1] - end_y) < 1e-12))
    later = int(np.argmin(np.abs(times - (times[k] + 1.0))))
    return float(times[k]), float(other[k, 3]), float(other[later, 3])


def test_a_path_ending_mid_step_hands_the_entity_on_at_its_pace(tmp_path):
    trace = Trace()
    run_scenario(_crossing(tmp_path, ((0, -2.5), (2.005, -0.5))), RunConfig(on_step=trace))
    t_end, v_end, v_later = _handed_on(trace, -0.5)
    # started at 0.51 s, the last stamp falls half-way through the step to 2.52 s: that step moved
    # half a step's worth (0.5 m/s); the path's pace is 2 m / 2.005 s
    assert t_end == pytest.approx(2.52)
    assert v_end == pytest.approx(2.0 / 2.005, rel=1e-12)
    assert v_later == pytest.approx(2.0 / 2.005, rel=1e-12)


def test_the_pace_is_the_last_segment_s_not_the_path_s_average(tmp_path):
    trace = Trace()
    run_scenario(_crossing(tmp_path, ((0, -2.5), (1, -2.0), (1.505, -0.5))), RunConfig(on_step=trace))
    _, v_end, v_later = _handed_on(trace, -0.5)
    assert v_end == pytest.approx(1.5 / 0.505, rel=1e-12) and v_later == pytest.approx(1.5 / 0.505, rel=1e-12)


def test_a_trailing_hold_hands_the_entity_on_at_rest(tmp_path):
    """The last segment that takes time is the hold: no length, so no pace -- it stands."""
    trace = Trace()
    run_scenario(_crossing(tmp_path, ((0, -2.5), (2, -0.5), (2.505, -0.5))), RunConfig(on_step=trace))
    other = trace.of("Other")
    after = trace.time() > 3.1
    assert np.all(other[after, 3] == 0.0) and np.all(other[after, 1] == -0.5)


def test_simultaneous_last_stamps_leave_the_segment_before_them_as_the_pace(tmp_path):
    """A last vertex at the same time as the one before it takes no time: the pace is that of the
    segment before (the path jumps its last 0.5 m, as its stamps say)."""
    trace = Trace()
    run_scenario(_crossing(tmp_path, ((0, -2.5), (1.505, -1.0), (1.505, -0.5))), RunConfig(on_step=trace))
    _, v_end, v_later = _handed_on(trace, -0.5)
    assert v_end == pytest.approx(1.5 / 1.505, rel=1e-12) and v_later == pytest.approx(1.5 / 1.505, rel=1e-12)


def test_timing_scale_scales_the_pace(tmp_path):
    """Trajectory time = scale x elapsed time: at scale 0.5 the 2 m stamped 2.0025 take 4.005 s (the
    last stamp again mid-step), a pace of 0.5 x 2 / 2.0025 m/s."""
    trace = Trace()
    run_scenario(_crossing(tmp_path, ((0, -2.5), (2.0025, -0.5)), scale=0.5), RunConfig(on_step=trace))
    t_end, v_end, _ = _handed_on(trace, -0.5)
    assert t_end == pytest.approx(4.52)
    assert v_end == pytest.approx(0.5 * 2.0 / 2.0025, rel=1e-12)


def test_an_absolutely_timed_path_ending_mid_step_hands_on_at_its_pace(tmp_path):
    trace = Trace()
    run_scenario(_crossing(tmp_path, ((0.6, -2.5), (2.605, -0.5)), domain="absolute"), RunConfig(on_step=trace))
    t_end, v_end, v_later = _handed_on(trace, -0.5)
    assert t_end == pytest.approx(2.61)
    assert v_end == pytest.approx(2.0 / 2.005, rel=1e-12) and v_later == pytest.approx(2.0 / 2.005, rel=1e-12)


def test_end_pace_of_sampled_paths():
    s = np.array([0.0, 1.0, 3.0, 3.0])
    path = SampledPath(s, np.zeros(4), np.zeros(4), s, np.array([0.0, 1.0, 2.0, 4.0]))
    assert path.end_pace() == 0.0                                        # a trailing hold
    path = SampledPath(s, np.zeros(4), np.zeros(4), s, np.array([0.0, 1.0, 2.0, 2.0]))
    assert path.end_pace() == 2.0                                        # a simultaneous last stamp
    assert SampledPath(s[:2], np.zeros(2), np.zeros(2), s[:2], np.array([3.0, 3.0])).end_pace() == 0.0
    assert SampledPath(s, np.zeros(4), np.zeros(4), s).end_pace() is None  # untimed
