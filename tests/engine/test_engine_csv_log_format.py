"""The compiled fixed-decimal formatter against Python's ``%.<d>f`` (correctly rounded, like
C printf): random magnitudes, random bit patterns, exact halfway cases and their neighbours,
signed zeros, tiny and subnormal values, the edge of the kernel's range and non-finite values
(which the kernel must decline, not misprint)."""

from __future__ import annotations

import numpy as np
import pytest

from simplatform.recording.csv_format import format_column


def _kernel(values: np.ndarray, decimals: int) -> list[str] | None:
    text = format_column(values, decimals)
    return None if text is None else text.splitlines()


def test_corpus_has_cases_naive_rounding_gets_wrong():
    v = _corpus(np.random.default_rng(6), 2_000, 6)
    n = np.rint(np.abs(v) * 1e6).astype(np.int64)  # rounds the rounded product: wrong near ties
    naive = [("-" if np.signbit(x) else "") + f"{k // 10 ** 6}.{k % 10 ** 6:06d}" for x, k in zip(v, n)]
    assert sum(a != "%.6f" % x for a, x in zip(naive, v.tolist())) > 100


def _check(values: np.ndarray, decimals: int) -> None:
    got = _kernel(values, decimals)
    assert got is not None
    f = f"%.{decimals}f"
    want = [f % v for v in values.tolist()]
    bad = [(v, g, w) for v, g, w in zip(values.tolist(), got, want) if g != w]
    assert not bad, bad[:5]


def _in_range(v: np.ndarray, decimals: int) -> np.ndarray:
    v = v[np.isfinite(v)]
    return v[np.abs(v) < 2.0 ** 50 / 10.0 ** decimals]


def _corpus(rng: np.random.Generator, n: int, decimals: int) -> np.ndarray:
    mags = 10.0 ** rng.uniform(-12, 15 - decimals, n) * rng.choice([-1.0, 1.0], n)
    bits = rng.integers(0, 2 ** 64, n, dtype=np.uint64).view(np.float64)
    # exact ties at the last printed decimal: odd multiples of 2^-k with 10^d / 2^k = q + 1/2
    k = {6: 7, 3: 4, 1: 2, 0: 1}[decimals]
    ties = rng.integers(-(2 ** 40), 2 ** 40, n) * 2 + 1
    ties = ties.astype(np.float64) / 2.0 ** k
    small_ties = (np.arange(-5000, 5000) * 2 + 1) / 2.0 ** k
    # doubles nearest to decimal halfway points, and their neighbours
    half = (rng.integers(0, 10 ** 9, n) + 0.5) / 10.0 ** decimals
    near = np.concatenate([half, np.nextafter(half, np.inf), np.nextafter(half, -np.inf),
                           np.nextafter(ties, np.inf), np.nextafter(ties, -np.inf)])
    edge = np.array([0.0, -0.0, 5e-324, -5e-324, 2.2250738585072014e-308, 1e-101, 1e-99, -1e-99, 0.5, 1.5, 2.5,
                     -0.5, -2.5, 0.49999999999999994, 2.0 ** 50 / 10.0 ** decimals * 0.999999])
    sub = rng.uniform(0, 1, n // 10) * 2.2250738585072014e-308
    return _in_range(np.concatenate([mags, bits, ties, small_ties, near, -near, edge, sub]), decimals)


@pytest.mark.parametrize("decimals", [6, 3, 0])
def test_matches_python_formatting(decimals):
    _check(_corpus(np.random.default_rng(decimals), 40_000, decimals), decimals)


@pytest.mark.slow
@pytest.mark.parametrize("decimals", [6, 3])
def test_matches_python_formatting_millions(decimals):
    rng = np.random.default_rng(100 + decimals)
    for _ in range(5):  # ~5 x 450k values
        _check(_corpus(rng, 100_000, decimals), decimals)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf"), 2.0 ** 50 / 1e6, -1e300, 1e300])
def test_declines_what_it_cannot_format_exactly(value):
    assert _kernel(np.array([1.0, value]), 6) is None
