"""The route's scalar paths (one point per call, for the controller and planner) equal its array paths bit for bit."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simplatform.stacks.route import RoutePath


def winding_route(seed: int) -> RoutePath:
    """A 2 m-spaced lane centre with curves of both signs, a hairpin and uneven spacing, with attributes."""
    rng = np.random.default_rng(seed)
    heading = np.cumsum(rng.normal(0.0, 0.08, 400))
    heading[150:170] += np.linspace(0.0, math.pi, 20)               # a hairpin: the route passes near itself
    step = rng.uniform(1.0, 3.0, 400)
    pts = np.cumsum(np.stack([step * np.cos(heading), step * np.sin(heading)], axis=1), axis=0)
    n = len(pts)
    return RoutePath(pts, speed_limit=rng.choice([13.9, 22.2, np.inf], n), lanes_left=rng.integers(0, 3, n),
                     lanes_right=rng.integers(0, 2, n), lane_width=rng.uniform(3.0, 3.8, n))


@pytest.mark.parametrize("seed", range(3))
def test_project_point_is_the_array_projection(seed):
    route = winding_route(seed)
    rng = np.random.default_rng(100 + seed)
    s_true = rng.uniform(-20.0, route.length + 20.0, 300)
    x, y, _ = route.pose_at(s_true, rng.normal(0.0, 3.0, 300))
    for k in range(300):
        for hint, window in ((None, 150.0), (float(s_true[k]) + rng.normal(0, 3), 12.0), (float(s_true[k]), 250.0)):
            f = route.project(np.array([[x[k], y[k]]]), s_hint=hint, window=window)
            assert route.project_point(float(x[k]), float(y[k]), s_hint=hint, window=window) == \
                (float(f.s[0]), float(f.d[0]), float(f.heading[0]))
    many = route.project(np.stack([x, y], axis=1))                   # the array path, many points at once
    assert [route.project_point(float(a), float(b))[0] for a, b in zip(x, y)] == many.s.tolist()


def test_scalar_pose_and_attribute_queries_are_the_array_ones():
    route = winding_route(7)
    rng = np.random.default_rng(5)
    for s in np.concatenate([rng.uniform(-10.0, route.length + 10.0, 200), route.cumulative[:50], [0.0, route.length]]):
        d = float(rng.normal(0.0, 2.0))
        xs, ys, hs = route.pose_at(np.array([s]), np.array([d]))
        assert route.pose_at(float(s), d) == (float(xs[0]), float(ys[0]), float(hs[0]))
        i = int(np.clip(np.searchsorted(route.cumulative, s, side="right") - 1, 0, len(route.lane_width) - 1))
        assert route.attribute_at("lane_width", float(s)) == float(route.lane_width[i])
        i1 = int(np.clip(np.searchsorted(route.cumulative, s + 150.0, side="right"), i + 1, len(route.speed_limit)))
        assert route.attribute_min("speed_limit", float(s), float(s) + 150.0) == float(np.min(route.speed_limit[i:i1]))


def test_curve_speed_from_the_cached_vertex_curvature():
    route = winding_route(3)
    for s0 in np.linspace(0.0, route.length - 60.0, 40):
        i0 = max(0, int(np.searchsorted(route.cumulative, s0)) - 1)
        i1 = min(len(route.seg_heading) - 1, int(np.searchsorted(route.cumulative, s0 + 60.0)) + 1)
        turn = np.angle(np.exp(1j * np.diff(route.seg_heading[i0:i1 + 1])))
        kappa = np.max(np.abs(turn) / (0.5 * (route.seg_len[i0:i1] + route.seg_len[i0 + 1:i1 + 1])))
        assert route.curvature_speed(s0, s0 + 60.0, 2.5) == float(np.sqrt(2.5 / kappa))
