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


# --- reversing along an Init trajectory in follow mode (esmini's follow_trajectory_reverse.xosc) ---------------
def reversing(tmp: Path, mode: str) -> Path:
    speed = ('<PrivateAction><LongitudinalAction><SpeedAction><SpeedActionDynamics dynamicsShape="{shape}" '
             'dynamicsDimension="{dim}" value="{value}"/><SpeedActionTarget><AbsoluteTargetSpeed value="{target}"/>'
             '</SpeedActionTarget></SpeedAction></LongitudinalAction></PrivateAction>')
    trajectory = ('<PrivateAction><RoutingAction><FollowTrajectoryAction><TimeReference><None/></TimeReference>'
                  f'<TrajectoryFollowingMode followingMode="{mode}"/><TrajectoryRef><Trajectory name="t" closed="false">'
                  '<Shape><Polyline><Vertex><Position><LanePosition roadId="0" laneId="-1" offset="0" s="200"/>'
                  '</Position></Vertex><Vertex><Position><LanePosition roadId="0" laneId="-1" offset="0" s="250"/>'
                  '</Position></Vertex></Polyline></Shape></Trajectory></TrajectoryRef></FollowTrajectoryAction>'
                  '</RoutingAction></PrivateAction>')
    init = (place("hero", 20) + '<Private entityRef="adversary">'
            + speed.format(shape="step", dim="time", value=0, target=-10) + trajectory + '</Private>')
    back = speed.format(shape="linear", dim="rate", value=5, target=10)
    return scenario(tmp, init=init, story=story(group(event("back", back, 0.5)), start=0.0))


@pytest.mark.parametrize("mode", ["follow", "position"])
def test_a_reversing_entity_backs_along_its_path_and_drives_back_when_its_speed_turns(tmp_path, mode):
    """At -10 m/s the adversary backs along the path (facing against it) until the SpeedAction started at 0.5 s
    has brought it to 0 at 15 m along (2 s at 5 m/s²); at +10 m/s it drives back along the path (10 m in the 2 s to
    +10 m/s), on the path's line.  Before, follow mode's pure-pursuit driver, which drives forwards only,
    turned the car round and left the road (esmini's file: 30 m off the road at 4.4 s), and position mode
    went on to the path's end whatever the speed's sign."""
    pos: dict[float, tuple[float, float]] = {}

    def seen(engine) -> None:
        snap = engine.snapshot()
        i = snap.names.index("adversary")
        pos[round(snap.time, 2)] = (float(snap.x[i]), float(snap.y[i]))

    run_scenario(reversing(tmp_path, mode), RunConfig(dt=0.05, max_time=6.0, on_step=seen))
    y0 = pos[min(pos)][1]
    assert all(abs(y - y0) < 1e-6 for t, (_, y) in pos.items() if t <= 4.0)
    # 0.5 s at -10 m/s, then 2 s of braking at 5 m/s² (5 + 10 m), then back
    assert max(x for x, _ in pos.values()) == pytest.approx(215.5, abs=0.5)
    assert pos[2.6][0] == pytest.approx(215.5, abs=0.5)
    assert pos[3.6][0] == pytest.approx(213.0, abs=0.6)
    assert max(pos) > 4.5 and pos[max(pos)][0] == pytest.approx(205.5, abs=0.6)  # 2 s at 0 -> 10 m/s: 10 m back


# --- a speed change over a distance from standstill (esmini's speed_over_distance.xosc) ------------------------
def over_distance(shape: str, distance: float, target: float) -> str:
    return ('<PrivateAction><LongitudinalAction><SpeedAction><SpeedActionDynamics dynamicsShape="{}" value="{}" '
            'dynamicsDimension="distance"/><SpeedActionTarget><AbsoluteTargetSpeed value="{}"/></SpeedActionTarget>'
            '</SpeedAction></LongitudinalAction></PrivateAction>').format(shape, distance, target)


@pytest.mark.parametrize("shape", ["linear", "cubic", "sinusoidal"])
def test_a_speed_change_over_a_distance_from_standstill_moves_and_covers_that_distance(tmp_path, shape):
    """From 0 to 10 m/s over 50 m: the shape runs over the 10 s that cover 50 m at the mean speed 5 m/s (esmini's
    reading; its file's sinusoidal start lies at 31.740 m and 10.928 m/s at 5 s, reproduced here to the mm).
    Before, the shape was taken over the distance travelled, which stays 0 at standstill: the car never moved."""
    init = place("hero", 20) + place("adversary", 100).replace(
        "</Private>", over_distance(shape, 50.0, 10.0) + "</Private>")
    path = scenario(tmp_path, init=init, story=story(group(event("noop", "", 100.0))))
    at = positions(path, "adversary", 12.0, dt=0.01)
    x0 = at[min(at)][0]
    assert at[5.0][1] == pytest.approx(5.0, abs=0.06)  # halfway in time: half the speed, by symmetry
    assert at[10.0][1] == pytest.approx(10.0, abs=1e-6)
    assert at[10.0][0] - x0 == pytest.approx(50.0, abs=0.1)
    assert at[12.0][0] - at[10.0][0] == pytest.approx(20.0, abs=1e-6)


# --- AddEntityAction of an entity in the scenario, and of one Init leaves out (esmini's add_delete_entity.xosc) --
def add(entity: str, s: float) -> str:
    return (f'<GlobalAction><EntityAction entityRef="{entity}"><AddEntityAction><Position><LanePosition roadId="0" '
            f'laneId="-1" s="{s}" offset="0"/></Position></AddEntityAction></EntityAction></GlobalAction>')


def test_adding_an_entity_already_in_the_scenario_changes_nothing(tmp_path):
    """esmini: "Failed to activate obj Car1. Already active"; the car drives on.  Before, the action was taken as a
    teleport and put the adversary back to s = 100 (esmini's Car1 was 38 m behind esmini's figures after it)."""
    path = scenario(tmp_path, init=place("hero", 20) + place("adversary", 100, speed=10.0),
                    story=story(group(event("again", add("adversary", 100), 2.0) + event("noop", "", 100.0)), start=0.0))
    at = positions(path, "adversary", 4.0)
    assert at[4.0][0] - at[2.0][0] == pytest.approx(20.0, abs=1e-6)
    assert at[4.0][0] - at[min(at)][0] > 35.0
    result = run_scenario(path, RunConfig(dt=0.05, max_time=4.0))
    notes = [e for e in result.events if e.kind == "AddEntityAction"]
    assert len(notes) == 1 and notes[0].detail.startswith("not applied") and "already" in notes[0].detail


def test_an_entity_a_story_adds_is_not_in_the_scenario_before(tmp_path):
    """Init does not place the adversary; a story adds it at t > 2 s.  Before, it stood at the origin until then, a
    box other entities could collide with and conditions could see."""
    seen: dict[float, tuple[str, ...]] = {}

    def names(engine) -> None:
        snap = engine.snapshot()
        seen[round(snap.time, 2)] = tuple(snap.names)

    path = scenario(tmp_path, init=place("hero", 20),
                    story=story(group(event("arrive", add("adversary", 100), 2.0) + event("noop", "", 100.0)),
                                start=0.0))
    run_scenario(path, RunConfig(dt=0.05, max_time=4.0, on_step=names))
    assert seen[1.0] == ("hero",)
    assert seen[3.0] == ("hero", "adversary")


# --- a lane change over a joint to a road the other way round (esmini's test_action_dynamics.xosc) --------------
def opposite_roads(path: Path) -> Path:
    """Road 1 from x = 0 to 100 along +x, road 2 from x = 200 back to 100 (-x); they meet end to end."""
    def road(rid: int, x: float, hdg: float, other: int) -> str:
        lane = ('<lane id="{0}" type="driving" level="false"><link/><width sOffset="0" a="3.5" b="0" c="0" d="0"/>'
                '</lane>')
        return (f'<road name="" length="100" id="{rid}" junction="-1"><link><successor elementType="road" '
                f'elementId="{other}" contactPoint="end"/></link><planView><geometry s="0" x="{x}" y="0" hdg="{hdg}" '
                f'length="100"><line/></geometry></planView><lanes><laneSection s="0"><left>{lane.format(1)}</left>'
                '<center><lane id="0" type="driving" level="false"><link/></lane></center>'
                f'<right>{lane.format(-1)}</right></laneSection></lanes></road>')
    path.write_text('<?xml version="1.0"?><OpenDRIVE><header revMajor="1" revMinor="4" name="o"/>'
                    + road(1, 0.0, 0.0, 2) + road(2, 200.0, 3.141592653589793, 1) + '</OpenDRIVE>')
    return path


def test_a_lane_change_over_a_joint_to_an_opposite_road_goes_on_smoothly_to_the_same_side(tmp_path):
    """From lane -1 to lane 1 of road 1 over 4 s, at 10 m/s from x = 80: the car meets road 2, laid the other way
    round, halfway.  Before, the change's start and target (road 1's t) were read in road 2's mirrored frame and
    the car jumped sideways at the joint (1.1 m in esmini's file); now it goes on to the same side, road 2's
    lane -1, as esmini's car does."""
    path = scenario(tmp_path, init=place("hero", 20) + place("adversary", 80, speed=10.0),
                    story=story(group(event("change", '<PrivateAction><LateralAction><LaneChangeAction>'
                                                      '<LaneChangeActionDynamics dynamicsShape="linear" value="4" '
                                                      'dynamicsDimension="time"/><LaneChangeTarget><AbsoluteTargetLane '
                                                      'value="1"/></LaneChangeTarget></LaneChangeAction></LateralAction>'
                                                      '</PrivateAction>', 0.5) + event("noop", "", 100.0)), start=0.0))
    text = path.read_text().replace('roadId="0"', 'roadId="1"')
    path.write_text(text.replace(str(tmp_path / "road.xodr"), str(opposite_roads(tmp_path / "opposite.xodr"))))
    ys: dict[float, float] = {}

    def seen(engine) -> None:
        snap = engine.snapshot()
        ys[round(snap.time, 2)] = float(snap.y[snap.names.index("adversary")])

    run_scenario(path, RunConfig(dt=0.05, max_time=6.0, on_step=seen))
    times = sorted(ys)
    steps = [abs(ys[b] - ys[a]) for a, b in zip(times, times[1:])]
    assert max(steps) < 3.5 / 4 * 0.05 + 1e-6  # the linear change's own rate, no jump
    assert ys[6.0] == pytest.approx(1.75, abs=1e-6)


# --- the note of a 1.1 OverrideControllerValueAction with a Gear (esmini's VehiclePropertyTest.xosc) ------------
def test_the_override_note_shows_a_gear_number(tmp_path):
    """1.0/1.1's <Gear number="7.5" active="false"/>: the note read a ``value`` a Gear has not and showed
    "gear=off:" with nothing after it."""
    override = ('<PrivateAction><ControllerAction><OverrideControllerValueAction><Throttle value="0.5" active="true"/>'
                '<Brake value="0" active="false"/><Clutch value="0" active="false"/><ParkingBrake value="0" '
                'active="false"/><SteeringWheel value="0" active="false"/><Gear number="7.5" active="false"/>'
                '</OverrideControllerValueAction></ControllerAction></PrivateAction>')
    path = scenario(tmp_path, init=place("hero", 20) + place("adversary", 100, speed=5.0),
                    story=story(group(event("override", override, 2.0))), minor=1)
    result = run_scenario(path, RunConfig(max_time=5.0))
    notes = [e for e in result.events if e.kind == "OverrideControllerValue"]
    assert notes and "gear=off:7.5" in notes[0].detail and "throttle=on:0.5" in notes[0].detail
