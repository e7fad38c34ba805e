"""Road friction scales the tyres' peak friction (Pacejka's lambda_mu): given full braking from 100 km/h,
a road with half the grip stops a vehicle in about twice the distance, as the closed form says."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from simplatform.control import Control
from vehicle_models import VehicleFleet
from vehicle_models.parameters import AIR_DENSITY, GRAVITY
from vehicle_models.presets import MIDSIZE_SEDAN
from vehicle_models.tyre import axle_forces

V0 = 100 / 3.6
STRONG_BRAKES = replace(MIDSIZE_SEDAN, max_brake_force=1.5 * MIDSIZE_SEDAN.tyre.mu_x * MIDSIZE_SEDAN.mass * GRAVITY)
"""Brakes that lock up the tyres on a dry road (the preset's 8 m/s² brakes are weaker than its 1.17 g grip),
so the stop is friction-limited at every friction scale tested."""


def _stopping_distance(params, model: str, scale: float, dt: float = 0.01) -> float:
    fleet = VehicleFleet([params], model=model)
    fleet.reset(0, speed=V0)
    fleet.set_road_friction(0, scale)
    fleet.apply_control(0, Control(brake=1.0))
    while fleet.speed[0] > 0.0:
        fleet.step(dt)
    return float(fleet.x[0])


def _closed_form(params, scale: float) -> float:
    """Friction-limited stop with rolling resistance, quadratic drag and the brake's first-order lag.

    Once the tyres saturate, m dv/dt = -(mu + f_r) m g - rho CdA v²/2, so the distance from v0 is
    d = m/(rho CdA) · ln(1 + rho CdA v0² / (2 m g (mu + f_r))).  Before that the brake force builds up as
    a_b (1 - exp(-t/tau)) and meets mu g at t* = -tau ln(1 - mu g / a_b); the velocity lost by then,
    a_b t* - tau mu g, is what a full mu g would have taken off in t* - t_d, so the stop is delayed by
    t_d = t* (1 - a_b/(mu g)) + tau and lengthened by about v0 · t_d.
    """
    mu = params.tyre.mu_x * scale
    a_b = params.max_brake_force / params.mass
    tau = params.brake_time_constant
    t_star = -tau * math.log(1.0 - mu * GRAVITY / a_b)
    delay = t_star * (1.0 - a_b / (mu * GRAVITY)) + tau
    k = AIR_DENSITY * params.drag_area
    stop = params.mass / k * math.log(1.0 + k * V0 ** 2 / (2.0 * params.mass * GRAVITY * (mu + params.rolling_resistance)))
    return V0 * delay + stop


@pytest.mark.parametrize("model", ["kinematic", "dynamic"])
def test_half_the_grip_doubles_the_braking_distance(model):
    full, half = _stopping_distance(STRONG_BRAKES, model, 1.0), _stopping_distance(STRONG_BRAKES, model, 0.5)
    assert full == pytest.approx(_closed_form(STRONG_BRAKES, 1.0), rel=0.015)
    assert half == pytest.approx(_closed_form(STRONG_BRAKES, 0.5), rel=0.015)
    assert half / full == pytest.approx(1.9, abs=0.1)  # drag and the brake lag weigh less on the longer stop


def test_friction_only_matters_when_it_binds():
    """The preset sedan's brakes (8 m/s²) are weaker than its tyres' grip (1.17 g): a 10 % lower friction
    changes nothing, half the friction makes the tyres the limit."""
    dry = _stopping_distance(MIDSIZE_SEDAN, "kinematic", 1.0)
    assert _stopping_distance(MIDSIZE_SEDAN, "kinematic", 0.9) == dry
    wet = _stopping_distance(MIDSIZE_SEDAN, "kinematic", 0.5)
    assert wet == pytest.approx(_closed_form(MIDSIZE_SEDAN, 0.5), rel=0.02)


def test_friction_scale_lowers_the_magic_formula_peak_but_not_the_cornering_stiffness():
    fleet = VehicleFleet([MIDSIZE_SEDAN])
    tyres = fleet.params.axle_tyres
    fz = 4000.0
    small, large = np.full(2, 2e-4), np.full(2, 0.5)
    before_small = axle_forces(small, 0.0, fz, tyres)[1]
    before_peak = axle_forces(large, 0.0, fz, tyres)[1]
    fleet.set_road_friction(0, 0.5)
    after_small = axle_forces(small, 0.0, fz, tyres)[1]
    after_peak = axle_forces(large, 0.0, fz, tyres)[1]
    assert after_small[0] == pytest.approx(before_small[0], rel=1e-3)  # K unchanged at small slip
    assert after_peak[0] == pytest.approx(0.5 * before_peak[0], rel=0.05)  # the saturated force halves
    assert fleet.params.mu_x[0] == pytest.approx(0.5 * MIDSIZE_SEDAN.tyre.mu_x)
    fleet.set_road_friction(0, 1.0)  # back to the tyre's own grip, exactly
    assert np.array_equal(tyres.coefficients, VehicleFleet([MIDSIZE_SEDAN]).params.axle_tyres.coefficients)


def test_friction_scale_is_per_vehicle_and_validated():
    fleet = VehicleFleet([MIDSIZE_SEDAN, MIDSIZE_SEDAN], model="kinematic")
    fleet.set_road_friction([1], 0.25)
    assert fleet.road_friction.tolist() == [1.0, 0.25]
    with pytest.raises(ValueError):
        fleet.set_road_friction(0, -0.1)
    with pytest.raises(ValueError):
        fleet.set_road_friction(0, float("nan"))
