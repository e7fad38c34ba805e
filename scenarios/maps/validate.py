"""Check an OpenDRIVE file against the ASAM XSD and the ASAM Quality Checker.

Why both: the XSD catches structure (elements, attribute types); the
``asam-qc-opendrive`` bundle (ASAM Quality Checker Framework, OpenDRIVE
checker bundle) catches semantics the XSD cannot (lane links across lane
sections, junction connection contact points, zero-width lane starts, gaps
between connected lanes).  The maps in this folder must pass both.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from lxml import etree


@dataclass(frozen=True)
class QualityIssue:
    """One issue the ASAM quality checker reported (level 1 error, 2 warning, 3 info)."""

    checker_id: str
    rule_uid: str
    level: int
    description: str


def _schema_file(root: etree._Element) -> Path:
    """The bundled XSD for the file's ``header@revMajor.revMinor``."""
    from qc_opendrive.schema import schema_files  # the checker bundle's own table
    import qc_opendrive

    header = root.find("header")
    version = f"{header.get('revMajor')}.{header.get('revMinor')}.0"
    relative = schema_files.SCHEMA_FILES.get(version)
    if relative is None:
        raise ValueError(f"no bundled OpenDRIVE XSD for version {version}")
    return Path(qc_opendrive.__file__).parent / "schema" / relative


@lru_cache(maxsize=None)
def _schema(path: Path) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(path)))


def schema_errors(path: str | Path) -> list[str]:
    """XSD violations of the file (``[]`` when valid), each 'line N: message'."""
    document = etree.parse(str(path))
    schema = _schema(_schema_file(document.getroot()))
    if schema.validate(document):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]


def quality_issues(path: str | Path) -> tuple[list[QualityIssue], dict[str, str]]:
    """Run every check of the ASAM OpenDRIVE checker bundle on ``path``.

    Returns the issues and the status of each checker (``completed``,
    ``skipped``, ``error``); a checker in ``error`` crashed on the file.
    """
    from qc_baselib import Configuration, Result
    from qc_opendrive import constants
    from qc_opendrive.main import run_checks

    logging.getLogger().setLevel(logging.WARNING)
    config = Configuration()
    config.set_config_param(name="InputFile", value=str(path))
    config.register_checker_bundle(checker_bundle_name=constants.BUNDLE_NAME)
    result = Result()
    result.register_checker_bundle(
        name=constants.BUNDLE_NAME,
        description="OpenDrive checker bundle",
        version=constants.BUNDLE_VERSION,
        summary="",
    )
    run_checks(config, result)
    issues: list[QualityIssue] = []
    status: dict[str, str] = {}
    for checker in result.get_checker_results(constants.BUNDLE_NAME):
        status[checker.checker_id] = str(getattr(checker.status, "value", checker.status))
        for issue in checker.issues:
            issues.append(
                QualityIssue(
                    checker.checker_id,
                    str(issue.rule_uid),
                    int(issue.level),
                    str(issue.description),
                )
            )
    return issues, status
