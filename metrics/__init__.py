"""Metrics, requirements, verdicts, scores and coverage for one scenario run.

``MetricSuite(context, requirements)`` observes ``WorldSnapshot``s and
``finish()``es into an :class:`Evaluation` (metric results, requirement
verdicts with evidence, scores, Leaderboard score, coverage).  Requirement
sets are YAML (``load_requirement_set``); ``format_verdicts`` explains the
failures.  See ``metrics.base`` for the scalar registry.
"""

from metrics.base import Metric, ScalarSpec, all_scalars, metric_classes, register_metric, scalar_spec
from metrics.context import ConflictZone, GoalRegion, RoutePath, ScenarioContext, StopLine, V2XWarning
from metrics.coverage import merge_coverage
from metrics.junctions import conflict_zones_from_road
from metrics.requirements import (
    Requirement, RequirementSet, Scope, load_requirement_set, parse_check, parse_requirement_set, requirement,
    requirements_for_run,
)
from metrics.scores import LeaderboardScore, leaderboard_score, scenario_scores
from metrics.signals import stop_lines_from_road
from metrics.suite import Evaluation, MetricSuite
from metrics.verdicts import evaluate, format_verdicts
from metrics.xosc_criteria import criteria_from_openscenario

__all__ = [
    "ConflictZone", "Evaluation", "GoalRegion", "LeaderboardScore", "Metric", "MetricSuite", "Requirement",
    "RequirementSet", "RoutePath", "ScalarSpec", "ScenarioContext", "Scope", "StopLine", "V2XWarning",
    "all_scalars", "conflict_zones_from_road", "criteria_from_openscenario", "evaluate", "format_verdicts", "leaderboard_score",
    "load_requirement_set", "merge_coverage", "metric_classes", "parse_check", "parse_requirement_set",
    "register_metric", "requirement", "requirements_for_run", "scalar_spec", "scenario_scores", "stop_lines_from_road",
]
