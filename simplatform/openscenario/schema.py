"""Strict mode: validate a file against the official ASAM XSD of its version.

Why optional: real files from tools (CARLA ScenarioRunner, older esmini
examples) often break the schema in harmless ways (attribute order does not
matter, but unknown attributes, 1.0-style children in 1.1 files do), and the
issue asks that any such file load.  ``simplatform validate --schema`` turns
the schema on for authors who want conformance.  The schemas ship with
``asam-qc-openscenarioxml`` (``qc_openscenario/schema/<version>/``).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from lxml import etree

from simplatform.errors import ScenarioError

# (revMajor, revMinor) -> schema folder; 1.1 files use the corrected 1.1.1 schema.
_SCHEMA_OF = {(1, 0): "1.0.0", (1, 1): "1.1.1", (1, 2): "1.2.0", (1, 3): "1.3.0"}


def schema_path(version: str) -> Path:
    """Path of the ASAM XSD for ``version`` ("1.0.0", "1.1.1", "1.2.0", "1.3.0")."""
    try:
        import qc_openscenario  # asam-qc-openscenarioxml
    except ImportError as exc:  # pragma: no cover - a test dependency
        raise ScenarioError("the ASAM schemas need the 'asam-qc-openscenarioxml' package") from exc
    return Path(qc_openscenario.__file__).parent / "schema" / version / "OpenSCENARIO.xsd"


@lru_cache(maxsize=None)
def _schema(version: str) -> etree.XMLSchema:
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return etree.XMLSchema(etree.parse(str(schema_path(version)), parser))


def schema_errors(tree: etree._ElementTree, rev: tuple[int, int], file: str) -> list[ScenarioError]:
    """Every XSD violation of ``tree`` as a ScenarioError at its file and line."""
    version = _SCHEMA_OF.get(rev)
    if version is None:
        return []
    schema = _schema(version)
    if schema.validate(tree):
        return []
    out = []
    for e in schema.error_log:
        element = None
        msg = e.message
        if msg.startswith("Element '"):
            element = msg[len("Element '"):].split("'", 1)[0].split(",")[0].split("}")[-1]
            msg = msg.split("': ", 1)[-1]
        out.append(ScenarioError(f"schema {version}: {msg}", file=file, line=e.line, element=element))
    return out
