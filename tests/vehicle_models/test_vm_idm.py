"""IDM against its published behaviour (Treiber, Hennecke & Helbing 2000; Sugiyama et al. 2008)."""

import numpy as np
import pytest

from vehicle_models.drivers import (
    DriverConfig,
    IDMParameters,
    TrafficContext,
    TrafficDriver,
    equilibrium_gap,
    string_stability_margin,
)

DT = 0.1  # the ballistic update of Treiber & Kesting 2013 §10.2 at their usual step


def test_follower_settles_at_the_equilibrium_gap_behind_a_constant_speed_leader():
    idm = IDMParameters()
    driver = TrafficDriver([DriverConfig(model="idm", idm=idm, fixed_desired_speed=True)], DT)
    leader_speed, gap, v = 20.0, 15.0, 25.0
    for _ in range(int(300 / DT)):
        ctx = TrafficContext.free_road([v], idm.desired_speed)
        ctx.leader_gap[:] = gap
        ctx.leader_speed[:] = leader_speed
        a = driver.decide(ctx).acceleration[0]
        gap += (leader_speed - v) * DT - 0.5 * a * DT**2
        v = max(v + a * DT, 0.0)
    assert v == pytest.approx(leader_speed, abs=1e-3)
    assert gap == pytest.approx(equilibrium_gap(idm, leader_speed), rel=1e-3)
    # THH 2000 closed form: (s0 + vT) / sqrt(1 - (v/v0)^4) = 34 / sqrt(1 - 0.36^4) ≈ 34.29 m.
    assert equilibrium_gap(idm, leader_speed) == pytest.approx(34.0 / np.sqrt(1 - 0.6**4), rel=1e-9)


def _ring(idm: IDMParameters, n=22, circumference=230.0, length=4.0, seconds=500.0, seed=1):
    """Sugiyama et al. 2008 (New J. Phys. 10, 033001): 22 cars on a 230 m circuit."""
    rng = np.random.default_rng(seed)
    driver = TrafficDriver([DriverConfig(model="idm", idm=idm, fixed_desired_speed=True)] * n, DT)
    spacing = circumference / n
    gap0 = spacing - length
    v_eq = _equilibrium_speed(idm, gap0)
    pos = np.arange(n) * spacing + rng.normal(0.0, 0.5, n)  # a small perturbation
    v = np.full(n, v_eq)
    history = []
    for _ in range(int(seconds / DT)):
        lead = np.roll(np.arange(n), -1)
        gap = (pos[lead] - pos) % circumference - length
        ctx = TrafficContext.free_road(v, idm.desired_speed, length)
        ctx.leader_gap = gap
        ctx.leader_speed = v[lead]
        a = driver.decide(ctx).acceleration
        pos = pos + np.maximum(v * DT + 0.5 * a * DT**2, 0.0)
        v = np.maximum(v + a * DT, 0.0)
        history.append((pos.copy(), v.copy(), gap.min()))
    return v_eq, history


def _equilibrium_speed(idm, gap):
    lo, hi = 0.0, idm.desired_speed
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if equilibrium_gap(idm, mid) < gap else (lo, mid)
    return lo


CITY = IDMParameters(desired_speed=15.0, time_headway=1.0, min_gap=2.0, max_acceleration=1.0,
                     comfortable_deceleration=1.5)
"""Treiber & Kesting 2013 Tab. 11.2, city traffic (v0 54 km/h, T 1 s, s0 2 m, a 1 m/s², b 1.5 m/s²)."""


def test_ring_road_develops_a_stop_and_go_wave_travelling_upstream_like_sugiyama():
    v_eq, history = _ring(CITY)
    assert string_stability_margin(CITY, v_eq) < 0, "the analytic criterion predicts instability"
    speeds = np.array([h[1] for h in history])
    late = speeds[-int(60 / DT):]
    assert late.std(axis=1).mean() > 1.5, "the small perturbation grew"
    assert late.min() < 0.5, "vehicles come (almost) to a stop: stop-and-go"
    assert min(h[2] for h in history) > 0.0, "no collisions"
    # The jam (slowest vehicle's position) moves backward at a speed of the order Sugiyama
    # measured (about 20 km/h) and the universal jam front speed of -10...-20 km/h.
    positions = np.array([h[0] for h in history])[-int(60 / DT):]
    slowest = positions[np.arange(len(late)), late.argmin(axis=1)] % 230.0
    drift = np.unwrap(slowest / 230.0 * 2 * np.pi) * 230.0 / (2 * np.pi)
    wave_speed = np.polyfit(np.arange(len(drift)) * DT, drift, 1)[0] * 3.6
    print(f"equilibrium speed {v_eq * 3.6:.1f} km/h, jam speed {wave_speed:.1f} km/h")
    assert -30.0 < wave_speed < -8.0


def test_ring_road_with_string_stable_parameters_damps_the_perturbation():
    stable = IDMParameters(desired_speed=15.0, time_headway=1.0, min_gap=2.0, max_acceleration=3.0,
                           comfortable_deceleration=1.5)
    v_eq, history = _ring(stable, seconds=150.0)
    assert string_stability_margin(stable, v_eq) > 0
    speeds = np.array([h[1] for h in history])
    assert speeds[-1].std() < 0.05
    assert speeds[-1].mean() == pytest.approx(v_eq, rel=0.01)
