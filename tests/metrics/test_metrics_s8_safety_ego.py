"""Session 8: ``ego_pass.ego_pass`` against ``kernels.ego_pairs`` bit for bit on scenes that sit on the
edges of its branches: grazing passes (disc ≈ 0, the root's cancellation), head-on, crossing and
receding traffic far beyond a near threat (the running minima the shortcuts compare against),
closest approaches at the horizon and a float either side, boxes side by side (every vertex-edge
projection case), NaN and infinite entries.  They guard the session's changes of form (the centre
hypots in their own loop, ``error_model="numpy"``) and any later bound that leaves work out: one
was tried here (touch time, t* past the horizon, clamped projections; not kept, no faster) and
23 of these tests failed it with its allowances made wrong."""

from __future__ import annotations

import math

import numpy as np
import pytest
from test_metrics_s4_pairs_ego import reference, same, scene, state_of

from metrics import ego_pass


def check(e, cx, cy, vx, vy, c, s, length, width, horizon=5.0, rows=True):
    radius, dist, ttc, minima, lead, lead_gap, lead_closing = reference(e, cx, cy, vx, vy, c, s, length, width,
                                                                        2.0, horizon)
    boxes = (length[:1], width[:1], radius[:1]) if rows else (length, width, radius)
    got = ego_pass.ego_pass(e, cx, cy, state_of(cx, cy, vx, vy), 7, 8, c, s, *boxes, 2.0, horizon)
    assert same(got[0], dist) and same(got[1], ttc)
    for q, (index, value) in enumerate(minima):
        assert np.array_equal(got[2][q], index), q
        assert same(got[3][q], value), q
    assert np.array_equal(got[4], lead) and same(got[5], lead_gap) and same(got[6], lead_closing)
    return minima


def grazing(rng: np.random.Generator, T: int, N: int, eps: float):
    """The ego still at the origin; entity j passes it at a miss distance of its disc sum + a tiny
    ``eps`` (scaled), from far or near, some fast, so the root's discriminant is about 0; the first
    entities close in fast (a small touch time first, then bounds to beat)."""
    length = np.repeat(rng.uniform(0.5, 6.0, (1, N)), T, axis=0)
    width = np.repeat(rng.uniform(0.4, 2.5, (1, N)), T, axis=0)
    radius = 0.5 * np.hypot(length[0], width[0])
    rs = radius[0] + radius
    far = rng.choice([5.0, 30.0, 300.0, 3e4], N)[None, :] * rng.uniform(0.5, 1.5, (T, 1))
    speed = rng.choice([0.3, 5.0, 40.0], N)[None, :] * np.ones((T, 1))
    ang = rng.uniform(-math.pi, math.pi, (T, N))
    miss = rs[None, :] * (1.0 + eps * rng.choice([-1.0, 0.0, 1.0], (T, N)))
    # position: along -u (distance ``far``) and across by ``miss``; velocity +u (towards and past)
    ux, uy = np.cos(ang), np.sin(ang)
    cx = -far * ux - miss * uy
    cy = -far * uy + miss * ux
    vx, vy = speed * ux, speed * uy
    cx[:, 0], cy[:, 0], vx[:, 0], vy[:, 0] = 0.0, 0.0, 0.0, 0.0
    if N > 3:   # a near threat early in the row: the bounds have a small minimum to beat
        cx[:, 1], cy[:, 1], vx[:, 1], vy[:, 1] = 8.0, 0.1, -20.0, 0.0
    h = rng.uniform(-math.pi, math.pi, (T, N))
    return cx, cy, vx, vy, np.cos(h), np.sin(h), length, width


@pytest.mark.parametrize("eps", [0.0, 1e-15, 1e-12, 1e-9, 1e-6, 1e-3])
@pytest.mark.parametrize("N", [2, 9, 24])
def test_grazing_passes_agree(eps, N):
    rng = np.random.default_rng(int(eps * 1e15) % 1000 + N)
    args = grazing(rng, 40, N, eps)
    for e in (0, N - 1):
        check(e, *args)


@pytest.mark.parametrize("seed", range(6))
def test_traffic_far_beyond_a_near_threat(seed):
    """A near entity first, then head-on, crossing and receding traffic 50–3 000 m off at all speeds."""
    rng = np.random.default_rng(seed)
    cx, cy, vx, vy, c, s, length, width = scene(rng, 50, 22, 3.0, bool(seed % 2))
    far = rng.uniform(50, 3000, (1, 22)) * rng.choice([-1.0, 1.0], (1, 22))
    cx[:, 3:] += far[:, 3:]
    cy[:, 3:] += rng.uniform(-20, 20, (50, 19))
    vx[:, 3:] *= rng.choice([0.1, 1.0, 10.0], (1, 19))
    for e in (0, 1, 21):
        check(e, cx, cy, vx, vy, c, s, length, width, rows=bool(seed % 3))


@pytest.mark.parametrize("horizon", [5.0, 0.5, 1e-3, math.inf])
def test_closest_approach_at_the_horizon(horizon):
    """t* = −p·v/|v|² landing on the horizon and a float either side of it."""
    rng = np.random.default_rng(5)
    T, N = 30, 12
    cx, cy, vx, vy, c, s, length, width = scene(rng, T, N, 20.0)
    cx[:, 0] = cy[:, 0] = vx[:, 0] = vy[:, 0] = 0.0
    h = 5.0 if math.isinf(horizon) else horizon
    for j in range(1, N):
        speed = float(rng.choice([0.25, 1.0, 3.0, 17.0]))
        t = float(np.nextafter(h, [0.0, h, np.inf][j % 3])) if j % 3 != 1 else h
        cx[:, j], cy[:, j] = -speed * t, float(rng.uniform(-5, 5))
        vx[:, j], vy[:, j] = speed, 0.0
    check(0, cx, cy, vx, vy, c, s, length, width, horizon=horizon)


def test_side_by_side_boxes_measure_every_vertex_edge_case():
    """Boxes within the near range at every relative heading: each vertex-edge projection clamps
    at 0, at 1, and falls between (the divisions left out and those made)."""
    rng = np.random.default_rng(9)
    T, N = 200, 6
    cx, cy, vx, vy, c, s, length, width = scene(rng, T, N, 1.5)
    cx[:, 0], cy[:, 0] = 0.0, 0.0
    cx[:, 1:] = rng.choice([-5.0, -2.5, 0.0, 2.5, 5.0], (T, N - 1)) + rng.normal(0, 0.3, (T, N - 1))
    cy[:, 1:] = rng.choice([-2.2, 0.0, 2.2], (T, N - 1))
    h = rng.choice([0.0, math.pi / 2, math.pi, 0.3, -2.0], (T, N))
    c, s = np.cos(h), np.sin(h)
    dist = check(0, cx, cy, vx, vy, c, s, length, width)[0][1]
    assert ((dist > 0) & (dist < 2.0)).any()


def test_nan_and_infinite_entries_beside_the_bounds():
    rng = np.random.default_rng(4)
    cx, cy, vx, vy, c, s, length, width = grazing(rng, 40, 14, 1e-9)
    cx[::3, 5] = np.nan
    vx[::4, 6] = np.inf
    vy[1::4, 7] = -np.inf
    vx[::5, 8] = np.nan
    cy[::6, 9] = 1e200
    vx[::7, 10] = 1e-200
    for e in (0, 5, 13):
        check(e, cx, cy, vx, vy, c, s, length, width)
