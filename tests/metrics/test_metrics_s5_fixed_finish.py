"""Session 5 (issue #7): the finish-side helpers against the numpy expressions they replace, bit for bit."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from metrics.base import SeriesRecorder, episodes, masked_duration, step_durations
from metrics.series_kernels import has_nan, mask_runs, nan_extreme_index


def _episodes_numpy(mask: np.ndarray, times: np.ndarray) -> list[tuple[float, float]]:
    """The numpy code ``episodes`` had before its compiled pass."""
    if mask.size == 0:
        return []
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    edges = np.diff(padded)
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1) - 1
    return [(float(times[a]), float(times[b])) for a, b in zip(starts, ends)]


@pytest.mark.parametrize("seed", range(30))
def test_mask_runs_and_episodes_as_numpy(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 60))
    mask = rng.random(n) < rng.choice([0.0, 0.1, 0.5, 0.9, 1.0])
    times = np.cumsum(rng.uniform(0, 0.1, n))
    assert episodes(mask, times) == _episodes_numpy(mask, times)
    starts, ends = mask_runs(mask)
    edges = np.diff(np.concatenate([[False], mask, [False]]).astype(np.int8))
    assert starts.tolist() == np.flatnonzero(edges == 1).tolist()
    assert ends.tolist() == (np.flatnonzero(edges == -1) - 1).tolist()


@pytest.mark.parametrize("values", [[], [np.nan], [1.0, np.nan], [np.inf, -np.inf], [0.0, -0.0], [np.nan] * 5 + [2.0]])
def test_has_nan_and_extreme_index_edges(values):
    a = np.array(values, dtype=float)
    assert has_nan(a) == bool(np.isnan(a).any())
    for want_max in (True, False):
        i = nan_extreme_index(a, want_max)
        if a.size == 0 or np.isnan(a).all():
            assert i == -1
        else:
            assert i == int(np.nanargmax(a) if want_max else np.nanargmin(a))


@pytest.mark.parametrize("seed", range(20))
def test_extreme_index_on_readonly_joined_columns(seed):
    """The recorder's joined (read-only) columns and a block's own (writable) one give numpy's index."""
    rng = np.random.default_rng(seed)
    rec = SeriesRecorder("v")
    chunks = [rng.choice([0.0, -0.0, 1.0, -1.0, np.nan, np.inf, -np.inf], int(rng.integers(1, 30))) for _ in range(3)]
    t0 = 0.0
    for c in chunks:
        rec.extend(t0 + np.arange(c.size) * 0.01, v=c)
        t0 += 1.0
    a = np.concatenate(chunks)
    for kind in ("min", "max"):
        want = None if np.isnan(a).all() else int(np.nanargmin(a) if kind == "min" else np.nanargmax(a))
        assert rec.extreme_index("v", kind) == want
    assert not rec.array("v").flags.writeable


@pytest.mark.parametrize("seed", range(12))
def test_masked_duration_as_numpy(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 40))
    t = np.cumsum(rng.choice([0.0, 0.01, 0.1], n))
    mask = rng.random(n) < rng.choice([0.0, 0.3, 1.0])
    want = float(np.sum(np.diff(t, append=t[-1])[mask])) if n else 0.0
    assert struct.pack("<d", masked_duration(mask, t)) == struct.pack("<d", want)


def test_step_durations_kept_only_for_readonly_owned_times():
    t = np.array([0.0, 0.1, 0.25])
    first = step_durations(t)
    assert first.flags.writeable and step_durations(t) is not first   # a writable array may change: not kept
    t.flags.writeable = False
    kept = step_durations(t)
    assert step_durations(t) is kept and not kept.flags.writeable
    assert kept.tobytes() == np.diff(t, append=t[-1]).tobytes()
    view = t[:2]                                                      # a view does not own its data
    assert step_durations(view) is not step_durations(view)


def test_recorders_share_the_join_of_the_same_time_chunks():
    blocks = [np.arange(5) * 0.01, 0.05 + np.arange(3) * 0.01, 0.08 + np.arange(4) * 0.01]
    a, b, c = SeriesRecorder("x"), SeriesRecorder("y"), SeriesRecorder("z")
    for times in blocks:
        a.extend(times, x=times * 2)
        b.extend(times, y=times * 3)
        c.extend(times.copy(), z=times)                   # equal values, other arrays: its own join
    ta, tb, tc = a.times(), b.times(), c.times()
    assert ta is tb and tc is not ta
    assert ta.tobytes() == tc.tobytes() == np.concatenate(blocks).tobytes()
    assert not ta.flags.writeable
    more = 0.12 + np.arange(2) * 0.01                      # a later block: joined again, still shared
    a.extend(more, x=more)
    b.extend(more, y=more)
    assert a.times() is b.times() and a.times().tobytes() == np.concatenate(blocks + [more]).tobytes()
    assert a.array("x").tobytes() == np.concatenate([t * 2 for t in blocks] + [more]).tobytes()
