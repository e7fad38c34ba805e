"""Runs of ray values at the two ends of a ray buffer: the scans ``sensors.static_cast`` splits a cast by.

Why: a spinning lidar casts ring by ring from the lowest ring up, and a camera
row by row from the top, so the rays that cannot reach the scene's height
band, the steep ones a near crop serves and those too steep for any horizon
lie in runs at the ends of the buffer.  These kernels measure those runs
reading only as far as they go (whole blocks first, without a branch), or,
given bounds on the values of blocks of rows (``static_cast.DzBounds``),
skipping the blocks a bound decides.  Moved out of ``static_cast`` unchanged
(it re-exports them); numba ``cache=True``, self-contained in this file.
"""

from __future__ import annotations

from numba import njit

RUN_BLOCK = 64
"""Values ``end_runs`` tests at a time without a branch (a block wholly inside a run is one vector loop)."""


@njit(cache=True)
def end_runs(values, threshold, below):
    """(head, tail): how many leading and trailing values are ≤ ``threshold`` (> when not ``below``...).

    ``below``: count values ≤ threshold; otherwise values > threshold.  Scans
    only as far as the runs go, so its cost is the length of the runs.  The
    runs are long (whole rings of a sweep), so whole blocks are tested first
    with a branch-free loop and only the block where a run ends is walked
    value by value, with the same comparison.
    """
    n = len(values)
    head = _run_forward(values, threshold, below)
    if head == n:
        return n, n
    return head, _run_backward(values, threshold, below)


@njit(cache=True, inline="always")
def _in_run(v, threshold, below):
    return (v <= threshold) if below else (v > threshold)


@njit(cache=True)
def _run_forward(values, threshold, below):
    n = len(values)
    i = 0
    while i + RUN_BLOCK <= n:
        whole = True
        for j in range(i, i + RUN_BLOCK):
            whole &= _in_run(values[j], threshold, below)
        if not whole:
            break
        i += RUN_BLOCK
    while i < n and _in_run(values[i], threshold, below):
        i += 1
    return i


@njit(cache=True)
def _run_backward(values, threshold, below):
    n = len(values)
    k = 0                                                  # values[n − k:] are in the run
    while k + RUN_BLOCK <= n:
        whole = True
        for j in range(n - k - RUN_BLOCK, n - k):
            whole &= _in_run(values[j], threshold, below)
        if not whole:
            break
        k += RUN_BLOCK
    while k < n and _in_run(values[n - 1 - k], threshold, below):
        k += 1
    return k


@njit(cache=True)
def end_runs_bounded(values, a, b, threshold, below, size, lo, hi):
    """``end_runs(values[a:b], threshold, below)`` where the values of rows [k·size, (k+1)·size) are known
    to lie in [lo[k], hi[k]]: a block wholly inside a run is skipped, one wholly outside ends it, and only
    a block the threshold cuts is read (with ``end_runs``'s comparison).  A NaN bound decides nothing."""
    n = b - a
    i = a
    while i < b:
        k = i // size
        e = min((k + 1) * size, b)
        if (hi[k] <= threshold) if below else (lo[k] > threshold):
            i = e
            continue
        if (lo[k] > threshold) if below else (hi[k] <= threshold):
            break
        while i < e and _in_run(values[i], threshold, below):
            i += 1
        if i < e:
            break
    head = i - a
    if head == n:
        return n, n
    j = b                                                  # values[j:b] are in the run
    while j > a:
        k = (j - 1) // size
        s = max(k * size, a)
        if (hi[k] <= threshold) if below else (lo[k] > threshold):
            j = s
            continue
        if (lo[k] > threshold) if below else (hi[k] <= threshold):
            break
        while j > s and _in_run(values[j - 1], threshold, below):
            j -= 1
        if j > s:
            break
    return head, b - j
