"""Lane-following entities cover speed × dt along their own path, not along the reference line.

An entity at lateral position t on a road of curvature κ moves √((1 − κ·t)² + t'²) metres per
metre of reference-line s (``LaneTable.path_scale``); until session 10 its cursor went v·dt along s,
so it moved at v·(1 − κ·t) (3 % too fast in UN R157 ALKS 4.1_3, 10–17 % in a junction's turn).
The scalar path, the compiled lane step, the batch engine, wrong-way cursors, lane changes and the
model-traffic fleet are covered.  Each test writes its own small files: a 60 m arc of radius 20 m (centre (0, 20)) with lanes 1, -1
and -2, 3.5 m each (lane centres at t = 1.75, -1.75, -5.25: radii 18.25, 21.75, 25.25 m).

Tolerance of the distance checks: the lane table interpolates x, y by cubic Hermite on central-
difference derivatives (0.5 m samples); inside the table (not its first or last cell, where the
one-sided difference gives ~1 mm) a pose is within 6.3e-6 m of the exact circle at these radii
(measured), and the path scale on an arc of constant width is exact to 5e-15.  So a distance
measured between two poses is within 2 × 1e-5 m of the travelled one; the checks allow 5e-5 m.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
import test_engine_s10w_wrongway as ww  # noqa: E402

from simplatform.engine.batch import run_variants  # noqa: E402
from simplatform.engine.lane_tables import lane_table  # noqa: E402
from simplatform.engine.run import RunConfig  # noqa: E402
from simplatform.opendrive import load_opendrive  # noqa: E402

KAPPA = 0.05
R = 1.0 / KAPPA
W = 3.5
DT = 0.01
TOL = 5e-5


def arc_road(path: Path, kappa: float = KAPPA, length: float = 60.0) -> Path:
    lane = ('<lane id="{id}" type="driving" level="false"><link/><width sOffset="0" a="3.5" b="0" c="0" d="0"/>'
            '</lane>')
    shape = f'<arc curvature="{kappa}"/>' if kappa else "<line/>"
    path.write_text(
        '<?xml version="1.0"?><OpenDRIVE><header revMajor="1" revMinor="6" name="t" version="1"/>'
        f'<road name="r7" length="{length}" id="7" junction="-1"><link/><planView><geometry s="0" x="0" y="0" '
        f'hdg="0" length="{length}">{shape}</geometry></planView><lanes><laneSection s="0"><left>'
        + lane.format(id=1) + '</left><center><lane id="0" type="driving" level="false"/></center><right>'
        + lane.format(id=-1) + lane.format(id=-2) + '</right></laneSection></lanes></road></OpenDRIVE>')
    return path


def angle_about_centre(x: float, y: float) -> float:
    """Angle swept from the arc's start, seen from the centre (0, R) (left turn: counter-clockwise)."""
    return math.atan2(x, R - y)


def travelled(trace, name: str, t0: float, t1: float, radius: float) -> float:
    a = ww.at(trace, name, t0)
    b = ww.at(trace, name, t1)
    return (angle_about_centre(b[0], b[1]) - angle_about_centre(a[0], a[1])) * radius


def lane_change_on(lane: int, duration: float) -> str:
    return ww.lane_change(f'<AbsoluteTargetLane value="{lane}"/>', duration)


def run(tmp: Path, init: str, events: str = "", duration: float = 5.0):
    road = arc_road(tmp / "arc.xodr")
    return ww.run(ww.scenario(tmp, road, init, events, duration=duration))


# ----------------------------------------------------------------------------------- the scalar path
@pytest.mark.parametrize("lane,t", [(-2, -5.25), (-1, -1.75), (1, 1.75)])
def test_an_entity_covers_its_speed_along_its_lane_centre_on_an_arc(tmp_path, lane, t):
    """10 m/s for 3 s is 30 m along the lane centre at radius R - t (lane 1 runs against s: it goes
    from s = 55 towards 0); every step's chord is 0.1 m (the logged speed), not 0.1·(1 - κt)."""
    s0 = 5.0 if lane < 0 else 55.0
    init = ww.both(ww.place("7", -1, 1.0, 0), ww.place("7", lane, s0, 10.0))
    _, trace = run(tmp_path, init, duration=3.5)
    got = abs(travelled(trace, "Other", 0.5, 3.5, R - t))
    assert got == pytest.approx(30.0, abs=TOL)
    other = trace.of("Other")
    steps = np.hypot(np.diff(other[:, 0]), np.diff(other[:, 1]))
    assert np.all(np.abs(steps - 0.1) < 2 * TOL)
    s = [row[2] for row in trace.lane_of("Other")]
    k = int(np.argmin(np.abs(trace.time() - 3.5)))
    assert abs(s[k] - s0) == pytest.approx(3.5 * 10.0 / (1.0 - KAPPA * t), abs=1e-9)
    assert other[k, 4] == pytest.approx(35.0, abs=1e-9)  # the odometer counts the distance travelled


def test_an_offset_from_the_lane_centre_moves_at_its_own_radius(tmp_path):
    """LaneOffsetAction to -1 m in lane -1 (t = -2.75, the Python lane_step and the compiled lane_move
    with an offset): 10 m/s is 10 m/s at radius 22.75 once the offset is reached."""
    offset = ('<PrivateAction><LateralAction><LaneOffsetAction continuous="false"><LaneOffsetActionDynamics '
              'dynamicsShape="step"/><LaneOffsetTarget><AbsoluteTargetLaneOffset value="-1.0"/></LaneOffsetTarget>'
              '</LaneOffsetAction></LateralAction></PrivateAction>')
    init = ww.both(ww.place("7", -2, 1.0, 0), ww.place("7", -1, 5.0, 10.0))
    _, trace = run(tmp_path, init, ww.event("off", "Other", offset, ww.at_time(0.2)), duration=3.5)
    assert trace.lane_of("Other")[-1][3] == -1.0
    assert travelled(trace, "Other", 0.5, 3.5, R + 2.75) == pytest.approx(30.0, abs=TOL)


def test_a_lane_change_on_an_arc_moves_its_speed_along_the_sliding_path(tmp_path):
    """Lane -1 to -2 (sinusoidal, 2 s) at 10 m/s from s = 5 (started at the first step after 0.5 s):
    along s the entity goes ∫ v / (1 - κ·t(τ)) dτ, t(τ) the lane change's offset: each step's s advance
    is v·dt / (1 - κ·t) at the offset it moves at."""
    init = ww.both(ww.place("7", -2, 1.0, 0), ww.place("7", -1, 5.0, 10.0))
    _, trace = run(tmp_path, init, ww.event("lc", "Other", lane_change_on(-2, 2.0), ww.at_time(0.5)), duration=4.0)
    lanes = trace.lane_of("Other")
    net = load_opendrive(tmp_path / "arc.xodr")
    t_road = [lane_table(net, "7", lane).center_t(s) + off for _, lane, s, off in lanes]
    s = np.array([row[2] for row in lanes])
    # s advanced per step by 0.1 m over the scale at the offset it moved at (the action sets the step's
    # offset before the motion, so the one logged after the step)
    expect = 0.1 / (1.0 - KAPPA * np.array(t_road[1:]))
    assert np.max(np.abs(np.diff(s) - expect)) < 1e-9
    assert lanes[-1][1] == -2 and lanes[-1][3] == 0.0
    assert min(t_road) == pytest.approx(-5.25) and max(t_road) == pytest.approx(-1.75)
    # the reference-line step would have been 0.1 m: here it is 0.1/1.0875 .. 0.1/1.2625
    assert np.diff(s).min() < 0.1 / 1.26 and np.diff(s).max() < 0.1 / 1.087
    # after the change: 10 m/s at radius 25.25
    assert travelled(trace, "Other", 3.0, 4.0, R + 5.25) == pytest.approx(10.0, abs=TOL)


def test_a_wrong_way_entity_on_an_arc_covers_its_speed_along_its_lane(tmp_path):
    """Lane -1 runs with s; a car there facing against it (reverse cursor) goes towards s = 0 at 10 m/s
    along the lane centre at radius 21.75."""
    init = ww.both(ww.place("7", -2, 1.0, 0), ww.place("7", -1, 50.0, 10.0, math.pi))
    _, trace = run(tmp_path, init, duration=3.5)
    assert travelled(trace, "Other", 0.5, 3.5, R + 1.75) == pytest.approx(-30.0, abs=TOL)
    k = int(np.argmin(np.abs(trace.time() - 3.5)))
    assert trace.lane_of("Other")[k][2] == pytest.approx(50.0 - 35.0 / (1.0 + KAPPA * 1.75), abs=1e-9)


def test_a_junction_turn_moves_at_the_logged_speed(tmp_path):
    """The library's 4-way junction, connecting road 102 (spiral-arc-spiral, pi/2 left, 33.2 m of s),
    lane -1 (35.95 m along its centre): at 10 m/s for 3 s the car covers 30 m of its lane centre
    (polyline of the exact road model at 2e5 points).  s goes v·dt / (1 + κ·1.75) a step with κ of the
    step's start (explicit Euler): on the spirals, where κ changes by 0.0066 /m², that is ½·κ'·1.75·(0.1 m)²
    ≈ 6e-5 m a step, too far while κ grows and too short while it shrinks: +3.2 mm at 30 m (measured)."""
    road = Path(__file__).resolve().parents[2] / "scenarios" / "maps" / "junction_4way.xodr"
    init = ww.both(ww.place("1", -1, 10.0, 0), ww.place("102", -1, 0.0, 10.0))
    _, trace = ww.run(ww.scenario(tmp_path, road, init, duration=3.0))
    road_id, lane, s, _ = trace.lane_of("Other")[int(np.argmin(np.abs(trace.time() - 3.0)))]
    assert (road_id, lane) == ("102", -1)
    net = load_opendrive(road)
    grid = np.linspace(0.0, s, 200001)
    p = net.lane_poses("102", -1, grid, np.zeros_like(grid))
    assert np.hypot(np.diff(p.x), np.diff(p.y)).sum() == pytest.approx(30.0, abs=5e-3)
    assert s < 30.0 / 1.05  # the reference line is shorter: before session 10 the car was at s = 30


# ------------------------------------------------------------------------------------ straight roads
def test_on_a_straight_road_the_scale_is_exactly_one(tmp_path):
    """Straight and of constant width: κ = t' = 0 in every cell, the factor is 1.0 and v·dt / 1.0 is
    v·dt, so straight-road motion keeps its bits; an entity at an offset goes x = s0 + v·t exactly
    as the sum of its steps."""
    net = load_opendrive(arc_road(tmp_path / "line.xodr", kappa=0.0, length=200.0))
    for lane in (1, -1, -2):
        tab = lane_table(net, "7", lane)
        for s in np.linspace(0.0, 200.0, 4001):
            for off in (0.0, 0.8, -2.5):
                assert tab.path_scale(float(s), off) == 1.0
    offset = ('<PrivateAction><LateralAction><LaneOffsetAction continuous="false"><LaneOffsetActionDynamics '
              'dynamicsShape="step"/><LaneOffsetTarget><AbsoluteTargetLaneOffset value="0.6"/></LaneOffsetTarget>'
              '</LaneOffsetAction></LateralAction></PrivateAction>')
    init = ww.both(ww.place("7", -2, 1.0, 0), ww.place("7", -1, 5.0, 13.7))
    _, trace = ww.run(ww.scenario(tmp_path, tmp_path / "line.xodr", init,
                                  ww.event("off", "Other", offset, ww.at_time(0.2)), duration=3.0))
    s = [row[2] for row in trace.lane_of("Other")]
    want = 5.0
    for got in s:
        want = want + 13.7 * DT
        assert got == want  # bit for bit the running sum of v·dt


# ----------------------------------------------------------------------------------- the batch engine
def _speed_scenario(tmp: Path, lane: int) -> Path:
    """Other in ``lane`` of the arc at s = 5 (lane 1, which runs against s: 55) with the global parameter V
    as its speed."""
    road = arc_road(tmp / "arc.xodr")
    init = ww.both(ww.place("7", -2 if lane != -2 else -1, 1.0, 0), ww.place("7", lane, 5.0 if lane < 0 else 55.0, 10.0))
    path = ww.scenario(tmp, road, init, duration=3.0)
    text = path.read_text().replace('<AbsoluteTargetSpeed value="10.0"/>', '<AbsoluteTargetSpeed value="$V"/>')
    text = text.replace("<CatalogLocations/>", '<ParameterDeclarations><ParameterDeclaration name="V" '
                        'parameterType="double" value="10.0"/></ParameterDeclarations><CatalogLocations/>')
    path.write_text(text)
    return path


@pytest.mark.parametrize("lane", [-2, 1])
def test_the_batch_engine_moves_each_variant_its_speed_along_its_lane(tmp_path, lane):
    """run_variants (the compiled batch lane pass, batch_kernels.lane_motion; lane 1 against s) at 6, 10
    and 14 m/s: each variant covers v along its lane centre every second, its s at 3 s is s0 ± 3·v / (1 - κt).
    (That each variant's log is a lone run's, byte for byte, test_engine_batch checks, on curves too.)"""
    path = _speed_scenario(tmp_path, lane)
    t = -5.25 if lane == -2 else 1.75
    seen: dict[int, list] = {}

    def observe(engine) -> None:
        i = engine.table.names.index("Other")
        seen.setdefault(id(engine), []).append((engine.time, float(engine.table.x[i]), float(engine.table.y[i]),
                                                float(engine.table.lane_s[i])))

    speeds = (6.0, 10.0, 14.0)
    run_variants(path, [{"V": v} for v in speeds], RunConfig(dt=DT, max_time=10.0, on_step=observe))
    assert len(seen) == 3
    finals = {}
    for rows in seen.values():
        first = rows[0]
        last = next(r for r in rows if abs(r[0] - 3.0) < 1e-9)
        dist = abs(angle_about_centre(last[1], last[2]) - angle_about_centre(first[1], first[2])) * (R - t)
        v = dist / (last[0] - first[0])
        finals[round(v, 3)] = last[3]
        assert v in [pytest.approx(s, abs=TOL) for s in speeds]
    s0 = 5.0 if lane < 0 else 55.0
    for v in speeds:
        assert finals[round(v, 3)] == pytest.approx(s0 + (-1 if lane > 0 else 1) * 3.0 * v / (1.0 - KAPPA * t),
                                                    abs=1e-9)


# ------------------------------------------------------------------------------- the model-traffic fleet
def _fleet_run(tmp: Path, kappa: float, length: float, dt: float):
    """An IDM car (model traffic) at 12 m/s in lane -2 of an arc (lane_table of lane -2, car rows, lanes)."""
    from scenariogeneration import xosc

    sys.path.insert(0, str(Path(__file__).parent))
    import engine_scenario_files as files

    road = arc_road(tmp / "arc_fleet.xodr", kappa=kappa, length=length)
    entities = xosc.Entities()
    entities.add_scenario_object("Ego", files._vehicle("ego"))
    entities.add_scenario_object("Car", files._vehicle("car"),
                                 controller=files.driver_controller("IDM", model="idm", desiredSpeed=12.0))
    init = xosc.Init()
    step = xosc.TransitionDynamics(xosc.DynamicsShapes.step, xosc.DynamicsDimension.time, 1)
    init.add_init_action("Ego", xosc.TeleportAction(xosc.LanePosition(2.0, 0, -1, "7")))
    init.add_init_action("Car", xosc.TeleportAction(xosc.LanePosition(20.0, 0, -2, "7")))
    init.add_init_action("Car", xosc.AbsoluteSpeedAction(12.0, step))
    sb = xosc.StoryBoard(init, xosc.ValueTrigger("stop", 0, xosc.ConditionEdge.none,
                                                 xosc.SimulationTimeCondition(5.0, xosc.Rule.greaterThan), "stop"))
    path = tmp / "fleet.xosc"
    xosc.Scenario("fleet", "simplatform", xosc.ParameterDeclarations(), entities, sb, xosc.RoadNetwork(road.name),
                  xosc.Catalog()).write_xml(str(path))
    trace = ww.Trace()
    ww.run_scenario(path, RunConfig(dt=dt, on_step=trace))
    return lane_table(load_opendrive(road), "7", -2), trace.of("Car"), trace.lane_of("Car")


def _foot_errors(tab, car, lanes) -> list[float]:
    """Distance between each logged x, y and the lane table's point at the logged lane s and offset."""
    out = []
    for (road_id, lane, s, off), (x, y) in zip(lanes, car[:, :2]):
        assert (road_id, lane) == ("7", -2)
        px, py, *_ = tab.pose(s, off)
        out.append(math.hypot(px - x, py - y))
    return out


def test_a_fleet_vehicle_on_an_arc_moves_at_its_speed_and_its_lane_s_is_the_projection(tmp_path):
    """dt 0.05 (the library's: one model step per engine step) on a 100 m-radius arc: the vehicle model
    moves the car in x, y (every step's chord is speed × dt: the fleet never had the reference-line
    error) and lane_tracking projects it back on its lane, so its lane s is where the table puts its x, y
    (within the tracking's two Newton steps, whose rate on a curve is |1 - (1 - κ·t)|: < 1 mm here)."""
    tab, car, lanes = _fleet_run(tmp_path, 0.01, 300.0, 0.05)
    chord = np.hypot(np.diff(car[:, 0]), np.diff(car[:, 1]))
    assert np.all(np.abs(chord / 0.05 - 0.5 * (car[1:, 3] + car[:-1, 3])) < 0.02)
    assert max(_foot_errors(tab, car, lanes)) < 1e-3
    assert abs(lanes[-1][3]) < 0.3  # it kept to its lane


def test_a_fleet_vehicle_s_between_model_steps_follows_its_path(tmp_path):
    """dt 0.01: four of five steps are extrapolated (model every 0.05 s) and move s by the distance moved
    over the path scale (1.21 in lane -2 of a 25 m-radius arc); by the distance itself s ran ahead of the
    car by up to 0.11 m before the next tracking.  The remaining error is the tracking's (two Newton
    steps at rate 0.21 on a 0.6 m model step: ~6 mm) carried along: measured 0.024 m."""
    tab, car, lanes = _fleet_run(tmp_path, 0.04, 150.0, 0.01)
    assert max(_foot_errors(tab, car, lanes)) < 0.03
