"""The shared test maps: each loads, is valid for the ASAM OpenDRIVE 1.7 XSD,
passes the ASAM quality checker without errors, and regenerates byte-identically."""

from __future__ import annotations

import pytest

from scenarios.maps import MAPS_DIR, map_path
from scenarios.maps.generate import MAPS, generate
from scenarios.maps.validate import quality_issues, schema_errors
from simplatform.opendrive import load_opendrive

NAMES = sorted(MAPS)


def test_every_committed_map_has_a_generator():
    # The seven shared test maps come from generate.py; the scenario library's
    # long maps from library_maps.py (checked in tests/scenarios).
    from scenarios.maps.library_maps import LIBRARY_MAPS

    assert sorted(p.stem for p in MAPS_DIR.glob("*.xodr")) == sorted([*NAMES, *LIBRARY_MAPS])


@pytest.mark.parametrize("name", NAMES)
def test_map_loads_without_problems(name):
    net = load_opendrive(map_path(name))
    assert net.roads
    assert net.problems == []
    assert (net.header.rev_major, net.header.rev_minor) == (1, 7)


@pytest.mark.parametrize("name", NAMES)
def test_map_is_valid_for_the_asam_xsd(name):
    assert schema_errors(map_path(name)) == []


@pytest.mark.parametrize("name", NAMES)
def test_map_passes_the_asam_quality_checker(name):
    issues, status = quality_issues(map_path(name))
    assert [i for i in issues if i.level == 1] == []  # IssueSeverity.ERROR
    assert [c for c, s in status.items() if s == "error"] == []  # no checker crashed
    # the semantic and smoothness rules of 1.7 did run (not skipped)
    assert status["check_asam_xodr_junctions_connection_one_connection_element"] == "completed"
    assert status["check_asam_xodr_lane_smoothness_contact_point_no_horizontal_gaps"] == "completed"


def test_generator_is_byte_identical(tmp_path):
    for path in generate(tmp_path):
        assert path.read_bytes() == (MAPS_DIR / path.name).read_bytes(), path.name


def test_quality_checker_catches_a_broken_map(tmp_path):
    """The validation helpers can fail: two <connection>s for one connecting road."""
    text = map_path("junction_t").read_text()
    start = text.index("<connection ")
    end = text.index("</connection>", start) + len("</connection>")
    broken = text[:end] + "\n" + text[start:end].replace('id="0"', 'id="99"') + text[end:]
    path = tmp_path / "broken.xodr"
    path.write_text(broken)
    issues, _ = quality_issues(path)
    assert any(i.level == 1 and "one_connection_element" in i.rule_uid for i in issues)
    bad_schema = tmp_path / "bad_schema.xodr"
    bad_schema.write_text(text.replace('type="default"', 'type="sideways"', 1))
    assert schema_errors(bad_schema)
