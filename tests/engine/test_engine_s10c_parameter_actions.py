"""ParameterAction / VariableAction in the engine: typed values, located errors (OpenSCENARIO 1.3).

ParameterSetAction / VariableSetAction write the value as a string that takes the declared type of
the parameter or variable; the engine kept the current value's Python type instead, so a dateTime
variable stored the raw text, a boolean set to "1" became False, an integer set to "2.7" was cut to
2.  ModifyAction called float() on whatever it found: a string variable ended the run in a bare
ValueError.  The loader refuses such files (openscenario.checks.check_assignment_types); the
tests that need a file it would refuse switch that check off, to reach the engine's own guard.
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from engine_esmini_cases import place, two_car_scenario  # noqa: E402

from simplatform.engine.run import RunConfig, run_scenario  # noqa: E402
from simplatform.errors import ScenarioError  # noqa: E402


def _scenario(tmp: Path, declarations: str, actions: str) -> Path:
    """Ego and Other on a straight road; ``declarations`` (Parameter/VariableDeclarations) at the top;
    at t >= 0.5 s one event runs the global ``actions`` (each a ``<GlobalAction>`` body); stop at 1 s."""
    acts = "".join(f'<Action name="a{k}"><GlobalAction>{a}</GlobalAction></Action>' for k, a in enumerate(actions))
    group = ('<ManeuverGroup maximumExecutionCount="1" name="g"><Actors selectTriggeringEntities="false">'
             '<EntityRef entityRef="Ego"/></Actors><Maneuver name="m"><Event name="e" priority="overwrite">'
             f'{acts}<StartTrigger><ConditionGroup><Condition name="c" delay="0" conditionEdge="none">'
             '<ByValueCondition><SimulationTimeCondition value="0.5" rule="greaterOrEqual"/></ByValueCondition>'
             '</Condition></ConditionGroup></StartTrigger></Event></Maneuver></ManeuverGroup>')
    init = (f'<Private entityRef="Ego">{place(-1, 30, 10)}</Private>'
            f'<Private entityRef="Other">{place(-1, 200, 10)}</Private>')
    path = two_car_scenario(tmp, init, group, lanes=1, length=500.0, duration=1)
    text = path.read_text().replace('revMinor="1"', 'revMinor="3"')
    path.write_text(text.replace("<CatalogLocations/>", f"{declarations}<CatalogLocations/>", 1))
    return path


def _run(path: Path) -> tuple[dict, dict]:
    """(parameters, variables) of the engine at the end of the run."""
    seen: dict = {}

    def on_step(engine) -> None:
        seen["p"], seen["v"] = dict(engine.parameters), dict(engine.variables)

    assert run_scenario(path, RunConfig(on_step=on_step)).end_reason == "stop_trigger"
    return seen["p"], seen["v"]


def _var(name: str, type_: str, value: str) -> str:
    return f'<VariableDeclaration name="{name}" variableType="{type_}" value="{value}"/>'


def _par(name: str, type_: str, value: str) -> str:
    return f'<ParameterDeclaration name="{name}" parameterType="{type_}" value="{value}"/>'


def _set_var(name: str, value: str) -> str:
    return f'<VariableAction variableRef="{name}"><SetAction value="{value}"/></VariableAction>'


def _set_par(name: str, value: str) -> str:
    return f'<ParameterAction parameterRef="{name}"><SetAction value="{value}"/></ParameterAction>'


def _add_var(name: str, value: float) -> str:
    return (f'<VariableAction variableRef="{name}"><ModifyAction><Rule><AddValue value="{value}"/></Rule>'
            '</ModifyAction></VariableAction>')


def _add_par(name: str, value: float) -> str:
    return (f'<ParameterAction parameterRef="{name}"><ModifyAction><Rule><AddValue value="{value}"/></Rule>'
            '</ModifyAction></ParameterAction>')


@pytest.fixture
def unchecked(monkeypatch):
    """The loader's type check of Set/ModifyActions switched off (a file it would refuse)."""
    import simplatform.openscenario.checks as checks

    monkeypatch.setattr(checks, "check_assignment_types", lambda elements, errors: None)


def test_set_actions_store_the_declared_type(tmp_path):
    decls = ("<ParameterDeclarations>" + _par("d", "double", "1.5") + _par("n", "int", "3")
             + _par("s", "string", "x") + "</ParameterDeclarations><VariableDeclarations>"
             + _var("when", "dateTime", "2024-01-01T00:00:00") + _var("flag", "boolean", "false")
             + _var("u", "unsignedShort", "1") + "</VariableDeclarations>")
    actions = [_set_par("d", "2"), _set_par("n", "7"), _set_par("s", "3.0"),
               _set_var("when", "2024-05-01T12:30:00"), _set_var("flag", "1"), _set_var("u", "65535")]
    params, variables = _run(_scenario(tmp_path, decls, actions))
    assert params["d"] == 2.0 and type(params["d"]) is float
    assert params["n"] == 7 and type(params["n"]) is int
    assert params["s"] == "3.0"
    assert variables["when"] == datetime(2024, 5, 1, 12, 30)  # was the raw text
    assert variables["flag"] is True  # xsd:boolean "1" (was False)
    assert variables["u"] == 65535 and type(variables["u"]) is int


def test_modify_action_keeps_an_integer_an_integer(tmp_path):
    decls = ("<ParameterDeclarations>" + _par("n", "int", "3") + _par("d", "double", "0.25")
             + "</ParameterDeclarations>")
    params, _ = _run(_scenario(tmp_path, decls, [_add_par("n", 2), _add_par("d", 0.5)]))
    assert params["n"] == 5 and type(params["n"]) is int  # was 5.0
    assert params["d"] == 0.75 and type(params["d"]) is float


def test_modify_action_on_a_string_variable_is_a_located_error(tmp_path, unchecked):
    """Was: ValueError("could not convert string to float: 'abc'"), an internal error."""
    path = _scenario(tmp_path, "<VariableDeclarations>" + _var("name", "string", "abc") + "</VariableDeclarations>",
                     [_add_var("name", 3.4)])
    with pytest.raises(ScenarioError, match="ModifyAction adds to or multiplies numbers; variable 'name' is a "
                                            "string") as err:
        run_scenario(path, RunConfig())
    loc = err.value.location
    assert loc.file == str(path) and loc.element == "ModifyAction" and loc.line is not None
    assert f"{path}:{loc.line}" in str(err.value)


def test_modify_action_on_a_boolean_parameter_is_a_located_error(tmp_path, unchecked):
    """float(True) is 1.0: a boolean was silently turned into a number."""
    path = _scenario(tmp_path, "<ParameterDeclarations>" + _par("b", "boolean", "true") + "</ParameterDeclarations>",
                     [_add_par("b", 1)])
    with pytest.raises(ScenarioError, match="parameter 'b' is a boolean") as err:
        run_scenario(path, RunConfig())
    assert err.value.location.element == "ModifyAction"


@pytest.mark.parametrize("decl, value, fault", [
    (("double", "1.0"), "abc", "is not a double"),           # was a bare ValueError
    (("int", "1"), "2.7", "is not a int"),                   # was cut to 2
    (("unsignedShort", "1"), "70000", "is not a unsignedShort"),  # was stored
    (("boolean", "true"), "wrongBoolean", "is not a boolean"),    # was False
])
def test_a_set_value_that_does_not_fit_is_a_located_error(tmp_path, unchecked, decl, value, fault):
    path = _scenario(tmp_path, "<VariableDeclarations>" + _var("v", *decl) + "</VariableDeclarations>",
                     [_set_var("v", value)])
    with pytest.raises(ScenarioError, match=fault) as err:
        run_scenario(path, RunConfig())
    loc = err.value.location
    assert loc.file == str(path) and loc.element == "SetAction" and loc.line is not None
    assert "variable 'v'" in err.value.cause


def test_an_integer_modified_to_a_fraction_is_a_located_error(tmp_path):
    """Adding 0.5 to an int gives no int: named, not stored as a float (the loader cannot know the
    value before the run)."""
    path = _scenario(tmp_path, "<ParameterDeclarations>" + _par("n", "int", "3") + "</ParameterDeclarations>",
                     [_add_par("n", 0.5)])
    with pytest.raises(ScenarioError, match="parameter 'n' of type int the value 3.5") as err:
        run_scenario(path, RunConfig())
    assert err.value.location.element == "ModifyAction"
