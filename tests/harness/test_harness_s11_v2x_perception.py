"""Session 11: a roadside unit names its own perception mode in the scenario file.

``v2x.perception=true`` shares what the unit perceives with the radio's ``rsu_perception``
(``sensors.v2x_rsu_perception``); ``ideal`` or ``realistic`` instead sets this unit's mode
(``RoadsideUnit.perception``), so one scenario can mix an ideal and a realistic unit.  Any other
value is an error naming the file, the line and the property.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from simplatform.engine.run import load_scenario_and_road
from simplatform.errors import ScenarioError
from simplatform.harness.v2x_scenario import read_scenario, roadside_units

LIBRARY = Path(__file__).resolve().parents[2] / "scenarios"
RLVW = LIBRARY / "cooperative" / "v2x_rlvw_e40_t40_blocked_day.xosc"


def _with_perception(tmp_path: Path, value: str) -> Path:
    """The library's RLVW scenario with its unit's ``v2x.perception`` set to ``value`` (its relative paths made absolute)."""
    text = RLVW.read_text()
    assert text.count('<Property name="v2x.perception" value="true" />') == 1
    text = text.replace('<Property name="v2x.perception" value="true" />',
                        f'<Property name="v2x.perception" value="{value}" />')
    text = text.replace('="../', f'="{LIBRARY}/')  # the map and the catalogs, from the library
    path = tmp_path / f"rlvw_{value or 'empty'}.xosc"
    path.write_text(text)
    return path


def _unit(tmp_path: Path, value: str):
    scenario, road = load_scenario_and_road(_with_perception(tmp_path, value))
    info = read_scenario(scenario, "Ego")
    (entity,) = info.units
    snapshot = SimpleNamespace(names=("RSU",), index=lambda name: 0, x=[1.0], y=[2.0], z=[0.0], height=[6.0])
    (unit,) = roadside_units(info, scenario, road, snapshot)
    return entity, unit


@pytest.mark.parametrize("value, mode", [("ideal", "ideal"), ("realistic", "realistic"), ("Ideal", "ideal"),
                                         ("true", None)])
def test_a_unit_that_perceives_names_its_mode_or_leaves_it_to_the_radio(tmp_path, value, mode):
    entity, unit = _unit(tmp_path, value)
    assert entity.perception_range_m == 300.0  # v2x.perception_range defaults to the radio range
    assert unit.perception_range_m == 300.0 and unit.perception == mode
    assert (unit.x, unit.y, unit.z) == (1.0, 2.0, 6.0)


def test_a_unit_that_does_not_perceive_has_no_mode(tmp_path):
    entity, unit = _unit(tmp_path, "false")
    assert entity.perception_range_m == 0.0 and unit.perception_range_m == 0.0 and unit.perception is None


@pytest.mark.parametrize("value", ["perfect", "yes", ""])
def test_any_other_value_is_a_located_error(tmp_path, value):
    path = _with_perception(tmp_path, value)
    scenario, _ = load_scenario_and_road(path)
    with pytest.raises(ScenarioError, match="v2x.perception must be true, false, ideal or realistic") as err:
        read_scenario(scenario, "Ego")
    assert err.value.location.file == str(path) and err.value.location.line is not None
