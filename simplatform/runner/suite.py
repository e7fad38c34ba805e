"""Suites: which concrete scenarios to run, from a directory, the library index or a launch file.

A suite is a list of :class:`SuiteEntry`.  Three sources give one:

* a directory of ``.xosc`` files (searched recursively; the id is the path
  relative to the directory without the suffix, ``/`` replaced by ``.``; the
  family is the first sub-directory, or the directory's own name; catalogs
  are skipped and a parameter value distribution adds its concrete runs);
* the library index (``scenarios/index.yaml``; format below);
* a launch file's ``suite:`` section (``simplatform.runner.launch``), which
  names one of the two above plus filters.

Library index format (YAML, or the same structure as JSON), version 1::

    version: 1
    requirement_sets:                # name -> YAML file (metrics.load_requirement_set),
      highway: requirements/highway.yaml   # relative to the index
    scenarios:
      - id: cut_in.0001              # unique, [A-Za-z0-9._-]+ (used in file names)
        family: cut_in               # functional scenario family
        logical: cut_in              # logical scenario it was sampled from
        source: generators/cut_in.py # generator or origin (free text)
        path: generated/cut_in/cut_in_0001.xosc   # relative to the index
        parameters: {EgoSpeed: 25.0} # concrete values: those the .xosc declares are applied as global
                                     #   parameter overrides; the others describe how a concrete
                                     #   file was sampled and are recorded with the result
        tags: [highway, day, dry]    # ODD tags
        requirements: highway        # a requirement_sets name, or a .yaml path
        expected_duration: 20.0      # simulated seconds (ETA, scheduling: longest first);
                                     #   also spelt expected_duration_s
        map: highway_straight        # informative keys the runner accepts and ignores:
        goal: [x, y, radius]         #   map, goal (the harness reads the ego's simplatform.goal
        description: free text       #   property from the .xosc itself), description

The top level may also carry ``format: simplatform-scenario-index`` (the
library writes ``scenarios/index.json``).

Filters (``select``): ``--family`` and ``--tag`` match exactly (any of the
given values), ``--id`` is a shell glob (``fnmatch``); all given filters must
hold.  ``per_logical`` then keeps the first N concrete scenarios of each
logical scenario (in index order): a subset that still covers every logical
scenario, for smoke runs.
"""

from __future__ import annotations

import contextlib
import fnmatch
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterable, Sequence

from simplatform.errors import ConfigError
from simplatform.runner.yamlio import check_keys, line_of, load_located

ID_PATTERN = re.compile(r"^[A-Za-z0-9._-]+$")
INDEX_NAMES = ("index.yaml", "index.yml", "index.json")
_ENTRY_KEYS = {"id", "family", "logical", "source", "path", "parameters", "tags", "requirements",
               "expected_duration", "expected_duration_s", "map", "goal", "description"}
INDEX_FORMAT = "simplatform-scenario-index"


@dataclass(frozen=True)
class SuiteEntry:
    """One concrete scenario of a suite: what to run and how to file its result."""

    scenario_id: str
    path: Path
    family: str = ""
    tags: tuple[str, ...] = ()
    parameters: dict[str, Any] = field(default_factory=dict)
    requirements: str | None = None
    logical: str = ""
    source: str = ""
    expected_duration: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"scenario_id": self.scenario_id, "path": str(self.path), "family": self.family,
                "tags": list(self.tags), "parameters": dict(self.parameters), "requirements": self.requirements,
                "logical": self.logical, "source": self.source, "expected_duration": self.expected_duration}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "SuiteEntry":
        return cls(d["scenario_id"], Path(d["path"]), d.get("family", ""), tuple(d.get("tags", ())),
                   dict(d.get("parameters", {})), d.get("requirements"), d.get("logical", ""),
                   d.get("source", ""), d.get("expected_duration"))


@dataclass(frozen=True)
class LibraryIndex:
    """A parsed index: its entries and the requirement sets they name (name -> absolute path)."""

    path: Path
    entries: tuple[SuiteEntry, ...]
    requirement_sets: dict[str, Path]


def default_library_index() -> Path:
    """``scenarios/index.yaml`` (or .json) of the source tree this package runs from."""
    root = Path(__file__).resolve().parents[2] / "scenarios"
    for name in INDEX_NAMES:
        if (root / name).is_file():
            return root / name
    raise ConfigError(f"the scenario library has no index yet (looked for {', '.join(INDEX_NAMES)})",
                      file=root)


def load_directory(directory: str | Path, *, seed: int = 0) -> list[SuiteEntry]:
    """Every scenario under ``directory`` (sorted by id), families from sub-directories.

    A directory as users keep it (esmini's ``resources/xosc`` is one) also holds catalog files,
    which only define what scenarios reference, and parameter value distributions: catalogs are
    left out, and a distribution becomes its concrete runs (``<id>_0000``, ``<id>_0001``, …,
    stochastic ones drawn with ``seed`` unless the file sets its own ``randomSeed``), each the
    scenario it names with that run's parameter values, its ``logical`` the distribution's id."""
    root = Path(directory)
    if not root.is_dir():
        raise ConfigError("not a directory", file=root)
    entries = []
    for path in sorted(root.rglob("*.xosc")):
        kind = document_kind(path)
        if kind == "catalog":
            continue
        rel = path.relative_to(root).with_suffix("")
        scenario_id = ".".join(rel.parts)
        scenario_id = re.sub(r"[^A-Za-z0-9._-]", "_", scenario_id)
        family = rel.parts[0] if len(rel.parts) > 1 else root.resolve().name
        if kind == "distribution":
            entries += _distribution_entries(path, scenario_id, family, seed)
        else:
            entries.append(SuiteEntry(scenario_id, path.resolve(), family))
    if not entries:
        raise ConfigError("no .xosc scenario files in this directory (catalogs are not run)", file=root)
    _check_unique(entries, root)
    return entries


def document_kind(path: Path) -> str:
    """``"catalog"``, ``"distribution"`` or ``"scenario"``, from the first element after ``<FileHeader>``.

    Only the file's head is read (a library directory holds a thousand scenarios).  A file that
    cannot be read this far counts as a scenario, so that its run reports the problem with file
    and line."""
    from lxml import etree

    depth = 0
    with contextlib.suppress(etree.XMLSyntaxError, OSError):   # a broken file: its run says where
        for event, element in etree.iterparse(str(path), events=("start", "end"), resolve_entities=False,
                                              no_network=True, load_dtd=False):
            if event == "end":
                depth -= 1
                continue
            depth += 1
            tag = element.tag.rpartition("}")[2] if isinstance(element.tag, str) else ""
            if depth == 2 and tag != "FileHeader":
                return {"Catalog": "catalog", "ParameterValueDistribution": "distribution"}.get(tag, "scenario")
    return "scenario"


def _distribution_entries(path: Path, scenario_id: str, family: str, seed: int) -> list[SuiteEntry]:
    from simplatform.openscenario.distributions import load_distribution

    return [SuiteEntry(f"{scenario_id}_{run.index:04d}", Path(run.scenario_path).resolve(), family,
                       parameters=dict(run.parameters), logical=scenario_id, source=str(path.resolve()))
            for run in load_distribution(path, seed=seed)]


def load_index(path: str | Path) -> LibraryIndex:
    """Parse a library index (format in the module docstring); every defect names file and line."""
    path = Path(path)
    if path.is_dir():
        found = [path / n for n in INDEX_NAMES if (path / n).is_file()]
        if not found:
            raise ConfigError(f"no {' or '.join(INDEX_NAMES)} here", file=path)
        path = found[0]
    data = load_located(path)
    if not isinstance(data, dict) or not isinstance(data.get("scenarios"), list):
        raise ConfigError("an index is a mapping with a 'scenarios' list", file=path, line=line_of(data))
    check_keys(data, {"format", "version", "requirement_sets", "scenarios"}, file=path, element="index")
    if data.get("format", INDEX_FORMAT) != INDEX_FORMAT:
        raise ConfigError(f"format {data.get('format')!r} is not {INDEX_FORMAT!r}", file=path, line=line_of(data),
                          element="format")
    if data.get("version", 1) != 1:
        raise ConfigError(f"unsupported index version {data.get('version')!r} (this runner reads 1)",
                          file=path, line=line_of(data), element="version")
    base = path.parent.resolve()
    sets_raw = data.get("requirement_sets") or {}
    if not isinstance(sets_raw, dict):
        raise ConfigError("requirement_sets maps a name to a YAML file", file=path, line=line_of(data))
    sets = {str(k): (base / str(v)).resolve() for k, v in sets_raw.items()}
    entries = [_index_entry(item, k, path, base) for k, item in enumerate(data["scenarios"])]
    _check_unique(entries, path)
    for e in entries:
        if e.requirements and e.requirements not in sets and not e.requirements.endswith((".yaml", ".yml")):
            default = base / "requirements" / f"{e.requirements}.yaml"
            if not default.is_file():
                raise ConfigError(f"scenario {e.scenario_id!r} names requirement set {e.requirements!r}, which "
                                  f"is neither in requirement_sets nor at {default}", file=path,
                                  element="requirements")
            sets[e.requirements] = default
    # the runner needs files, not names: resolve each entry's set to its path now
    resolved = []
    for e in entries:
        req = e.requirements
        if req:
            req_path = sets[req] if req in sets else (base / req).resolve()
            if not req_path.is_file():
                raise ConfigError(f"requirement set {req!r} of scenario {e.scenario_id!r}: {req_path} does not "
                                  "exist", file=path, element="requirements")
            req = str(req_path)
        resolved.append(replace(e, requirements=req))
    return LibraryIndex(path.resolve(), tuple(resolved), sets)


def _index_entry(item: Any, k: int, file: Path, base: Path) -> SuiteEntry:
    where = f"scenarios[{k}]"
    if not isinstance(item, dict):
        raise ConfigError("each scenario is a mapping with at least id and path", file=file, element=where)
    line = line_of(item)
    check_keys(item, _ENTRY_KEYS, file=file, element=where)
    for key in ("id", "path"):
        if not item.get(key):
            raise ConfigError(f"missing {key!r}", file=file, line=line, element=where)
    sid = str(item["id"])
    if not ID_PATTERN.match(sid):
        raise ConfigError(f"id {sid!r} may hold only letters, digits, '.', '_' and '-'", file=file, line=line,
                          element=where)
    scenario_path = (base / str(item["path"])).resolve()
    if not scenario_path.is_file():
        raise ConfigError(f"scenario file {scenario_path} does not exist", file=file, line=line, element=sid)
    tags = item.get("tags") or []
    params = item.get("parameters") or {}
    if not isinstance(tags, list) or not isinstance(params, dict):
        raise ConfigError("tags is a list and parameters a mapping", file=file, line=line, element=sid)
    duration = item.get("expected_duration", item.get("expected_duration_s"))
    try:
        duration = float(duration) if duration is not None else None
    except (TypeError, ValueError):
        raise ConfigError(f"expected_duration must be a number, got {duration!r}", file=file, line=line,
                          element=sid) from None
    reqs = item.get("requirements")
    return SuiteEntry(sid, scenario_path, str(item.get("family", "")), tuple(str(t) for t in tags),
                      {str(k): v for k, v in params.items()}, str(reqs) if reqs else None,
                      str(item.get("logical", "")), str(item.get("source", "")), duration)


def _check_unique(entries: Sequence[SuiteEntry], source: Path) -> None:
    seen: set[str] = set()
    for e in entries:
        if e.scenario_id in seen:
            raise ConfigError(f"scenario id {e.scenario_id!r} appears twice", file=source, element=e.scenario_id)
        seen.add(e.scenario_id)


def select(entries: Iterable[SuiteEntry], *, families: Sequence[str] = (), tags: Sequence[str] = (),
           ids: Sequence[str] = (), per_logical: int = 0) -> list[SuiteEntry]:
    """Entries matching every given filter: a family of ``families``, a tag of ``tags``, an id glob of ``ids``;
    with ``per_logical`` > 0, at most that many per logical scenario (entries without one count by family)."""
    out = []
    taken: dict[tuple[str, str], int] = {}
    for e in entries:
        if families and e.family not in families:
            continue
        if tags and not set(tags) & set(e.tags):
            continue
        if ids and not any(fnmatch.fnmatchcase(e.scenario_id, g) for g in ids):
            continue
        if per_logical > 0:
            key = (e.family, e.logical)
            if taken.get(key, 0) >= per_logical:
                continue
            taken[key] = taken.get(key, 0) + 1
        out.append(e)
    return out
