"""Requirements: ``"<metric> <op> <value> [unit]"`` with an id, a text and an optional scope.

Sets are YAML, checked completely when they load, so a typo fails the suite
before the first step and names file, line and cause::

    requirements:
      - id: SAF-1
        text: Keep a time to collision of at least 1.5 s
        check: ttc_min >= 1.5 s
      - id: FUN-3
        text: Brake within 1.2 s of a V2X hazard warning
        check: decel_max >= 2 m/s^2
        after: v2x_warning       # scope: an event kind (or "time")
        within: 3.0              # seconds after the event (optional)
      - id: COM-1
        check: jerk_long_max <= 5
        window: [2.0, 10.0]      # absolute time window (s)

A run overrides a family's set by id (``merge``): an entry with the same id
replaces it, ``disabled: true`` removes it, new ids are added.
"""

from __future__ import annotations

import hashlib

import math
import operator
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable

import yaml

from metrics.base import scalar_spec
from metrics.units import to_si
from simplatform.errors import RequirementError

OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq, "!=": operator.ne,
}
_CHECK = re.compile(
    r"^\s*(?P<metric>[A-Za-z_][A-Za-z0-9_]*)\s*(?P<op><=|>=|==|!=|<|>|=<|=>|=)\s*"
    r"(?P<value>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|inf)\s*(?P<unit>\S+)?\s*$"
)


@dataclass(frozen=True)
class Scope:
    """Where a requirement applies: an absolute window [start, end] (s), or ``within`` seconds
    after each ``after`` event (an event kind a metric emits, e.g. ``collision``, ``v2x_warning``)."""

    start: float = -math.inf
    end: float = math.inf
    after: str | None = None
    within: float = math.inf


@dataclass(frozen=True)
class Requirement:
    id: str
    text: str
    check: str
    metric: str
    op: str
    threshold: float
    scope: Scope | None = None
    source: str | None = None
    line: int | None = None

    def holds(self, value: float) -> bool:
        return OPERATORS[self.op](value, self.threshold)


def parse_check(check: str, *, file: str | None = None, line: int | None = None, element: str | None = None) -> tuple[str, str, float]:
    """Split and validate a check: (scalar name, operator, threshold in the scalar's SI unit)."""
    def fail(cause: str) -> RequirementError:
        return RequirementError(f"check {check!r}: {cause}", file=file, line=line, element=element)

    m = _CHECK.match(str(check))
    if m is None:
        raise fail("expected '<metric> <op> <number> [unit]' with op one of < <= > >= == !=")
    name, op, unit = m["metric"], m["op"], m["unit"]
    if op in ("=", "=<", "=>"):
        raise fail(f"bad operator {op!r}; use one of < <= > >= == !=")
    found = scalar_spec(name)
    if found is None:
        raise fail(f"unknown metric {name!r}" + _suggest(name))
    spec = found[1]
    value = float(m["value"])
    if unit is not None and unit != spec.unit:
        try:
            value = to_si(value, unit, spec.dimension)
        except ValueError as exc:
            raise fail(str(exc)) from None
    if spec.dimension in ("count", "flag") and (value < 0 or value != int(value)):
        raise fail(f"{name} is a {spec.dimension}; compare it with a whole number ≥ 0")
    if spec.unit == "%" and not 0 <= value <= 100:
        raise fail(f"{name} is a percentage; {value:g} is outside 0..100")
    return name, op, value


def _suggest(name: str) -> str:
    import difflib

    from metrics.base import all_scalars
    close = difflib.get_close_matches(name, list(all_scalars()), n=3)
    return f" (did you mean {', '.join(close)}?)" if close else ""


@dataclass(frozen=True)
class RequirementSet:
    requirements: tuple[Requirement, ...]
    source: str | None = None

    def __iter__(self):
        return iter(self.requirements)

    def __len__(self) -> int:
        return len(self.requirements)

    def merge(self, override: "RequirementSet") -> "RequirementSet":
        """The family set with a run's overrides applied by id (see module docstring)."""
        by_id = {r.id: r for r in self.requirements}
        for r in override.requirements:
            if r.check == "":
                by_id.pop(r.id, None)
            else:
                by_id[r.id] = r
        return RequirementSet(tuple(by_id.values()), self.source)


def requirement(id: str, check: str, text: str = "", scope: Scope | None = None) -> Requirement:
    """Build one requirement in code (validated like a YAML entry)."""
    name, op, value = parse_check(check, element=id)
    return Requirement(id, text or check, check, name, op, value, scope)


_LOADED: dict[tuple[str, bytes], RequirementSet] = {}
"""Parsed sets by (path, digest of the file's bytes): a suite worker reads its family's set once, not once per
scenario (parsing cost ~11 ms a scenario, ~14 s of CPU over the library; reading and hashing the file a few µs).
Keyed by content, not by mtime and size: a same-size rewrite within one timestamp tick is parsed again.
RequirementSet is frozen, so sharing is safe."""


def load_requirement_set(path: str | Path) -> RequirementSet:
    """The requirement set in a YAML file (RequirementError naming file and line for every defect)."""
    data = Path(path).read_bytes()
    key = (str(path), hashlib.blake2b(data, digest_size=16).digest())
    found = _LOADED.get(key)
    if found is None:
        found = parse_requirement_set(data.decode("utf-8"), str(path))
        if len(_LOADED) >= 256:
            _LOADED.clear()
        _LOADED[key] = found
    return found


def parse_requirement_set(text: str, source: str = "<string>") -> RequirementSet:
    """Parse a YAML requirement set; RequirementError names file, line and cause for every defect."""
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise RequirementError(f"not valid YAML: {getattr(exc, 'problem', exc)}", file=source,
                               line=mark.line + 1 if mark else None) from None
    if root is None:
        return RequirementSet((), source)
    items = root
    if isinstance(root, yaml.MappingNode):
        found = [v for k, v in root.value if k.value == "requirements"]
        if not found:
            raise RequirementError("expected a top-level 'requirements:' list", file=source, line=root.start_mark.line + 1)
        items = found[0]
    if not isinstance(items, yaml.SequenceNode):
        raise RequirementError("'requirements' must be a list", file=source, line=items.start_mark.line + 1)
    out, seen = [], {}
    for node in items.value:
        req = _parse_entry(node, source)
        if req.id in seen:
            raise RequirementError(f"duplicate requirement id {req.id!r} (first at line {seen[req.id]})",
                                   file=source, line=req.line, element=req.id)
        seen[req.id] = req.line
        out.append(req)
    return RequirementSet(tuple(out), source)


def _parse_entry(node: Any, source: str) -> Requirement:
    line = node.start_mark.line + 1
    if not isinstance(node, yaml.MappingNode):
        raise RequirementError("each requirement must be a mapping with id and check", file=source, line=line)
    fields = {k.value: v for k, v in node.value}
    data = yaml.safe_load(yaml.serialize(node))
    allowed = {"id", "text", "check", "window", "after", "within", "disabled"}
    unknown = sorted(set(fields) - allowed)
    if unknown:
        raise RequirementError(f"unknown key {unknown[0]!r} (allowed: {', '.join(sorted(allowed))})",
                               file=source, line=fields[unknown[0]].start_mark.line + 1)
    rid = data.get("id")
    if rid in (None, ""):
        raise RequirementError("requirement without 'id'", file=source, line=line)
    rid = str(rid)
    if data.get("disabled"):
        return Requirement(rid, "", "", "", "==", 0.0, None, source, line)
    if "check" not in data:
        raise RequirementError("requirement without 'check'", file=source, line=line, element=rid)
    check_line = fields["check"].start_mark.line + 1
    name, op, value = parse_check(str(data["check"]), file=source, line=check_line, element=rid)
    scope = _parse_scope(data, fields, source, rid)
    if scope is not None:
        spec = scalar_spec(name)[1]
        if spec.aggregate in ("final", "flag"):
            raise RequirementError(f"{name} is a whole-run value and cannot be scoped to a window or event",
                                   file=source, line=check_line, element=rid)
    return Requirement(rid, str(data.get("text", data["check"])), str(data["check"]), name, op, value, scope, source, line)


def _parse_scope(data: dict, fields: dict, source: str, rid: str) -> Scope | None:
    if not any(k in data for k in ("window", "after", "within")):
        return None
    where = fields.get("window") or fields.get("after") or fields.get("within")
    line = where.start_mark.line + 1
    try:
        start, end = (-math.inf, math.inf)
        if "window" in data:
            start, end = (float(v) for v in data["window"])
            if end < start:
                raise ValueError("window end before its start")
        within = float(data.get("within", math.inf))
        if within < 0:
            raise ValueError("'within' must be ≥ 0")
        after = data.get("after")
        if "within" in data and after is None:
            raise ValueError("'within' needs an 'after' event")
    except (TypeError, ValueError) as exc:
        raise RequirementError(f"bad scope: {exc}", file=source, line=line, element=rid) from None
    return Scope(start, end, str(after) if after is not None else None, within)


def with_scope(req: Requirement, scope: Scope | None) -> Requirement:
    return replace(req, scope=scope)


def requirements_for_run(family: str | Path | None = None, override: str | Path | None = None,
                         scenario: str | Path | None = None) -> RequirementSet:
    """The requirements one run is judged by: the scenario family's set (library index), the
    ScenarioRunner ``criteria_*`` conditions of the .xosc, then the run's override by id.
    Everything is validated here, before the run starts."""
    from metrics.xosc_criteria import criteria_from_openscenario

    merged = load_requirement_set(family) if family is not None else RequirementSet(())
    if scenario is not None:
        merged = merged.merge(RequirementSet(criteria_from_openscenario(scenario), str(scenario)))
    if override is not None:
        merged = merged.merge(load_requirement_set(override))
    return merged
