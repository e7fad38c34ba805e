"""``validate``: every problem in a set of OpenSCENARIO (and OpenDRIVE) files, not just the first.

A scenario is loaded in collecting mode (syntax, version, parameters,
expressions, catalogs, references, value ranges, road network file); a
catalog file is bound on its own; a distribution file is expanded.  With
``schema=True`` the file is also checked against the ASAM XSD of its
version.  ``.xodr`` files go to ``simplatform.opendrive.load_opendrive`` when
that package is installed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from simplatform.errors import InputError, ScenarioError
from simplatform.openscenario.binder import BindContext, bind
from simplatform.openscenario.checks import check_values
from simplatform.openscenario.distributions import expand_distribution
from simplatform.openscenario.loader import load_document
from simplatform.openscenario.model.base import REGISTRY
from simplatform.openscenario.schema import schema_errors
from simplatform.openscenario.values import Scope
from simplatform.openscenario.xml import parse_file, read_header

SCENARIO_SUFFIXES = (".xosc", ".xml")
ROAD_SUFFIXES = (".xodr",)


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files to check: each file as given, each folder's .xosc and .xodr files (recursively, sorted)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(f for f in p.rglob("*") if f.suffix.lower() in (".xosc",) + ROAD_SUFFIXES)
        else:
            out.append(p)
    return out


def validate_file(path: str | Path, *, schema: bool = False) -> list[InputError]:
    """All problems of one file (empty list: the file is fine)."""
    path = Path(path)
    if path.suffix.lower() in ROAD_SUFFIXES:
        return _validate_road(path)
    errors: list[ScenarioError] = []
    file = str(path)
    try:
        tree = parse_file(path)
        header = read_header(tree, file)
    except ScenarioError as exc:
        return [exc]
    if schema:
        # the XSD's findings come first; the loader's go into a list of their own, because
        # load_document and expand_distribution stop at the first stage that found anything
        # in the list they are given -- a file the XSD faults would lose its semantic problems
        errors += schema_errors(tree, header.rev, file)
    if header.kind == "scenario":
        loaded: list[ScenarioError] = []
        load_document(path, None, loaded)
        errors += loaded
    elif header.kind == "distribution":
        expanded: list[ScenarioError] = []
        expand_distribution(path, 0, expanded)
        errors += expanded
    else:
        ctx = BindContext(file=file, pre_asam=header.pre_asam)
        doc = bind(tree.getroot(), REGISTRY["OpenScenario"], Scope(), ctx)
        errors += ctx.errors
        if not ctx.errors:
            check_values(doc.walk(), errors)
    return list(_dedupe(errors))


def _dedupe(errors: list[ScenarioError]) -> Iterable[ScenarioError]:
    seen = set()
    for e in errors:
        key = (e.location, e.cause)
        if key not in seen:
            seen.add(key)
            yield e


def _validate_road(path: Path) -> list[InputError]:
    try:
        from simplatform.opendrive import load_opendrive
    except ImportError:
        return [InputError("cannot check OpenDRIVE files: simplatform.opendrive is not installed", file=path)]
    try:
        load_opendrive(path)
    except InputError as exc:
        return [exc]
    return []


def validate(paths: Iterable[str | Path], *, schema: bool = False) -> list[InputError]:
    """Every problem in ``paths`` (files or folders), in file order."""
    errors: list[InputError] = []
    for p in expand_paths(paths):
        errors += validate_file(p, schema=schema)
    return errors
