"""The compiled series passes give the numpy expressions they replace bit for bit (those expressions
are written out here as the references), NaN, infinities, repeated times and signed zeros included."""

from __future__ import annotations

import math

import numpy as np
import pytest

from metrics.comfort import COMFORT_BOUNDS
from metrics.series_kernels import acc_series, comfort_series, near_onsets, path_length, surrogate_rows


def same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def odd(rng: np.random.Generator, n: int, scale: float) -> np.ndarray:
    a = rng.normal(0.0, scale, n)
    a[::17], a[5::23], a[7::29], a[11::31] = np.nan, np.inf, -np.inf, -0.0
    a[13::37] = 0.0
    return a


def numpy_near(ttc, dist, near_ttc, near_dist, before):
    near = ((ttc < near_ttc) | (dist < near_dist)) & (dist > 0)
    prior = np.empty_like(near)
    prior[0] = before
    prior[1:] = near[:-1]
    steps, who = np.nonzero(near & ~prior)
    return steps, who, near[-1]


@pytest.mark.parametrize("seed", range(4))
def test_near_onsets(seed):
    rng = np.random.default_rng(seed)
    T, N = 300, 9
    ttc = np.abs(odd(rng, T * N, 2.0)).reshape(T, N)
    dist = odd(rng, T * N, 1.0).reshape(T, N)
    before = rng.random(N) < 0.5
    want = numpy_near(ttc, dist, 1.0, 0.5, before)
    got = near_onsets(ttc, dist, 1.0, 0.5, before)
    assert len(want[0]) > 10
    for w, g in zip(want, got):
        assert same(np.asarray(g), np.asarray(w).astype(g.dtype)) and np.array_equal(g, w)


def numpy_comfort(t, a_long, a_lat, yaw_rate, prev):
    t_prev = np.concatenate([[prev[0]], t[:-1]])
    with np.errstate(invalid="ignore"):
        dt = np.where(t > t_prev, t - t_prev, math.nan)
        jl = (a_long - np.concatenate([[prev[1]], a_long[:-1]])) / dt
        jt = (a_lat - np.concatenate([[prev[2]], a_lat[:-1]])) / dt
    yaw = np.abs(yaw_rate)
    b = COMFORT_BOUNDS
    with np.errstate(invalid="ignore"):
        bad = ((a_long < b["accel_long_min"]) | (a_long > b["accel_long_max"]) | (np.abs(a_lat) > b["lat_accel_abs"])
               | (np.abs(jl) > b["jerk_long_abs"]) | (yaw > b["yaw_rate_abs"]))
    return -a_long, np.abs(a_lat), jl, np.abs(jl), jt, np.abs(jt), yaw, bad.astype(float)


@pytest.mark.parametrize("prev", [(math.inf, math.nan, math.nan), (-0.01, 0.3, -0.2)])
def test_comfort_series(prev):
    rng = np.random.default_rng(1)
    T = 400
    t = np.cumsum(rng.choice([0.0, 0.01, 0.05], T))       # repeated times
    t[100] = np.nan
    a_long, a_lat, yaw = odd(rng, T, 3.0), odd(rng, T, 3.0), odd(rng, T, 1.0)
    b = COMFORT_BOUNDS
    got = comfort_series(t, a_long, a_lat, yaw, *prev, b["accel_long_min"], b["accel_long_max"],
                         b["lat_accel_abs"], b["jerk_long_abs"], b["yaw_rate_abs"])
    for w, g in zip(numpy_comfort(t, a_long, a_lat, yaw, prev), got):
        assert same(g, w)
    assert 0 < got[-1].sum() < T


def numpy_path(x, y, last, distance):
    start = last if last is not None else (x[0], y[0])
    steps = np.hypot(np.diff(x, prepend=start[0]), np.diff(y, prepend=start[1]))
    if last is None:
        steps = steps[1:]
    return float(np.cumsum(np.concatenate([[distance], steps]))[-1])


@pytest.mark.parametrize("last", [None, (3.0, -4.0)])
@pytest.mark.parametrize("special", [False, True])
def test_path_length(last, special):
    rng = np.random.default_rng(2)
    x, y = np.cumsum(rng.normal(0.3, 0.2, 1000)), np.cumsum(rng.normal(0.0, 0.2, 1000))
    if special:
        x[400], y[401], x[500] = np.inf, np.nan, -0.0
    for distance in (0.0, 123.456):
        want = numpy_path(x, y, last, distance)
        x0, y0 = last if last is not None else (0.0, 0.0)
        got = path_length(x, y, x0, y0, last is None, distance)
        assert np.float64(got).tobytes() == np.float64(want).tobytes() or (math.isnan(got) and math.isnan(want))


def test_hypot_is_numpys():
    rng = np.random.default_rng(3)
    a, b = odd(rng, 20000, 10.0) * 10.0 ** rng.integers(-200, 200, 20000), odd(rng, 20000, 3.0)
    x = np.stack([np.zeros(20000), a], axis=0).T.ravel()
    y = np.stack([np.zeros(20000), b], axis=0).T.ravel()
    lengths = [path_length(x[2 * k:2 * k + 2], y[2 * k:2 * k + 2], 0.0, 0.0, True, 0.0) for k in range(20000)]
    assert np.array(lengths).tobytes() == np.hypot(a, b).tobytes()


def numpy_acc(v, gap, set_speed):
    following = gap <= 2.2 * np.maximum(v, 0.0) + 10.0
    with np.errstate(divide="ignore", invalid="ignore"):
        thw = np.where(v > 0.1, gap / v, math.inf)
    err = v - set_speed
    nan = math.nan
    return (np.where(following, gap, nan), np.where(following, thw, nan), np.where(following, nan, err),
            np.where(following, nan, np.abs(err)))


def test_acc_series():
    rng = np.random.default_rng(4)
    v = odd(rng, 2000, 10.0)
    gap = np.abs(odd(rng, 2000, 30.0))
    gap[::3] = np.inf
    for w, g in zip(numpy_acc(v, gap, 15.0), acc_series(v, gap, 15.0)):
        assert same(g, w)


def numpy_surrogate(nearest, minima, ttc_at, ttc_min, lead, gap, closing, speed):
    who = [np.where(np.isfinite(low), k, -1) for k, low in
           ((nearest[0], minima[0]), (ttc_at, ttc_min), (nearest[2], minima[2]), (nearest[3], minima[3]))]
    has = (lead >= 0) & (gap > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        thw_ok = has & (speed > 0.1)
        thw = np.where(thw_ok, gap / speed, math.inf)
        drac_ok = has & (closing > 0)
        drac = np.where(drac_ok, closing * closing / (2 * gap), 0.0)
    return np.stack(who + [np.where(thw_ok, lead, -1), np.where(drac_ok, lead, -1)]), thw, drac


def test_surrogate_rows():
    rng = np.random.default_rng(5)
    T = 3000
    nearest = rng.integers(0, 20, (4, T))
    minima = np.abs(odd(rng, 4 * T, 5.0)).reshape(4, T)
    ttc_at, ttc_min = rng.integers(0, 20, T), np.abs(odd(rng, T, 3.0))
    lead = rng.integers(-1, 20, T)
    gap, closing, speed = odd(rng, T, 20.0), odd(rng, T, 3.0), odd(rng, T, 10.0)
    speed[::4] = 0.0
    want = numpy_surrogate(nearest, minima, ttc_at, ttc_min, lead, gap, closing, speed)
    got = surrogate_rows(nearest, minima, ttc_at, ttc_min, lead, gap, closing, speed)
    for w, g in zip(want, got):
        assert same(g, w.astype(g.dtype)) and np.array_equal(g, w, equal_nan=g.dtype.kind == "f")
    assert (got[0][4] >= 0).any() and (got[0][5] >= 0).any() and (got[0][:4] == -1).any()
