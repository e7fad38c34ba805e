"""Malformed input: a clear error naming file, line, element and cause; exit 2; never a traceback."""

import subprocess
import sys
import time

import pytest

from simplatform.errors import ScenarioError
from simplatform.openscenario import load_distribution, load_scenario, validate_file

# file -> (line, element, words of the cause); every file in data/bad is listed here.
EXPECTED = {
    "broken_xml.xosc": (7, None, "malformed XML"),
    "empty.xosc": (None, None, "file is empty"),
    "not_xml.xosc": (1, None, "malformed XML"),
    "wrong_root.xosc": (3, "OpenDRIVE", "root element must be <OpenSCENARIO>"),
    "missing_file_header.xosc": (2, "OpenSCENARIO", "missing required child element <FileHeader>"),
    "unsupported_version_2_0.xosc": (4, "FileHeader", "unsupported OpenSCENARIO version 2.0"),
    "unsupported_version_0_9.xosc": (4, "FileHeader", "unsupported OpenSCENARIO version 0.9"),
    "missing_road_network_element.xosc": (3, "OpenSCENARIO", "missing required child element <RoadNetwork>"),
    "missing_road_network_file.xosc": (7, "LogicFile", "road network file 'no_such_road.xodr' not found"),
    "unknown_entity_ref.xosc": (21, "Private", "unknown entity 'Egoo'"),
    "unknown_actor.xosc": (23, "EntityRef", "unknown entity 'Ghost'"),
    "unknown_catalog.xosc": (8, "CatalogReference", "unknown catalog 'NoSuchCatalog'"),
    "unknown_catalog_entry.xosc": (8, "CatalogReference", "has no entry 'spaceship' (entries: sedan, truck)"),
    "cyclic_catalog.xosc": (15, "CatalogReference", "cyclic catalog reference"),
    "parameter_without_value.xosc": (27, "AbsoluteTargetSpeed", "parameter 'Speed' is not declared"),
    "parameter_type_mismatch.xosc": (5, "ParameterDeclaration", "expected int, got 'two'"),
    "attribute_type_mismatch.xosc": (27, "AbsoluteTargetSpeed", "expected double, got 'fast'"),
    "bad_enum.xosc": (26, "SpeedActionDynamics", "'wobbly' is not a valid DynamicsShape"),
    "negative_duration.xosc": (26, "SpeedActionDynamics", "'value' = -3.0 is out of range"),
    "negative_delay.xosc": (23, "Condition", "'delay' = -1.0 is out of range"),
    "negative_dimensions.xosc": (11, "Dimensions", "'length' = -4.5 is out of range"),
    "bad_expression.xosc": (27, "AbsoluteTargetSpeed", "unknown function or name 'explode'"),
    "division_by_zero.xosc": (27, "AbsoluteTargetSpeed", "division by zero"),
    "missing_required_attribute.xosc": (27, "AbsoluteTargetSpeed", "missing required attribute 'value'"),
    "unexpected_element.xosc": (27, "AbsolutTargetSpeed", "unexpected element in <SpeedActionTarget>"),
    "two_choices.xosc": (21, "Position", "expects exactly one of"),
    "unknown_storyboard_element.xosc": (24, "StoryboardElementStateCondition", "unknown storyboard element"),
    "zero_execution_count.xosc": (23, "ManeuverGroup", "'maximumExecutionCount' = 0 is out of range"),
    "override_unknown_parameter_in_catalog.xosc": (8, "CatalogReference", "declares no parameter 'Wings'"),
    "constraint_violation.xosc": (7, "ParameterDeclaration", "violates its constraint groups"),
    "nested_expression_bomb.xosc": (27, "AbsoluteTargetSpeed", "expression longer than"),
    "billion_laughs.xosc": (3, "OpenSCENARIO", "missing required child element"),
    "bad_distribution_unknown_parameter.xosc": (5, "ParameterValueDistribution", "'Altitude' is not declared"),
    "bad_distribution_range.xosc": (9, "DistributionRange", "'stepWidth' = 0.0 is out of range"),
}


def test_every_bad_file_is_listed(data_dir):
    assert sorted(p.name for p in (data_dir / "bad").glob("*.xosc")) == sorted(EXPECTED)
    assert len(EXPECTED) >= 20


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_file_gives_a_located_error(data_dir, name):
    line, element, cause = EXPECTED[name]
    path = data_dir / "bad" / name
    start = time.perf_counter()
    errors = validate_file(path)
    assert time.perf_counter() - start < 5, "no hang"
    assert errors, f"{name} should not validate"
    first = errors[0]
    assert isinstance(first, ScenarioError)
    assert cause in first.cause
    assert first.location.line == line
    assert first.location.element == element
    assert first.location.file.endswith(".xosc")
    loader = load_distribution if "distribution" in name else load_scenario
    with pytest.raises(ScenarioError):
        loader(path)


def test_validate_reports_every_problem_not_just_the_first(tmp_path, data_dir):
    text = (data_dir / "bad" / "attribute_type_mismatch.xosc").read_text()
    text = text.replace('length="4.5"', 'length="-1"').replace('maxSpeed="50"', 'maxSpeed="$nope"')
    path = tmp_path / "many.xosc"
    path.write_text(text)
    causes = [e.cause for e in validate_file(path)]
    assert any("expected double, got 'fast'" in c for c in causes)
    assert any("parameter 'nope' is not declared" in c for c in causes)


def test_schema_mode_maps_xsd_errors_to_lines(data_dir):
    errors = validate_file(data_dir / "xosc" / "highway_cut_in.xosc", schema=True)
    # 1.0 knows no expressions: the XSD of the file's own version says so
    assert errors and all(e.cause.startswith("schema 1.0.0") for e in errors)
    assert errors[0].location.line == 92 and errors[0].location.element == "AbsoluteTargetSpeed"


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "simplatform.cli", "validate", *args],
                          capture_output=True, text=True, timeout=120)


def test_cli_validate_bad_files_exit_2_without_traceback(data_dir):
    result = _cli(str(data_dir / "bad"))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr + result.stdout
    for name, (line, element, _) in EXPECTED.items():
        if name in ("constraint_violation.xosc", "cyclic_catalog.xosc"):
            continue  # located in the catalog file, "referenced at" the scenario
        where = f"{name}:{line}:" if line else f"{name}:"
        assert where in result.stdout, name
    assert "problem(s) in" in result.stderr


def test_cli_validate_clean_files_exit_0(data_dir):
    result = _cli(str(data_dir / "xosc" / "kitchen_sink_1_3.xosc"), str(data_dir / "xosc" / "carla_follow_leading.xosc"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 file(s) OK" in result.stderr
