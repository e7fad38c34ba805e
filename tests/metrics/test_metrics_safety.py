"""Safety metrics on hand-computed cases."""

from __future__ import annotations

import math

import numpy as np
import pytest
from metrics_testkit import entity, run

from metrics import ConflictZone, MetricSuite, ScenarioContext
from metrics.geometry import box_corners, boxes_distance, boxes_overlap, segment_crossing
from simplatform.world import EntityKind


def test_two_cars_closing_give_the_known_ttc_thw_and_drac():
    # Ego 20 m/s at x=0, leader 10 m/s at x=50, both 4 m long: bumper gap 46 m, closing 10 m/s.
    suite = MetricSuite(ScenarioContext())
    ev = run(suite, lambda t: [entity("ego", 20 * t, -1.75, speed=20, ego=True),
                               entity("lead", 50 + 10 * t, -1.75, speed=10)], t_end=0.0)
    s = ev.metrics["surrogate_safety"].scalars
    assert s["ttc_min"] == pytest.approx(46 / 10)
    assert s["thw_min"] == pytest.approx(46 / 20)
    assert s["drac_max"] == pytest.approx(10 ** 2 / (2 * 46))
    assert s["min_distance"] == pytest.approx(46)
    assert ev.metrics["surrogate_safety"].worst_entities["ttc_min"] == ("lead",)
    # 2-D variant: discs of radius sqrt(2²+1²) each: (50 − 2·√5) / 10.
    assert s["ttc_2d_min"] == pytest.approx((50 - 2 * math.sqrt(5)) / 10)


def test_ttc_shrinks_as_the_cars_close_and_the_worst_time_is_reported():
    suite = MetricSuite(ScenarioContext())
    ev = run(suite, lambda t: [entity("ego", 20 * t, 0, speed=20, ego=True),
                               entity("lead", 50 + 10 * t, 0, speed=10)], t_end=2.0, dt=0.1)
    s = ev.metrics["surrogate_safety"]
    assert s.scalars["ttc_min"] == pytest.approx((46 - 10 * 2.0) / 10)
    assert s.worst_time["ttc_min"] == pytest.approx(2.0)


def test_car_in_the_next_lane_is_not_in_the_path_but_counts_for_2d_ttc():
    suite = MetricSuite(ScenarioContext())
    ev = run(suite, lambda t: [entity("ego", 0, -1.75, speed=20, ego=True),
                               entity("side", 30, -5.25, speed=10)], t_end=0.0)
    s = ev.metrics["surrogate_safety"].scalars
    assert math.isinf(s["ttc_min"]) and math.isinf(s["thw_min"]) and s["drac_max"] == 0.0
    # discs of radius √5 touch when the longitudinal gap is √(20 − 3.5²) → finite 2-D TTC
    assert s["ttc_2d_min"] == pytest.approx((30 - math.sqrt((2 * math.sqrt(5)) ** 2 - 3.5 ** 2)) / 10)


def test_collision_names_the_other_party_and_relative_speed_and_counts_once():
    # Ego 10 m/s into a stopped pedestrian at x=20; boxes touch at t = (20 - 2 - 0.25)/10 = 1.775 s
    suite = MetricSuite(ScenarioContext())
    ev = run(suite, lambda t: [entity("ego", 10 * t, 0, speed=10, ego=True),
                               entity("ped", 20, 0, length=0.5, width=0.5, kind=EntityKind.PEDESTRIAN,
                                      category="pedestrian")], t_end=2.5)
    c = ev.metrics["collision"]
    assert c.scalars["collisions"] == 1 and c.scalars["collisions_pedestrian"] == 1
    assert c.worst_time["collisions"] == pytest.approx(1.78, abs=0.006)
    assert c.worst_entities["collisions"] == ("ped",)
    assert c.scalars["collision_speed_max"] == pytest.approx(10.0)


def test_rotated_boxes_overlap_by_separating_axes():
    a = box_corners(np.array([0.0]), np.array([0.0]), np.array([0.0]), np.array([4.0]), np.array([2.0]))
    # A box rotated 45° whose corner pokes 0.1 m into a's front edge (x = 2)
    half_diag = math.hypot(1.0, 1.0)
    b_in = box_corners(np.array([2 + half_diag - 0.1]), np.array([0.0]), np.array([math.pi / 4]), np.array([2.0]), np.array([2.0]))
    b_out = box_corners(np.array([2 + half_diag + 0.1]), np.array([0.0]), np.array([math.pi / 4]), np.array([2.0]), np.array([2.0]))
    assert boxes_overlap(a, b_in)[0] and not boxes_overlap(a, b_out)[0]
    assert boxes_distance(a, b_out)[0] == pytest.approx(0.1)
    assert boxes_distance(a, b_in)[0] == 0.0


def test_segment_crossing_fraction():
    crossed, u = segment_crossing(np.array([0.0, 0]), np.array([4.0, 0]), np.array([1.0, -1]), np.array([1.0, 1]))
    assert crossed and u == pytest.approx(0.25)
    assert not segment_crossing(np.array([0.0, 0]), np.array([0.5, 0]), np.array([1.0, -1]), np.array([1.0, 1]))[0]


def test_near_miss_counted_once_per_episode_without_contact():
    # Leader 0.3 m ahead (gap), same speed: distance < 0.5 m for the whole run → one near miss
    suite = MetricSuite(ScenarioContext())
    ev = run(suite, lambda t: [entity("ego", 10 * t, 0, speed=10, ego=True),
                               entity("lead", 4.3 + 10 * t, 0, speed=10)], t_end=1.0, dt=0.1)
    assert ev.metrics["surrogate_safety"].scalars["near_misses"] == 1
    assert ev.metrics["collision"].scalars["collisions"] == 0


def test_post_encroachment_time_at_a_conflict_zone():
    # Zone x in [20, 24] on the ego lane; a crossing pedestrian leaves it at t=1, the ego's box enters it at
    # 10 t + 2 = 20 → t = 1.8 s: PET = 0.8 s.
    zone = ConflictZone("crossing", ((20, -3), (24, -3), (24, 3), (20, 3)))

    def states(t):
        ped_y = -4 + 8 * t   # 0.5 m box: occupies zone while |y| <= 3.25 → leaves at t = (3.25 + 4) / 8
        return [entity("ego", 10 * t, 0, speed=10, ego=True),
                entity("ped", 22, ped_y, heading=math.pi / 2, speed=8, length=0.5, width=0.5, kind=EntityKind.PEDESTRIAN)]
    ev = run(MetricSuite(ScenarioContext(conflict_zones=(zone,))), states, t_end=2.5)
    pet = ev.metrics["post_encroachment"]
    assert pet.scalars["pet_min"] == pytest.approx(1.8 - (3.25 + 4) / 8, abs=0.011)
    assert pet.worst_entities["pet_min"] == ("ped",)


def test_closest_approach_of_crossing_traffic_and_static_collision():
    # A car crossing 20 m ahead at 10 m/s from 10 m to the right; the ego at 10 m/s: they meet at t = 1 s
    # in the same point → predicted miss distance 0.
    suite = MetricSuite(ScenarioContext())
    ev = run(suite, lambda t: [entity("ego", 10 * t, 0, speed=10, ego=True),
                               entity("cross", 10, -10 + 10 * t, heading=math.pi / 2, speed=10)], t_end=0.0)
    assert ev.metrics["surrogate_safety"].scalars["closest_approach_min"] == pytest.approx(0.0, abs=1e-9)
    hit = run(MetricSuite(ScenarioContext()), lambda t: [entity("ego", 10 * t, 0, speed=10, ego=True),
                                                        entity("cone", 10, 0, length=0.4, width=0.4,
                                                               kind=EntityKind.MISC_OBJECT, category="obstacle")],
              t_end=1.5, dt=0.1)
    assert hit.metrics["collision"].scalars["collisions_static"] == 1
    assert hit.metrics["collision"].scalars["collisions_all"] == 1


def test_a_car_backing_into_the_stopped_ego_is_not_the_egos_collision():
    # ScenarioRunner CollisionTest.EPSILON: an ego slower than 0.1 m/s is not at fault.
    ev = run(MetricSuite(ScenarioContext()), lambda t: [entity("ego", 0, 0, speed=0, ego=True),
                                                       entity("reverser", 6 - 2 * t, 0, speed=-2)], t_end=2.0, dt=0.1)
    c = ev.metrics["collision"].scalars
    assert c["collisions"] == 0 and c["collisions_all"] == 1


def test_a_second_contact_within_5_m_of_a_crash_is_the_same_crash():
    # COLLISION_RADIUS: the ego hits box1 at x = 7.75 (t = 0.775 s), brakes at 25 m/s² and, still moving,
    # touches box2 1.6 m further on: one collision for the Leaderboard, two contacts in all.
    t0 = 0.775

    def states(t):
        tau = min(max(t - t0, 0.0), 0.4)
        x = 10 * min(t, t0) + 10 * tau - 12.5 * tau * tau
        v = 10.0 if t < t0 else 10 - 25 * tau
        return [entity("ego", x, 0, speed=v, ego=True),
                entity("box1", 10, 0, length=0.5, width=0.5, kind=EntityKind.MISC_OBJECT, category="obstacle"),
                entity("box2", 11.6, 0, length=0.5, width=0.5, kind=EntityKind.MISC_OBJECT, category="obstacle")]
    ev = run(MetricSuite(ScenarioContext()), states, t_end=2.0, dt=0.01)
    c = ev.metrics["collision"].scalars
    assert c["collisions_static"] == 1 and c["collisions_all"] == 2
