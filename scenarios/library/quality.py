"""ASAM Quality Checker (``asam-qc-openscenarioxml``) on a library scenario.

Why besides the XSD: the checker bundle's reference rules catch what the
schema cannot — unresolvable entity, storyboard-element, variable and
signal/controller references, duplicate names on one level, actors of
private actions outside their maneuver group, bad operators and durations
(ASAM OpenSCENARIO XML checker bundle, rule set of ``qc_openscenario``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class QualityIssue:
    """One issue the ASAM quality checker reported (level 1 error, 2 warning, 3 info)."""

    checker_id: str
    rule_uid: str
    level: int
    description: str


def xosc_quality_issues(path: str | Path) -> tuple[list[QualityIssue], dict[str, str]]:
    """Run every check of the OpenSCENARIO XML checker bundle on ``path``.

    Returns the issues and each checker's status (``completed``, ``skipped``,
    ``error``); a checker in ``error`` crashed on the file.
    """
    from qc_baselib import Configuration, Result
    from qc_openscenario import constants
    from qc_openscenario.main import run_checks

    logging.getLogger().setLevel(logging.WARNING)
    config = Configuration()
    config.set_config_param(name="InputFile", value=str(path))
    config.register_checker_bundle(checker_bundle_name=constants.BUNDLE_NAME)
    result = Result()
    result.register_checker_bundle(name=constants.BUNDLE_NAME, description="OpenScenario checker bundle",
                                   version=constants.BUNDLE_VERSION, summary="")
    run_checks(config, result)
    issues: list[QualityIssue] = []
    status: dict[str, str] = {}
    for checker in result.get_checker_results(constants.BUNDLE_NAME):
        status[checker.checker_id] = str(getattr(checker.status, "value", checker.status))
        for issue in checker.issues:
            issues.append(QualityIssue(checker.checker_id, str(issue.rule_uid), int(issue.level), str(issue.description)))
    return issues, status
