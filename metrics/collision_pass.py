"""The collision metric's rules over a block in one compiled pass (numba).

Why: ``metrics.safety.CollisionMetric._step`` states the rules one step at a
time (contact onsets per pair; ScenarioRunner's ``CollisionTest`` for the
ego).  Played in Python over a block they cost a walk of every step, and
condensed with numpy (the form before this one) about forty numpy calls per
block plus Python scans of the ego's positions during a lasting contact; in
a scene where cars touch for a quarter of the steps that was the metric's
whole cost (issue #7).  Here the block's contact pairs are columns (the
distinct pairs of the block, named once in Python), and the rules run step by
step over the (steps × columns) contact matrix, with the same float
operations and comparisons as ``_step`` and ``_ego_collisions`` in their
order; the metric turns the few events it returns into ``MetricEvent``s.

One comparison is not the same operation: ``_ego_collisions`` fades the
remembered place where ``math.hypot(x − lx, y − ly) > COLLISION_RADIUS``
(CPython's own hypot, not the C library's that numba calls).  The pass
decides it from d² = dx² + dy² only where d² is clear of R² by a relative
1e-9 (both hypots are faithfully rounded and d² is within a few units in the
last place of the exact square, so that decides the same way); in the band
between it stops at the step, the metric asks CPython's hypot and resumes the
pass there with the answer.  The band is met: an ego creeping at a steady
speed is 5 m from where it hit after a whole number of steps.

The Python helpers at the end read what the pass needs of the block's reported
contacts (``snapshot.collisions``) and kinds off an arena block's changes
(``BlockBuffer.runs_of``: a handful per block) instead of per step.
"""

from __future__ import annotations

from bisect import bisect_right
from itertools import compress, islice
from operator import is_not
from typing import TYPE_CHECKING

import numpy as np
from numba import njit

if TYPE_CHECKING:
    from metrics.block import StepBlock

ONSET, EGO = 0, 1
"""Event kinds in ``collision_rules``' output: a pair's contact onset, an ego collision."""
_CLEAR = 1e-9   # relative margin of d² from R² that decides the fade without hypot


@njit(cache=True)
def box_pair_columns(found, n):
    """The distinct index pairs of the block's box contacts ``found`` (rows (step, i, j), i < j)
    as codes i·n + j, ascending, and each row's position among them."""
    m = found.shape[0]
    codes = np.empty(m, dtype=np.int64)
    for r in range(m):
        codes[r] = found[r, 1] * n + found[r, 2]
    uniq = np.unique(codes)
    inverse = np.searchsorted(uniq, codes)
    return uniq, inverse


@njit(cache=True)
def contact_matrix(T, P, found, box_cols, run_k0, run_k1, run_ptr, run_cols):
    """(T, P): the pairs in contact at each step, from the box contacts (rows (step, i, j) of
    ``found``, their columns ``box_cols``) and the backend's report runs (steps ``run_k0[r]`` … ``run_k1[r]`` − 1, columns
    ``run_cols[run_ptr[r]:run_ptr[r + 1]]``)."""
    matrix = np.zeros((T, P), dtype=np.bool_)
    for r in range(found.shape[0]):
        matrix[found[r, 0], box_cols[r]] = True
    for r in range(run_k0.shape[0]):
        for q in range(run_ptr[r], run_ptr[r + 1]):
            c = run_cols[q]
            for k in range(run_k0[r], run_k1[r]):
                matrix[k, c] = True
    return matrix


@njit(cache=True)
def collision_rules(matrix, times, ego_x, ego_y, ego_speed, has_ego, start, fade, prev, onset_rank, has_last, last,
                    ego_cols, col_other, static, last_id, last_time, xy_set, lx, ly, radius, max_id_time, epsilon):
    """``CollisionMetric._step`` at steps ``start`` … T − 1 of a block, over its P pair columns.

    ``matrix`` (T, P) the pairs in contact (``contact_matrix``), ``prev`` (P,) those of the
    step before ``start``.  ``onset_rank`` the columns in the order of their sorted name pairs
    (the order of ``sorted(contact − in_contact)``); ``has_last``/``last`` (P,) each pair's
    last onset time (``_last_onset``; updated in place).  The ego (``has_ego``): ``ego_cols``
    its columns in the order of the other party's name (``sorted(others)``), ``col_other`` (P,)
    that party's entity index, ``static`` (N,) whether an entity is of the static class;
    ``last_id`` the remembered party (−1 none, −2 a name not in the block), ``last_time``,
    ``xy_set``, ``lx``, ``ly`` the remembered collision.  ``fade`` −1 plays step ``start``
    whole; 0 or 1 resumes it after its onsets, with the place's fade decided (1: faded).

    Returns (stop, number of events, events (n, 3): step, kind (``ONSET``/``EGO``), column;
    last_id, last_time, xy_set, lx, ly).  ``stop`` is T when the block is done, else the step
    whose fade could not be decided without CPython's hypot: its onsets are played, and the
    state is that of the moment before its fade, to resume with ``fade`` decided."""
    T, P = matrix.shape
    true = 0                                          # every event is a step and column in contact
    for k in range(start, T):
        for c in range(P):
            true += matrix[k, c]
    events = np.empty((2 * true, 3), dtype=np.int64)
    n = 0
    r2 = radius * radius
    over, under = r2 * (1.0 + _CLEAR), r2 * (1.0 - _CLEAR)
    for k in range(start, T):
        t = times[k]
        resumed = k == start and fade >= 0
        if not resumed:
            for q in range(P):                      # onsets, in the order of the sorted pairs
                c = onset_rank[q]
                if matrix[k, c] and not (prev[c] if k == start else matrix[k - 1, c]):
                    fresh = not has_last[c] or t - last[c] >= max_id_time
                    has_last[c] = True
                    last[c] = t
                    if fresh:
                        events[n, 0] = k
                        events[n, 1] = ONSET
                        events[n, 2] = c
                        n += 1
        if has_ego:                                  # _ego_collisions
            x, y, speed = ego_x[k], ego_y[k], ego_speed[k]
            if xy_set:
                if resumed:
                    if fade == 1:
                        xy_set = False
                else:
                    dx, dy = x - lx, y - ly
                    d2 = dx * dx + dy * dy
                    if d2 > over:
                        xy_set = False
                    elif not d2 < under:             # within the band (or NaN): CPython's hypot decides
                        return k, n, events, last_id, last_time, xy_set, lx, ly
            if last_id != -1 and t - last_time > max_id_time:
                last_id = -1
            for q in range(ego_cols.shape[0]):
                c = ego_cols[q]
                if not matrix[k, c]:
                    continue
                other = col_other[c]
                if other == last_id or xy_set or abs(speed) < epsilon:
                    continue
                events[n, 0] = k
                events[n, 1] = EGO
                events[n, 2] = c
                n += 1
                last_time, xy_set, lx, ly = t, True, x, y
                last_id = -1 if static[other] else other
    return T, n, events, last_id, last_time, xy_set, lx, ly


# ------------------------------------------------ the block's reported contacts, read in Python
def collision_stretches(block: StepBlock) -> list[tuple[int, int, tuple]]:
    """(first step, stop, ``collisions``) of each stretch of steps whose snapshots share one
    ``collisions`` object (the engine keeps the tuple while a contact holds; a new object, equal or
    not, starts a stretch).  An arena block's buffer kept the shared fields once per change
    (``StepBlock.runs_of``), so its stretches are read off those changes (merging neighbours
    whose change left ``collisions`` the same object) instead of comparing ~900 steps' objects."""
    changes = block.runs_of("collisions")
    if changes is not None:
        out: list = []
        for k0, k1, value in changes:
            if out and out[-1][2] is value:
                out[-1] = (out[-1][0], k1, value)
            else:
                out.append((k0, k1, value))
        return out
    reported = block.each("collisions")
    starts = [0, *compress(range(1, len(reported)), map(is_not, islice(reported, 1, None), reported))]
    return [(k0, k1, reported[k0]) for k0, k1 in zip(starts, starts[1:] + [len(reported)])]


def kinds_at(block: StepBlock):
    """Step k's ``kinds`` as a function of k: an arena block's from the changes its buffer kept
    (``StepBlock.runs_of``, a handful), without a list of every step's; else ``each``'s list."""
    changes = block.runs_of("kinds")
    if changes is None:
        return block.each("kinds").__getitem__
    starts = [k0 for k0, _, _ in changes]
    return lambda k: changes[bisect_right(starts, k) - 1][2]


def reported_runs(stretches: list[tuple[int, int, tuple]], names: tuple[str, ...],
                   column: dict[tuple[str, str], int]) -> list:
    """The backend's reported pairs as runs (first step, step after the last, columns), columns
    added to ``column``: each stretch of one ``collisions`` tuple (``collision_stretches``) is named
    once; pairs naming an entity not in the block are left out, and runs left with none."""
    if not any(value for _, _, value in stretches):
        return []
    present = set(names)
    runs = []
    for k0, k1, value in stretches:
        if value:
            cols = [column.setdefault(tuple(sorted(p)), len(column)) for p in value
                    if p[0] in present and p[1] in present]
            if cols:
                runs.append((k0, k1, cols))
    return runs


def warm_up() -> None:
    """Compile (or load) the three kernels with the argument types ``CollisionMetric`` passes: the
    metrics' warm-up scene has no contact, so its suite does not reach them."""
    found = np.array([[0, 0, 1], [1, 0, 1]], dtype=np.int64)
    _, inverse = box_pair_columns(found, 2)
    empty = np.zeros(0, dtype=np.int64)
    matrix = contact_matrix(2, 1, found, inverse, empty, empty, np.zeros(1, dtype=np.int64), empty)
    xs = np.array([0.0, 0.1])
    collision_rules(matrix, xs.copy(), xs.copy(), xs.copy(), xs.copy(), True, 0, -1, np.zeros(1, dtype=np.bool_),
                    np.zeros(1, dtype=np.int64), np.zeros(1, dtype=np.bool_), np.zeros(1),
                    np.zeros(1, dtype=np.int64), np.ones(1, dtype=np.int64), np.zeros(2, dtype=np.bool_),
                    -1, -np.inf, False, 0.0, 0.0, 5.0, 5.0, 0.1)
