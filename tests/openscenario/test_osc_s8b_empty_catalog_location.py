"""An empty catalog location, as esmini's left-hand-traffic_*.xosc write it (``<RouteCatalog/>``).

The XSD requires a ``Directory`` in every ``*CatalogLocation``; esmini reads an empty one as no
catalog of that kind, and so do we -- ``validate --schema`` still reports it.  Each test writes
its own small road and scenario.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from simplatform.errors import ScenarioError
from simplatform.openscenario import load_scenario
from simplatform.openscenario.validation import validate_file

import sys  # noqa: E402
sys.path.insert(0, str(Path(__file__).parent))
from osc_small_files import CAR, ROAD  # noqa: E402

ROUTE_REF = ('<Private entityRef="Ego"><PrivateAction><RoutingAction><AssignRouteAction><CatalogReference '
             'catalogName="Routes" entryName="r"/></AssignRouteAction></RoutingAction></PrivateAction></Private>')


def _scenario(tmp: Path, locations: str, init: str = "") -> Path:
    (tmp / "road.xodr").write_text(ROAD)
    path = tmp / "s.xosc"
    path.write_text(f'''<?xml version="1.0"?>
<OpenSCENARIO><FileHeader revMajor="1" revMinor="0" date="2021-01-01T00:00:00" description="d" author="t"/>
<ParameterDeclarations/><CatalogLocations>{locations}</CatalogLocations>
<RoadNetwork><LogicFile filepath="road.xodr"/></RoadNetwork><Entities>{CAR}</Entities>
<Storyboard><Init><Actions>{init}</Actions></Init><StopTrigger/></Storyboard></OpenSCENARIO>''')
    return path


@pytest.mark.parametrize("kind", ["Route", "Vehicle", "Controller", "Pedestrian", "MiscObject", "Environment",
                                  "Maneuver", "Trajectory"])
def test_an_empty_catalog_location_loads_as_no_catalog(tmp_path, kind):
    path = _scenario(tmp_path, f"<{kind}Catalog/>")
    assert validate_file(path) == []
    assert load_scenario(path).entities.scenario_objects[0].name == "Ego"


def test_the_schema_check_still_reports_it(tmp_path):
    errors = validate_file(_scenario(tmp_path, "<RouteCatalog/>"), schema=True)
    assert any("Directory" in e.cause for e in errors)


def test_a_reference_into_the_empty_catalog_is_a_clear_error(tmp_path):
    with pytest.raises(ScenarioError, match="Routes") as err:
        load_scenario(_scenario(tmp_path, "<RouteCatalog/>", init=ROUTE_REF))
    assert Path(err.value.location.file).name == "s.xosc"


def test_other_required_children_are_still_required(tmp_path):
    """Only the catalog locations' Directory is optional: a Storyboard without Init stays an error."""
    path = _scenario(tmp_path, "<RouteCatalog/>")
    path.write_text(path.read_text().replace("<Init><Actions></Actions></Init>", ""))
    assert any("missing required child element <Init>" in e.cause for e in validate_file(path))
