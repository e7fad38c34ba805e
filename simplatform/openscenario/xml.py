"""Secure XML reading and the OpenSCENARIO document header (version, kind).

Scenario files are untrusted input: the parser resolves no entities, loads
no DTD and touches no network (no XXE, no billion-laughs), and refuses
huge trees.  Every XML syntax error becomes a ScenarioError at its line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from simplatform.errors import ScenarioError

SUPPORTED_VERSIONS = ((1, 0), (1, 1), (1, 2), (1, 3))


def secure_parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           huge_tree=False, remove_comments=False)


def parse_file(path: str | Path) -> etree._ElementTree:
    """Parse ``path`` securely; ScenarioError (file, line, cause) on a missing or malformed file."""
    p = Path(path)
    if not p.is_file():
        raise ScenarioError("file not found" if not p.exists() else "not a regular file", file=str(p))
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise ScenarioError(f"cannot read file: {exc.strerror}", file=str(p)) from None
    return parse_bytes(data, str(p))


def parse_bytes(data: bytes, file: str) -> etree._ElementTree:
    if not data.strip():
        raise ScenarioError("file is empty", file=file)
    try:
        root = etree.fromstring(data, secure_parser(), base_url=file)
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno else None
        msg = exc.msg.split(", line")[0] if exc.msg else "malformed XML"
        raise ScenarioError(f"malformed XML: {msg}", file=file, line=line) from None
    return root.getroottree()


@dataclass(frozen=True)
class Header:
    """What a document is, read before binding: version and kind."""

    rev: tuple[int, int]
    kind: str  # "scenario", "catalog" or "distribution"
    pre_asam: bool = False  # a 0.x catalog read as 1.0 (see read_header)


def read_header(tree: etree._ElementTree, file: str) -> Header:
    """Check root, FileHeader and version; tell a scenario from a catalog and a distribution."""
    root = tree.getroot()
    tag = root.tag.split("}")[-1] if isinstance(root.tag, str) else ""
    if tag != "OpenSCENARIO":
        raise ScenarioError.at(root, "root element must be <OpenSCENARIO>", file=file)
    header = root.find("FileHeader")
    if header is None:
        raise ScenarioError.at(root, "missing required child element <FileHeader>", file=file)
    try:
        rev = (int(header.get("revMajor", "")), int(header.get("revMinor", "")))
    except ValueError:
        raise ScenarioError.at(header, "revMajor and revMinor must be integers (e.g. revMajor=\"1\" "
                               "revMinor=\"3\")", file=file) from None
    if root.find("Catalog") is not None:
        kind = "catalog"
    elif root.find("ParameterValueDistribution") is not None:
        kind = "distribution"
    else:
        kind = "scenario"
    if rev not in SUPPORTED_VERSIONS:
        if kind == "catalog" and rev[0] == 0:
            # A catalog only lists entity, controller, manoeuvre ... definitions whose
            # elements 1.0 kept from the pre-ASAM 0.9 drafts; esmini reads such catalogs
            # (its own VehicleCatalog says 0.9).  Bind the entries as 1.0: an entry that
            # does not fit 1.0 is still reported, element by element.
            return Header((1, 0), kind, pre_asam=True)
        raise ScenarioError.at(header, f"unsupported OpenSCENARIO version {rev[0]}.{rev[1]} "
                               "(supported: 1.0, 1.1, 1.2, 1.3)", file=file)
    return Header(rev, kind)


def read_document(path: Path, errors: list[ScenarioError]) -> tuple[etree._ElementTree, Header] | None:
    """Parse ``path`` and read its header; on a bad file or header the error joins ``errors``
    (the collecting loaders report every problem at once) and the answer is ``None``."""
    try:
        tree = parse_file(path)
        return tree, read_header(tree, str(path))
    except ScenarioError as exc:
        errors.append(exc)
        return None
