"""The compiled fleet step: vehicles independent of their neighbours, inputs latched per index, cache hygiene."""

from dataclasses import replace

import numpy as np
import pytest

from simplatform.control import AckermannCommand, Control
from vehicle_models import BUS, COMPACT_CAR, MIDSIZE_SEDAN, SUV, TRUCK, VehicleFleet
from vehicle_models import jit
from vehicle_models import single_track as st
from vehicle_models.drivers import DriverConfig, TrafficContext, TrafficDriver
from vehicle_models.presets import PASSENGER_TYRE

DT = 0.01
LINEAR_SEDAN = replace(MIDSIZE_SEDAN, tyre=replace(PASSENGER_TYRE, linear=True), rear_tyre=None)


@pytest.mark.parametrize("model", ["dynamic", "kinematic"])
def test_a_vehicle_moves_the_same_alone_and_among_others(model):
    """Each vehicle's parameters, tyres (front and rear axle columns), inputs and grade are its own."""
    presets = [SUV, MIDSIZE_SEDAN, LINEAR_SEDAN, BUS, TRUCK]
    speeds = [14.0, 18.0, 22.0, 9.0, 0.0]
    grades = [0.02, 0.0, -0.01, 0.05, 0.03]
    together = VehicleFleet(presets, model=model)
    together.reset(speed=speeds, steering=[0.0, 0.02, 0.0, -0.01, 0.0])
    singles = [VehicleFleet([p], model=model) for p in presets]
    for single, v, steering in zip(singles, speeds, [0.0, 0.02, 0.0, -0.01, 0.0]):
        single.reset(speed=v, steering=steering)

    def apply(fleet, i, k):
        [lambda: fleet.apply_control(k, Control(throttle=0.4, steer=0.1)),
         lambda: fleet.apply_control(k, Control(brake=0.5, steer=-0.05)),
         lambda: fleet.apply_reference_inputs(k, 0.02, -0.4),
         lambda: fleet.apply_ackermann(k, AckermannCommand(speed=12.0, steering_angle=0.05, jerk=2.0)),
         lambda: fleet.apply_acceleration(k, 1.0, -0.05)][i]()

    for i, single in enumerate(singles):
        apply(together, i, i)
        apply(single, i, 0)
    for _ in range(150):
        together.step(DT, grade=grades)
        for single, grade in zip(singles, grades):
            single.step(DT, grade=grade)
    assert together.last_substeps == max(s.last_substeps for s in singles) == 1
    for i, single in enumerate(singles):
        assert np.array_equal(together.state[:, i], single.state[:, 0]), presets[i].name
        assert np.array_equal(together.accel_body[:, i], single.accel_body[:, 0])
    assert np.all(together.x > 0.2), "every vehicle moved (the truck pulls away uphill)"


def test_vectorised_inputs_latch_like_their_scalar_forms():
    scalar = VehicleFleet([MIDSIZE_SEDAN] * 4)
    vector = VehicleFleet([MIDSIZE_SEDAN] * 4)
    for fleet in (scalar, vector):
        fleet.reset(speed=10.0)
    scalar.apply_ackermann(0, AckermannCommand(speed=15.0, steering_angle=0.1, acceleration=-2.0, jerk=1.0,
                                                steering_angle_velocity=-0.2))
    scalar.apply_control(1, Control(throttle=1.5, steer=-3.0, reverse=True, hand_brake=True))
    scalar.apply_control(3, Control(throttle=0.5, steer=0.2))
    vector.apply_ackermann_targets([0], 15.0, 0.1, acceleration=-2.0, jerk=1.0, steering_angle_velocity=-0.2)
    vector.apply_pedals(np.array([False, True, False, True]), [1.5, 0.5], 0.0, [-3.0, 0.2],
                        reverse=[True, False], hand_brake=[True, False])
    for _ in range(50):
        scalar.step(DT)
        vector.step(DT)
    assert np.array_equal(scalar.state, vector.state)
    assert vector.throttle[1] == 1.0 and vector.steer[1] == -1.0, "clipped as apply_control clips"
    assert vector.reverse[1] and vector.hand_brake[1]


def test_input_indices_follow_numpy_rules_and_bad_ones_raise():
    fleet = VehicleFleet([COMPACT_CAR] * 3)
    fleet.apply_acceleration(-1, 1.5, 0.1)
    assert fleet.mode[2] == 2 and fleet.controller.target_accel[2] == 1.5
    fleet.apply_acceleration(slice(0, 2), [0.5, -0.5])
    assert list(fleet.controller.target_accel) == [0.5, -0.5, 1.5]
    with pytest.raises(IndexError):
        fleet.apply_acceleration([3], 1.0)
    with pytest.raises(IndexError):
        fleet.apply_pedals(np.array([True, False]), 0.5, 0.0, 0.0)
    with pytest.raises(ValueError, match="broadcast"):
        fleet.apply_pedals([0, 1], [0.1, 0.2, 0.3], 0.0, 0.0)


def test_derivative_functions_evaluate_the_models_for_a_fleet():
    fleet = VehicleFleet([MIDSIZE_SEDAN, SUV], model="kinematic")
    fleet.reset(heading=[0.3, -1.0], speed=[10.0, 5.0], steering=[0.05, -0.1])
    dx = st.kinematic_derivative(fleet.state, fleet.inputs, fleet.params)
    v, yaw, delta = fleet.speed, fleet.heading, fleet.steering_angle
    assert np.allclose(dx[st.X], v * np.cos(yaw)) and np.allclose(dx[st.Y], v * np.sin(yaw))
    assert np.allclose(dx[st.YAW], v * np.tan(delta) / fleet.params.wheelbase)
    dyn = st.dynamic_derivative(fleet.state, fleet.inputs, fleet.params)
    # On the no-slip trajectory the dynamic model's yaw rate derivative is small (steady turn).
    assert np.all(np.abs(dyn[st.YAW_RATE]) < 0.5)
    assert st.stiffness_bound(fleet.state, fleet.params) >= 1.0 / st.KINEMATIC_RELAXATION


def test_traffic_decisions_accept_scalars_and_lists_in_the_context():
    driver = TrafficDriver([DriverConfig(model="idm")] * 2, 0.1)
    ctx = TrafficContext.free_road([10.0, 20.0], 20.0)
    ctx.leader_gap = [np.inf, 15.0]
    ctx.leader_speed = 5.0
    decision = driver.decide(ctx)
    assert decision.acceleration[0] > 0 > decision.acceleration[1]


def test_stale_numba_caches_are_removed_when_any_source_changes(tmp_path, monkeypatch):
    (tmp_path / "a.py").write_text("x = 1\n")
    cache = tmp_path / "__pycache__"
    cache.mkdir()
    monkeypatch.setattr(jit, "PACKAGE_DIR", tmp_path)
    monkeypatch.setattr(jit.numba.config, "CACHE_DIR", "")  # the in-tree layout
    (cache / "a.f-1.py311.nbi").write_text("index")
    jit._invalidate_stale_caches()
    assert not (cache / "a.f-1.py311.nbi").exists(), "no stamp yet: unknown provenance, removed"
    (cache / "a.f-1.py311.nbi").write_text("index")
    jit._invalidate_stale_caches()
    assert (cache / "a.f-1.py311.nbi").exists(), "sources unchanged: the cache stays"
    (tmp_path / "a.py").write_text("x = 2\n")
    jit._invalidate_stale_caches()
    assert not (cache / "a.f-1.py311.nbi").exists(), "a source changed: the cache goes"


def test_warm_up_runs_every_kernel_once():
    from vehicle_models.warmup import warm_up
    assert warm_up() >= 0.0
