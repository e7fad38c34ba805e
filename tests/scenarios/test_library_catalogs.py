"""Catalog entries carry the vehicle-model presets and the documented driver properties."""

from __future__ import annotations

import pytest

from scenarios.library.catalogs import CONTROLLERS, bodies, controllers, vehicles
from vehicle_models import VEHICLE_PRESETS
from vehicle_models.drivers.properties import driver_config_from_properties


@pytest.mark.parametrize("entry,preset", [("car_compact", "compact_car"), ("car_sedan", "midsize_sedan"),
                                          ("car_suv", "suv"), ("bus", "bus"), ("truck", "truck")])
def test_vehicle_entries_match_their_presets(entry, preset):
    p = VEHICLE_PRESETS[preset]
    v = next(v for v in vehicles() if v.name == entry)
    body = bodies()[entry]
    assert body.length == pytest.approx(p.length) and body.width == pytest.approx(p.width)
    assert body.center_x == pytest.approx(p.length / 2 - p.rear_overhang)   # reference point: rear axle
    assert float(v.mass) == pytest.approx(p.mass, rel=1e-6)
    assert float(v.axles.frontaxle.xpos) == pytest.approx(p.wheelbase)
    assert float(v.dynamics.max_deceleration) == pytest.approx(p.max_brake_force / p.mass, rel=1e-3)


def test_controller_entries_are_valid_driver_models():
    assert {c.name for c in controllers()} == set(CONTROLLERS)
    for name, props in CONTROLLERS.items():
        assert driver_config_from_properties(props) is not None, name
