"""MOBIL lane changes, stopping at signals and yield lines, human-driver errors, styles."""

import numpy as np
import pytest

from vehicle_models.drivers import (
    DRIVER_STYLES,
    DriverConfig,
    HumanParameters,
    TrafficContext,
    TrafficDriver,
)

DT = 0.1


def _slow_leader_context(n=1):
    ctx = TrafficContext.free_road(np.full(n, 25.0), 30.0)
    ctx.leader_gap[:] = 25.0
    ctx.leader_speed[:] = 15.0
    return ctx


def test_mobil_overtakes_a_slow_leader_when_the_left_lane_is_free():
    driver = TrafficDriver([DriverConfig(model="idm_mobil")], DT)
    ctx = _slow_leader_context()
    ctx.left_available[:] = True
    assert driver.decide(ctx).lane_change[0] == 1
    # The minimum interval blocks an immediate second change.
    assert driver.decide(ctx).lane_change[0] == 0


def test_mobil_safety_criterion_blocks_a_change_in_front_of_a_fast_close_follower():
    driver = TrafficDriver([DriverConfig(model="idm_mobil")], DT)
    ctx = _slow_leader_context()
    ctx.left_available[:] = True
    ctx.left_follower_gap[:] = 3.0
    ctx.left_follower_speed[:] = 35.0
    assert driver.decide(ctx).lane_change[0] == 0


def test_mobil_politeness_and_keep_right_bias():
    ctx = _slow_leader_context(2)
    ctx.leader_gap[:] = 60.0  # a mildly slower leader: about -0.8 m/s² in lane, +0.4 after the change
    ctx.leader_speed[:] = 22.0
    ctx.left_available[:] = True
    # A follower in the target lane that would have to brake by about 1.1 m/s² (safe, not free).
    ctx.left_follower_gap[:] = 40.0
    ctx.left_follower_speed[:] = 26.0
    from vehicle_models.drivers import MOBILParameters
    egoistic = DriverConfig(mobil=MOBILParameters(politeness=0.0))
    altruistic = DriverConfig(mobil=MOBILParameters(politeness=1.0))
    decision = TrafficDriver([egoistic, altruistic], DT).decide(ctx).lane_change
    assert list(decision) == [1, 0]
    # Free road, both lanes open: a keep-right bias sends the driver right, none keeps it.
    free = TrafficContext.free_road(np.full(2, 25.0), 30.0)
    free.left_available[:] = True
    free.right_available[:] = True
    keep_right = DriverConfig(mobil=MOBILParameters(keep_right_bias=0.3))
    assert list(TrafficDriver([DriverConfig(), keep_right], DT).decide(free).lane_change) == [0, -1]


def _approach(stop_distance, yield_required=None, speed=15.0, seconds=30.0):
    driver = TrafficDriver([DriverConfig(model="idm")], DT)
    position, v = 0.0, speed
    for _ in range(int(seconds / DT)):
        ctx = TrafficContext.free_road([v], 15.0)
        if yield_required is None:
            ctx.stop_distance[:] = stop_distance - position
        else:
            ctx.yield_distance[:] = stop_distance - position
            ctx.yield_required[:] = yield_required
        a = driver.decide(ctx).acceleration[0]
        position += max(v * DT + 0.5 * a * DT**2, 0.0)
        v = max(v + a * DT, 0.0)
    return position, v


def test_stops_before_a_red_signal_stop_line_and_at_a_required_yield_line():
    position, v = _approach(100.0)
    assert v < 0.05
    assert 100.0 - 2.0 < position < 100.0
    position, v = _approach(100.0, yield_required=True)
    assert v < 0.05 and position < 100.0
    position, v = _approach(100.0, yield_required=False)
    assert position > 200.0, "no conflicting traffic: drives through"


def test_amber_dilemma_goes_on_when_it_cannot_stop_safely():
    position, _ = _approach(8.0, speed=15.0, seconds=3.0)  # 15 m/s, 8 m: would need 14 m/s²
    assert position > 8.0


def test_human_driver_reacts_after_its_reaction_time():
    human = HumanParameters(reaction_time=1.0, gap_noise=0.0, approach_noise=0.0, speed_error=0.0)
    driver = TrafficDriver([DriverConfig(model="human", human=human), DriverConfig(model="idm_mobil")], DT, seed=3)
    free = TrafficContext.free_road(np.full(2, 20.0), 20.0)
    braking = _slow_leader_context(2)
    braking.speed[:] = 20.0
    braking.leader_gap[:] = 10.0
    braking.leader_speed[:] = 0.0
    for _ in range(5):
        driver.decide(free)
    responses = [driver.decide(braking).acceleration for _ in range(12)]
    human_a = np.array([r[0] for r in responses])
    ideal_a = np.array([r[1] for r in responses])
    assert ideal_a[0] < -5.0
    assert np.all(human_a[:10] > -0.5), "still acting on the free road for 1 s"
    assert human_a[10] == pytest.approx(ideal_a[10])


def test_human_noise_is_reproducible_from_the_seed_and_differs_between_seeds():
    def run(seed):
        driver = TrafficDriver([DriverConfig(model="human", human=HumanParameters(reaction_time=0.0))] * 3, DT,
                               seed=seed)
        ctx = _slow_leader_context(3)
        ctx.leader_gap[:] = 40.0
        ctx.leader_speed[:] = 24.0
        return np.array([driver.decide(ctx).acceleration for _ in range(50)])
    assert np.array_equal(run(1), run(1))
    assert not np.allclose(run(1), run(2))
    spread = run(1)
    assert spread.std() > 0.01, "perception noise changes the acceleration"


def test_styles_order_from_aggressive_to_cautious():
    a, n, c = (DRIVER_STYLES[k] for k in ("aggressive", "normal", "cautious"))
    assert a.idm.time_headway < n.idm.time_headway < c.idm.time_headway
    assert a.idm.max_acceleration > n.idm.max_acceleration > c.idm.max_acceleration
    assert a.mobil.politeness < n.mobil.politeness < c.mobil.politeness
    assert a.human.reaction_time < n.human.reaction_time < c.human.reaction_time
    # Same situation: the aggressive driver follows closer (accelerates harder at the same gap).
    ctx = _slow_leader_context(3)
    ctx.leader_speed[:] = 25.0
    ctx.leader_gap[:] = 40.0
    configs = [DriverConfig(model="idm", idm=s.idm) for s in (a, n, c)]
    acc = TrafficDriver(configs, DT).decide(ctx).acceleration
    assert acc[0] > acc[1] > acc[2]
