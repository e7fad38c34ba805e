"""Constructs of esmini's alks_cut-in.xosc the engine refuses with a clear error, not a wrong run.

* esmini's ALKS_R157SM_Controller carries a ``model`` property ("Regulation") beside its own
  (aebTTC, cruise, ...): still esmini's controller, not a driver model with unknown properties;
* a car in the oncoming lane told to change into the Ego's lane (RelativeTargetLane of the Ego,
  value 0) was turned round on the spot by lane following, later refused; since session 10 it
  moves sideways into the Ego's lane and keeps going its way, as in esmini (the geometry of the
  head-on cut-in: ``test_engine_s10w_wrongway``).

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

ALKS = ('<ObjectController><Controller name="ALKS_R157SM_Controller"><Properties>'
        '<Property name="model" value="Regulation"/><Property name="cruise" value="false"/>'
        '<Property name="aebTTC" value="1.2"/></Properties></Controller></ObjectController>')
ACTIVATE = '<PrivateAction><ActivateControllerAction longitudinal="true" lateral="false"/></PrivateAction>'


def _scenario(tmp: Path, *, ego_controller: str = "", ego_extra: str = "", target: str = "") -> Path:
    """Ego in lane -1 (s = 30, 20 m/s); Other in oncoming lane 1 (s = 150, facing its lane's way);
    at t > 1 s Other changes lanes towards ``target`` (a LaneChangeTarget's content), or only marks itself."""
    action = ('<VisibilityAction graphics="true" traffic="true" sensors="true"/>' if not target else
              '<LateralAction><LaneChangeAction><LaneChangeActionDynamics dynamicsShape="cubic" value="4" '
              f'dynamicsDimension="time"/><LaneChangeTarget>{target}</LaneChangeTarget></LaneChangeAction>'
              '</LateralAction>')
    change = (
        '<ManeuverGroup maximumExecutionCount="1" name="g"><Actors selectTriggeringEntities="false">'
        '<EntityRef entityRef="Other"/></Actors><Maneuver name="m"><Event name="cut" priority="overwrite">'
        f'<Action name="a"><PrivateAction>{action}</PrivateAction></Action><StartTrigger><ConditionGroup>'
        '<Condition name="c" delay="0" conditionEdge="rising"><ByValueCondition><SimulationTimeCondition '
        'value="1" rule="greaterThan"/></ByValueCondition></Condition></ConditionGroup></StartTrigger></Event>'
        '</Maneuver></ManeuverGroup>')
    init = (f'<Private entityRef="Ego">{place(-1, 30, 20, 0.0)}{ego_extra}</Private>'
            f'<Private entityRef="Other">{place(1, 150, 17, 3.141593)}</Private>')
    return two_car_scenario(tmp, init, change, lanes=1, length=500.0, ego_controller=ego_controller, duration=3)


def test_esmini_alks_controller_with_a_model_property_is_esmini_s_not_a_driver_model(tmp_path):
    path = _scenario(tmp_path, ego_controller=ALKS, ego_extra=ACTIVATE)
    with pytest.raises(ScenarioError, match="esmini's built-in ALKS_R157SM_Controller") as err:
        run_scenario(path, RunConfig())
    assert err.value.location.element == "Controller"


def test_esmini_looming_controller_is_recognised_by_its_real_name(tmp_path):
    """esmini's looming-simple.xosc: type name "LoomingController" (the list had "LooMingController")."""
    looming = ('<ObjectController><Controller name="LoomingController"><Properties><Property name="timeGap" '
               'value="1.0"/><Property name="mode" value="override"/><Property name="setSpeed" value="8.3"/>'
               '</Properties></Controller></ObjectController>')
    with pytest.raises(ScenarioError, match="esmini's built-in LoomingController"):
        run_scenario(_scenario(tmp_path, ego_controller=looming, ego_extra=ACTIVATE), RunConfig())


def test_a_controller_named_like_esmini_s_with_driver_properties_only_is_still_a_driver_model(tmp_path):
    acc = ('<ObjectController><Controller name="ACCController"><Properties><Property name="model" value="idm"/>'
           '<Property name="desiredSpeed" value="20"/></Properties></Controller></ObjectController>')
    result = run_scenario(_scenario(tmp_path, ego_controller=acc, ego_extra=ACTIVATE), RunConfig())
    assert result.end_reason == "stop_trigger"


@pytest.mark.parametrize("target", ['<RelativeTargetLane entityRef="Ego" value="0"/>',
                                    '<AbsoluteTargetLane value="-1"/>'])
def test_a_lane_change_from_the_oncoming_lane_into_the_ego_s_lane_keeps_the_car_going_its_way(tmp_path, target):
    """Other (oncoming lane 1, 17 m/s west) moves towards the Ego's lane -1 from 1 s on and is never
    turned round: it keeps going west at its speed (x = 150 - 17 t) while it moves sideways."""
    seen: list[tuple[float, float, float]] = []

    def watch(engine) -> None:
        i = engine.table.index["Other"]
        seen.append((engine.time, float(engine.table.x[i]), float(engine.table.heading[i])))

    result = run_scenario(_scenario(tmp_path, target=target), RunConfig(on_step=watch))
    assert result.end_reason == "stop_trigger"
    for time, x, heading in seen:
        assert x == pytest.approx(150 - 17 * time, abs=1e-6)
        assert abs(abs(heading) - 3.141592653589793) < 0.2  # facing west, yawed by the change's slope only


def test_a_lane_change_within_one_driving_direction_still_runs(tmp_path):
    """Other (lane 1, facing its lane's way) to lane 1 of itself: no change of direction, runs to the end."""
    result = run_scenario(_scenario(tmp_path, target='<RelativeTargetLane entityRef="Other" value="0"/>'),
                          RunConfig())
    assert result.end_reason == "stop_trigger"
