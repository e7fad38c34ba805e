"""Generation is deterministic and the committed files are what the generators write."""

from __future__ import annotations

import pytest

from scenarios.library.build import library_files
from scenarios.library.index import LIBRARY_ROOT
from scenarios.maps import MAPS_DIR
from scenarios.maps.library_maps import LIBRARY_MAPS, finish_library_map


def test_library_maps_are_unchanged():
    for name in LIBRARY_MAPS:
        assert finish_library_map(name) == (MAPS_DIR / f"{name}.xodr").read_text(encoding="utf-8"), name


@pytest.mark.slow
def test_every_generated_file_matches_the_committed_one():
    files = library_files(LIBRARY_ROOT)
    assert len(files) > 1000
    changed = [str(p.relative_to(LIBRARY_ROOT)) for p, text in files.items()
               if not p.is_file() or p.read_text(encoding="utf-8") != text]
    assert changed == [], f"{len(changed)} files differ, e.g. {changed[:5]}; run 'simplatform scenarios build'"


def test_one_family_module_regenerates_identically():
    """The fast check: the cooperative generator (every application) twice, and against the files."""
    from scenarios.library import cooperative
    from scenarios.library.builder import scenario_text

    first = {c.id: scenario_text(c.scenario) for c in cooperative.generate()}
    second = {c.id: scenario_text(c.scenario) for c in cooperative.generate()}
    assert first == second
    for sid, text in list(first.items())[::7]:
        assert (LIBRARY_ROOT / "cooperative" / f"{sid}.xosc").read_text(encoding="utf-8") == text, sid
    assert "2026-01-01T00:00:00" in next(iter(first.values()))
