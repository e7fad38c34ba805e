"""Vehicle-road cooperation end to end, on the library's cooperative scenarios.

Given a cooperative scenario (roadside units, equipped vehicles, storyboard
``simplatform.v2x`` messages), the ego's radio gets the messages with the
channel's latency, the reference stack answers a warning about a hazard it
cannot see, and the reaction metric times that answer from the delivery.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest

from metrics import MetricSuite, ScenarioContext, load_requirement_set
from sensors import RigConfig, SensorScene
from sensors.object_list import ObjectListSensor
from simplatform.bridge import StackConfig
from simplatform.engine.engine import ScenarioEngine
from simplatform.engine.run import RunConfig, load_scenario_and_road, run_scenario
from simplatform.engine.signals import signal_color
from simplatform.errors import ScenarioError
from simplatform.harness import TestConfig, default_rig, run_test
from simplatform.harness.run import _static_world
from simplatform.harness.v2x import V2XWiring, default_radio, is_warning
from simplatform.harness.v2x_scenario import SignalPlans, parse_command, read_scenario, spat_signals

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the recording stack, loaded as module:Class
from harness_v2x_stack import RecordingStack  # noqa: E402

LIBRARY = Path(__file__).resolve().parents[2] / "scenarios"
HLW_BLOCKED = LIBRARY / "cooperative" / "v2x_hlw_v100_blocked_day.xosc"
ICW_BLOCKED = LIBRARY / "cooperative" / "v2x_icw_e30_t50_blocked_day.xosc"
RECORDING = StackConfig(transport="inprocess", stack_class="harness_v2x_stack:RecordingStack")


def test_the_scenario_declares_units_equipped_vehicles_and_checked_messages():
    scenario, road = load_scenario_and_road(LIBRARY / "cooperative" / "v2x_rlvw_e40_t40_blocked_day.xosc")
    info = read_scenario(scenario, "Ego")
    assert info.ego_equipped and info.any
    (rsu,) = info.units
    assert (rsu.name, rsu.range_m, rsu.perception_range_m) == ("RSU", 300.0, 300.0)
    # v2x.spat "1,2" names the OpenDRIVE controllers: east-west and north-south lights
    assert spat_signals(rsu, scenario, road) == ("light_1", "light_11", "light_3", "light_12")
    assert [e.name for e in info.equipped] == ["Violator"]
    (command,) = info.commands
    assert command.content["application"] == "RLVW" and command.line is not None
    with pytest.raises(ScenarioError, match="names no entity.*'Ghost'"):
        parse_command(json.dumps({"from": "Ghost", "message": "DENM"}), {"Ego", "RSU"})
    with pytest.raises(ScenarioError, match="not JSON"):
        parse_command("{oops", set())


def test_spat_next_change_is_when_the_engine_switches_the_light():
    scenario, road = load_scenario_and_road(LIBRARY / "cooperative" / "v2x_glosa_v50_0_day.xosc")
    engine = ScenarioEngine(scenario, road, dt=0.01)
    engine.initialise()
    plans = SignalPlans.of(scenario, engine.signal_controller_timing)
    while engine.time < 0.5:
        engine.step()
    predicted = plans.next_change("light_1", engine.time)
    colour = signal_color(engine.signals["light_1"])
    while signal_color(engine.signals["light_1"]) == colour and engine.time < 60.0:
        engine.step()
    assert predicted is not None and engine.time == pytest.approx(predicted, abs=0.011)


def test_a_sight_blocked_hazard_is_absent_from_the_object_list_but_arrives_by_v2x():
    """The HLW obstacle is behind a truck until it swerves (at 4.4 s): the ego, driven by the
    storyboard right behind the truck, never sees it, and the RSU's DENM fired at 1.01 s
    reaches it 20 ms (+ jitter) later."""
    rig = RigConfig("v2x_test", default_rig(gnss=False).sensors[:1] + (default_radio(100.0),)).with_seed(0, "hlw")
    wiring = V2XWiring()
    objects = ObjectListSensor(rig.sensors[0])
    seen: set[str] = set()
    state: dict = {}

    def start(engine):
        state["static"] = _static_world(engine.road.net)
        wiring.bind(engine, rig, dt=0.01, static_world=state["static"])

    def step(engine):
        snap = engine.snapshot()
        wiring.observe(snap)
        if snap.step % 10 == 0:
            out = objects.sense(snap, SensorScene(state["static"], snap))
            seen.update(out.names if out is not None else ())

    run_scenario(HLW_BLOCKED, RunConfig(max_time=4.0, csv=False, on_start=start, on_step=step,
                                        custom_handlers=wiring.handlers()))
    assert "Truck" in seen and "Hazard" not in seen
    events = [(t, m) for t, _, m in wiring.log if getattr(m, "application", "") == "HLW"]
    t_first, message = events[0]
    assert message.sender == "RSU" and message.time == pytest.approx(1.01) and is_warning(message)
    assert 1.03 - 1e-9 <= t_first <= 1.06
    assert (message.x, message.y) == pytest.approx((275.8, -5.25), abs=0.1)
    assert [w.time for w in wiring.warnings()] == [t_first]     # one warning: the repetitions are not new


def test_the_reference_stack_brakes_earlier_with_v2x_and_the_metric_times_its_reaction(monkeypatch):
    """ICW behind a parked bus, twice with the reference stack: with the default rig (which gets a
    radio because the scenario has V2X) and with a rig without one.  The RSU's warning about the
    car crossing from the right arrives at about 1.05 s; without it the ego slows only once it
    sees the car come out from behind the bus."""
    import simplatform.harness.run as harness_run

    snapshots = []
    on_step = harness_run._TestRun.on_step

    def recording_on_step(self, engine):
        on_step(self, engine)
        snapshots.append(engine.snapshot())

    monkeypatch.setattr(harness_run._TestRun, "on_step", recording_on_step)
    warning_set = LIBRARY / "requirements" / "cooperative_warning.yaml"
    with_v2x = run_test(ICW_BLOCKED, TestConfig(stack=RECORDING, requirement_set=warning_set))
    stack = RecordingStack.last
    v2x_snapshots = list(snapshots)
    without = run_test(ICW_BLOCKED, TestConfig(stack=RECORDING, rig=default_rig(gnss=False)))
    blind = RecordingStack.last

    def slowed(s: RecordingStack) -> float:   # below 80 % of the initial speed
        return next((t for t, v, _, _ in s.steps if v < 0.8 * s.steps[0][1]), math.inf)

    assert [t for t, topic, _ in stack.v2x_received][:1] == [0.0] and not blind.v2x_received
    assert any("V2X ICW" in reason for _, _, _, reason in stack.steps)
    assert slowed(stack) < 2.5 < 3.2 < slowed(blind)
    assert with_v2x.metrics["collisions"] == 0 and without.metrics["collisions"] == 0

    # the reaction metric on the delivered warning (delivery time, not firing time)
    delivered = [e for e in with_v2x.events if e.kind == "v2x_warning"]
    assert [e.detail for e in delivered] == ["ICW/RSM"] and 1.03 <= delivered[0].time <= 1.07
    context = ScenarioContext(ego="Ego", v2x_warnings=tuple(
        __import__("metrics").V2XWarning(e.time, e.detail) for e in delivered))
    suite = MetricSuite(context, load_requirement_set(warning_set).requirements)
    for snap in v2x_snapshots:
        suite.observe(snap)
    evaluation = suite.finish()
    reaction = evaluation.scalars()["v2x_reaction_time_max"]
    ego = [(s.time, s.entity("Ego")) for s in v2x_snapshots]
    braking = next(t for t, e in ego if t >= delivered[0].time - 1e-9
                   and -(e.ax * math.cos(e.heading) + e.ay * math.sin(e.heading)) >= 1.0)
    assert reaction == pytest.approx(braking - delivered[0].time, abs=0.011)
    assert 0.1 < reaction <= 1.5   # a planning cycle, the speed controller and the vehicle's lag
    if "v2x_reaction_time_max" in with_v2x.metrics:   # the metrics take warnings during the run
        assert with_v2x.metrics["v2x_reaction_time_max"] == pytest.approx(reaction, abs=1e-9)


@pytest.mark.slow
def test_v2x_reaches_a_rosbridge_stack_as_it_reaches_an_in_process_one():
    """The /v2x/<radio> messages ride in the same observations as the other sensors: the stack run
    as its own process over rosbridge drives exactly as the in-process one (same metrics, same
    delivered warning)."""
    from simplatform.harness import ros_stack

    inprocess = run_test(ICW_BLOCKED, TestConfig())
    rosbridge = run_test(ICW_BLOCKED, TestConfig(stack=ros_stack()))
    assert not rosbridge.error
    assert rosbridge.metrics == inprocess.metrics
    warnings = [[(e.time, e.detail) for e in r.events if e.kind == "v2x_warning"] for r in (inprocess, rosbridge)]
    assert warnings[0] == warnings[1] and len(warnings[0]) == 1
