"""OpenSCENARIO mappings: controller properties → driver model; Vehicle → parameter set."""

import pytest

from simplatform.errors import ConfigError
from simplatform.world import BoundingBox
from vehicle_models import (
    BUS,
    COMPACT_CAR,
    MIDSIZE_SEDAN,
    SUV,
    Axle,
    Performance,
    VehicleFleet,
    vehicle_parameters_from_scenario,
)
from vehicle_models.drivers import DRIVER_STYLES, PROPERTY_NAMES, driver_config_from_properties


def test_controller_properties_configure_a_human_idm_mobil_driver():
    config = driver_config_from_properties({
        "model": "human", "style": "cautious", "timeHeadway": "1.2", "politeness": "0.3",
        "reactionTime": "0.9", "desiredSpeed": "22.5", "seed": "7",
    })
    assert config.model == "human" and config.seed == 7
    assert config.idm.time_headway == 1.2
    assert config.idm.min_gap == DRIVER_STYLES["cautious"].idm.min_gap  # from the style
    assert config.mobil.politeness == 0.3
    assert config.human.reaction_time == 0.9
    assert config.fixed_desired_speed and config.idm.desired_speed == 22.5
    assert driver_config_from_properties({}).model == "idm_mobil"
    assert driver_config_from_properties({"model": "idm"}).human is None


@pytest.mark.parametrize("properties, fragment", [
    ({"timeHedway": "1.0"}, "unknown driver property 'timeHedway'"),
    ({"timeHeadway": "fast"}, "'timeHeadway' must be a number, got 'fast'"),
    ({"model": "gipps"}, "property 'model' is 'gipps'"),
    ({"style": "sporty"}, "property 'style' is 'sporty'"),
    ({"minGap": "-1"}, "'minGap' must not be negative"),
    ({"timeHeadway": "0"}, "'timeHeadway' must be positive"),
    ({"seed": "1.5"}, "'seed' must be an integer"),
])
def test_bad_controller_properties_raise_config_error_naming_file_line_and_property(properties, fragment):
    with pytest.raises(ConfigError) as err:
        driver_config_from_properties(properties, file="cut_in.xosc", line=42)
    message = str(err.value)
    assert fragment in message
    assert message.startswith("cut_in.xosc:42 <Controller>:")


def test_every_documented_property_is_accepted():
    values = {name: "1" for name in PROPERTY_NAMES if name not in ("model", "style")}
    config = driver_config_from_properties({**values, "model": "human"})
    assert config.human.gap_noise == 1.0 and config.mobil.keep_right_bias == 1.0


def _vehicle(category, length, height, mass=None, wheelbase=2.9, max_steer=0.5):
    return vehicle_parameters_from_scenario(
        "ego", category, BoundingBox(length, 1.9, height, center_x=1.4, center_z=0.8),
        Performance(max_speed=60.0, max_acceleration=4.0, max_deceleration=9.0),
        front=Axle(max_steer, 0.7, 1.6, wheelbase, 0.35), rear=Axle(0.0, 0.7, 1.6, 0.0, 0.35), mass=mass)


def test_scenario_vehicle_picks_a_preset_by_category_and_size_then_applies_the_file():
    assert _vehicle("car", 4.2, 1.4).sources["yaw_inertia"] == COMPACT_CAR.sources["yaw_inertia"]
    assert _vehicle("car", 4.8, 1.45).sources["yaw_inertia"] == MIDSIZE_SEDAN.sources["yaw_inertia"]
    assert _vehicle("car", 4.8, 1.8).sources["yaw_inertia"] == SUV.sources["yaw_inertia"]
    assert _vehicle("bus", 12.0, 3.0, wheelbase=5.9).sources["yaw_inertia"] == BUS.sources["yaw_inertia"]
    p = _vehicle("car", 4.8, 1.45, mass=1600.0)
    assert p.wheelbase == pytest.approx(2.9)
    assert p.cog_to_front_axle / p.wheelbase == pytest.approx(
        MIDSIZE_SEDAN.cog_to_front_axle / MIDSIZE_SEDAN.wheelbase)
    assert p.mass == 1600.0 and p.max_steering_angle == 0.5 and p.wheel_radius == 0.35
    assert p.max_speed == 60.0 and p.max_brake_force == pytest.approx(1600.0 * 9.0)
    assert p.rear_overhang == pytest.approx(4.8 / 2 - 1.4)
    # maxAcceleration sets the launch tractive effort.
    launch = p.powertrain.max_wheel_force(0.0, p.wheel_radius)
    assert launch / p.mass == pytest.approx(4.0, rel=1e-6)
    fleet = VehicleFleet([p])
    fleet.reset()
    from simplatform.control import Control
    fleet.apply_control(0, Control(throttle=1.0))
    for _ in range(150):
        fleet.step(0.01)
    assert 2.0 < fleet.ax_body[0] < 4.0


def test_scenario_vehicle_rejects_inverted_axles():
    with pytest.raises(ValueError, match="positionX"):
        _vehicle("car", 4.5, 1.4, wheelbase=-1.0)
