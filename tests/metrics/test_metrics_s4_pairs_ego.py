"""``ego_pass.ego_pass`` answers as ``kernels.ego_pairs`` + ``lead_values`` + ``row_argmin`` bit for bit."""

from __future__ import annotations

import math

import numpy as np
import pytest

from metrics import ego_pass, kernels


def scene(rng: np.random.Generator, T: int, N: int, spread: float, odd: bool = False):
    """A crowd of boxes close enough to touch, all headings; with ``odd``, repeated positions (ties),
    NaN and infinite entries."""
    cx = rng.normal(0.0, spread, (T, N))
    cy = rng.normal(0.0, spread, (T, N))
    vx = rng.normal(0.0, 5.0, (T, N))
    vy = rng.normal(0.0, 5.0, (T, N))
    h = rng.uniform(-math.pi, math.pi, (T, N))
    length = np.repeat(rng.uniform(0.5, 6.0, (1, N)), T, axis=0)
    width = np.repeat(rng.uniform(0.4, 2.5, (1, N)), T, axis=0)
    if odd and N > 2:
        cx[:, 2], cy[:, 2], vx[:, 2], vy[:, 2], h[:, 2] = cx[:, 1], cy[:, 1], vx[:, 1], vy[:, 1], h[:, 1]
        cx[::7, N - 1] = np.nan
        vy[::5, N - 2] = np.inf
        vx[::3, 1] = vx[::3, 0]      # no relative motion: a = 0
        vy[::3, 1] = vy[::3, 0]
    return cx, cy, vx, vy, np.cos(h), np.sin(h), length, width


def reference(e, cx, cy, vx, vy, c, s, length, width, near, horizon):
    radius = 0.5 * np.hypot(length, width)
    corners = kernels.block_corners(cx, cy, c, s, length, width)
    dist, gap, closing, in_path, ttc, ttc2, miss, lead = kernels.ego_pairs(
        e, cx, cy, vx, vy, c, s, length, width, radius, corners, near, horizon)
    lead_gap, lead_closing = kernels.lead_values(lead, gap, closing)
    minima = [kernels.row_argmin(a) for a in (dist, ttc, ttc2, miss)]
    return radius, dist, ttc, minima, lead, lead_gap, lead_closing


def same(a, b) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=True) and \
        np.array_equal(np.signbit(a), np.signbit(b)) if a.dtype.kind == "f" else np.array_equal(a, b)


def state_of(cx, cy, vx, vy):
    """vx and vy inside a stacked state (T, rows, N) as the block hands them over (rows 7 and 8)."""
    T, N = cx.shape
    kin = np.full((T, 15, N), np.nan)
    kin[:, 0], kin[:, 1], kin[:, 7], kin[:, 8] = cx, cy, vx, vy
    kin.flags.writeable = False
    return kin


@pytest.mark.parametrize("N", [1, 2, 7, 20])
@pytest.mark.parametrize("spread,odd", [(3.0, False), (3.0, True), (40.0, False)])
@pytest.mark.parametrize("rows", [False, True])
def test_ego_pass_is_ego_pairs_reduced_bit_for_bit(N, spread, odd, rows):
    """``rows``: the box columns as one (1, N) row for every step, as the engine shares them."""
    rng = np.random.default_rng(N * 100 + int(spread) + odd)
    cx, cy, vx, vy, c, s, length, width = scene(rng, 60, N, spread, odd)
    if not rows:   # sizes that change from step to step
        length = length * (1.0 + 0.2 * np.sin(np.arange(60)))[:, None]
    args = cx, cy, vx, vy, c, s, length, width
    for e in sorted({0, N // 2, N - 1}):
        radius, dist, ttc, minima, lead, lead_gap, lead_closing = reference(e, *args, 2.0, 5.0)
        boxes = (length[:1], width[:1], radius[:1]) if rows else (length, width, radius)
        got = ego_pass.ego_pass(e, cx, cy, state_of(cx, cy, vx, vy), 7, 8, c, s, *boxes, 2.0, 5.0)
        assert same(got[0], dist) and same(got[1], ttc)
        for q, (index, value) in enumerate(minima):
            assert np.array_equal(got[2][q], index) and same(got[3][q], value)
        assert np.array_equal(got[4], lead) and same(got[5], lead_gap) and same(got[6], lead_closing)


def test_the_scene_has_contacts_near_boxes_and_leaders():
    """The crowd exercises every branch: overlapping boxes, measured box distances, leaders, NaN rows."""
    args = scene(np.random.default_rng(7), 60, 20, 3.0, True)
    radius, dist, ttc, minima, lead, *_ = reference(0, *args, 2.0, 5.0)
    assert (dist == 0).any() and ((dist > 0) & (dist < 2)).any() and (lead >= 0).any() and np.isfinite(ttc).any()


def test_corner_tuples_are_block_corners():
    rng = np.random.default_rng(3)
    cx, cy, _, _, c, s, length, width = scene(rng, 40, 5, 10.0)
    ref = kernels.block_corners(cx, cy, c, s, length, width)
    for k in range(40):
        for i in range(5):
            got = np.array(ego_pass.box_corners(cx[k, i], cy[k, i], c[k, i], s[k, i], length[k, i], width[k, i]))
            assert np.array_equal(got, ref[k, i].ravel())
