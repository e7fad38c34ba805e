"""Semantic checks on a bound scenario: references that name nothing, absurd values.

The XSD cannot say that ``entityRef="Egoo"`` names no entity or that a
transition lasts -2 s; the standard's prose can (the "Range" of each
attribute in the class reference, and ASAM's checker rules, Annex C,
``reference_control.resolvable_entity_references`` and friends).  These
checks run after binding and add ScenarioErrors at the offending element.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from simplatform.errors import ScenarioError, SourceLocation
from simplatform.openscenario.model.base import OscElement

# CARLA ScenarioRunner reads the conditions named criteria_* in the storyboard's
# StopTrigger as evaluation criteria (criteria_CollisionTest, ...); their
# ParameterConditions name parameters that are never declared ("" or the
# criterion's own arguments), so they are exempt from the reference check.
CARLA_CRITERIA_PREFIX = "criteria_"


def _err(errors: list[ScenarioError], source: SourceLocation, cause: str) -> None:
    errors.append(ScenarioError(cause, file=source.file, line=source.line, element=source.element))


@dataclass(frozen=True)
class _Rule:
    cls: str
    field: str
    ok: Callable[[Any, Any], bool]  # (value, element) -> fine?
    need: str


def _nonneg(v: Any, _e: Any) -> bool:
    return v >= 0


def _positive(v: Any, _e: Any) -> bool:
    return v > 0


def _finite(v: Any, _e: Any) -> bool:
    return math.isfinite(v)


def _transition_ok(v: Any, e: Any) -> bool:
    """Time and distance must be >= 0 (a negative duration is absurd).

    A rate may be written negative to mean "decrease" (esmini and hand-written
    files do); its sign carries no information beyond the target, so only its
    magnitude matters.  A zero rate is inside the standard's range
    (TransitionDynamics.value, "Range: [0..inf[", 1.3 class reference): the
    UN R157 ALKS templates write ``value="$..._Acceleration_Rate_mps2"`` = 0.0
    for "keep the speed", with a target equal to the current one.  Whether the
    target differs is known only at run time, where
    :meth:`simplatform.engine.dynamics.Transition.create` refuses a zero rate
    that would have to change the value.
    """
    if not math.isfinite(v):
        return False
    dim = e.dynamics_dimension.value if e.dynamics_dimension is not None else None
    if dim == "rate":
        return True
    return v >= 0


# The standard's ranges for the attributes whose violation breaks a run
# (ASAM OpenSCENARIO XML 1.3 class reference; "Range: [0..inf[" etc.).
VALUE_RULES = (
    _Rule("TransitionDynamics", "value", _transition_ok,
          "a finite time or distance >= 0, or a finite rate"),
    _Rule("Condition", "delay", _nonneg, "a delay >= 0 s"),
    _Rule("Dimensions", "width", _nonneg, ">= 0 m"),
    _Rule("Dimensions", "length", _nonneg, ">= 0 m"),
    _Rule("Dimensions", "height", _nonneg, ">= 0 m"),
    _Rule("Performance", "max_speed", _nonneg, ">= 0 m/s"),
    _Rule("Performance", "max_acceleration", _nonneg, ">= 0 m/s^2"),
    _Rule("Performance", "max_deceleration", _nonneg, ">= 0 m/s^2"),
    _Rule("Vehicle", "mass", _nonneg, ">= 0 kg"),
    _Rule("Pedestrian", "mass", _nonneg, ">= 0 kg"),
    _Rule("MiscObject", "mass", _nonneg, ">= 0 kg"),
    _Rule("Axle", "wheel_diameter", _nonneg, ">= 0 m"),
    _Rule("Axle", "track_width", _nonneg, ">= 0 m"),
    _Rule("Axle", "max_steering", _nonneg, ">= 0 rad"),
    _Rule("Phase", "duration", _nonneg, ">= 0 s"),
    _Rule("StandStillCondition", "duration", _nonneg, ">= 0 s"),
    _Rule("OffroadCondition", "duration", _nonneg, ">= 0 s"),
    _Rule("EndOfRoadCondition", "duration", _nonneg, ">= 0 s"),
    _Rule("TimeHeadwayCondition", "value", _nonneg, ">= 0 s"),
    _Rule("TimeToCollisionCondition", "value", _nonneg, ">= 0 s"),
    _Rule("LanePosition", "s", _nonneg, ">= 0 m"),
    _Rule("RoadPosition", "s", _nonneg, ">= 0 m"),
    _Rule("Event", "maximum_execution_count", lambda v, e: v >= 1, ">= 1"),
    _Rule("ManeuverGroup", "maximum_execution_count", lambda v, e: v >= 1, ">= 1"),
    _Rule("DistributionRange", "step_width", _positive, "> 0"),
    _Rule("NormalDistribution", "variance", _nonneg, ">= 0"),
    _Rule("LogNormalDistribution", "variance", _nonneg, ">= 0"),
    _Rule("LogNormalDistribution", "expected_value", _positive, "> 0"),
    _Rule("PoissonDistribution", "expected_value", _nonneg, ">= 0"),
    _Rule("HistogramBin", "weight", _nonneg, ">= 0"),
    _Rule("ProbabilityDistributionSetElement", "weight", lambda v, e: v >= 0, ">= 0"),
    _Rule("Range", "upper_limit", lambda v, e: e.lower_limit is None or v >= e.lower_limit,
          ">= lowerLimit"),
    _Rule("Fog", "visual_range", _nonneg, ">= 0 m"),
    _Rule("Precipitation", "intensity", _nonneg, ">= 0"),
    _Rule("Precipitation", "precipitation_intensity", _nonneg, ">= 0 mm/h"),
    _Rule("Sun", "intensity", _nonneg, ">= 0 lux"),
    _Rule("Sun", "illuminance", _nonneg, ">= 0 lux"),
    _Rule("Wind", "speed", _nonneg, ">= 0 m/s"),
    _Rule("TimeToCollisionCondition", "value", _finite, "finite"),
)
_RULES_BY_CLASS: dict[str, list[_Rule]] = {}
for _r in VALUE_RULES:
    _RULES_BY_CLASS.setdefault(_r.cls, []).append(_r)


# Lane ids the XSD types as strings, which name an OpenDRIVE lane: OpenDRIVE 1.x (lanes, 9.x)
# numbers lanes by integers (0 centre, negative right, positive left), so any other text names no
# lane -- the run would stop at the first step that places the entity; validate says so up front.
LANE_ID_FIELDS = {"LanePosition": "lane_id", "PositionInLaneCoordinates": "lane_id", "AbsoluteTargetLane": "value"}


# A deprecated attribute beside the attribute that replaced it (1.1/1.2 deprecations, class reference):
# the XSD allows both, so a file can say two things; the ASAM checker's
# DoubleLaneChangerDeprecationValidationErrors1_3.xosc does.  Equal values say one thing (the engine reads
# the replacement first); values that differ are an error naming both.  (class, deprecated field,
# replacement field, deprecated value in the replacement's unit)
DEPRECATED_PAIRS = (
    ("Sun", "intensity", "illuminance", lambda v: v),
    ("Precipitation", "intensity", "precipitation_intensity", lambda v: v),
    ("GeoPosition", "latitude", "latitude_deg", math.degrees),
    ("GeoPosition", "longitude", "longitude_deg", math.degrees),
    ("Clothoid", "curvature_dot", "curvature_prime", lambda v: v),
    ("TrafficSourceAction", "velocity", "speed", lambda v: v),
)
_DEPRECATED_BY_CLASS: dict[str, list[tuple[str, str, Callable[[float], float]]]] = {}
for _cls, _old, _new, _conv in DEPRECATED_PAIRS:
    _DEPRECATED_BY_CLASS.setdefault(_cls, []).append((_old, _new, _conv))


def _check_deprecated_pairs(e: OscElement, errors: list[ScenarioError]) -> None:
    for old, new, conv in _DEPRECATED_BY_CLASS.get(type(e).__name__, ()):
        a, b = getattr(e, old, None), getattr(e, new, None)
        if a is None or b is None or isinstance(a, (str, bool)) or isinstance(b, (str, bool)):
            continue
        if not math.isclose(conv(a), b, rel_tol=1e-9, abs_tol=1e-12):
            _err(errors, e.source, f"attribute '{_xml_name(e, old)}' (deprecated) = {a} and its replacement "
                 f"'{_xml_name(e, new)}' = {b} disagree: give only '{_xml_name(e, new)}'")


def _is_integer(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return False
    return True


def check_values(elements: Iterable[OscElement], errors: list[ScenarioError]) -> None:
    for e in elements:
        _check_deprecated_pairs(e, errors)
        lane_field = LANE_ID_FIELDS.get(type(e).__name__)
        if lane_field is not None:
            lane = getattr(e, lane_field, None)
            if isinstance(lane, str) and not _is_integer(lane):
                _err(errors, e.source, f"attribute '{_xml_name(e, lane_field)}' = '{lane}' names no lane: OpenDRIVE "
                     "lane ids are integers (a parameter reference needs its '$')")
        for rule in _RULES_BY_CLASS.get(type(e).__name__, ()):
            v = getattr(e, rule.field, None)
            if v is None or isinstance(v, (str, bool)):
                continue
            if not rule.ok(v, e):
                xml = _xml_name(e, rule.field)
                _err(errors, e.source, f"attribute '{xml}' = {v} is out of range (needs {rule.need})")
        if type(e).__name__ == "Polyline":
            times = [v.time for v in e.vertices if v.time is not None]
            if any(b < a for a, b in zip(times, times[1:])):
                _err(errors, e.source, "vertex times must not decrease along the polyline")


def _xml_name(e: OscElement, fname: str) -> str:
    from dataclasses import fields

    for f in fields(e):
        if f.name == fname:
            return f.metadata.get("xml", fname)
    return fname


def check_references(doc: OscElement, errors: list[ScenarioError]) -> None:
    """Every entity, storyboard element, parameter, variable and signal-controller reference resolves."""
    elements = list(doc.walk())
    entities = {e.name for e in elements if type(e).__name__ in ("ScenarioObject", "EntitySelection")
                and e.name is not None}
    storyboard_names = {e.name for e in elements if type(e).__name__ in
                        ("Story", "Act", "ManeuverGroup", "Maneuver", "Event", "Action") and e.name}
    parameters = {e.name for e in elements if type(e).__name__ == "ParameterDeclaration" and e.name}
    variables = {e.name for e in elements if type(e).__name__ == "VariableDeclaration" and e.name}
    controllers = {e.name for e in elements if type(e).__name__ == "TrafficSignalController" and e.name}
    carla_criteria = {
        id(e.by_value_condition.parameter_condition) for e in elements
        if type(e).__name__ == "Condition" and (e.name or "").startswith(CARLA_CRITERIA_PREFIX)
        and e.by_value_condition is not None and e.by_value_condition.parameter_condition is not None
    }
    for e in elements:
        name = type(e).__name__
        for fname in ("entity_ref", "master_entity_ref"):
            ref = getattr(e, fname, None)
            if isinstance(ref, str) and name != "AddEntityAction" and ref not in entities:
                _err(errors, e.source, f"unknown entity '{ref}' in '{_xml_name(e, fname)}' (entities: "
                     f"{', '.join(sorted(entities)) or 'none'})")
        ref = getattr(e, "storyboard_element_ref", None)
        if isinstance(ref, str) and ref not in storyboard_names:
            _err(errors, e.source, f"unknown storyboard element '{ref}' in 'storyboardElementRef'")
        if name in ("ParameterCondition", "ParameterAction", "ParameterSetAction", "ParameterModifyAction"):
            ref = getattr(e, "parameter_ref", None)
            if isinstance(ref, str) and ref not in parameters and id(e) not in carla_criteria:
                _err(errors, e.source, f"unknown parameter '{ref}' in 'parameterRef'")
        if name in ("VariableCondition", "VariableAction"):
            ref = getattr(e, "variable_ref", None)
            if isinstance(ref, str) and ref not in variables:
                _err(errors, e.source, f"unknown variable '{ref}' in 'variableRef'")
        ref = getattr(e, "traffic_signal_controller_ref", None)
        if isinstance(ref, str) and controllers and ref not in controllers:
            _err(errors, e.source, f"unknown traffic signal controller '{ref}'")
    check_assignment_types(elements, errors)


# Types a ModifyAction can add to or multiply (1.2 class reference, VariableModifyAction /
# ParameterModifyAction: "AddValue ... MultiplyByValue" act on numbers).
_NUMERIC_TYPES = frozenset({"double", "int", "integer", "unsignedInt", "unsignedShort"})


def check_assignment_types(elements: list[OscElement], errors: list[ScenarioError]) -> None:
    """A Set/ModifyAction fits the declared type of the variable or parameter it changes.

    The ASAM checker's DoubleLaneChangerVariablesWrongAction1_2.xosc sets a boolean variable to
    "wrongBoolean" and adds 3.4 to a boolean, a dateTime and a string; the run went on with the
    wrong value, or (a string) ended in an internal error at the action.  A parameter declared in
    several scopes fits when one of its declarations' types fits.
    """
    from simplatform.errors import ParameterError
    from simplatform.openscenario.values import convert

    var_types: dict[str, set[str]] = {}
    par_types: dict[str, set[str]] = {}
    for e in elements:
        name = type(e).__name__
        if name == "VariableDeclaration" and e.name and e.variable_type is not None:
            var_types.setdefault(e.name, set()).add(str(e.variable_type.value))
        elif name == "ParameterDeclaration" and e.name and e.parameter_type is not None:
            par_types.setdefault(e.name, set()).add(str(e.parameter_type.value))
    for e in elements:
        name = type(e).__name__
        if name == "VariableAction":
            what, ref, types = "variable", e.variable_ref, var_types.get(e.variable_ref or "")
        elif name == "ParameterAction":
            what, ref, types = "parameter", e.parameter_ref, par_types.get(e.parameter_ref or "")
        else:
            continue
        if not types:
            continue  # an unknown name is check_references' to report
        shown = "/".join(sorted(types))
        if e.set_action is not None and isinstance(e.set_action.value, str):
            fits = False
            for t in types:
                try:
                    convert(e.set_action.value, t)
                    fits = True
                except ParameterError:
                    pass
            if not fits:
                _err(errors, e.set_action.source, f"SetAction value '{e.set_action.value}' is not a {shown}, "
                     f"the type of {what} '{ref}'")
        if e.modify_action is not None and not types & _NUMERIC_TYPES:
            _err(errors, e.modify_action.source, f"ModifyAction adds to or multiplies numbers; {what} '{ref}' is "
                 f"a {shown}")

