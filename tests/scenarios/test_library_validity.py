"""Every file valid for the ASAM schemas and clean in the ASAM quality checkers; scenarios run.

Fast suite: one scenario per logical scenario through the XSD and the loader,
a handful through the OpenSCENARIO checker bundle and the native engine.
Slow suite (``-m slow``): all of them.
"""

from __future__ import annotations

import pytest

from scenarios.library.quality import xosc_quality_issues
from scenarios.maps.validate import quality_issues as xodr_quality_issues
from scenarios.maps.validate import schema_errors as xodr_schema_errors
from simplatform.openscenario.validation import validate_file


def _schema_and_load(entry, root) -> None:
    errors = validate_file(entry.file(root), schema=True)
    assert errors == [], f"{entry.id}: {[str(e) for e in errors[:3]]}"


def _quality(entry, root) -> None:
    issues, status = xosc_quality_issues(entry.file(root))
    assert issues == [], f"{entry.id}: {issues[:3]}"
    assert all(s in ("completed", "skipped") for s in status.values()), status
    assert status["check_asam_xosc_xml_valid_schema"] == "completed"


def _runs(entry, root) -> None:
    from simplatform.engine.run import RunConfig, run_scenario

    result = run_scenario(entry.file(root), RunConfig(dt=0.05, max_time=entry.expected_duration_s + 5.0))
    assert result.end_reason == "stop_trigger", entry.id
    assert result.sim_time <= entry.expected_duration_s + 2 * 0.05 + 1e-6   # the step after the stop condition


def test_one_scenario_per_logical_is_schema_valid_and_loads(library, one_per_logical):
    for entry in one_per_logical:
        _schema_and_load(entry, library.root)


def test_catalogs_are_schema_valid(library):
    for path in sorted((library.root / "catalogs").glob("*.xosc")):
        assert validate_file(path, schema=True) == [], path.name


def test_sample_is_clean_in_the_asam_openscenario_checker(library, one_per_logical):
    for entry in one_per_logical[::7]:
        _quality(entry, library.root)


def test_library_maps_are_valid_and_clean_in_the_asam_opendrive_checker(library):
    for name in ("highway_long", "urban_corridor"):
        path = library.root / "maps" / f"{name}.xodr"
        assert xodr_schema_errors(path) == []
        issues, status = xodr_quality_issues(path)
        assert issues == [], issues[:3]
        assert "error" not in status.values()


def test_sample_runs_to_its_end_on_the_native_engine(library, one_per_logical):
    sample = [e for e in one_per_logical if e.family != "continuous"][::6]
    assert len(sample) >= 8
    for entry in sample:
        _runs(entry, library.root)


@pytest.mark.slow
def test_every_scenario_is_schema_valid(library):
    for entry in library.entries:
        _schema_and_load(entry, library.root)


@pytest.mark.slow
def test_every_scenario_is_clean_in_the_asam_checker(library):
    for entry in library.entries:
        _quality(entry, library.root)


@pytest.mark.slow
def test_every_scenario_runs_to_its_end(library):
    for entry in library.entries:
        _runs(entry, library.root)
