"""The kernels that ask the cache for rows ahead (``ego_pass.ego_pass``, ``centre_kernel.state_geometry``)
answer as their plain references bit for bit, at the shapes where the prefetch loops bend: blocks of
fewer steps than ``AHEAD`` (no step ahead), one entity, entity counts around a cache line of eight
floats (the loop's last index clamped to N − 1), rows anywhere in the state (first and last), and
NaN, infinities, zero-size boxes and coincident centres in the values (issue #7)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from metrics import centre_kernel, ego_pass, kernels
from metrics.centre_kernel import block_centres, state_geometry


def _boxes(rng: np.random.Generator, T: int, N: int):
    """A crowd (some boxes touching, one of zero size, two with one centre) in a stacked state with
    x, y, heading at rows 14, 0, 6 and vx, vy at rows 3, 13 (the last and first rows among them)."""
    state = np.full((T, 15, N), np.nan)
    cx, cy = rng.normal(0.0, 4.0, (T, N)), rng.normal(0.0, 4.0, (T, N))
    h = rng.uniform(-math.pi, math.pi, (T, N))
    vx, vy = rng.normal(0.0, 6.0, (T, N)), rng.normal(0.0, 6.0, (T, N))
    length = rng.uniform(0.5, 6.0, (1, N))
    width = rng.uniform(0.4, 2.5, (1, N))
    if N > 2:
        length[0, 1] = width[0, 1] = 0.0                       # a zero-size box
        cx[:, 2], cy[:, 2] = cx[:, 0], cy[:, 0]                  # coincident centres
    if N > 4 and T > 3:
        cx[1, 3], vy[2, 4], h[3, N - 1] = np.nan, np.inf, -np.inf
    state[:, 14], state[:, 0], state[:, 6] = cx, cy, h          # x, y, heading
    state[:, 3], state[:, 13] = vx, vy                          # vx, vy
    view = state.view()
    view.flags.writeable = False
    return view, cx, cy, h, vx, vy, length, width


@pytest.mark.parametrize("T", [1, 2, 3, 5, 9])
@pytest.mark.parametrize("N", [1, 2, 7, 8, 9, 16, 17, 33])
def test_ego_pass_with_prefetch_is_the_reference(T, N):
    rng = np.random.default_rng(T * 1000 + N)
    kin, cx, cy, h, vx, vy, length, width = _boxes(rng, T, N)
    with np.errstate(invalid="ignore"):
        c, s = np.cos(h), np.sin(h)
    radius = 0.5 * np.hypot(length, width)
    reps = (np.repeat(a, T, axis=0) for a in (length, width, radius))
    full_length, full_width, full_radius = reps
    corners = kernels.block_corners(cx, cy, c, s, full_length, full_width)
    for e in sorted({0, N - 1}):
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            dist, gap, closing, _, ttc, ttc2, miss, lead = kernels.ego_pairs(
                e, cx, cy, vx, vy, c, s, full_length, full_width, full_radius, corners, 2.0, 5.0)
        lead_gap, lead_closing = kernels.lead_values(lead, gap, closing)
        got = ego_pass.ego_pass(e, cx, cy, kin, 3, 13, c, s, length, width, radius, 2.0, 5.0)
        assert got[0].tobytes() == dist.tobytes() and got[1].tobytes() == ttc.tobytes()
        for q, a in enumerate((dist, ttc, ttc2, miss)):
            index, value = kernels.row_argmin(a)
            assert np.array_equal(got[2][q], index) and got[3][q].tobytes() == value.tobytes()
        assert np.array_equal(got[4], lead)
        assert got[5].tobytes() == lead_gap.tobytes() and got[6].tobytes() == lead_closing.tobytes()


@pytest.mark.parametrize("T", [1, 2, 4, 5, 11])
@pytest.mark.parametrize("N", [1, 8, 9, 17])
def test_state_geometry_with_prefetch_is_numpys(T, N):
    rng = np.random.default_rng(T * 100 + N)
    kin, cx, cy, h, *_ = _boxes(rng, T, N)
    if T > 2:
        h[1:, 0] = h[0, 0]                                       # a heading kept (the cached cos/sin)
        kin.base[:, 6] = h
    bx, by = rng.uniform(-2, 2, (1, N)), rng.normal(0.0, 0.3, (T, N))
    with np.errstate(invalid="ignore"):
        c, s = np.cos(h), np.sin(h)
    want = block_centres(cx, cy, c, s, np.repeat(bx, T, axis=0), by)
    got = state_geometry(kin, kin.view(np.int64), 14, 0, 6, bx, by)
    assert got[0].tobytes() == want[0].tobytes() and got[1].tobytes() == want[1].tobytes()
    assert got[2].tobytes() == c.tobytes() and got[3].tobytes() == s.tobytes()


def test_prefetch_distances_are_small_positive_steps():
    """A step ahead, not behind or far (the rows must still be cached when the pass reaches them)."""
    assert 1 <= ego_pass.AHEAD <= 8 and 1 <= centre_kernel.AHEAD <= 8
