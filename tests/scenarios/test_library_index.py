"""The index: the acceptance numbers, paths, tags and requirement sets of the library."""

from __future__ import annotations

import collections
import re
from pathlib import Path

import pytest

from metrics import load_requirement_set
from scenarios.library.index import FAMILIES, IndexEntry, LibraryIndex, load_index
from simplatform.errors import InputError


def test_more_than_1000_scenarios_150_per_family_60_logical(library):
    by_family = collections.Counter(e.family for e in library.entries)
    assert len(library.entries) >= 1000
    assert set(by_family) == set(FAMILIES)
    assert min(by_family.values()) >= 150, by_family
    assert len({e.logical for e in library.entries}) >= 60


def test_ids_unique_and_every_file_present(library):
    ids = [e.id for e in library.entries]
    assert len(ids) == len(set(ids))
    for e in library.entries:
        assert e.file(library.root).is_file(), e.path
        assert e.path == f"{e.family}/{e.id}.xosc"
        assert (library.root / "maps" / f"{e.map}.xodr").is_file()


def test_no_stray_scenario_files(library):
    on_disk = {p.relative_to(library.root).as_posix() for f in FAMILIES for p in (library.root / f).glob("*.xosc")}
    assert on_disk == {e.path for e in library.entries}


def test_every_record_cites_a_source_and_carries_odd_tags(library):
    tag = re.compile(r"^[a-z_0-9]+:[A-Za-z_0-9.\-]+$")
    for e in library.entries:
        assert e.source.strip(), e.id
        assert e.expected_duration_s > 0
        assert all(tag.match(t) for t in e.tags), (e.id, e.tags)
        assert any(t.startswith("road:") for t in e.tags), e.id
        assert e.goal is not None and len(e.goal) == 3, e.id


def test_every_requirement_set_loads_with_the_metrics_loader(library):
    assert set(library.requirement_sets) >= {e.requirements for e in library.entries}
    for name, rel in library.requirement_sets.items():
        req = load_requirement_set(library.root / rel)
        assert len(req) >= 2, name


def test_continuous_routes_are_long(library):
    for e in library.select("continuous"):
        assert e.expected_duration_s >= 180.0, e.id
        assert e.parameters["route_length_m"] >= 3000.0, e.id


def test_cooperative_scenarios_carry_v2x_messages(library):
    for e in library.select("cooperative")[::10]:
        text = e.file(library.root).read_text(encoding="utf-8")
        assert 'type="simplatform.v2x"' in text and 'v2x.equipped' in text, e.id


def test_select_by_family_and_tag_prefix(library):
    night_vru = library.select("typical", ("actor:pedestrian", "light:night"))
    assert night_vru and all(e.family == "typical" and "light:night" in e.tags for e in night_vru)
    assert len(library.select(tags=("junction:",))) > len(library.select(tags=("junction:roundabout",)))


def test_malformed_index_names_the_file(tmp_path: Path):
    bad = tmp_path / "index.json"
    bad.write_text('{"format": "simplatform-scenario-index", "scenarios": [{"id": "x"}]}')
    with pytest.raises(InputError, match="record 0"):
        load_index(bad)
    bad.write_text("{not json")
    with pytest.raises(InputError, match="not valid JSON"):
        load_index(bad)
