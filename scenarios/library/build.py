"""Build the library: catalogs, requirement sets, every concrete scenario and the index.

``python -m scenarios.library.build`` (or ``simplatform scenarios build``)
rewrites ``scenarios/{catalogs,requirements,typical,continuous,cooperative,urban}``
and ``scenarios/index.json``; the output is byte-identical from run to run,
and a test regenerates it and compares.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable, Iterator

from scenarios.library.builder import Concrete, scenario_text
from scenarios.library.index import FAMILIES, LIBRARY_ROOT, IndexEntry, index_text
from scenarios.library.requirements import REQUIREMENT_SETS, requirement_files, requirement_yaml


def generators() -> list[Callable[[], Iterator[Concrete]]]:
    """Every logical-scenario generator module's ``generate``, in index order."""
    from scenarios.library import (
        continuous, cooperative, typical_aeb, typical_alks, typical_highway, typical_lss, typical_vru, urban,
    )
    return [typical_aeb.generate, typical_vru.generate, typical_lss.generate, typical_alks.generate,
            typical_highway.generate, continuous.generate, cooperative.generate, urban.generate]


def concrete_scenarios() -> Iterator[Concrete]:
    seen: set[str] = set()
    for gen in generators():
        for c in gen():
            if c.id in seen:
                raise ValueError(f"duplicate scenario id {c.id}")
            if c.family not in FAMILIES or c.requirements not in REQUIREMENT_SETS:
                raise ValueError(f"{c.id}: bad family {c.family!r} or requirement set {c.requirements!r}")
            seen.add(c.id)
            yield c


def entry_of(c: Concrete) -> IndexEntry:
    tags = sorted(set(c.tags) | {f"feature:{f}" for f in _features(c)})
    return IndexEntry(c.id, c.family, c.logical, c.source, f"{c.family}/{c.id}.xosc", c.map, c.parameters,
                      tuple(tags), c.requirements, c.expected_duration_s, c.goal, c.description)


def _features(c: Concrete) -> set[str]:
    return set(c.features)


def library_files(root: Path = LIBRARY_ROOT) -> dict[Path, str]:
    """Every generated file's path and text (nothing written)."""
    from scenarios.library.catalogs import catalog_files, AUTHOR, DATE, OSC_MINOR
    from scenariogeneration import xosc

    files: dict[Path, str] = {}
    for stem, (name, entries) in catalog_files().items():
        cat = xosc.CatalogFile()
        cat.create_catalog(str(root / "catalogs" / f"{stem}.xosc"), name, f"simplatform library {name}", AUTHOR,
                           creation_date=DATE)
        cat.catalog_element.find("FileHeader").set("revMinor", str(OSC_MINOR))
        for e in entries:
            cat.add_to_catalog(e)
        files[root / "catalogs" / f"{stem}.xosc"] = scenario_text(cat.catalog_element)
    for name, rel in requirement_files().items():
        files[root / rel] = requirement_yaml(name)
    entries = []
    for c in concrete_scenarios():
        entry = entry_of(c)
        files[root / entry.path] = scenario_text(c.scenario)
        entries.append(entry)
    files[root / "index.json"] = index_text(entries, requirement_files())
    return files


def build(root: Path = LIBRARY_ROOT) -> list[Path]:
    """Write the library under ``root``; stale generated scenario files are removed."""
    files = library_files(root)
    for family in FAMILIES:
        folder = root / family
        if folder.is_dir():
            for old in folder.glob("*.xosc"):
                if old not in files:
                    old.unlink()
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
    return sorted(files)


def main(argv: list[str] | None = None) -> int:
    paths = build()
    print(f"wrote {len(paths)} files under {LIBRARY_ROOT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
