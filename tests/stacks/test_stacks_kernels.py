"""The compiled route projection (simplatform.stacks.route_kernels) equals the numpy array path bit for bit."""

from __future__ import annotations

import math
import struct

import numpy as np
import pytest

from simplatform.stacks.route import RoutePath
from test_stack_route_paths import winding_route


def bits(values) -> bytes:
    """The exact bit patterns (NaN payloads and signed zeros included)."""
    return struct.pack(f"<{len(values)}d", *values)


def frenet_bits(f) -> bytes:
    return bits([*np.asarray(f.s).tolist(), *np.asarray(f.d).tolist(), *np.asarray(f.heading).tolist()])


def windows(route: RoutePath, rng: np.random.Generator) -> list[tuple[float | None, float]]:
    """No hint; hints inside, on vertices (bisect ties), before the start and far past the goal."""
    out: list[tuple[float | None, float]] = [(None, 150.0)]
    out += [(float(h), float(w)) for h, w in zip(rng.uniform(0.0, route.length, 12), rng.uniform(2.0, 260.0, 12))]
    out += [(float(route.cumulative[k]), float(route.cumulative[k + 3] - route.cumulative[k])) for k in (0, 40, 200)]
    out += [(-50.0, 10.0), (route.length + 500.0, 150.0), (route.length, 0.0), (route.length + 20.0, 12.0)]
    return out


@pytest.mark.parametrize("seed", range(3))
def test_compiled_projection_is_the_numpy_array_path(seed):
    route = winding_route(seed)
    rng = np.random.default_rng(200 + seed)
    s_true = rng.uniform(-30.0, route.length + 30.0, 120)
    x, y, _ = route.pose_at(s_true, rng.normal(0.0, 4.0, 120))
    xy = np.stack([x, y], axis=1)
    for hint, window in windows(route, rng):
        reference = route._project_arrays(xy, s_hint=hint, window=window)
        assert frenet_bits(route.project(xy, s_hint=hint, window=window)) == frenet_bits(reference)
        for k in range(0, 120, 7):
            one = route.project_point(float(x[k]), float(y[k]), s_hint=hint, window=window)
            assert bits(one) == bits([reference.s[k], reference.d[k], reference.heading[k]])


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")
def test_ties_and_non_finite_points_follow_numpy_argmin():
    """Equidistant segments (the first wins), and NaN / infinite coordinates as numpy treats them."""
    square = RoutePath(np.array([[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [0.0, 10.0], [0.0, 0.0]]))
    points = np.array([[5.0, 5.0], [10.0, 0.0], [0.0, 0.0], [math.nan, 1.0], [1.0, math.inf], [-math.inf, 2.0],
                       [math.inf, math.inf], [-0.0, -0.0]])
    for hint in (None, 5.0, 35.0):
        reference = square._project_arrays(points, s_hint=hint, window=20.0)
        assert frenet_bits(square.project(points, s_hint=hint, window=20.0)) == frenet_bits(reference)
        for k, (px, py) in enumerate(points.tolist()):
            one = square.project_point(px, py, s_hint=hint, window=20.0)
            assert bits(one) == bits([reference.s[k], reference.d[k], reference.heading[k]])
    assert square.project_point(5.0, 5.0) == (5.0, 5.0, 0.0)     # four equidistant sides: the first segment


def test_projection_of_no_points_and_of_a_one_segment_route():
    route = RoutePath(np.array([[0.0, 0.0], [3.0, 4.0]]))
    empty = route.project(np.zeros((0, 2)), s_hint=1.0)
    assert empty.s.shape == empty.d.shape == empty.heading.shape == (0,)
    for x, y in ((-3.0, 1.0), (1.5, 2.0), (9.0, 8.0)):
        reference = route._project_arrays(np.array([[x, y]]), s_hint=2.0, window=1.0)
        assert route.project_point(x, y, s_hint=2.0, window=1.0) == \
            (float(reference.s[0]), float(reference.d[0]), float(reference.heading[0]))
