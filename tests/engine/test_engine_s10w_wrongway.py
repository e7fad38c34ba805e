"""Entities going against their lane's driving direction, and lane changes into oncoming lanes.

esmini's default controller moves an entity along its lane with or against increasing s as its
heading relative to the road's s axis says (``Position::MoveAlongS``), and a lane change moves it
sideways into any lane while it keeps its way along the road.  Given a two-lane road (lane -1
eastbound, lane 1 westbound, 3.5 m each, right-hand traffic), these tests place cars against
their lanes, overtake through the oncoming lane and cut in from it (esmini's alks_cut-in.xosc),
and check times and positions against the geometry.  Each test writes its own small files.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from engine_story import Trace  # noqa: E402

from simplatform.engine.run import RunConfig, run_scenario  # noqa: E402
from simplatform.errors import ScenarioError  # noqa: E402

W = 3.5  # lane width
_LANES = (f'<lanes><laneSection s="0"><left><lane id="1" type="driving" level="false"><link>{{l1}}</link>'
          f'<width sOffset="0" a="{W}" b="0" c="0" d="0"/></lane></left><center><lane id="0" type="driving" '
          'level="false"/></center><right><lane id="-1" type="driving" level="false"><link>{lm1}</link>'
          f'<width sOffset="0" a="{W}" b="0" c="0" d="0"/></lane></right></laneSection></lanes>')


def _road(rid: str, length: float, geometry: str, link: str = "", lane_link: str = "") -> str:
    return (f'<road name="r{rid}" length="{length}" id="{rid}" junction="-1"><link>{link}</link>'
            f'<planView>{geometry}</planView>' + _LANES.format(l1=lane_link, lm1=lane_link) + '</road>')


def _xodr(path: Path, roads: str) -> Path:
    path.write_text('<?xml version="1.0"?><OpenDRIVE><header revMajor="1" revMinor="6" name="t" version="1"/>'
                    f'{roads}</OpenDRIVE>')
    return path


def straight(path: Path, length: float = 1000.0) -> Path:
    """Road 0: a straight two-lane road along +x from the origin."""
    line = f'<geometry s="0" x="0" y="0" hdg="0" length="{length}"><line/></geometry>'
    return _xodr(path, _road("0", length, line))


KAPPA = 0.01  # 1/m: the arc of road 2 turns left with a radius of 100 m


def straight_then_arc(path: Path) -> Path:
    """Road 1: 100 m straight along +x from the origin; road 2 continues it from (100, 0) with a
    150 m arc of curvature 0.01 (centre (100, 100)); lane -1 follows lane -1 and lane 1 lane 1."""
    road1 = _road("1", 100.0, '<geometry s="0" x="0" y="0" hdg="0" length="100"><line/></geometry>',
                  '<successor elementType="road" elementId="2" contactPoint="start"/>')
    road2 = _road("2", 150.0, f'<geometry s="0" x="100" y="0" hdg="0" length="150"><arc curvature="{KAPPA}"/>'
                  '</geometry>', '<predecessor elementType="road" elementId="1" contactPoint="end"/>')
    r1 = road1.replace('<lane id="1" type="driving" level="false"><link></link>',
                       '<lane id="1" type="driving" level="false"><link><successor id="1"/></link>').replace(
        '<lane id="-1" type="driving" level="false"><link></link>',
        '<lane id="-1" type="driving" level="false"><link><successor id="-1"/></link>')
    r2 = road2.replace('<lane id="1" type="driving" level="false"><link></link>',
                       '<lane id="1" type="driving" level="false"><link><predecessor id="1"/></link>').replace(
        '<lane id="-1" type="driving" level="false"><link></link>',
        '<lane id="-1" type="driving" level="false"><link><predecessor id="-1"/></link>')
    return _xodr(path, r1 + r2)


def arc_lane_point(s: float, t: float) -> tuple[float, float, float]:
    """(x, y, heading along +s) of (s, t) on road 2 of ``straight_then_arc``."""
    theta = s * KAPPA
    x = 100.0 + math.sin(theta) / KAPPA - t * math.sin(theta)
    y = (1.0 - math.cos(theta)) / KAPPA + t * math.cos(theta)
    return x, y, theta


from engine_esmini_cases import two_car_file  # noqa: E402  (the shared two-car file writer)


def place(road: str, lane: int, s: float, speed: float, h: float | None = None) -> str:
    """Teleport to (``road``, ``lane``, ``s``), with a relative heading ``h`` (to the road's +s) when
    given, and a step to ``speed``."""
    orientation = "" if h is None else f'<Orientation type="relative" h="{h}"/>'
    return (f'<PrivateAction><TeleportAction><Position><LanePosition roadId="{road}" laneId="{lane}" s="{s}" '
            f'offset="0">{orientation}</LanePosition></Position></TeleportAction></PrivateAction><PrivateAction>'
            '<LongitudinalAction><SpeedAction><SpeedActionDynamics dynamicsShape="step" dynamicsDimension="time" '
            f'value="0"/><SpeedActionTarget><AbsoluteTargetSpeed value="{speed}"/></SpeedActionTarget></SpeedAction>'
            '</LongitudinalAction></PrivateAction>')


def both(ego: str, other: str) -> str:
    """Init's private actions of Ego and Other."""
    return f'<Private entityRef="Ego">{ego}</Private><Private entityRef="Other">{other}</Private>'


def lane_change(target: str, duration: float = 3.0, shape: str = "sinusoidal") -> str:
    return ('<PrivateAction><LateralAction><LaneChangeAction><LaneChangeActionDynamics '
            f'dynamicsShape="{shape}" value="{duration}" dynamicsDimension="time"/><LaneChangeTarget>{target}'
            '</LaneChangeTarget></LaneChangeAction></LateralAction></PrivateAction>')


def at_time(t: float) -> str:
    return f'<ByValueCondition><SimulationTimeCondition value="{t}" rule="greaterThan"/></ByValueCondition>'


COLLISION = ('<ByEntityCondition><TriggeringEntities triggeringEntitiesRule="any"><EntityRef entityRef="Other"/>'
             '</TriggeringEntities><EntityCondition><CollisionCondition><EntityRef entityRef="Ego"/>'
             '</CollisionCondition></EntityCondition></ByEntityCondition>')
MARK = '<PrivateAction><VisibilityAction graphics="true" traffic="true" sensors="true"/></PrivateAction>'


def event(name: str, actor: str, action: str, condition: str) -> str:
    return (f'<ManeuverGroup maximumExecutionCount="1" name="g_{name}"><Actors selectTriggeringEntities="false">'
            f'<EntityRef entityRef="{actor}"/></Actors><Maneuver name="m_{name}"><Event name="{name}" '
            f'priority="overwrite"><Action name="a_{name}">{action}</Action><StartTrigger><ConditionGroup>'
            f'<Condition name="c_{name}" delay="0" conditionEdge="rising">{condition}</Condition></ConditionGroup>'
            '</StartTrigger></Event></Maneuver></ManeuverGroup>')


def scenario(tmp: Path, road: Path, init: str, events: str = "", duration: float = 10.0) -> Path:
    """``tmp/s.xosc`` (OpenSCENARIO 1.3): Ego and Other on ``road``, ``init``'s private actions, ``events`` in
    one act."""
    events = events or event("idle", "Ego", MARK, at_time(1e6))
    return two_car_file(tmp, road, init, events, duration=duration, minor=3)


def started(result, name: str) -> float | None:
    times = [e.time for e in result.events if e.kind == "Event.startTransition" and e.detail == name]
    return times[0] if times else None


def run(path: Path) -> tuple[object, Trace]:
    trace = Trace()
    return run_scenario(path, RunConfig(on_step=trace)), trace


def at(trace: Trace, name: str, t: float) -> np.ndarray:
    """x, y, heading, speed, odometer, active of ``name`` after the step ending at ``t``."""
    k = int(np.argmin(np.abs(trace.time() - t)))
    assert abs(trace.time()[k] - t) < 1e-6
    return trace.of(name)[k]


def same_angle(a: float, b: float, tol: float = 1e-3) -> bool:
    return abs(math.remainder(a - b, 2 * math.pi)) < tol


# ------------------------------------------------------------------------------------------- cases
def test_a_car_facing_against_its_lane_follows_the_lane_round_the_curve_and_over_the_road_link(tmp_path):
    """Other in lane -1 (eastbound) of the arc at s = 100, facing west (h = pi to +s), 10 m/s: it goes
    back along the arc in its lane, 10 m/s along the lane centre at t = -1.75, where a metre of s is
    1 + 0.0175 m (at t = 5 s at s = 100 - 50 / 1.0175, facing the arc's heading + pi), over the link
    onto road 1 at t = 10.175 s, and on along road 1's lane -1 (at 15 s: x = 100 - 48.25, y = -1.75)."""
    road = straight_then_arc(tmp_path / "r.xodr")
    init = both(place("1", -1, 10, 0), place("2", -1, 100, 10, math.pi))
    result, trace = run(scenario(tmp_path, road, init, duration=16))
    other = trace.of("Other")
    scale = 1.0 + KAPPA * W / 2
    x, y, h = arc_lane_point(100.0 - 50.0 / scale, -W / 2)
    got = at(trace, "Other", 5.0)
    assert got[0] == pytest.approx(x, abs=3e-4) and got[1] == pytest.approx(y, abs=3e-4)
    assert same_angle(got[2], h + math.pi)
    got = at(trace, "Other", 15.0)
    x15 = 100.0 - (150.0 - 100.0 * scale)
    assert (got[0], got[1]) == (pytest.approx(x15, abs=1e-6), pytest.approx(-W / 2, abs=1e-6))
    assert same_angle(got[2], math.pi)
    lanes = trace.lane_of("Other")
    k15 = int(np.argmin(np.abs(trace.time() - 15.0)))
    assert lanes[k15][:2] == ("1", -1) and lanes[k15][2] == pytest.approx(x15, abs=1e-6)
    assert np.all(np.abs(np.diff(other[:, 4])) <= 10 * 0.01 + 1e-9)  # no jumps: odometer 0.1 m a step
    # it never left its lane: every pose lies on lane -1's centre line of the road it is on
    for (road_id, lane, s, offset), (px, py) in zip(lanes, other[:, :2]):
        assert lane == -1 and offset == 0.0
        if road_id == "2":
            ex, ey, _ = arc_lane_point(s, -W / 2)
            assert math.hypot(px - ex, py - ey) < 3e-4  # the lane table's interpolation (0.5 m samples)
    assert result.end_reason == "stop_trigger"


def test_a_wrong_way_car_stops_at_the_end_of_the_road_it_drives_back_to(tmp_path):
    """Other in lane -1 of a 200 m road at s = 50 facing west, 10 m/s: it reaches s = 0 (no predecessor)
    at t = 5 s and stays there; EndOfRoadCondition sees it."""
    road = straight(tmp_path / "r.xodr", 200.0)
    end = ('<ByEntityCondition><TriggeringEntities triggeringEntitiesRule="any"><EntityRef entityRef="Other"/>'
           '</TriggeringEntities><EntityCondition><EndOfRoadCondition duration="0"/></EntityCondition>'
           '</ByEntityCondition>')
    init = both(place("0", -1, 150, 0), place("0", -1, 50, 10, math.pi))
    result, trace = run(scenario(tmp_path, road, init, event("end", "Other", MARK, end), duration=7))
    assert started(result, "end") == pytest.approx(5.0, abs=0.011)
    got = at(trace, "Other", 6.0)
    assert (got[0], got[1]) == (pytest.approx(0.0, abs=1e-9), pytest.approx(-W / 2))


def test_a_car_in_the_westbound_lane_facing_east_drives_east_over_the_link_and_round_the_arc(tmp_path):
    """Lane 1 runs west (-s) on both roads; a car there on road 1 at s = 50 facing +s (h = 0) at 10 m/s goes
    east: x = 50 + 10 t on road 1, over road 1's end at t = 5 s into lane 1 of road 2 (the lane whose traffic
    flows into its own, which is where a wrong-way driver goes), and round the arc, 10 m/s along the lane
    centre at t = +1.75 (inside the curve: a metre of s is 1 - 0.0175 m there): at t = 10 s at
    s = 50 / 0.9825 of road 2, t = +1.75, facing the arc's heading there."""
    road = straight_then_arc(tmp_path / "r.xodr")
    init = both(place("1", -1, 10, 0), place("1", 1, 50, 10, 0.0))
    result, trace = run(scenario(tmp_path, road, init, duration=10.5))
    got = at(trace, "Other", 4.0)
    assert (got[0], got[1]) == (pytest.approx(90.0, abs=1e-6), pytest.approx(W / 2, abs=1e-6))
    assert same_angle(got[2], 0.0, 1e-9)
    s10 = 50.0 / (1.0 - KAPPA * W / 2)
    x, y, h = arc_lane_point(s10, W / 2)
    got = at(trace, "Other", 10.0)
    assert (got[0], got[1]) == (pytest.approx(x, abs=3e-4), pytest.approx(y, abs=3e-4))
    assert same_angle(got[2], h)
    k = int(np.argmin(np.abs(trace.time() - 10.0)))
    assert trace.lane_of("Other")[k][:2] == ("2", 1) and trace.lane_of("Other")[k][2] == pytest.approx(s10, abs=1e-6)


def test_an_overtake_through_the_oncoming_lane_and_back(tmp_path):
    """Ego (lane -1, s = 20, 25 m/s) overtakes Other (lane -1, s = 60, 15 m/s): at 1 s it changes one
    lane to its left (RelativeTargetLane of itself, +1: lane 1, which runs west) in 2 s, keeps going east
    in it, and at 5 s changes back (-1, to its right: lane -1) in 2 s.  At 4 s it is in lane 1, facing
    east, at x = 20 + 25 * 4; at 8 s it is back in lane -1, 40 m ahead of Other (60 + 15 * 8 = 180)."""
    road = straight(tmp_path / "r.xodr")
    init = both(place("0", -1, 20, 25), place("0", -1, 60, 15))
    events = (event("out", "Ego", lane_change('<RelativeTargetLane entityRef="Ego" value="1"/>', 2), at_time(1))
              + event("back", "Ego", lane_change('<RelativeTargetLane entityRef="Ego" value="-1"/>', 2), at_time(5)))
    result, trace = run(scenario(tmp_path, road, init, events, duration=8))
    assert started(result, "out") == pytest.approx(1.01, abs=0.011)
    got = at(trace, "Ego", 4.0)
    assert got[0] == pytest.approx(20 + 25 * 4.0, abs=1e-6)
    assert got[1] == pytest.approx(W / 2, abs=1e-9)  # lane 1's centre
    assert same_angle(got[2], 0.0, 1e-9)  # facing east, in the westbound lane
    assert trace.lane_of("Ego")[int(np.argmin(np.abs(trace.time() - 4.0)))][:2] == ("0", 1)
    ego = at(trace, "Ego", 8.0)
    other = at(trace, "Other", 8.0)
    assert ego[1] == pytest.approx(-W / 2, abs=1e-9) and same_angle(ego[2], 0.0, 1e-9)
    assert ego[0] - other[0] == pytest.approx((20 + 25 * 8.0) - (60 + 15 * 8.0), abs=1e-6)
    assert trace.lane_of("Ego")[-1][:2] == ("0", -1)
    # the heading only ever yaws by the lane change's slope: atan(peak lateral speed / 25 m/s)
    peak = W * math.pi / (2 * 2.0)  # sinusoidal over 2 s: peak rate pi/2 * 3.5 m / 2 s
    assert max(abs(math.remainder(h, 2 * math.pi)) for h in trace.of("Ego")[:, 2]) <= math.atan(peak / 25) + 1e-6


def test_alks_cut_in_from_the_oncoming_lane_ends_in_a_collision_when_the_geometry_says(tmp_path):
    """esmini's alks_cut-in.xosc: Other in the oncoming lane 1 (facing its lane's way, west, 17 m/s) is told
    at 1 s to change into the Ego's lane (RelativeTargetLane of the Ego, value 0) in 2 s; it keeps going
    west, now in the Ego's lane, head-on.  Ego: lane -1, s = 30, 20 m/s east.  Other starts at s = 150.

    Other is centred in lane -1 from 3.01 s on (the change starts at 1.01 s, the first step after 1 s),
    before the gap closes.  Boxes 4.5 m long, centre 1.4 m ahead of the rear axle: Ego's front at
    s_e + 3.65, Other's front (facing west) at s_o - 3.65.  Contact when s_o - s_e = 7.3 m:
    (150 - 17 t) - (30 + 20 t) = 7.3  ->  t = 112.7 / 37 = 3.046 s."""
    road = straight(tmp_path / "r.xodr", 500.0)
    init = both(place("0", -1, 30, 20), place("0", 1, 150, 17, math.pi))
    events = (event("cut", "Other", lane_change('<RelativeTargetLane entityRef="Ego" value="0"/>', 2, "cubic"),
                    at_time(1))
              + event("crash", "Other", MARK, COLLISION))
    result, trace = run(scenario(tmp_path, road, init, events, duration=5))
    t_contact = 112.7 / 37
    assert started(result, "crash") == pytest.approx(math.ceil(t_contact / 0.01) * 0.01, abs=1e-9)  # 3.05 s
    got = at(trace, "Other", 3.02)
    assert got[1] == pytest.approx(-W / 2, abs=1e-9)  # in the Ego's lane
    assert got[0] == pytest.approx(150 - 17 * 3.02, abs=1e-6)  # still westbound
    assert same_angle(got[2], math.pi, 1e-9)
    assert trace.lane_of("Other")[int(np.argmin(np.abs(trace.time() - 3.02)))][:2] == ("0", -1)
    ego = at(trace, "Ego", 3.02)
    assert (ego[0], ego[1]) == (pytest.approx(30 + 20 * 3.02, abs=1e-6), pytest.approx(-W / 2, abs=1e-9))


def test_absolute_target_lane_into_the_oncoming_lane_moves_sideways_only(tmp_path):
    """AbsoluteTargetLane 1 from lane -1, 1 s linear: the car slides 3.5 m left at 3.5 m/s and goes on
    east at its speed; x never depends on the lane it is in."""
    road = straight(tmp_path / "r.xodr")
    init = both(place("0", -1, 20, 10), place("0", -1, 500, 0))
    events = event("out", "Ego", lane_change('<AbsoluteTargetLane value="1"/>', 1, "linear"), at_time(1))
    result, trace = run(scenario(tmp_path, road, init, events, duration=3))
    ego = trace.of("Ego")
    assert np.allclose(ego[:, 0], 20 + 10 * trace.time(), atol=1e-6)
    assert at(trace, "Ego", 3.0)[1] == pytest.approx(W / 2, abs=1e-9)
    assert at(trace, "Ego", 1.51)[1] == pytest.approx(-W / 2 + W * 0.5, abs=0.04)


def test_relative_target_lane_counts_to_the_left_of_the_way_the_reference_faces(tmp_path):
    """The reference (Other) drives west in the eastbound lane -1 (wrong way): its left is -t, away from
    the centre, where lane -2 is.  Ego in lane -1 changes to
    RelativeTargetLane(Other, +1) and ends in lane -2 (OSC 1.3: lanes offset from the reference's lane,
    on the reference's left as it faces; esmini counts the same way)."""
    road = straight(tmp_path / "r.xodr").read_text()
    # two lanes a side: add lane -2 (driving) beside lane -1
    road = road.replace('</lane></right>', '</lane><lane id="-2" type="driving" level="false"><link></link>'
                        f'<width sOffset="0" a="{W}" b="0" c="0" d="0"/></lane></right>')
    path = tmp_path / "r2.xodr"
    path.write_text(road)
    init = both(place("0", -1, 20, 10), place("0", -1, 400, 10, math.pi))
    events = event("move", "Ego", lane_change('<RelativeTargetLane entityRef="Other" value="1"/>', 1), at_time(1))
    result, trace = run(scenario(tmp_path, path, init, events, duration=3))
    assert trace.lane_of("Ego")[-1][:2] == ("0", -2)
    assert at(trace, "Ego", 3.0)[1] == pytest.approx(-1.5 * W, abs=1e-9)


def test_a_relative_target_lane_beyond_the_road_is_a_located_error(tmp_path):
    road = straight(tmp_path / "r.xodr")
    init = both(place("0", -1, 20, 10), place("0", -1, 500, 0))
    events = event("out", "Ego", lane_change('<RelativeTargetLane entityRef="Ego" value="2"/>', 1), at_time(1))
    with pytest.raises(ScenarioError, match="no drivable lane [+]2 from lane -1") as err:
        run_scenario(scenario(tmp_path, road, init, events, duration=3), RunConfig())
    assert Path(err.value.location.file).name == "s.xosc"
    assert err.value.location.element == "RelativeTargetLane" and err.value.location.line > 0


def test_an_absolute_target_lane_the_road_does_not_have_is_a_located_error(tmp_path):
    road = straight(tmp_path / "r.xodr")
    init = both(place("0", -1, 20, 10), place("0", -1, 500, 0))
    events = event("out", "Ego", lane_change('<AbsoluteTargetLane value="3"/>', 1), at_time(1))
    with pytest.raises(ScenarioError, match="no target lane") as err:
        run_scenario(scenario(tmp_path, road, init, events, duration=3), RunConfig())
    assert (Path(err.value.location.file).name, err.value.location.element) == ("s.xosc", "LaneChangeAction")


def through_junction(path: Path) -> Path:
    """Road 1 (x 0..100 along +x) -> junction 9 (connecting road 2: a 20 m arc of curvature 0.02, turning
    0.4 rad left) -> road 3 (100 m straight on from the arc's end); the junction connects lane -1 of road 1
    to lane -1 of road 2, and lane 1 of road 3 to lane 1 of road 2."""
    def geometry(x0: float, y0: float, hdg: float, length: float, shape: str = "<line/>") -> str:
        return f'<geometry s="0" x="{x0!r}" y="{y0!r}" hdg="{hdg!r}" length="{length}">{shape}</geometry>'

    def lanes(links: str) -> str:
        return _LANES.format(l1=links.replace("ID", "1"), lm1=links.replace("ID", "-1"))

    x3, y3 = 100.0 + math.sin(0.4) / 0.02, (1.0 - math.cos(0.4)) / 0.02
    road1 = ('<road name="r1" length="100" id="1" junction="-1"><link><successor elementType="junction" '
             f'elementId="9"/></link><planView>{geometry(0.0, 0.0, 0.0, 100)}</planView>{lanes("")}</road>')
    road2 = ('<road name="r2" length="20" id="2" junction="9"><link><predecessor elementType="road" elementId="1" '
             'contactPoint="end"/><successor elementType="road" elementId="3" contactPoint="start"/></link>'
             '<planView>' + geometry(100.0, 0.0, 0.0, 20, '<arc curvature="0.02"/>') + '</planView>'
             + lanes('<predecessor id="ID"/><successor id="ID"/>') + '</road>')
    road3 = ('<road name="r3" length="100" id="3" junction="-1"><link><predecessor elementType="junction" '
             f'elementId="9"/></link><planView>{geometry(x3, y3, 0.4, 100)}</planView>{lanes("")}</road>')
    junction = ('<junction id="9" name="j"><connection id="0" incomingRoad="1" connectingRoad="2" '
                'contactPoint="start"><laneLink from="-1" to="-1"/></connection><connection id="1" incomingRoad="3" '
                'connectingRoad="2" contactPoint="end"><laneLink from="1" to="1"/></connection></junction>')
    return _xodr(path, road1 + road2 + road3 + junction)


def test_a_wrong_way_car_goes_back_through_the_junction_s_connection(tmp_path):
    """Other in lane -1 of road 3 at s = 30 facing against it (back towards the junction), 10 m/s: it
    reaches road 3's start at 3 s, goes back round the junction's connecting arc (lane -1 of road 2: the
    connection whose traffic leads into its lane: 20 m of s, 20.7 m along its lane centre at t = -1.75
    outside the 50 m radius) and onto road 1 at 5.07 s; at 8 s it is on road 1 at s = 70.7 (x = 70.7,
    y = -1.75), facing west.  Straight along its first heading it would be 9 m off."""
    road = through_junction(tmp_path / "j.xodr")
    init = both(place("1", -1, 10, 0), place("3", -1, 30, 10, math.pi))
    result, trace = run(scenario(tmp_path, road, init, duration=8.5))
    k4 = int(np.argmin(np.abs(trace.time() - 4.0)))
    assert trace.lane_of("Other")[k4][:2] == ("2", -1)
    got = at(trace, "Other", 8.0)
    x8 = 100.0 - (80.0 - 30.0 - 20.0 * (1.0 + 0.02 * W / 2))
    assert (got[0], got[1]) == (pytest.approx(x8, abs=1e-6), pytest.approx(-W / 2, abs=1e-6))
    assert same_angle(got[2], math.pi, 1e-9)
    k8 = int(np.argmin(np.abs(trace.time() - 8.0)))
    assert trace.lane_of("Other")[k8][:2] == ("1", -1)
    assert np.all(np.diff(trace.of("Other")[:, 4]) == pytest.approx(0.1))  # 0.1 m every step, no jumps


def test_a_world_pose_against_the_lane_keeps_its_straight_heading(tmp_path):
    """The library's head-on targets are placed by WorldPosition facing against their lane and driven
    by a trajectory from the next step: a world pose against the lane keeps going straight along its
    heading (not the lane), so their results stay session 3's.  On the arc of road 2 at s = 100, lane -1,
    facing -s: after 2 s at 10 m/s it is 20 m straight back along that heading, off the lane's curve."""
    road = straight_then_arc(tmp_path / "r.xodr")
    x0, y0, h0 = arc_lane_point(100.0, -W / 2)
    world = (f'<PrivateAction><TeleportAction><Position><WorldPosition x="{x0!r}" y="{y0!r}" z="0" '
             f'h="{h0 + math.pi!r}"/></Position></TeleportAction></PrivateAction>'
             + place("1", -1, 10, 10).split("</PrivateAction>", 1)[1])
    result, trace = run(scenario(tmp_path, road, both(place("1", -1, 10, 0), world), duration=2.5))
    got = at(trace, "Other", 2.0)
    assert (got[0], got[1]) == (pytest.approx(x0 - 20 * math.cos(h0), abs=1e-6),
                                pytest.approx(y0 - 20 * math.sin(h0), abs=1e-6))
    assert same_angle(got[2], h0 + math.pi, 1e-9)
