"""Where a FollowTrajectoryAction starts its entity: given Ego whose only Init position is a
FollowTrajectoryAction along lane -1 (s = 50 to 100 of a straight road along x, lane centre
y = -1.5), Ego starts at the trajectory's start -- at initialDistanceOffset along it -- in both
following modes (esmini places the entity there in every mode; OpenSCENARIO 1.3's
initialDistanceOffset truncates the trajectory to start there).  Follow mode started it at the
table's origin (0, 0) and drove it onto the path.  With Timing, the offset also starts the path's
clock at the time of that point ("deducted from all calculated waypoint time values"): a timed path
jumped back to its beginning at the first step.  An entity an Init TeleportAction placed keeps its
own pose in follow mode and is driven onto the path from there."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from engine_esmini_cases import OTHER_STOPS, place, two_car_scenario  # noqa: E402

from simplatform.engine.run import RunConfig, run_scenario  # noqa: E402

_SPEED_10 = ('<PrivateAction><LongitudinalAction><SpeedAction><SpeedActionDynamics dynamicsShape="step" '
             'dynamicsDimension="time" value="0"/><SpeedActionTarget><AbsoluteTargetSpeed value="10"/>'
             '</SpeedActionTarget></SpeedAction></LongitudinalAction></PrivateAction>')


def _follow(mode: str, timed: bool, offset: float) -> str:
    """Init FollowTrajectoryAction: lane -1 from s = 50 (t = 0) to s = 100 (t = 5)."""
    vertices = "".join(
        f'<Vertex{f" time={chr(34)}{t}{chr(34)}" if timed else ""}><Position><LanePosition roadId="0" laneId="-1" '
        f's="{s}" offset="0"/></Position></Vertex>' for t, s in ((0, 50), (5, 100)))
    reference = ('<Timing domainAbsoluteRelative="relative" scale="1" offset="0"/>' if timed else '<None/>')
    return (f'<PrivateAction><RoutingAction><FollowTrajectoryAction initialDistanceOffset="{offset}">'
            f'<Trajectory name="p" closed="false"><Shape><Polyline>{vertices}</Polyline></Shape></Trajectory>'
            f'<TimeReference>{reference}</TimeReference><TrajectoryFollowingMode followingMode="{mode}"/>'
            '</FollowTrajectoryAction></RoutingAction></PrivateAction>')


def _run(tmp: Path, ego_init: str) -> list[tuple[float, float, float, float, str | None, int]]:
    """Ego's (t, x, y, heading, road, lane) at t = 0 and after each step."""
    init = f'<Private entityRef="Ego">{ego_init}</Private><Private entityRef="Other">{place(-1, 300, 0)}</Private>'
    rows = []

    def row(e):
        i = e.table.index["Ego"]
        t = e.table
        rows.append((e.time, float(t.x[i]), float(t.y[i]), float(t.heading[i]), t.lane_road[i], int(t.lane_id[i])))

    run_scenario(two_car_scenario(tmp, init, OTHER_STOPS, lanes=1, length=500.0, duration=2.0),
                 RunConfig(on_start=row, on_step=row))
    return rows


@pytest.mark.parametrize("timed", [False, True])
@pytest.mark.parametrize("mode", ["follow", "position"])
def test_an_entity_placed_only_by_its_init_trajectory_starts_at_the_trajectory_s_start(tmp_path, mode, timed):
    rows = _run(tmp_path, _SPEED_10 + _follow(mode, timed, 0.0))
    t0, x0, y0, h0, road, lane = rows[0]
    assert (t0, x0, y0, h0, road, lane) == (0.0, 50.0, -1.5, 0.0, "0", -1)
    assert all(abs(y + 1.5) < 1e-9 and x >= 50.0 for _, x, y, _, _, _ in rows)   # never near (0, 0)
    assert rows[-1][1] == pytest.approx(50.0 + 10.0 * rows[-1][0], abs=1e-6)     # 10 m/s along the lane


@pytest.mark.parametrize("timed", [False, True])
@pytest.mark.parametrize("mode", ["follow", "position"])
def test_the_initial_distance_offset_is_where_it_starts_and_goes_on_from(tmp_path, mode, timed):
    rows = _run(tmp_path, _SPEED_10 + _follow(mode, timed, 20.0))
    assert rows[0][1:3] == (70.0, -1.5)
    for t, x, _, _, _, _ in rows[1:]:
        assert x == pytest.approx(70.0 + 10.0 * t, abs=1e-6)                      # no jump back to s = 50


def test_an_entity_its_init_teleport_placed_is_driven_onto_the_path_from_there_in_follow_mode(tmp_path):
    teleport = ('<PrivateAction><TeleportAction><Position><LanePosition roadId="0" laneId="-1" s="30" offset="0"/>'
                '</Position></TeleportAction></PrivateAction>')
    rows = _run(tmp_path, teleport + _SPEED_10 + _follow("follow", False, 0.0))
    assert rows[0][1:3] == (30.0, -1.5)
    assert rows[1][1] == pytest.approx(30.1, abs=1e-6)
