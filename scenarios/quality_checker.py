"""Run one ASAM Quality Checker bundle on one file and collect its issues.

Why one place: the OpenDRIVE (``asam-qc-opendrive``) and OpenSCENARIO XML
(``asam-qc-openscenarioxml``) bundles are driven the same way through the ASAM
Quality Checker Framework base library (``qc_baselib``): a ``Configuration``
naming the input file and the bundle, a ``Result`` the bundle's ``run_checks``
fills, then each checker's status and issues read back.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Callable


@dataclass(frozen=True)
class QualityIssue:
    """One issue the ASAM quality checker reported (level 1 error, 2 warning, 3 info)."""

    checker_id: str
    rule_uid: str
    level: int
    description: str


def run_checker_bundle(path: str | Path, constants: ModuleType, run_checks: Callable[[Any, Any], None],
                       description: str) -> tuple[list[QualityIssue], dict[str, str]]:
    """Run every check of the bundle (its ``constants`` module and ``run_checks``) on ``path``.

    Returns the issues and each checker's status (``completed``, ``skipped``,
    ``error``); a checker in ``error`` crashed on the file.
    """
    from qc_baselib import Configuration, Result

    logging.getLogger().setLevel(logging.WARNING)
    config = Configuration()
    config.set_config_param(name="InputFile", value=str(path))
    config.register_checker_bundle(checker_bundle_name=constants.BUNDLE_NAME)
    result = Result()
    result.register_checker_bundle(name=constants.BUNDLE_NAME, description=description,
                                   version=constants.BUNDLE_VERSION, summary="")
    run_checks(config, result)
    issues: list[QualityIssue] = []
    status: dict[str, str] = {}
    for checker in result.get_checker_results(constants.BUNDLE_NAME):
        status[checker.checker_id] = str(getattr(checker.status, "value", checker.status))
        for issue in checker.issues:
            issues.append(QualityIssue(checker.checker_id, str(issue.rule_uid), int(issue.level), str(issue.description)))
    return issues, status
