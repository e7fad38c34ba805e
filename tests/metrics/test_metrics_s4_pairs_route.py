"""``route_ttc.route_path_ttc`` answers as ``kernels.route_path_ttc`` + ``row_argmin`` bit for bit;
the warm-up compiles this session's kernels."""

from __future__ import annotations

import math

import numpy as np
import pytest

from metrics import kernels, route_ttc


def route(rng: np.random.Generator, kind: str) -> np.ndarray:
    if kind == "straight":
        return np.stack([np.linspace(0.0, 200.0, 101), np.full(101, -1.75)], axis=1)
    if kind == "loop":   # a route that passes the same place twice
        a = np.linspace(0.0, 3.5 * math.pi, 120)
        return np.stack([30 * np.cos(a) + a, 30 * np.sin(a)], axis=1)
    steps = rng.normal(0.0, 1.0, (80, 2)) + [2.0, 0.0]   # a wiggly walk
    return np.cumsum(steps, axis=0)


def drive(rng: np.random.Generator, pts: np.ndarray, T: int, N: int):
    """Entities around points of the route, drifting along it, all headings."""
    base = rng.integers(0, len(pts) - 1, N)
    drift = rng.uniform(-0.5, 1.5, N)
    k = np.arange(T)[:, None]
    at = np.clip(base + (drift * k * 0.05).astype(int), 0, len(pts) - 1)
    cx = pts[at, 0] + rng.normal(0.0, 2.0, (T, N))
    cy = pts[at, 1] + rng.normal(0.0, 2.0, (T, N))
    h = rng.uniform(-math.pi, math.pi, (T, N))
    vx, vy = rng.normal(3.0, 4.0, (T, N)), rng.normal(0.0, 4.0, (T, N))
    length = np.repeat(rng.uniform(1.0, 6.0, (1, N)), T, axis=0)
    width = np.repeat(rng.uniform(0.5, 2.5, (1, N)), T, axis=0)
    return cx, cy, vx, vy, np.cos(h), np.sin(h), length, width


@pytest.mark.parametrize("kind", ["straight", "loop", "walk"])
@pytest.mark.parametrize("N", [1, 3, 20])
def test_route_ttc_is_the_reference_bit_for_bit(kind, N):
    rng = np.random.default_rng(["straight", "loop", "walk"].index(kind) * 100 + N)
    pts = route(rng, kind)
    px, py = np.ascontiguousarray(pts[:, 0]), np.ascontiguousarray(pts[:, 1])
    tx, ty = kernels.route_tangents(px, py)
    cumulative = np.concatenate([[0.0], np.cumsum(np.hypot(np.diff(px), np.diff(py)))])
    cols = drive(rng, pts, 80, N)
    cx, cy, vx, vy, c, s, length, width = cols
    varying = width * (1.0 + 0.3 * np.cos(np.arange(80)))[:, None]   # sizes that change from step to step
    kin = np.stack([np.full_like(vx, np.nan), vy, vx], axis=1)   # vx, vy as rows 2 and 1 of a stacked state
    for e in sorted({0, N - 1}):
        for hint in (-1, 0, 7, len(px) + 5):
            rows = hint % 2 == 1   # box columns as one (1, N) row for every step, or (T, N) changing
            boxes = (length[:1], width[:1]) if rows else (length, varying)
            ttc, last = kernels.route_path_ttc(e, cx, cy, vx, vy, c, s, length, width if rows else varying,
                                               px, py, tx, ty, cumulative, hint)
            got = route_ttc.route_path_ttc(e, cx, cy, kin, 2, 1, c, s, *boxes, px, py, tx, ty, cumulative, hint)
            assert np.array_equal(got[0], ttc) and got[1] == last
            index, value = kernels.row_argmin(ttc)
            assert np.array_equal(got[2], index) and np.array_equal(got[3], value)
    if N == 20:
        assert np.isfinite(ttc).any()   # the scene has entities on a collision course along the route


@pytest.mark.parametrize("kind", ["straight", "loop", "walk"])
def test_standing_entities_keep_their_segment_as_the_reference_finds_it(kind):
    """Entities that stand still for stretches (and one that stands on a segment boundary, one at
    −0.0/0.0, one NaN) take the segment the descent found last: the reference's answer."""
    rng = np.random.default_rng(11)
    pts = route(rng, kind)
    px, py = np.ascontiguousarray(pts[:, 0]), np.ascontiguousarray(pts[:, 1])
    tx, ty = kernels.route_tangents(px, py)
    cumulative = np.concatenate([[0.0], np.cumsum(np.hypot(np.diff(px), np.diff(py)))])
    cx, cy, vx, vy, c, s, length, width = drive(rng, pts, 90, 12)
    for j in range(1, 12, 2):          # every other entity stands still from step 10 to 40 and 60 on
        cx[10:40, j], cy[10:40, j] = cx[10, j], cy[10, j]
        cx[60:, j], cy[60:, j] = cx[60, j], cy[60, j]
    cx[20:30, 2], cy[20:30, 2] = px[5], py[5]                 # on a waypoint: two segments as near
    cx[30:35, 4], cx[35:40, 4], cy[30:40, 4] = 0.0, -0.0, 0.0
    cx[50:55, 6] = np.nan
    kin = np.stack([vx, vy], axis=1)
    for hint in (-1, 3):
        ttc, last = kernels.route_path_ttc(0, cx, cy, vx, vy, c, s, length, width, px, py, tx, ty, cumulative, hint)
        got = route_ttc.route_path_ttc(0, cx, cy, kin, 0, 1, c, s, length, width, px, py, tx, ty, cumulative, hint)
        assert np.array_equal(got[0], ttc) and got[1] == last


def test_row_minima_take_a_nan_first():
    px = np.array([0.0, 10.0, 20.0])
    tx, ty = kernels.route_tangents(px, px * 0)
    cx = np.array([[0.0, 5.0, np.nan]])
    one = np.ones((1, 3))
    ttc, _ = kernels.route_path_ttc(0, cx, cx * 0, one * 10, one * 0, one, one * 0, one, one, px, px * 0, tx, ty,
                                    px, -1)
    kin = np.stack([one * 10, one * 0], axis=1)
    got = route_ttc.route_path_ttc(0, cx, cx * 0, kin, 0, 1, one, one * 0, one, one, px, px * 0, tx, ty, px, -1)
    assert np.array_equal(got[0], ttc, equal_nan=True)
    assert [a.tolist() for a in got[2:]] == [a.tolist() for a in kernels.row_argmin(ttc)]


def test_warmup_compiles_this_sessions_kernels_and_their_references():
    from metrics import centre_kernel, contact_sweep, ego_pass, series_kernels, warmup

    warmup.warm_up()
    for f in (route_ttc.route_path_ttc, ego_pass.ego_pass, contact_sweep._sweep_boxes, centre_kernel.state_geometry,
              centre_kernel.corners_from_rows, series_kernels.near_onsets, series_kernels.comfort_series,
              series_kernels.path_length, series_kernels.acc_series, series_kernels.surrogate_rows, kernels.ego_pairs, kernels.route_path_ttc,
              kernels.lead_values, kernels.row_argmin):
        assert f.signatures, f.__name__
