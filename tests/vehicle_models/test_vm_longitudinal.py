"""Longitudinal behaviour: braking distance, powertrain, grade, standstill, low-speed switch."""

import numpy as np
import pytest

from simplatform.control import AckermannCommand, Control
from vehicle_models import BUS, COMPACT_CAR, MIDSIZE_SEDAN, SUV, VehicleFleet
from vehicle_models.analysis import stopping_distance
from vehicle_models.parameters import GRAVITY

DT = 0.01


def _brake_from(params, speed, model="dynamic"):
    fleet = VehicleFleet([params], model=model)
    fleet.reset(speed=speed)
    fleet.apply_control(0, Control(brake=1.0))
    while fleet.speed[0] > 0.0:
        fleet.step(DT)
        assert fleet.time < 30.0
    return fleet


@pytest.mark.parametrize("model", ["dynamic", "kinematic"])
def test_sedan_stops_from_100_kmh_within_the_distance_its_parameters_imply(model):
    v0 = 100 / 3.6
    fleet = _brake_from(MIDSIZE_SEDAN, v0, model)
    expected = stopping_distance(MIDSIZE_SEDAN, v0)
    assert fleet.x[0] == pytest.approx(expected, rel=0.02)
    # The implied distance is about v0²/(2 a_max) plus the brake lag's share.
    assert 40.0 < expected < 55.0
    assert fleet.speed[0] == 0.0 and abs(fleet.y[0]) < 1e-9


@pytest.mark.parametrize("params", [COMPACT_CAR, SUV, BUS], ids=lambda p: p.name)
def test_other_presets_stop_within_their_implied_distance(params):
    v0 = min(100 / 3.6, params.max_speed - 0.5)
    assert _brake_from(params, v0).x[0] == pytest.approx(stopping_distance(params, v0), rel=0.02)


def test_full_throttle_drive_force_follows_the_tractive_effort_envelope():
    p = MIDSIZE_SEDAN
    fleet = VehicleFleet([p])
    speeds = np.linspace(0.0, p.max_speed, 40)
    tabulated = fleet.params.max_drive_force(speeds)
    exact = p.powertrain.max_wheel_force(speeds, p.wheel_radius)
    assert np.allclose(tabulated, exact, rtol=0.002, atol=5.0)  # each map resampled up to its own redline
    fleet.reset(speed=10.0)
    fleet.apply_control(0, Control(throttle=1.0))
    filtered = 0.0  # the envelope at the step's start speed through the first-order drive lag
    decay = np.exp(-DT / p.drive_time_constant)
    for _ in range(200):
        target = p.powertrain.max_wheel_force(fleet.speed[0], p.wheel_radius)
        filtered = target + (filtered - target) * decay
        fleet.step(DT)
    v = fleet.speed[0]
    drive = fleet.state[7, 0]
    assert drive == pytest.approx(filtered, rel=0.02)
    resist = 0.5 * 1.225 * p.drag_area * v**2 + p.rolling_resistance * p.mass * GRAVITY
    assert fleet.ax_body[0] == pytest.approx((drive - resist) / p.mass, rel=0.02)
    fleet.reset(speed=p.max_speed - 0.5)
    for _ in range(int(3 / DT)):
        fleet.step(DT)
    assert fleet.speed[0] == pytest.approx(p.max_speed, abs=0.05)


def test_coasting_uphill_decelerates_by_gravity_and_holds_at_rest_with_the_brake():
    grade = np.arctan(0.10)  # 10 % slope
    fleet = VehicleFleet([COMPACT_CAR, COMPACT_CAR])
    fleet.reset(speed=[10.0, 0.0])
    fleet.step(DT, grade=[grade, grade])
    p = COMPACT_CAR
    expected = -GRAVITY * (np.sin(grade) + p.rolling_resistance * np.cos(grade)) - 0.5 * 1.225 * p.drag_area * 100 / p.mass
    assert fleet.ax_body[0] == pytest.approx(expected, rel=0.02)
    # Vehicle 1 at rest without brake rolls back; with the brake it stays.
    for _ in range(100):
        fleet.step(DT, grade=grade)
    assert fleet.speed[1] < -0.5
    fleet.reset(1, speed=0.0)
    fleet.apply_control(1, Control(brake=0.5))
    for _ in range(50):  # the brake force builds up with its lag; the car may roll millimetres
        fleet.step(DT, grade=grade)
    held_at = fleet.x[1]
    assert abs(held_at) < 0.02
    for _ in range(200):
        fleet.step(DT, grade=grade)
    assert fleet.speed[1] == 0.0 and fleet.x[1] == held_at


def test_standstill_has_no_creep_and_pulling_away_is_continuous_through_the_model_switch():
    fleet = VehicleFleet([MIDSIZE_SEDAN])
    fleet.reset()
    for _ in range(100):
        fleet.step(DT)
    assert fleet.speed[0] == 0.0 and fleet.x[0] == 0.0
    fleet.apply_control(0, Control(throttle=0.4, steer=0.3))
    yaw_rates, accels, speeds, angles = [], [], [], []
    for _ in range(int(4.0 / DT)):
        fleet.step(DT)
        angles.append(fleet.steering_angle[0])
        yaw_rates.append(fleet.yaw_rate[0])
        accels.append(fleet.ay_body[0])
        speeds.append(fleet.speed[0])
    speeds = np.array(speeds)
    assert speeds.max() > 6.0, "drove through the kinematic→dynamic blend (1-3 m/s)"
    # No jump: consecutive samples of yaw rate and lateral acceleration differ only a little.
    assert np.max(np.abs(np.diff(yaw_rates))) < 0.01
    assert np.max(np.abs(np.diff(accels))) < 0.3
    # In the kinematic range the yaw rate is v tan(delta) / l.
    i = int(np.argmax(speeds > 0.5))
    kin = speeds[i] * np.tan(angles[i]) / MIDSIZE_SEDAN.wheelbase
    assert yaw_rates[i] == pytest.approx(kin, rel=0.05)


def test_ackermann_speed_tracking_respects_acceleration_and_jerk_limits():
    fleet = VehicleFleet([SUV])
    fleet.reset(speed=5.0)
    fleet.apply_ackermann(0, AckermannCommand(speed=15.0, acceleration=1.5, jerk=2.0))
    accels = []
    for _ in range(int(12 / DT)):
        fleet.step(DT)
        accels.append(fleet.ax_body[0])
    accels = np.array(accels)
    assert fleet.speed[0] == pytest.approx(15.0, abs=0.2)
    assert accels.max() < 1.5 * 1.1
    # Jerk limit on the commanded acceleration, smoothed further by the drive lag.
    assert np.max(np.diff(accels)) / DT < 2.0 * 1.2
    fleet.apply_ackermann(0, AckermannCommand(speed=0.0))
    for _ in range(int(6 / DT)):
        fleet.step(DT)
    assert fleet.speed[0] == 0.0


def test_reverse_gear_drives_backwards():
    fleet = VehicleFleet([COMPACT_CAR])
    fleet.reset()
    fleet.apply_control(0, Control(throttle=0.3, reverse=True))
    for _ in range(300):
        fleet.step(DT)
    assert fleet.speed[0] < -1.0 and fleet.x[0] < -1.0
    fleet.apply_ackermann(0, AckermannCommand(speed=-2.0))
    for _ in range(500):
        fleet.step(DT)
    assert fleet.speed[0] == pytest.approx(-2.0, abs=0.1)
