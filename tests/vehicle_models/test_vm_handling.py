"""Handling validation against the linear single-track model (Rajamani 2012 ch. 2-3).

* ISO 4138 steady-state circular driving (constant-speed method): the
  understeer gradient ``d(delta - l/R)/d a_y`` of the dynamic model in the
  linear range matches the analytic ``m (lr/Cf - lf/Cr) / l`` within 5 %.
* ISO 7401 step steer: yaw-rate response time and overshoot match those of the
  linear model's transfer function driven by the same steering history.
"""

import numpy as np
import pytest

from simplatform.control import AckermannCommand
from vehicle_models import MIDSIZE_SEDAN, SUV, COMPACT_CAR, VehicleFleet
from vehicle_models.analysis import (
    linear_step_steer,
    step_steer_characteristics,
    understeer_gradient,
    yaw_rate_gain,
)

DT = 0.01


@pytest.mark.parametrize("params", [MIDSIZE_SEDAN, COMPACT_CAR, SUV], ids=lambda p: p.name)
def test_steady_state_circular_understeer_gradient_matches_analytic(params):
    # Low speed keeps drag-induced load transfer (not in the analytic model) below 1.5 %.
    speed = 8.0
    steer = np.linspace(0.01, 0.08, 6)
    fleet = VehicleFleet([params] * len(steer))  # one vehicle per steering angle, run together
    fleet.reset(speed=speed, steering=steer)
    for i, angle in enumerate(steer):
        fleet.apply_ackermann(i, AckermannCommand(speed=speed, steering_angle=float(angle)))
    for _ in range(int(8.0 / DT)):
        fleet.step(DT)
    lateral = fleet.speed * fleet.yaw_rate
    assert 1.5 < lateral.max() < 2.5, "span the linear range"
    kinematic_angle = params.wheelbase * fleet.yaw_rate / fleet.speed  # l / R
    measured = np.polyfit(lateral, fleet.steering_angle - kinematic_angle, 1)[0]
    analytic = understeer_gradient(params)
    assert analytic > 0, "presets understeer"
    assert measured == pytest.approx(analytic, rel=0.05)
    # Steady-state yaw-rate gain too (Rajamani eq. 3.16), at the smallest angle.
    assert fleet.yaw_rate[0] / fleet.steering_angle[0] == pytest.approx(
        yaw_rate_gain(params, float(fleet.speed[0])), rel=0.03)


def _step_steer(params, speed, steer):
    fleet = VehicleFleet([params])
    fleet.reset(speed=speed)
    fleet.apply_ackermann(0, AckermannCommand(speed=speed, steering_angle=0.0))
    times, angles, rates = [], [], []
    for k in range(int(5.0 / DT)):
        if k == int(0.5 / DT):
            fleet.apply_ackermann(0, AckermannCommand(speed=speed, steering_angle=steer))
        fleet.step(DT)
        times.append(fleet.time)
        angles.append(fleet.steering_angle[0])
        rates.append(fleet.yaw_rate[0])
    return np.array(times), np.array(angles), np.array(rates)


@pytest.mark.parametrize("params", [MIDSIZE_SEDAN, SUV], ids=lambda p: p.name)
def test_step_steer_response_matches_linear_transfer_function(params):
    speed = 80 / 3.6  # ISO 7401 test speed
    steer = 0.012  # about 2 m/s² steady state: the linear range
    times, angles, yaw_rates = _step_steer(params, speed, steer)
    model = step_steer_characteristics(times, angles, yaw_rates)
    linear = step_steer_characteristics(times, angles, linear_step_steer(params, speed, times, angles))
    print(f"{params.name}: response time {model.response_time:.3f} s (linear {linear.response_time:.3f}),"
          f" peak {model.peak_response_time:.3f} s, overshoot {model.overshoot:.3f} (linear {linear.overshoot:.3f})")
    assert model.response_time == pytest.approx(linear.response_time, abs=0.02, rel=0.1)
    assert model.overshoot == pytest.approx(linear.overshoot, abs=0.02)
    assert model.steady_state == pytest.approx(linear.steady_state, rel=0.05)
    assert 0.05 < model.response_time < 0.6, "a plausible passenger-car response time"
