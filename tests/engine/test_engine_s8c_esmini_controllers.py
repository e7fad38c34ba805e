"""esmini example files, batch 3: esmini built-in controllers the engine must refuse by name.

esmini's aeb_cut_in.xosc / aeb_slow_lead_vehicle.xosc give the Ego a bare
``<Controller name="AEBController"/>`` (no properties: esmini picks the type by name) and
activate it longitudinally; the run went on with the Ego ignoring it (no AEB at all).
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


def _scenario(tmp: Path, *, activate: bool) -> Path:
    init = (f'<Private entityRef="Ego">{place(-1, 30, 20, 0.0)}{ACTIVATE if activate else ""}</Private>'
            f'<Private entityRef="Other">{place(-1, 80, 10, 0.0)}</Private>')
    change = (
        '<ManeuverGroup maximumExecutionCount="1" name="g"><Actors selectTriggeringEntities="false">'
        '<EntityRef entityRef="Other"/></Actors><Maneuver name="m"><Event name="e" priority="overwrite">'
        '<Action name="a"><PrivateAction><VisibilityAction graphics="true" traffic="true" sensors="true"/>'
        '</PrivateAction></Action><StartTrigger><ConditionGroup><Condition name="c" delay="0" '
        'conditionEdge="rising"><ByValueCondition><SimulationTimeCondition value="1" rule="greaterThan"/>'
        '</ByValueCondition></Condition></ConditionGroup></StartTrigger></Event></Maneuver></ManeuverGroup>')
    return two_car_scenario(tmp, init, change, lanes=1, length=500.0, ego_controller=AEB, duration=2)


def test_esmini_aeb_controller_without_properties_is_refused_when_activated(tmp_path):
    with pytest.raises(ScenarioError, match="esmini's built-in AEBController") as err:
        run_scenario(_scenario(tmp_path, activate=True), RunConfig())
    assert err.value.location.element == "Controller"


def test_esmini_aeb_controller_left_inactive_runs(tmp_path):
    assert run_scenario(_scenario(tmp_path, activate=False), RunConfig()).end_reason == "stop_trigger"
