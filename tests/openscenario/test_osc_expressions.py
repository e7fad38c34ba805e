"""Expressions ${...} (ASAM OpenSCENARIO XML 9.2) and parameter value conversion."""

import math

import pytest

from simplatform.errors import ParameterError
from simplatform.openscenario.expressions import evaluate
from simplatform.openscenario.values import Scope, resolve

PARAMS = {"speed": 20.0, "lanes": 3, "flag": True, "name": "ego"}


def ev(text):
    return evaluate(text, PARAMS.__getitem__)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("-$speed + 5", -15.0),
        ("$lanes % 2", 1),
        ("7 / 2", 3.5),
        ("pow(2, 10)", 1024.0),
        ("sqrt(16) + abs(-2)", 6.0),
        ("round(2.5)", 3),
        ("round(-2.5)", -3),
        ("floor(-1.2)", -2),
        ("ceil(1.2)", 2),
        ("max($lanes, 7) - min(1, 2)", 6),
        ("sign(-3.5)", -1.0),
        ("2.5e1", 25.0),
        ("not $flag or 1 > 0", True),
        ("$flag and $lanes == 3", True),
        ("$speed >= 20 and $speed < 21", True),
    ],
)
def test_expression_values(text, expected):
    assert ev(text) == expected
    assert type(ev(text)) is type(expected)


def test_trigonometry_uses_radians():
    assert ev("sin(0) + cos(0)") == 1.0
    assert math.isclose(ev("atan(1) * 4"), math.pi)


@pytest.mark.parametrize(
    "text, cause",
    [
        ("1 +", "ends too early"),
        ("1 / 0", "division by zero"),
        ("$missing + 1", "not declared"),
        ("explode(1)", "unknown function"),
        ("max(1)", "takes 2 argument"),
        ("$name + 1", "needs numbers"),
        ("sqrt(-1)", "undefined"),
        ("1 2", "unexpected '2'"),
        ("1 # 2", "unexpected character"),
        ("", "empty expression"),
    ],
)
def test_expression_errors(text, cause):
    with pytest.raises(ParameterError, match=cause):
        evaluate(text, lambda n: {"name": "ego"}[n] if n == "name" else (_ for _ in ()).throw(
            ParameterError(f"parameter '{n}' is not declared")))


def test_deep_nesting_is_an_error_not_a_crash():
    with pytest.raises(ParameterError, match="nested too deeply"):
        ev("(" * 300 + "1" + ")" * 300)


def test_resolve_converts_to_the_attribute_type():
    scope = Scope({"speed": 20.0, "count": 3, "on": True, "label": "x"})
    assert resolve("${$speed * 2}", "double", scope) == 40.0
    assert resolve("$count", "unsignedInt", scope) == 3
    assert resolve("${$count * 2}", "int", scope) == 6
    assert resolve("$on", "boolean", scope) is True
    assert resolve("$speed", "string", scope) == "20.0"
    assert resolve("2.0", "int", scope) == 2  # tools write integral floats
    with pytest.raises(ParameterError, match="type mismatch"):
        resolve("$label", "double", scope)
    with pytest.raises(ParameterError, match="non-integral"):
        resolve("${$speed / 3}", "int", scope)
    with pytest.raises(ParameterError, match="unsignedShort"):
        resolve("70000", "unsignedShort", scope)


def test_inner_scope_shadows_outer():
    outer = Scope({"v": 1})
    inner = outer.child()
    inner.values["v"] = 2
    assert resolve("$v", "int", inner) == 2
    assert resolve("$v", "int", outer) == 1
