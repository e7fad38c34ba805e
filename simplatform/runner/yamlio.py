"""YAML (and JSON, a subset of YAML 1.2) read with the line of every mapping kept.

Why: a bad index or launch file must be reported the way a compiler would —
file, line, key, cause (DESIGN.md "Errors") — and ``yaml.safe_load`` forgets
where things were.  ``LocatedDict`` is a ``dict`` that also knows its line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from simplatform.errors import ConfigError


class LocatedDict(dict):
    """A mapping from a YAML file that remembers the 1-based line it starts on."""

    line: int | None = None


def _construct_located_mapping(self, node, deep=False):
    mapping = LocatedDict(self.construct_mapping(node, deep=True))
    mapping.line = node.start_mark.line + 1
    return mapping


class _PyLineLoader(yaml.SafeLoader):
    """The pure-Python scanner and parser (always there)."""


_PyLineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_located_mapping)

if getattr(yaml, "__with_libyaml__", False):
    class _CLineLoader(yaml.CSafeLoader):
        """libyaml's scanner and parser with PyYAML's safe constructor and resolver, so the values
        (and the lines, from the C parser's node marks) are the pure loader's.  Why: the library
        index (1,284 entries) took ~2 s of CPU in the pure-Python scanner at every suite start,
        ~0.3 s in libyaml (PyYAML docs, "LibYAML bindings")."""

    _CLineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_located_mapping)
    _LineLoader: type = _CLineLoader
else:  # pragma: no cover — PyYAML built without libyaml
    _LineLoader = _PyLineLoader


def load_located(path: str | Path) -> Any:
    """Parse a YAML or JSON file; errors become ``ConfigError`` naming the file and line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror or exc}", file=path) from None
    try:
        return yaml.load(text, Loader=_LineLoader)  # noqa: S506 — a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ConfigError(f"not valid YAML/JSON: {getattr(exc, 'problem', None) or exc}", file=path,
                          line=mark.line + 1 if mark else None) from None


def line_of(value: Any) -> int | None:
    return getattr(value, "line", None)


def check_keys(mapping: dict, allowed: set[str], *, file: str | Path, element: str) -> None:
    """Reject keys nobody reads: a typo in a launch file must not be silently ignored."""
    unknown = sorted(set(mapping) - allowed)
    if unknown:
        raise ConfigError(f"unknown key {unknown[0]!r} (allowed: {', '.join(sorted(allowed))})",
                          file=file, line=line_of(mapping), element=element)
