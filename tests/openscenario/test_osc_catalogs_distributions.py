"""Catalogs (overrides, nesting, cycles) and parameter value distributions (seeded)."""

import pytest

from simplatform.errors import CatalogError
from simplatform.openscenario import load_distribution, load_scenario, validate


def test_catalog_entry_parameters_are_overridden_by_assignments(data_dir):
    s = load_scenario(data_dir / "xosc" / "highway_cut_in.xosc")
    ego, target = s.entity_object("Ego"), s.entity_object("Target")
    assert ego.bounding_box.dimensions.length == 4.5            # the entry's default
    assert target.bounding_box.dimensions.length == 5.2          # assigned in the reference
    assert target.performance.max_speed == pytest.approx(66.6)   # assigned by an expression
    assert dict((p.name, p.value) for p in target.properties.properties)["half_length"] == "2.6"
    acc = s.scenario_object("Ego").object_controllers[0].catalog_reference.resolved
    assert dict((p.name, p.value) for p in acc.properties.properties)["timeGap"] == "1.6"


def test_nested_catalog_reference_receives_parameters(data_dir):
    s = load_scenario(data_dir / "xosc" / "highway_cut_in.xosc")
    group = s.storyboard.stories[0].acts[0].maneuver_groups[1]
    maneuver = group.catalog_references[0].resolved
    assert maneuver.name == "swerve_maneuver"
    fta = maneuver.events[0].actions[0].private_action.routing_action.follow_trajectory_action
    trajectory = fta.catalog_reference.resolved
    assert trajectory.shape.polyline.vertices[1].position.lane_position.offset == -3.5
    assert trajectory.source.file.endswith("TrajectoryCatalog.xosc")


def test_catalog_cycle_is_named(data_dir):
    with pytest.raises(CatalogError, match=r"cyclic catalog reference: CyclicRoutes/loop_a -> "
                                           r"CyclicRoutes/loop_b -> CyclicRoutes/loop_a"):
        load_scenario(data_dir / "bad" / "cyclic_catalog.xosc")


def test_catalog_entry_of_the_wrong_kind_is_refused(tmp_path, data_dir):
    text = (data_dir / "xosc" / "highway_cut_in.xosc").read_text()
    text = text.replace('catalogName="PedestrianCatalog" entryName="adult"',
                        'catalogName="RouteCatalog" entryName="along_highway"')
    (tmp_path / "Catalogs").symlink_to(data_dir / "xosc" / "Catalogs")
    path = tmp_path / "wrong_kind.xosc"
    path.write_text(text)
    with pytest.raises(CatalogError, match="is a <Route>, expected <Vehicle> or <Pedestrian> or <MiscObject>"):
        load_scenario(path)


def test_deterministic_distribution_is_the_cartesian_product(data_dir):
    runs = load_distribution(data_dir / "xosc" / "sweep_deterministic.xosc")
    assert len(runs) == 3 * 2 * 2
    assert [r.parameters["EgoSpeed"] for r in runs[:4]] == [20.0, 20.0, 20.0, 20.0]
    assert {r.parameters["EgoSpeed"] for r in runs} == {20.0, 25.0, 30.0}
    pairs = {(r.parameters["HeadwayTime"], r.parameters["TargetSpeedFactor"]) for r in runs}
    assert pairs == {("0.5", "1.2"), ("1.0", "1.05")}
    scenario = runs[-1].load()
    assert scenario.parameters["EgoVehicle"] == "truck" and scenario.parameters["HeadwayTime"] == 1.0


def test_stochastic_distribution_same_seed_same_runs(data_dir):
    path = data_dir / "xosc" / "sweep_stochastic.xosc"
    a, b, c = load_distribution(path, seed=7), load_distribution(path, seed=7), load_distribution(path, seed=8)
    assert [r.parameters for r in a] == [r.parameters for r in b]
    assert [r.parameters for r in a] != [r.parameters for r in c]
    assert len(a) == 200


def test_stochastic_distributions_honour_ranges_weights_and_kinds(data_dir):
    runs = load_distribution(data_dir / "xosc" / "sweep_stochastic.xosc", seed=3)
    speed = [r.parameters["EgoSpeed"] for r in runs]
    assert all(26 <= v <= 34 for v in speed) and 29 < sum(speed) / len(speed) < 31
    assert all(0.5 <= r.parameters["HeadwayTime"] <= 1.5 for r in runs)
    assert all(0.9 <= r.parameters["TargetSpeedFactor"] <= 1.4 for r in runs)
    repeats = [r.parameters["Repeats"] for r in runs]
    assert all(isinstance(v, int) and 1 <= v <= 5 for v in repeats)
    offsets = [r.parameters["LateralOffset"] for r in runs]
    assert all(-0.5 <= v <= 0.5 for v in offsets)
    assert 0.6 < sum(v < 0 for v in offsets) / len(offsets) < 0.9   # bin weights 3:1
    sedans = sum(r.parameters["EgoVehicle"] == "sedan" for r in runs) / len(runs)
    assert 0.6 < sedans < 0.9                                         # weights 0.75 / 0.25
    assert runs[0].load().parameters["EgoSpeed"] == speed[0]


def test_random_seed_in_the_file_wins_over_the_callers(data_dir):
    path = data_dir / "xosc" / "sweep_stochastic_seeded.xosc"
    assert [r.parameters for r in load_distribution(path, seed=1)] == \
        [r.parameters for r in load_distribution(path, seed=99)]


def test_scenariogeneration_distribution(generated):
    runs = load_distribution(generated["distribution"])
    assert [r.parameters for r in runs] == [{"EgoSpeed": "20"}, {"EgoSpeed": "25"}, {"EgoSpeed": "30"}]
    assert runs[1].load().parameters["EgoSpeed"] == 25.0


def test_validate_corpus_is_clean(data_dir, generated):
    assert validate([data_dir / "xosc"]) == []
    assert validate(list(generated["scenarios"].values()) + [generated["distribution"]]) == []
