"""The static cast's single-thread sections on two threads, for a large cast with a second CPU free.

Why: on an HDL-64E sweep (133 000 rays, the bench's twenty cars) open3d's
casts keep both cores busy for ~5.5 ms, but around them ``static_cast``
spent ~1.5 ms on this thread alone while the other core idled: the box-first
proof (``static_boxes``), the rows it proves swapped out of the leading run
(``neutralize``), the miss proof and gather of the other rows
(``static_horizon.cull_gather``, ``drop_rows``), and after the casts the
copies of their hits back (``collect_part``, ``scatter_hits``, ``restore``).
Every one of them works row by row, each row on its own: the proof marks a
row from that row's pairs, the gather reads and writes that row, the copies
write that row.  So any split of the rows into two sets gives the same arrays
when each set is worked by one thread, and the work runs in two hand-overs:

1. *Before the casts* (``_pre``): the rows [a, b) of the cast are cut at m;
   each thread proves its rows (``BoxProof.prove`` over its range: a row's
   pairs are all tested by the thread that owns the row), swaps the proved rows
   of the leading runs in its range for rays that leave the scene at once, and
   tests and gathers the rest of its range (``cull_gather_unproved``: the miss
   proof and the box-first drop in one pass) into the compact buffer at the
   offset of its first row (a gathered segment is never longer than its rows,
   so the two threads' segments never overlap).  The cut is where the two
   threads' times of the casts before met (``_learn``: this thread starts at
   once, the worker ~50 µs later, and the work per row differs by region).
2. *The casts* (this thread; open3d's team): each leading run as it lies, each
   gathered segment from the compact buffer (a part cut at m is two segments,
   two ``cast_rays`` calls: ~20 µs, less than moving the second down).  A ray's
   hit does not depend on the rays cast with it.
3. *After the casts* (``_post``): each leading run's rows and each segment's
   hits are halved; each thread restores its half's swapped rays, copies its
   half's hits and writes its half's swapped rows as misses (after the copy, as
   one thread did), and scatters its half of each segment.

A worker that has not started its job when this thread's half is done (busy
with another) has it cancelled and run here (``_pair``), as ``_collect_beside``.
"""

from __future__ import annotations

from concurrent.futures import Executor, wait
from dataclasses import dataclass, field
from time import perf_counter
from typing import Callable

import numpy as np
import open3d as o3d

import sensors.static_cast as static_cast
from sensors.static_boxes import BoxProof, above, neutralize, proof_mask, restore, write_misses, NO_WORDS
from sensors.static_horizon import NORM_BOUND, cull_gather, cull_gather_unproved, scatter_hits

SPLIT_SERIAL = True
"""Run the static cast's single-thread sections on two threads where the caller gives a free helper and the
miss proof runs (off: one thread, as before; the in-process A/B and the tests compare them: the same arrays)."""
POST_MIN_ROWS = 16384
"""Hand the copies after the casts over only when they write at least this many rows (~1.5–3 ns a row against
a hand-over's ~50 µs)."""
CUT_LEARN = 0.25
"""Weight of the newest cast in the learnt cut (about the last four casts count)."""
CUT_BOUNDS = (0.1, 0.9)
"""The cut stays within these shares of the rows."""
_cuts: dict[int, float] = {}
"""The learnt cut per cast size (a share of the rows [a, b)), per process."""


@dataclass
class _Range:
    """One thread's rows [lo, hi) before the casts and what it made of them."""

    lo: int
    hi: int
    taken: int = 0
    saved: np.ndarray = field(default_factory=lambda: _NO_SAVED)
    rows: np.ndarray = field(default_factory=lambda: _NO_ROWS)
    segments: list = field(default_factory=list)
    """(rest index, offset in the compact buffer, rays gathered) per rest part it met."""
    start: float = 0.0
    end: float = 0.0


_NO_SAVED = np.zeros((0, 6), np.float32)
_NO_ROWS = np.zeros(0, np.int64)


def cast_split(rays: "o3d.core.Tensor", buf: np.ndarray, dz: np.ndarray, parts: list, horizon: np.ndarray,
               keep_below: float, proof: BoxProof | None, nthreads: int, helper: Executor, dz_bounds,
               t: np.ndarray, normal: np.ndarray, material: np.ndarray, a: int, b: int) -> None:
    """The horizon path of ``static_cast.cast_static`` for the parts tiling [a, b) (their hits into t, normal,
    material), its single-thread sections on this thread and ``helper``'s (module docstring).  ``proof``: the
    box-first proof (None: none); ``buf`` is ``rays``' memory, whose swapped rows are restored before the
    return, also on an error."""
    heads, rests = [], []
    for s, e, part in parts:
        if e <= s:
            continue
        head, _ = static_cast._runs(dz, s, e, keep_below, True, dz_bounds)
        if head >= static_cast.SPLIT_MIN_RAYS and e - s > head:
            heads.append((s, s + head, part))
            s += head
        rests.append((s, e, part))
    skip, words = proof_mask(len(buf)) if proof is not None else (None, NO_WORDS)
    kept_rays, kept_rows = static_cast._scratch(b - a)
    share = _cuts.get(len(buf), 0.5)
    m = a + int(share * (b - a))
    ranges = (_Range(a, m), _Range(m, b))
    job = (buf, heads, rests, horizon, proof, skip, words, kept_rays, kept_rows, t, normal, material, a)
    try:
        submitted = perf_counter()
        if _pair(helper, lambda: _pre(ranges[0], *job), lambda: _pre(ranges[1], *job)):
            _learn(len(buf), a, b, m, submitted, ranges)
        head_hits = []
        for s, e, part in heads:
            out = part.scene.cast_rays(rays[s:e], nthreads=nthreads)
            head_hits.append((s, e, part.triangle_material, out["t_hit"].numpy(), out["primitive_normals"].numpy(),
                              out["primitive_ids"].numpy()))
        rest_hits = []
        for r in ranges:
            for i, off, k in r.segments:
                if k:
                    out = rests[i][2].scene.cast_rays(o3d.core.Tensor.from_numpy(kept_rays[off:off + k]),
                                                      nthreads=nthreads)
                    rest_hits.append((off, k, rests[i][2].triangle_material, out["t_hit"].numpy(),
                                      out["primitive_normals"].numpy(), out["primitive_ids"].numpy()))
        post = (buf, head_hits, rest_hits, ranges, kept_rows, t, normal, material)
        written = sum(e - s for s, e, *_ in head_hits) + sum(k for _, k, *_ in rest_hits)
        if written >= POST_MIN_ROWS:
            _pair(helper, lambda: _post(0, *post), lambda: _post(1, *post))
        else:
            _post(0, *post)
            _post(1, *post)
    except BaseException:
        for r in ranges:                    # the caller's rays as they were (``restore`` is idempotent)
            if r.taken:
                restore(buf, r.rows, r.taken, r.saved)
        raise


def _pre(r: _Range, buf, heads, rests, horizon, proof, skip, words, kept_rays, kept_rows, t, normal, material,
         a: int) -> None:
    """One thread's rows before the casts: proved, swapped where a leading run holds them, tested and gathered."""
    r.start = perf_counter()
    lo, hi = r.lo, r.hi
    proved = 0
    if proof is not None:
        proved = proof.prove(buf, lo, hi, skip, np.empty(min(len(proof.ray), hi - lo), np.int64))
    if proved and proof.writable:
        r.saved = np.empty((proved, 6), np.float32)
        r.rows = np.empty(proved, np.int64)
        for s, e, part in heads:
            x, y = max(s, lo), min(e, hi)
            if x < y:
                r.taken += neutralize(buf, skip, x, y, above(part.z_range[1]), r.saved[r.taken:], r.rows[r.taken:],
                                      words)
    for i, (s, e, _) in enumerate(rests):
        x, y = max(s, lo), min(e, hi)
        if x >= y:
            continue
        off = x - a
        if proved:
            k = cull_gather_unproved(buf, x, y, horizon, NORM_BOUND, skip, kept_rays[off:], kept_rows[off:], t,
                                     normal, material)
        else:
            k = cull_gather(buf, x, y, horizon, NORM_BOUND, kept_rays[off:], kept_rows[off:], t, normal, material)
        r.segments.append((i, off, k))
    r.end = perf_counter()


def _post(half: int, buf, head_hits, rest_hits, ranges, kept_rows, t, normal, material) -> None:
    """One thread's half after the casts: of each leading run, its swapped rays restored, its hits copied and
    its swapped rows written as misses (``static_cast._collect_beside``'s order); of each gathered segment,
    its hits scattered back."""
    for s, e, table, t_part, normal_part, ids in head_hits:
        h = (s + e) // 2
        lo, hi = (s, h) if half == 0 else (h, e)
        spans = []
        for r in ranges:
            if r.taken:
                i0, i1 = np.searchsorted(r.rows[:r.taken], (lo, hi))
                if i1 > i0:
                    spans.append((r, int(i0), int(i1)))
                    restore(buf, r.rows[i0:i1], i1 - i0, r.saved[i0:i1])
        static_cast.collect_part(t_part[lo - s:hi - s], normal_part[lo - s:hi - s], ids[lo - s:hi - s], table, t,
                                 normal, material, lo)
        for r, i0, i1 in spans:
            write_misses(r.rows[i0:i1], i1 - i0, t, normal, material)
    for off, k, table, t_part, normal_part, ids in rest_hits:
        h = k // 2
        i0, i1 = (0, h) if half == 0 else (h, k)
        if i1 > i0:
            scatter_hits(t_part[i0:i1], normal_part[i0:i1], ids[i0:i1], table, kept_rows[off + i0:off + i1], t,
                         normal, material)


def _pair(helper: Executor, first: Callable[[], None], second: Callable[[], None]) -> bool:
    """``first()`` here and ``second()`` on ``helper`` (disjoint rows: either order gives the same arrays);
    whether ``second`` ran there.  One the helper has not started when ``first`` is done (its thread busy with
    another job) is cancelled and run here; an error of either is raised once both are done."""
    future = helper.submit(second)
    try:
        first()
    except BaseException:
        if not future.cancel():
            wait([future])                  # never leave the helper writing into the sweep's arrays
        raise
    if future.cancel():
        second()
        return False
    future.result()
    return True


def _learn(n: int, a: int, b: int, m: int, submitted: float, ranges: tuple[_Range, _Range]) -> None:
    """Fold one cast's timings into the cut of casts of ``n`` rays: each thread's time per row on its side, and
    the worker's later start, give the row where both would have ended together."""
    first, second = ranges
    if m <= a or m >= b or first.end <= first.start or second.end <= second.start:
        return
    rate_a = (first.end - first.start) / (m - a)
    rate_b = (second.end - second.start) / (b - m)
    x = ((second.start - first.start) + rate_b * (b - a)) / (rate_a + rate_b)
    target = min(max(x / (b - a), CUT_BOUNDS[0]), CUT_BOUNDS[1])
    if len(_cuts) > 64:
        _cuts.clear()
    share = _cuts.get(n)
    _cuts[n] = target if share is None else share + CUT_LEARN * (target - share)

