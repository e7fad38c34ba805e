"""A scenario directory as users keep one: catalogs beside the scenarios, parameter value distributions."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import runner_suite_files as files  # noqa: E402

from simplatform.errors import ScenarioError  # noqa: E402
from simplatform.runner import load_directory  # noqa: E402
from simplatform.runner.suite import document_kind  # noqa: E402

HEADER = '<FileHeader revMajor="1" revMinor="2" date="2024-01-01T00:00:00" description="d" author="t"/>'
CATALOG = f'''<?xml version="1.0"?>
<OpenSCENARIO>{HEADER}<Catalog name="VehicleCatalog"><Vehicle name="car" vehicleCategory="car">
<BoundingBox><Center x="1.4" y="0" z="0.9"/><Dimensions width="1.8" length="4.5" height="1.5"/></BoundingBox>
<Performance maxSpeed="69" maxAcceleration="10" maxDeceleration="10"/><Axles>
<FrontAxle maxSteering="0.5" wheelDiameter="0.8" trackWidth="1.68" positionX="2.98" positionZ="0.4"/>
<RearAxle maxSteering="0" wheelDiameter="0.8" trackWidth="1.68" positionX="0" positionZ="0.4"/></Axles>
</Vehicle></Catalog></OpenSCENARIO>'''


def distribution(scenario: str, values: tuple[float, ...]) -> str:
    elements = "".join(f'<ParameterValueSet><ParameterAssignment parameterRef="LeadDecel" value="{v}"/>'
                       '</ParameterValueSet>' for v in values)
    return (f'<?xml version="1.0"?>\n<OpenSCENARIO>{HEADER}<ParameterValueDistribution>'
            f'<ScenarioFile filepath="{scenario}"/><Deterministic><DeterministicMultiParameterDistribution>'
            f'<ValueSetDistribution>{elements}</ValueSetDistribution></DeterministicMultiParameterDistribution>'
            '</Deterministic></ParameterValueDistribution></OpenSCENARIO>')


@pytest.fixture
def user_directory(tmp_path) -> Path:
    road = files.straight_road(tmp_path / "road.xodr")
    files.lead_brake(tmp_path / "brake.xosc", str(road), decel=0.0)
    (tmp_path / "Catalogs" / "Vehicles").mkdir(parents=True)
    (tmp_path / "Catalogs" / "Vehicles" / "VehicleCatalog.xosc").write_text(CATALOG)
    (tmp_path / "sweep.xosc").write_text(distribution("brake.xosc", (2.0, 6.0)))
    return tmp_path


def test_catalogs_are_not_run_and_a_distribution_adds_its_concrete_runs(user_directory):
    entries = load_directory(user_directory)
    assert [e.scenario_id for e in entries] == ["brake", "sweep_0000", "sweep_0001"]
    runs = entries[1:]
    assert [e.parameters for e in runs] == [{"LeadDecel": "2.0"}, {"LeadDecel": "6.0"}]   # as the file spells them
    assert all(e.path == (user_directory / "brake.xosc").resolve() and e.logical == "sweep" for e in runs)


def test_document_kind_reads_only_the_head_and_a_broken_file_counts_as_a_scenario(user_directory, tmp_path):
    assert document_kind(user_directory / "Catalogs" / "Vehicles" / "VehicleCatalog.xosc") == "catalog"
    assert document_kind(user_directory / "sweep.xosc") == "distribution"
    assert document_kind(user_directory / "brake.xosc") == "scenario"
    broken = tmp_path / "broken.xosc"
    broken.write_text("<OpenSCENARIO><FileHeader/><Catal")
    assert document_kind(broken) == "scenario"   # its run names file and line


def test_a_distribution_naming_a_missing_scenario_fails_at_load_naming_the_file(user_directory):
    (user_directory / "bad.xosc").write_text(distribution("missing.xosc", (1.0,)))
    with pytest.raises(ScenarioError, match="missing.xosc"):
        load_directory(user_directory)


def test_a_directory_of_catalogs_only_says_there_is_nothing_to_run(tmp_path):
    (tmp_path / "VehicleCatalog.xosc").write_text(CATALOG)
    with pytest.raises(Exception, match="catalogs are not run"):
        load_directory(tmp_path)


def test_running_the_directory_plays_each_concrete_run_with_its_values(user_directory, tmp_path, capsys):
    from simplatform.cli import main

    out = tmp_path / "run"
    code = main(["run", str(user_directory), "--stack", "none", "--run-dir", str(out), "--executor", "sequential",
                 "--quiet"])
    assert code in (0, 1), capsys.readouterr()

    results = {r["scenario_id"]: r for r in json.loads((out / "results.json").read_text())["results"]}
    assert set(results) == {"brake", "sweep_0000", "sweep_0001"}
    assert all(r["verdict"] != "error" for r in results.values()), results
    assert [results[k]["parameters"]["LeadDecel"] for k in ("sweep_0000", "sweep_0001")] == [2.0, 6.0]  # applied
