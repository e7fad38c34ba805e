"""Check an OpenDRIVE file against the ASAM XSD and the ASAM Quality Checker.

Why both: the XSD catches structure (elements, attribute types); the
``asam-qc-opendrive`` bundle (ASAM Quality Checker Framework, OpenDRIVE
checker bundle) catches semantics the XSD cannot (lane links across lane
sections, junction connection contact points, zero-width lane starts, gaps
between connected lanes).  The maps in this folder must pass both.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from lxml import etree

from scenarios.quality_checker import QualityIssue, run_checker_bundle


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
    from qc_opendrive import constants
    from qc_opendrive.main import run_checks

    return run_checker_bundle(path, constants, run_checks, "OpenDrive checker bundle")
