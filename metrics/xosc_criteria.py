"""Evaluation criteria declared the CARLA ScenarioRunner way in an OpenSCENARIO file.

ScenarioRunner (``srunner/tools/openscenario_parser.py``, ``convert_condition_to_atomic``)
reads every StopTrigger ``Condition`` whose name is ``criteria_<CriterionClass>``
with a ``ByValueCondition/ParameterCondition``: the criterion class is built
for each ego with ``float(@value)`` as its one argument when ``@parameterRef``
is not empty.  Here each criterion becomes the requirement that states its
success condition on our scalars, so such files get the same criteria.
"""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from metrics.requirements import Requirement, parse_check
from simplatform.errors import RequirementError

# criterion class → (check with {value} for the argument, check without one, what ScenarioRunner tests)
CRITERIA: dict[str, tuple[str | None, str, str]] = {
    "CollisionTest": (None, "collisions == 0", "no collision"),
    "MaxVelocityTest": ("speed_max <= {value}", "speed_max <= inf", "speed never above the allowed maximum"),
    "DrivenDistanceTest": ("driven_distance >= {value}", "driven_distance >= 0", "drove at least the distance"),
    "AverageVelocityTest": ("speed_mean >= {value}", "speed_mean >= 0", "average speed at least the value"),
    "ActorBlockedTest": (None, "blocked_events == 0", "never blocked"),
    "KeepLaneTest": (None, "lane_departures == 0", "no lane invasion"),
    "ReachedRegionTest": (None, "goal_reached == 1", "reached the region"),
    "InRadiusRegionTest": (None, "goal_reached == 1", "reached the radius region"),
    "OffRoadTest": ("offroad_time <= {value}", "offroad_time <= 0", "not off road longer than the duration"),
    "EndofRoadTest": (None, "end_of_road == 0", "did not drive off the end of its road"),
    "OnSidewalkTest": ("onsidewalk_time <= {value}", "onsidewalk_time <= 0", "not on the sidewalk longer than the duration"),
    "OutsideRouteLanesTest": (None, "outside_route_lanes == 0", "stayed in the route lanes"),
    "WrongLaneTest": (None, "wrong_way_events == 0", "never against traffic"),
    "InRouteTest": (None, "route_deviations == 0", "never deviated from the route"),
    "RouteCompletionTest": (None, "route_completion >= 100", "completed the route"),
    "RunningRedLightTest": (None, "red_light_violations == 0", "no red light run"),
    "RunningStopTest": (None, "stop_sign_violations == 0", "no stop sign run"),
    "MinimumSpeedRouteTest": (None, "min_speed_route >= 100", "kept up with the traffic"),
    "YieldToEmergencyVehicleTest": (None, "yield_emergency_failures == 0", "let the emergency vehicle pass"),
    "ScenarioTimeoutTest": (None, "scenario_timeouts == 0", "no scenario timeout"),
}


def criteria_from_openscenario(path: str | Path) -> tuple[Requirement, ...]:
    """Requirements for every ``criteria_*`` StopTrigger condition of an .xosc file."""
    source = str(path)
    try:
        tree = etree.parse(source, etree.XMLParser(resolve_entities=False, no_network=True))
    except (OSError, etree.XMLSyntaxError) as exc:
        raise RequirementError(f"cannot read OpenSCENARIO file: {exc}", file=source) from None
    root = tree.getroot()
    params = {p.get("name"): p.get("value") for p in root.findall("./ParameterDeclarations/ParameterDeclaration")}
    out: list[Requirement] = []
    for cond in root.iter("Condition"):
        name = cond.get("name", "")
        if not name.startswith("criteria_") or cond.getparent().getparent().tag != "StopTrigger":
            continue
        criterion = name[len("criteria_"):]
        if criterion not in CRITERIA:
            raise RequirementError.at(cond, f"{name}: {criterion!r} is not a ScenarioRunner criterion "
                                            f"(known: {', '.join(sorted(CRITERIA))})", file=source)
        pc = cond.find("./ByValueCondition/ParameterCondition")
        if pc is None:
            raise RequirementError.at(cond, f"{name} needs a ByValueCondition/ParameterCondition", file=source)
        with_arg, without, text = CRITERIA[criterion]
        check = without
        if pc.get("parameterRef", "") != "" and with_arg is not None:
            raw = pc.get("value", "")
            value = params.get(raw[1:]) if raw.startswith("$") else raw
            try:
                number = float(value) if value not in (None, "") else 0.0
            except ValueError:
                raise RequirementError.at(pc, f"{name}: value {raw!r} is not a number", file=source) from None
            check = with_arg.format(value=repr(number))
        metric, op, threshold = parse_check(check, file=source, line=cond.sourceline, element=name)
        out.append(Requirement(name, f"ScenarioRunner {criterion}: {text}", check, metric, op, threshold,
                               None, source, cond.sourceline))
    return tuple(out)
