"""Time-outs that leave room for a stack that yields, and lane changes only where the target lane is.

The StopTrigger's time part must not end a run before a correctly yielding ego gets to its goal
(``builder.goal_time_limit``); the continuous highway's Exiter must change lanes only where
``highway_long`` has the target lane (lane -4 exists on road 4 from s = 1150, full width from 1250).
"""

from __future__ import annotations

import math
import re
import subprocess
import sys
from pathlib import Path

import pytest
from lxml import etree

from scenarios.library.builder import EGO, goal_time_limit
from scenarios.library.continuous import EXIT_CUT_LATEST, EXIT_LANE_S, HWY
from scenarios.library.paths import lane_point, network, route_path

ROUNDING = 0.05 + 1e-6   # durations are written to 0.1 s


def _tree(entry, root):
    return etree.parse(str(entry.file(root)))


def _end_time(tree) -> float:
    cond = tree.xpath("//StopTrigger//Condition[@name='end_time']//SimulationTimeCondition")
    assert len(cond) == 1
    return float(cond[0].get("value"))


def _ego_start(tree, map_name: str) -> tuple[float, float]:
    pos = tree.xpath(f"//Init//Private[@entityRef='{EGO}']//TeleportAction/Position/*")[0]
    if pos.tag == "WorldPosition":
        return float(pos.get("x")), float(pos.get("y"))
    assert pos.tag == "LanePosition", pos.tag
    x, y, _ = lane_point(map_name, pos.get("roadId"), int(pos.get("laneId")), float(pos.get("s")),
                         float(pos.get("offset") or 0.0))
    return x, y


def test_goal_time_limit_rule():
    assert goal_time_limit(100.0, 10.0) == pytest.approx(25.0)
    assert goal_time_limit(0.0, 5.0) == pytest.approx(10.0)
    with pytest.raises(ValueError):
        goal_time_limit(50.0, 0.0)


def test_urban_time_outs_leave_room_to_yield(library):
    """Every urban scenario (all check goal_reached): the time-out is at least the rule for the
    straight-line distance to the goal (a lower bound of the route distance), and the index's
    expected duration is the file's StopTrigger time."""
    entries = library.select("urban")
    assert len(entries) >= 150
    for e in entries:
        tree = _tree(e, library.root)
        assert _end_time(tree) == pytest.approx(e.expected_duration_s), e.id
        x0, y0 = _ego_start(tree, e.map)
        gx, gy, radius = e.goal
        straight = max(math.hypot(gx - x0, gy - y0) - radius, 0.0)
        bound = goal_time_limit(straight, e.parameters["ego_speed_kmh"] / 3.6)
        assert e.expected_duration_s >= bound - ROUNDING, (e.id, e.expected_duration_s, bound)


def test_index_duration_is_the_stop_trigger_time_in_a_sample(library):
    for e in library.entries[::37]:
        assert _end_time(_tree(e, library.root)) == pytest.approx(e.expected_duration_s), e.id


def _traveled(tree, event: str) -> dict[str, float]:
    """The TraveledDistanceCondition thresholds of ``event``'s start trigger, by triggering entity."""
    out = {}
    for cond in tree.xpath(f"//Event[@name='{event}']/StartTrigger//ByEntityCondition"):
        value = cond.xpath(".//TraveledDistanceCondition/@value")
        if value:
            out[cond.xpath(".//EntityRef/@entityRef")[0]] = float(value[0])
    return out


def _lane_change_duration(tree, event: str) -> float:
    return float(tree.xpath(f"//Event[@name='{event}']//LaneChangeActionDynamics/@value")[0])


def test_highway_exiter_changes_lanes_only_where_the_target_lane_exists(library):
    net = network(HWY)
    entries = library.select("continuous", ("road:highway",))
    assert len(entries) >= 48
    for e in entries[::12]:
        tree = _tree(e, library.root)
        start = tree.xpath("//Init//Private[@entityRef='Exiter']//TeleportAction//LanePosition")[0]
        assert (start.get("roadId"), start.get("laneId")) == ("1", "-1")
        speed = float(tree.xpath("//Init//Private[@entityRef='Exiter']//AbsoluteTargetSpeed/@value")[0])
        path = route_path(HWY, (1, -1, float(start.get("s"))), (4, -1, 1400.0))
        road4 = lambda d: 1400.0 - (path.length - d)  # noqa: E731  (road 4 is straight: arc length = s)

        cross = _traveled(tree, "cross_to_exit")
        assert set(cross) == {EGO, "Exiter"}, e.id                       # the ego's cut-in, or the Exiter's latest
        s_cross = road4(cross["Exiter"])
        assert s_cross == pytest.approx(EXIT_CUT_LATEST, abs=1.0), e.id
        assert -3 in net.lane_ids("4", s_cross)
        assert s_cross + speed * _lane_change_duration(tree, "cross_to_exit") < 1250.0, e.id   # in -3 before the exit lane

        take = _traveled(tree, "take_exit")
        assert set(take) == {"Exiter"}, e.id                              # never on the ego's odometer
        s_exit = road4(take["Exiter"])
        assert s_exit == pytest.approx(EXIT_LANE_S, abs=1.0), e.id
        assert -4 in net.lane_ids("4", s_exit) and net.lane_width("4", -4, s_exit) == pytest.approx(3.5, abs=0.01)
        assert s_exit + speed * _lane_change_duration(tree, "take_exit") < 1400.0, e.id        # done before the junction


@pytest.mark.slow
def test_highway_route_runs_with_the_reference_stack_without_a_lane_change_error(tmp_path):
    """The reported failure: the reference stack slows for the events, the Exiter got ahead onto
    road 5 and its exit lane change had no target lane (an error, not a verdict)."""
    out = subprocess.run([sys.executable, "-m", "simplatform.cli", "run", "--suite", "library", "--id",
                          "cnt_hwy_v80_g15_d2_c200_dryday", "--dt", "0.05", "--quiet", "--out", str(tmp_path)],
                         capture_output=True, text=True, timeout=600, cwd=Path(__file__).resolve().parents[2])
    text = out.stdout + out.stderr
    assert re.search(r"1 scenarios: \d pass, \d fail, 0 error", text), text[-2000:]
    assert "no target lane" not in text


def test_following_loss_matches_a_numerical_follow():
    """Time lost behind a lead braking 30 → 16.7 m/s at 4 m/s², holding 500 m, speeding up at 1.5 m/s²."""
    from scenarios.library.continuous import following_loss

    v, v1, a, b, hold = 30.0, 60 / 3.6, 4.0, 1.5, 500.0
    dt, t, x, speed, phase, x_hold = 1e-3, 0.0, 0.0, v, 0, 0.0
    while True:
        if phase == 0:
            speed = max(speed - a * dt, v1)
            if speed == v1:
                phase, x_hold = 1, x
        elif phase == 1 and x - x_hold >= hold:
            phase = 2
        elif phase == 2:
            speed = min(speed + b * dt, v)
            if speed == v:
                break
        x += speed * dt
        t += dt
    assert following_loss(v, v1, hold, a, b) == pytest.approx(t - x / v, abs=0.05)
    assert following_loss(20.0, 25.0, hold, a, b) == 0.0


def test_continuous_urban_time_out_covers_following_the_cyclist(library):
    from scenarios.library.continuous import CYCLIST_KMH, URB

    ride = route_path(URB, (2, -1, 120.0), (10, -1, 50.0)).length
    bikes = [e for e in library.select("continuous", ("actor:cyclist",))]
    assert len(bikes) >= 16
    for e in bikes:
        assert e.expected_duration_s >= ride / (CYCLIST_KMH / 3.6), (e.id, e.expected_duration_s, ride)
