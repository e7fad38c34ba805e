"""Which CARLA blueprint stands for which scenario entity."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from simplatform.backends.carla.blueprints import CATEGORY_BLUEPRINTS, choose_blueprint
from simplatform.errors import ScenarioError
from simplatform.world import EntityKind

LIBRARY = ["vehicle.tesla.model3", "vehicle.carlamotors.carlacola", "vehicle.mitsubishi.fusorosa",
           "vehicle.diamondback.century", "vehicle.yamaha.yzf", "vehicle.mercedes.sprinter",
           "vehicle.lincoln.mkz_2017", "vehicle.audi.tt", "walker.pedestrian.0001", "walker.pedestrian.0002",
           "static.prop.streetbarrier", "static.prop.box01"]


def body(name="car_white", model3d=None):
    return SimpleNamespace(name=name, model3d=model3d)


@pytest.mark.parametrize("kind,category,expected", [
    (EntityKind.VEHICLE, "car", "vehicle.tesla.model3"),
    (EntityKind.VEHICLE, "truck", "vehicle.carlamotors.carlacola"),
    (EntityKind.VEHICLE, "bus", "vehicle.mitsubishi.fusorosa"),
    (EntityKind.VEHICLE, "bicycle", "vehicle.diamondback.century"),
    (EntityKind.VEHICLE, "motorbike", "vehicle.yamaha.yzf"),
    (EntityKind.PEDESTRIAN, "pedestrian", "walker.pedestrian.0001"),
    (EntityKind.MISC_OBJECT, "obstacle", "static.prop.streetbarrier"),
])
def test_the_category_picks_the_documented_blueprint(kind, category, expected):
    choice = choose_blueprint(LIBRARY, "E", kind, category, body())
    assert (choice.blueprint_id, choice.reason) == (expected, "category")


def test_a_blueprint_id_in_model3d_or_name_wins_over_the_category():
    assert choose_blueprint(LIBRARY, "E", EntityKind.VEHICLE, "truck",
                            body(model3d="vehicle.audi.tt")).blueprint_id == "vehicle.audi.tt"
    assert choose_blueprint(LIBRARY, "E", EntityKind.VEHICLE, "car",
                            body(name="vehicle.lincoln.mkz_2017")).blueprint_id == "vehicle.lincoln.mkz_2017"


def test_a_wildcard_draws_from_the_matches_by_the_seed():
    draws = {choose_blueprint(LIBRARY, "E", EntityKind.PEDESTRIAN, "pedestrian", body(name="walker.pedestrian.*"),
                              np.random.default_rng(s)).blueprint_id for s in range(20)}
    assert draws == {"walker.pedestrian.0001", "walker.pedestrian.0002"}
    again = [choose_blueprint(LIBRARY, "E", EntityKind.VEHICLE, "car", body(name="vehicle.*"),
                              np.random.default_rng(3)).blueprint_id for _ in range(3)]
    assert len(set(again)) == 1


def test_a_missing_blueprint_id_is_an_error_not_a_substitute():
    with pytest.raises(ScenarioError, match="vehicle.nissan.patrol.*does not hold"):
        choose_blueprint(LIBRARY, "Ego", EntityKind.VEHICLE, "car", body(name="vehicle.nissan.patrol"))


def test_a_category_without_a_blueprint_asks_for_one():
    with pytest.raises(ScenarioError, match="tram.*model3d"):
        choose_blueprint(LIBRARY, "T", EntityKind.VEHICLE, "tram", body())


def test_markings_and_areas_have_no_body():
    choice = choose_blueprint(LIBRARY, "P", EntityKind.MISC_OBJECT, "parkingSpace", body())
    assert choice.blueprint_id is None


def test_every_miscobject_category_of_the_standard_is_in_the_table():
    from simplatform.openscenario.model.enums import MiscObjectCategory

    assert {m.value for m in MiscObjectCategory} <= {c for k, c in CATEGORY_BLUEPRINTS if k is EntityKind.MISC_OBJECT}
