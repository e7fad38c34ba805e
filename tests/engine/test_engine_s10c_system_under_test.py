"""A property-less controller the engine does not implement, on the ego, stands for the system under test.

Every concrete scenario of asam-oss/OSC-ALKS-scenarios gives the Ego the catalog's
``<Controller name="ALKSController"><Properties></Properties></Controller>`` and activates it at
3 s; the engine took it for esmini's built-in ALKSController and stopped all 14.  Now: with a stack
the stack drives the Ego; without one the storyboard's default controller keeps driving it and
the run records that the controller was taken as the system under test.  esmini's built-ins that
are configured (properties) or activated on another entity are still refused
(test_engine_s8b/s8c_esmini_controllers).  Each test writes its own straight road and scenario.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from engine_esmini_cases import place, two_car_scenario  # noqa: E402

from simplatform.engine.run import RunConfig, run_scenario  # noqa: E402
from simplatform.errors import ScenarioError  # noqa: E402

KIND = "SystemUnderTestController"
ACTIVATE_AT_1S = (
    '<ManeuverGroup maximumExecutionCount="1" name="g"><Actors selectTriggeringEntities="false">'
    '<EntityRef entityRef="{who}"/></Actors><Maneuver name="m"><Event name="on" priority="overwrite">'
    '<Action name="a"><PrivateAction><ControllerAction><ActivateControllerAction lateral="true" '
    'longitudinal="true"/></ControllerAction></PrivateAction></Action><StartTrigger><ConditionGroup>'
    '<Condition name="c" delay="0" conditionEdge="none"><ByValueCondition><SimulationTimeCondition value="1" '
    'rule="greaterOrEqual"/></ByValueCondition></Condition></ConditionGroup></StartTrigger></Event>'
    '</Maneuver></ManeuverGroup>')


def _controller(name: str, properties: str = "<Properties></Properties>") -> str:
    return f'<ObjectController><Controller name="{name}">{properties}</Controller></ObjectController>'


def _scenario(tmp: Path, controller: str, *, who: str = "Ego", on_other: bool = False) -> Path:
    """Ego (lane -1, s = 30, 20 m/s) and Other (lane -1, s = 200, 20 m/s); the controller is Ego's
    ObjectController, or Other's when ``on_other``; at 1 s it is activated on ``who``; stop at 3 s."""
    init = (f'<Private entityRef="Ego">{place(-1, 30, 20)}</Private>'
            f'<Private entityRef="Other">{place(-1, 200, 20)}</Private>')
    path = two_car_scenario(tmp, init, ACTIVATE_AT_1S.format(who=who), lanes=1, length=500.0,
                            ego_controller="" if on_other else controller, duration=3)
    if on_other:
        text = path.read_text()
        marker = '<ScenarioObject name="Other">'
        head, tail = text.split(marker)
        vehicle_end = tail.index("</Vehicle>") + len("</Vehicle>")
        path.write_text(head + marker + tail[:vehicle_end] + controller + tail[vehicle_end:])
    return path


def _watch(seen: list):
    def on_step(engine) -> None:
        i = engine.table.index["Ego"]
        seen.append((engine.time, float(engine.table.x[i]), float(engine.table.speed[i])))
    return on_step


@pytest.mark.parametrize("properties", ["<Properties></Properties>", "<Properties/>", ""])
def test_alks_placeholder_on_the_ego_without_a_stack_runs_and_says_so(tmp_path, properties):
    """The ALKS scenarios' catalog entry (empty Properties; also none at all): the run goes to its
    stop trigger, the Ego keeps the storyboard's 20 m/s, and the result names the controller as the
    system under test, driven by the default controller for want of a stack."""
    seen: list = []
    path = _scenario(tmp_path, _controller("ALKSController", properties))
    result = run_scenario(path, RunConfig(on_step=_watch(seen)))
    assert result.end_reason == "stop_trigger"
    notes = [e for e in result.events if e.kind == KIND]
    assert len(notes) == 1
    assert notes[0].time == pytest.approx(1.0) and notes[0].entities == ("Ego",)
    assert "'ALKSController'" in notes[0].detail and "system under test" in notes[0].detail
    assert "default controller keeps driving" in notes[0].detail
    for time, x, speed in seen:
        assert speed == pytest.approx(20.0) and x == pytest.approx(30 + 20 * time, abs=1e-6)


def test_an_unknown_property_less_controller_on_the_ego_is_noted_the_same_way(tmp_path):
    """Not only esmini's names: any controller the engine does not run, with nothing to configure."""
    result = run_scenario(_scenario(tmp_path, _controller("MyStackUnderTest")), RunConfig())
    assert result.end_reason == "stop_trigger"
    assert [e.entities for e in result.events if e.kind == KIND] == [("Ego",)]


def test_with_a_stack_the_stack_drives_the_ego_and_the_note_says_so(tmp_path):
    """An in-process stack that brakes: the Ego slows below the storyboard's 20 m/s after the
    activation, and the note says the stack drives it."""
    from simplatform.control import Control

    class Brake:
        def setup(self, *args) -> None:
            pass

        def step(self, obs):
            return Control(throttle=0.0, brake=0.5, steer=0.0)

    seen: list = []
    path = _scenario(tmp_path, _controller("ALKSController"))
    result = run_scenario(path, RunConfig(stack=Brake(), on_step=_watch(seen)))
    assert result.end_reason == "stop_trigger"
    notes = [e for e in result.events if e.kind == KIND]
    assert len(notes) == 1 and "the stack under test drives it" in notes[0].detail
    assert seen[-1][2] < 15.0  # braked by the stack, not held at 20 m/s by the storyboard


def test_activation_in_init_is_noted_once_the_stack_has_taken_the_ego(tmp_path):
    """An ActivateControllerAction in Init runs before the runner hands the Ego to a stack: the note
    waits for the first step and then names the stack."""
    from simplatform.control import Control

    class Coast:
        def setup(self, *args) -> None:
            pass

        def step(self, obs):
            return Control(throttle=0.0, brake=0.0, steer=0.0)

    activate = '<PrivateAction><ControllerAction><ActivateControllerAction/></ControllerAction></PrivateAction>'
    init = (f'<Private entityRef="Ego">{place(-1, 30, 20)}{activate}</Private>'
            f'<Private entityRef="Other">{place(-1, 200, 20)}</Private>')
    idle = ACTIVATE_AT_1S.format(who="Other").replace("<ControllerAction><ActivateControllerAction lateral=\"true\" "
                                                        "longitudinal=\"true\"/></ControllerAction>",
                                                        '<VisibilityAction graphics="true" traffic="true" '
                                                        'sensors="true"/>')
    path = two_car_scenario(tmp_path, init, idle, lanes=1, length=500.0,
                            ego_controller=_controller("ALKSController"), duration=2)
    with_stack = run_scenario(path, RunConfig(stack=Coast()))
    without = run_scenario(path, RunConfig())
    [a] = [e for e in with_stack.events if e.kind == KIND]
    [b] = [e for e in without.events if e.kind == KIND]
    assert a.time == 0.0 and "the stack under test drives it" in a.detail
    assert b.time == 0.0 and "default controller keeps driving" in b.detail


def test_a_configured_esmini_alks_controller_on_the_ego_is_still_refused(tmp_path):
    """esmini's ALKSController with its own properties (mode, cruise): esmini behaviour asked for."""
    props = ('<Properties><Property name="mode" value="additive"/><Property name="cruise" value="true"/>'
             '</Properties>')
    with pytest.raises(ScenarioError, match="esmini's built-in ALKSController") as err:
        run_scenario(_scenario(tmp_path, _controller("ALKSController", props)), RunConfig())
    assert err.value.location.element == "Controller"


def test_a_file_in_the_properties_is_configuration_too(tmp_path):
    """A Properties with only a <File> (esmini's SumoController writes its configuration so)."""
    props = '<Properties><File filepath="config.sumocfg"/></Properties>'
    with pytest.raises(ScenarioError, match="esmini's built-in ACCController"):
        run_scenario(_scenario(tmp_path, _controller("ACCController", props)), RunConfig())


def test_a_property_less_esmini_controller_on_another_entity_is_still_refused(tmp_path):
    """Only the ego stands for the system under test; Other's bare ALKSController is esmini's."""
    with pytest.raises(ScenarioError, match=r"\(esmini's built-in ALKSController\) is activated on 'Other'"):
        run_scenario(_scenario(tmp_path, _controller("ALKSController"), who="Other", on_other=True), RunConfig())


def test_the_ego_named_on_the_command_line_is_the_one_that_counts(tmp_path):
    """``--ego Other`` (RunConfig.ego): Other's bare controller is then the system under test."""
    path = _scenario(tmp_path, _controller("ALKSController"), who="Other", on_other=True)
    result = run_scenario(path, RunConfig(ego="Other"))
    assert [e.entities for e in result.events if e.kind == KIND] == [("Other",)]
