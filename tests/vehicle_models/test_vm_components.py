"""Tyre, actuators and vulnerable road users: each component against its defining property."""

import numpy as np
import pytest

from simplatform.control import AckermannCommand, Control
from vehicle_models import (
    BICYCLE,
    MIDSIZE_SEDAN,
    PEDESTRIAN,
    CyclistFleet,
    PedestrianFleet,
    VehicleFleet,
)
from vehicle_models.presets import PASSENGER_TYRE
from vehicle_models.tyre import TyreArrays, axle_forces, magic_formula, peak_slip

DT = 0.01


def test_magic_formula_peak_is_mu_fz_and_slope_at_origin_is_the_cornering_stiffness():
    t = TyreArrays([PASSENGER_TYRE])
    fz = np.array([4000.0])
    alpha = np.linspace(0, 0.5, 5001)
    force = magic_formula(alpha, t.b_y, t.c_y, t.mu_y * fz, t.e_y)
    assert force.max() == pytest.approx(PASSENGER_TYRE.mu_y * 4000.0, rel=1e-5)
    slope = magic_formula(np.array([1e-7]), t.b_y, t.c_y, t.mu_y * fz, t.e_y) / 1e-7
    assert slope[0] == pytest.approx(PASSENGER_TYRE.cornering_stiffness_per_load * 4000.0, rel=1e-5)
    assert alpha[force.argmax()] == pytest.approx(peak_slip(t.b_y, t.c_y, t.e_y)[0], abs=2e-4)


def test_combined_slip_reduces_lateral_force_and_saturates_longitudinal_force():
    t = TyreArrays([PASSENGER_TYRE] * 3)
    fz = np.full(3, 4000.0)
    alpha = np.full(3, 0.05)
    fx, fy = axle_forces(alpha, np.array([0.0, 2000.0, 1e5]), fz, t)
    assert fy[0] > fy[1] > fy[2] > 0, "more drive force, less lateral force (Pacejka 2012 §4.3.2)"
    assert fx[1] == pytest.approx(2000.0, rel=0.01), "a feasible demand is delivered (more slip)"
    assert fx[2] <= PASSENGER_TYRE.mu_x * 4000.0 + 1e-6, "an infeasible one saturates at the peak"


def test_steering_follows_the_control_fraction_within_the_rate_limit():
    fleet = VehicleFleet([MIDSIZE_SEDAN])
    fleet.reset(speed=10.0)
    fleet.apply_control(0, Control(steer=0.5))
    fleet.step(0.1)
    assert fleet.steering_angle[0] == pytest.approx(MIDSIZE_SEDAN.max_steering_rate * 0.1, rel=1e-6)
    for _ in range(500):
        fleet.step(DT)
    assert fleet.steering_angle[0] == pytest.approx(0.5 * MIDSIZE_SEDAN.max_steering_angle, rel=1e-3)


def test_ackermann_steering_angle_velocity_limits_the_rate():
    fleet = VehicleFleet([MIDSIZE_SEDAN])
    fleet.reset(speed=10.0)
    fleet.apply_ackermann(0, AckermannCommand(speed=10.0, steering_angle=0.2, steering_angle_velocity=0.1))
    for _ in range(50):
        fleet.step(DT)
    assert fleet.steering_angle[0] == pytest.approx(0.05, rel=1e-3)


def test_brake_force_builds_up_with_its_first_order_lag():
    fleet = VehicleFleet([MIDSIZE_SEDAN])
    fleet.reset(speed=20.0)
    fleet.apply_control(0, Control(brake=1.0))
    tau = MIDSIZE_SEDAN.brake_time_constant
    for _ in range(int(round(tau / DT))):
        fleet.step(DT)
    assert fleet.state[8, 0] == pytest.approx(MIDSIZE_SEDAN.max_brake_force * (1 - np.exp(-1)), rel=1e-3)


def test_pedestrian_turns_and_accelerates_within_its_limits():
    peds = PedestrianFleet([PEDESTRIAN, PEDESTRIAN])
    peds.set_target([0, 1], [1.4, 9.0], [np.pi / 2, 0.0])
    for _ in range(100):
        peds.step(DT)
    assert peds.heading[0] == pytest.approx(np.pi / 2)
    assert peds.speed[0] == pytest.approx(1.4)
    assert peds.speed[1] == pytest.approx(min(PEDESTRIAN.max_acceleration * 1.0, PEDESTRIAN.max_speed))
    assert peds.x[1] == pytest.approx(0.5 * PEDESTRIAN.max_acceleration * 1.0**2, rel=1e-9)


def test_cyclist_is_a_kinematic_bicycle_on_a_circle():
    bikes = CyclistFleet([BICYCLE])
    bikes.speed[:] = 4.0
    bikes.steering[:] = 0.2
    bikes.set_target(0, 4.0, 0.2)
    radius = BICYCLE.wheelbase / np.tan(0.2)
    period = 2 * np.pi * radius / 4.0
    for _ in range(int(round(period / DT))):
        bikes.step(DT)
    assert np.hypot(bikes.x[0], bikes.y[0]) < 0.05, "back where it started after one lap"
    assert bikes.yaw_rate[0] == pytest.approx(4.0 / radius)
