"""The library index (``scenarios/index.json``): one record per concrete scenario.

Format (for the suite runner; described in /work/notes/library_index.md):
a JSON object ``{"format": "simplatform-scenario-index", "version": 1,
"requirement_sets": {name: path}, "scenarios": [record, ...]}`` where each
record has ``id``, ``family`` (typical | continuous | cooperative | urban),
``logical``, ``source``, ``path`` (relative to ``scenarios/``), ``map``,
``parameters``, ``tags`` (ODD tags ``key:value``), ``requirements`` (a
requirement-set name), ``expected_duration_s``, ``goal`` ([x, y, radius] or
null) and ``description``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simplatform.errors import InputError

FAMILIES = ("typical", "continuous", "cooperative", "urban")
INDEX_FORMAT = "simplatform-scenario-index"
LIBRARY_ROOT = Path(__file__).resolve().parents[1]
INDEX_PATH = LIBRARY_ROOT / "index.json"


@dataclass(frozen=True)
class IndexEntry:
    id: str
    family: str
    logical: str
    source: str
    path: str
    map: str
    parameters: dict[str, Any]
    tags: tuple[str, ...]
    requirements: str
    expected_duration_s: float
    goal: tuple[float, float, float] | None = None
    description: str = ""

    def file(self, root: Path = LIBRARY_ROOT) -> Path:
        return Path(root) / self.path

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "family": self.family, "logical": self.logical, "source": self.source,
                "path": self.path, "map": self.map, "parameters": self.parameters, "tags": list(self.tags),
                "requirements": self.requirements, "expected_duration_s": self.expected_duration_s,
                "goal": list(self.goal) if self.goal else None, "description": self.description}


@dataclass(frozen=True)
class LibraryIndex:
    entries: tuple[IndexEntry, ...]
    requirement_sets: dict[str, str] = field(default_factory=dict)
    root: Path = LIBRARY_ROOT

    def by_id(self, scenario_id: str) -> IndexEntry:
        for e in self.entries:
            if e.id == scenario_id:
                return e
        raise KeyError(scenario_id)

    def select(self, family: str | None = None, tags: tuple[str, ...] = (), logical: str | None = None
               ) -> list[IndexEntry]:
        """Entries of ``family`` carrying every tag in ``tags`` (a tag 'key:' matches any value of key)."""
        out = []
        for e in self.entries:
            if family and e.family != family:
                continue
            if logical and e.logical != logical:
                continue
            if all(_has_tag(e.tags, t) for t in tags):
                out.append(e)
        return out


def _has_tag(tags: tuple[str, ...], wanted: str) -> bool:
    if wanted.endswith(":"):
        return any(t.startswith(wanted) for t in tags)
    return wanted in tags


def index_text(entries: list[IndexEntry], requirement_sets: dict[str, str]) -> str:
    doc = {"format": INDEX_FORMAT, "version": 1, "requirement_sets": dict(sorted(requirement_sets.items())),
           "scenarios": [e.as_json() for e in entries]}
    return json.dumps(doc, indent=1, sort_keys=False, ensure_ascii=False) + "\n"


def load_index(path: str | Path = INDEX_PATH) -> LibraryIndex:
    """Read the index; a malformed file raises InputError naming the file and the record."""
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("no scenario index (run 'simplatform scenarios build')", file=str(path)) from None
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc.msg}", file=str(path), line=exc.lineno) from None
    if not isinstance(doc, dict) or doc.get("format") != INDEX_FORMAT:
        raise InputError(f"not a {INDEX_FORMAT} file", file=str(path))
    entries = []
    for k, rec in enumerate(doc.get("scenarios", [])):
        try:
            entries.append(IndexEntry(
                id=rec["id"], family=rec["family"], logical=rec["logical"], source=rec["source"], path=rec["path"],
                map=rec["map"], parameters=dict(rec["parameters"]), tags=tuple(rec["tags"]),
                requirements=rec["requirements"], expected_duration_s=float(rec["expected_duration_s"]),
                goal=tuple(rec["goal"]) if rec.get("goal") else None, description=rec.get("description", "")))
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"scenario record {k} is malformed ({exc!r})", file=str(path),
                             element=str(rec.get("id", k)) if isinstance(rec, dict) else str(k)) from None
    return LibraryIndex(tuple(entries), dict(doc.get("requirement_sets", {})), path.parent)
