"""How the engine plays structures found in external OpenSCENARIO files, round 4 (session 11: esmini's
EnvironmentSimulator/Unittest scenarios).  Each test writes its own small road and scenario in the shape
that mattered."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from simplatform.engine.run import RunConfig, run_scenario

sys.path.insert(0, str(Path(__file__).parent))
from test_engine_s11_external import event, group, place, scenario, story  # noqa: E402


def positions(path: Path, entity: str, until: float, dt: float = 0.05) -> dict[float, tuple[float, float]]:
    """Time (rounded) -> (x, speed) of ``entity`` every step of a run to ``until``."""
    out: dict[float, tuple[float, float]] = {}

    def seen(engine) -> None:
        snap = engine.snapshot()
        i = snap.names.index(entity)
        out[round(snap.time, 2)] = (float(snap.x[i]), float(snap.speed[i]))

    run_scenario(path, RunConfig(dt=dt, max_time=until, on_step=seen))
    return out


def vertex(time: float, ds: float) -> str:
    return (f'<Vertex time="{time}"><Position><RelativeLanePosition entityRef="adversary" ds="{ds}" offset="0" '
            'dLane="0"/></Position></Vertex>')


# --- a timed stop then a hold, in follow mode (esmini's brake_by_trajectory_100-0.xosc) ---------------------
def test_a_follow_mode_timed_stop_ends_at_the_stop_point_not_past_it(tmp_path):
    """The adversary at 20 m/s follows a timed polyline (30 m in 2 s, 10 m more in 2 s, then held 1 s).
    Before, once past the path's end its foot point stayed clamped at the end, the gap to the reference
    read as zero and the speed demand rose back to the reference's pace: it drove on past the stop point
    (4.8 m past here; 6 m past at 5.6 m/s in esmini's file).  Now it brakes within maxDeceleration for the end and stops there."""
    traj = ('<PrivateAction><RoutingAction><FollowTrajectoryAction><TrajectoryRef><Trajectory name="t" closed="false">'
            '<Shape><Polyline>' + vertex(0.0, 0.0) + vertex(2.0, 30.0) + vertex(4.0, 40.0) + vertex(5.0, 40.0)
            + '</Polyline></Shape></Trajectory></TrajectoryRef><TimeReference><Timing domainAbsoluteRelative='
            '"relative" scale="1" offset="0"/></TimeReference><TrajectoryFollowingMode followingMode="follow"/>'
            '</FollowTrajectoryAction></RoutingAction></PrivateAction>')
    path = scenario(tmp_path, init=place("hero", 20) + place("adversary", 100, speed=20.0),
                    story=story(group(event("brake", traj, 1.0)), start=0.0))
    at = positions(path, "adversary", 8.0)
    start = at[1.05][0] - 20.0 * 0.05  # the event starts at t = 1.01 s on the 0.05 s grid: 1.05
    x_end, v_end = at[max(at)]
    assert max(at) > 6.0  # the action ran to its last time stamp (1.05 + 5 s)
    assert v_end == 0.0
    assert x_end - start == pytest.approx(40.0, abs=1.5)  # before: 44.8 m, still at 2-3 m/s at the path's end time
