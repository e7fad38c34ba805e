"""esmini example files, batch 3: esmini built-in controllers the engine must refuse by name.

esmini's aeb_cut_in.xosc / aeb_slow_lead_vehicle.xosc give the Ego a bare
``<Controller name="AEBController"/>`` (no properties: esmini picks the type by name) and
activate it longitudinally; the run went on with the Ego ignoring it (no AEB at all).
Since session 10 a property-less controller on the ego stands for the system under test (the
ASAM ALKS scenarios' ``ALKSController``; test_engine_s10c_system_under_test): the run is not
silent about it -- the stack drives the Ego, or the result notes that the default controller
does for want of one -- and a bare AEBController on any other entity is still refused.
Each test writes its own straight road and scenario.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from engine_esmini_cases import place, two_car_scenario  # noqa: E402

from simplatform.engine.run import RunConfig, run_scenario  # noqa: E402
from simplatform.errors import ScenarioError  # noqa: E402

ACTIVATE = '<PrivateAction><ActivateControllerAction longitudinal="true" lateral="false"/></PrivateAction>'
AEB = '<ObjectController><Controller name="AEBController"/></ObjectController>'


def _scenario(tmp: Path, *, activate: bool, on: str = "Ego") -> Path:
    """The AEBController is Ego's (``on`` "Ego") or Other's; ``activate`` activates it in Init."""
    act = ACTIVATE if activate else ""
    init = (f'<Private entityRef="Ego">{place(-1, 30, 20, 0.0)}{act if on == "Ego" else ""}</Private>'
            f'<Private entityRef="Other">{place(-1, 80, 10, 0.0)}{act if on == "Other" else ""}</Private>')
    change = (
        '<ManeuverGroup maximumExecutionCount="1" name="g"><Actors selectTriggeringEntities="false">'
        '<EntityRef entityRef="Other"/></Actors><Maneuver name="m"><Event name="e" priority="overwrite">'
        '<Action name="a"><PrivateAction><VisibilityAction graphics="true" traffic="true" sensors="true"/>'
        '</PrivateAction></Action><StartTrigger><ConditionGroup><Condition name="c" delay="0" '
        'conditionEdge="rising"><ByValueCondition><SimulationTimeCondition value="1" rule="greaterThan"/>'
        '</ByValueCondition></Condition></ConditionGroup></StartTrigger></Event></Maneuver></ManeuverGroup>')
    path = two_car_scenario(tmp, init, change, lanes=1, length=500.0, ego_controller=AEB if on == "Ego" else "",
                            duration=2)
    if on != "Ego":
        text = path.read_text()
        head, tail = text.split('<ScenarioObject name="Other">')
        end = tail.index("</Vehicle>") + len("</Vehicle>")
        path.write_text(f'{head}<ScenarioObject name="Other">{tail[:end]}{AEB}{tail[end:]}')
    return path


def test_esmini_aeb_controller_without_properties_is_refused_when_activated_on_another_entity(tmp_path):
    with pytest.raises(ScenarioError, match="esmini's built-in AEBController") as err:
        run_scenario(_scenario(tmp_path, activate=True, on="Other"), RunConfig())
    assert err.value.location.element == "Controller"


def test_esmini_aeb_controller_without_properties_on_the_ego_is_noted_as_the_system_under_test(tmp_path):
    result = run_scenario(_scenario(tmp_path, activate=True), RunConfig())
    assert result.end_reason == "stop_trigger"
    [note] = [e for e in result.events if e.kind == "SystemUnderTestController"]
    assert "'AEBController'" in note.detail and "default controller keeps driving" in note.detail


def test_esmini_aeb_controller_left_inactive_runs(tmp_path):
    assert run_scenario(_scenario(tmp_path, activate=False), RunConfig()).end_reason == "stop_trigger"
