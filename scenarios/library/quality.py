"""ASAM Quality Checker (``asam-qc-openscenarioxml``) on a library scenario.

Why besides the XSD: the checker bundle's reference rules catch what the
schema cannot — unresolvable entity, storyboard-element, variable and
signal/controller references, duplicate names on one level, actors of
private actions outside their maneuver group, bad operators and durations
(ASAM OpenSCENARIO XML checker bundle, rule set of ``qc_openscenario``).
"""

from __future__ import annotations

from pathlib import Path

from scenarios.quality_checker import QualityIssue, run_checker_bundle

__all__ = ["QualityIssue", "xosc_quality_issues"]


def xosc_quality_issues(path: str | Path) -> tuple[list[QualityIssue], dict[str, str]]:
    """Run every check of the OpenSCENARIO XML checker bundle on ``path``.

    Returns the issues and each checker's status (``completed``, ``skipped``,
    ``error``); a checker in ``error`` crashed on the file.
    """
    from qc_openscenario import constants
    from qc_openscenario.main import run_checks

    return run_checker_bundle(path, constants, run_checks, "OpenScenario checker bundle")
