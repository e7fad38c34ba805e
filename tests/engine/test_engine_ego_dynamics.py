"""Given a stack driving the ego, the ego moves by the vehicle model its OpenSCENARIO Vehicle describes."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from scenariogeneration import xodr, xosc

sys.path.insert(0, str(Path(__file__).parent))
import engine_scenario_files as scenarios  # noqa: E402

from simplatform.backends.vehicle_params import vehicle_parameters  # noqa: E402
from simplatform.control import AckermannCommand, Control  # noqa: E402
from simplatform.engine.run import RunConfig, run_scenario  # noqa: E402
from vehicle_models import VehicleFleet  # noqa: E402
from vehicle_models.analysis import stopping_distance, understeer_gradient  # noqa: E402


class ConstantStack:
    """The smallest stack: the same command every step."""

    def __init__(self, command) -> None:
        self.command = command
        self.calls = 0

    def setup(self, rig, route) -> None:
        return None

    def step(self, snapshot):
        self.calls += 1
        return self.command


class Trace:
    """``on_step`` observer keeping the ego's row and the engine (for its parameters)."""

    def __init__(self) -> None:
        self.rows: list[tuple[float, ...]] = []
        self.engine = None

    def __call__(self, engine) -> None:
        self.engine = engine
        t = engine.table
        i = t.index[engine.ego]
        self.rows.append((engine.time, t.x[i], t.y[i], t.heading[i], t.speed[i], t.ax[i], t.ay[i], t.yaw_rate[i],
                          t.z[i], t.pitch[i]))

    def array(self) -> np.ndarray:
        return np.array(self.rows)


def _ego_scenario(directory: Path, *, speed: float, duration: float, road: Path | None = None,
                  mass: float | None = None) -> Path:
    entities = xosc.Entities()
    vehicle = scenarios._vehicle("ego")
    if mass is not None:
        vehicle.mass = mass
    entities.add_scenario_object("Ego", vehicle)
    init = xosc.Init()
    step = xosc.TransitionDynamics(xosc.DynamicsShapes.step, xosc.DynamicsDimension.time, 1)
    position = xosc.LanePosition(20, 0, -1, 0) if road is not None else xosc.WorldPosition(0, 0, 0, 0)
    init.add_init_action("Ego", xosc.TeleportAction(position))
    init.add_init_action("Ego", xosc.AbsoluteSpeedAction(speed, step))
    sb = xosc.StoryBoard(init, xosc.ValueTrigger("stop", 0, xosc.ConditionEdge.rising,
                                                 xosc.SimulationTimeCondition(duration, xosc.Rule.greaterThan), "stop"))
    network = xosc.RoadNetwork(road.name) if road is not None else xosc.RoadNetwork()
    sce = xosc.Scenario("ego", "t", xosc.ParameterDeclarations(), entities, sb, network, xosc.Catalog(),
                        osc_minor_version=2)
    out = directory / "ego.xosc"
    sce.write_xml(str(out))
    return out


def _fit_circle(xy: np.ndarray) -> tuple[np.ndarray, float]:
    """Least-squares circle (Kåsa): centre and radius."""
    a = np.c_[2 * xy, np.ones(len(xy))]
    b = (xy ** 2).sum(axis=1)
    cx, cy, c = np.linalg.lstsq(a, b, rcond=None)[0]
    return np.array([cx, cy]), float(np.sqrt(c + cx * cx + cy * cy))


@pytest.mark.parametrize("model", ["dynamic", "kinematic"])
def test_constant_steering_drives_the_single_track_circle(tmp_path, model):
    """δ = 0.05 rad at 10 m/s: R = (l + K v²)/δ (Rajamani eq. 3.15) on the dynamic model,
    R = l / tan δ on the kinematic one; the world acceleration points at the centre, |a| = v²/R."""
    v, delta = 10.0, 0.05
    path = _ego_scenario(tmp_path, speed=v, duration=25.0)
    trace = Trace()
    run_scenario(path, RunConfig(stack=ConstantStack(AckermannCommand(speed=v, steering_angle=delta)),
                                 on_step=trace, vehicle_model=model))
    p = vehicle_parameters(trace.engine.table.specs[0])
    assert p.wheelbase == pytest.approx(2.98) and p.max_steering_angle == pytest.approx(0.5)
    rows = trace.array()
    steady = rows[rows[:, 0] > 5.0]
    centre, radius = _fit_circle(steady[:, 1:3])
    speed = float(steady[:, 4].mean())
    if model == "dynamic":
        expected = (p.wheelbase + understeer_gradient(p) * speed ** 2) / delta
    else:
        expected = p.wheelbase / np.tan(delta)
    assert speed == pytest.approx(v, abs=0.02)
    assert radius == pytest.approx(expected, rel=0.01)
    assert steady[:, 7].mean() == pytest.approx(speed / radius, rel=0.01)  # yaw rate
    to_centre = centre - steady[:, 1:3]
    to_centre /= np.linalg.norm(to_centre, axis=1)[:, None]
    accel = steady[:, 5:7]
    assert np.linalg.norm(accel, axis=1) == pytest.approx(speed ** 2 / radius, rel=0.03)
    assert np.einsum("ij,ij->i", accel, to_centre).min() > 0.97 * speed ** 2 / radius


def test_full_brake_stops_within_the_vehicle_stopping_distance(tmp_path):
    v0 = 20.0
    road = scenarios.straight_road(tmp_path / "straight.xodr", length=500.0)
    path = _ego_scenario(tmp_path, speed=v0, duration=6.0, road=road, mass=1500.0)
    trace = Trace()
    run_scenario(path, RunConfig(stack=ConstantStack(Control(brake=1.0)), on_step=trace))
    rows = trace.array()
    p = vehicle_parameters(trace.engine.table.specs[0])
    assert p.mass == 1500.0
    stopped = np.nonzero(rows[:, 4] <= 0.0)[0]
    assert stopped.size, "the ego never stopped"
    distance = rows[stopped[0], 1] - 20.0  # from s = 20 on a road along +x
    alone = VehicleFleet([p])  # the same vehicle on the model alone
    alone.reset(speed=v0)
    alone.apply_control(0, Control(brake=1.0))
    while alone.speed[0] > 0.0:
        alone.step(0.01)
    assert distance == pytest.approx(float(alone.x[0]), abs=0.01)
    assert rows[stopped[0], 0] == pytest.approx(alone.time, abs=0.011)
    # the closed form (constant friction-limited brake force) within the model's load-transfer effects
    assert distance == pytest.approx(stopping_distance(p, v0), rel=0.1)
    assert rows[stopped[0]:, 4].max() == 0.0 and np.ptp(rows[stopped[0]:, 1]) < 1e-9  # held at rest
    braking = rows[(rows[:, 0] > 0.5) & (rows[:, 4] > 2.0)]
    assert braking[:, 5].max() < -0.8 * p.max_brake_force / p.mass  # world ax along +x


def _ramp(path: Path, grade: float) -> Path:
    road = xodr.create_road(xodr.Line(600.0), id=0, left_lanes=1, right_lanes=1)
    road.add_elevation(0.0, 0.0, grade, 0.0, 0.0)
    odr = xodr.OpenDrive("ramp")
    odr.add_road(road)
    odr.adjust_roads_and_lanes()
    odr.write_xml(str(path))
    return path


def test_coasting_uphill_loses_g_sin_theta_more_than_on_the_flat(tmp_path):
    """Grade enters the longitudinal dynamics: the deceleration difference is g·sin(atan(grade))."""
    decel = {}
    for grade in (0.0, 0.08):
        d = tmp_path / f"g{grade}"
        d.mkdir()
        path = _ego_scenario(d, speed=15.0, duration=3.0, road=_ramp(d / "ramp.xodr", grade))
        trace = Trace()
        run_scenario(path, RunConfig(stack=ConstantStack(Control()), on_step=trace))
        rows = trace.array()
        window = rows[(rows[:, 0] >= 1.0) & (rows[:, 0] <= 2.0)]
        decel[grade] = -np.polyfit(window[:, 0], window[:, 4], 1)[0]
        assert window[:, 8] == pytest.approx(grade * window[:, 1], abs=0.02)  # z on the ramp
    assert decel[0.08] - decel[0.0] == pytest.approx(9.81 * np.sin(np.arctan(0.08)), rel=0.05)


def test_bridge_ackermann_message_drives_the_ego(tmp_path):
    """A stack may answer with the bridge's ackermann_msgs/AckermannDriveStamped."""
    from simplatform.bridge.msgs.types_driving import AckermannDrive, AckermannDriveStamped

    path = _ego_scenario(tmp_path, speed=5.0, duration=10.0)
    trace = Trace()
    run_scenario(path, RunConfig(stack=ConstantStack(AckermannDriveStamped(drive=AckermannDrive(speed=8.0))),
                                 on_step=trace))
    rows = trace.array()
    assert rows[-1, 4] == pytest.approx(8.0, abs=0.1)
    assert abs(rows[-1, 2]) < 1e-6


class FaultyStack(ConstantStack):
    """Answers until ``fail_at`` calls, then raises what a crashed bridge session raises."""

    def __init__(self, fail_at: int) -> None:
        super().__init__(AckermannCommand(speed=10.0))
        self.fail_at = fail_at
        self.setup_with = "unset"

    def setup(self, *args) -> None:
        self.setup_with = args

    def step(self, snapshot):
        if self.calls >= self.fail_at:
            from simplatform.errors import StackTimeout

            raise StackTimeout("no control within 2.0 s")
        return super().step(snapshot)


def test_stack_fault_ends_the_run_with_an_error_verdict_and_hooks_see_the_start(tmp_path):
    from simplatform.results import Verdict

    road = scenarios.straight_road(tmp_path / "straight.xodr", length=500.0)
    path = _ego_scenario(tmp_path, speed=10.0, duration=5.0, road=road)
    seen = {}

    def on_start(engine):
        i = engine.table.index[engine.ego]
        seen["lane"] = (engine.table.lane_road[i], int(engine.table.lane_id[i]), float(engine.table.lane_s[i]))
        seen["t0"] = engine.snapshot().time
        seen["wheelbase"] = float(engine.table.wheelbase[i])

    stack = FaultyStack(fail_at=50)
    result = run_scenario(path, RunConfig(stack=stack, on_start=on_start, stack_setup=lambda e: ("setup", e.ego)))
    assert seen == {"lane": ("0", -1, 20.0), "t0": 0.0, "wheelbase": pytest.approx(2.98)}
    assert stack.setup_with == (("setup", "Ego"),)
    assert result.verdict is Verdict.ERROR and result.end_reason == "stack_error"
    assert result.steps == 50 and result.sim_time == pytest.approx(0.5)
    assert "t=0.500 s (step 50)" in result.error and "no control" in result.error
