"""The static cast's single-thread sections on two threads, for a large cast with a second CPU free.

Why: on an HDL-64E sweep (133 000 rays, the bench's twenty cars) open3d's
casts keep both cores busy for ~5.5 ms, but around them ``static_cast``
spent ~1 ms on this thread alone while the other core idled: the box-first
proof (``static_boxes``), the rows it proves swapped out of the leading run
(``neutralize``), the miss proof and gather of the other rows
(``static_horizon.cull_gather``, ``drop_rows``), and after the casts the
copies of their hits back (``collect_part``, ``scatter_hits``, ``restore``).
Every one of them works row by row, each row on its own: the proof marks a
row from that row's pairs, the gather reads and writes that row, the copies
write that row.  So any split of the rows into two sets gives the same arrays
when each set is worked by one thread:

1. *Before the casts* (``_pre``, one hand-over): the rows [a, b) of the cast
   are cut at m; each thread proves its rows (``BoxProof.prove`` over its
   range: a row's pairs are all tested by the thread that owns the row), swaps
   the proved rows of the leading runs in its range for rays that leave the
   scene at once, and tests and gathers the rest of its range
   (``cull_gather_unproved``: the miss proof and the box-first drop in one
   pass) into the compact buffer at the offset of its first row (a gathered
   segment is never longer than its rows, so the two threads' segments never
   overlap).  The cut is where the two threads' times of the casts before met
   (``_learn``; ``_learn_late`` where the worker had not started).  A job
   parked for the worker (the lidar's random words, ``worker_thread.Parked``)
   runs there after its share.
2. *The casts* (this thread; open3d's team): each gathered segment from the
   compact buffer (a part cut at m is two segments, two ``cast_rays`` calls:
   ~20 µs, less than moving the second down), then each leading run as it
   lies.  A ray's hit does not depend on the rays cast with it.
3. *The copies*: the last cast's (a leading run's) hits are copied on the
   worker (``_head_copies``) while this thread restores its swapped rays and
   scatters the segments' hits (``_casts_copies_beside``); or, with
   ``POST_HALVES``, after every cast in halves on both threads (``_post``, one
   more hand-over: measured no better).

A worker that has not started its job when this thread's part is done (busy
with another, or no CPU free) has it cancelled and run here (``_pair``,
``static_cast._join``), so this thread never waits behind another job.

Measured (session 10, HDL-64E on the bench scene, in-process A/B with
``SPLIT_SERIAL`` alternated, two threads forced, load 0.8–1.1): the rows
before the casts take 0.44 ms here and 0.38 ms on the worker side by side
(both done 0.48 ms after the hand-over, against ~0.8 ms on one thread), but
the hand-overs, the extra cast and the copies after the last cast (now
0.46 ms from its end, against 0.06) take most of it back: the cast's time
outside open3d 1.78 → 1.72 ms (medians of 200 rounds), a sweep −0.13 ms
(paired median of 300 rounds; p25 −0.36, p75 +0.08), within this machine's
noise on other runs.
"""

from __future__ import annotations

from concurrent.futures import Executor, Future, wait
from dataclasses import dataclass, field
from time import perf_counter
from typing import TYPE_CHECKING, Callable

import numpy as np
import open3d as o3d

import sensors.static_cast as static_cast
from sensors.static_boxes import BoxProof, above, neutralize, proof_mask, restore, write_misses, NO_WORDS
from sensors.static_horizon import NORM_BOUND, cull_gather, cull_gather_unproved, scatter_hits

if TYPE_CHECKING:
    from sensors.worker_thread import Parked

SPLIT_SERIAL = True
"""Run the static cast's single-thread sections on two threads where the caller gives a free helper and the
miss proof runs (off: one thread, as before; the in-process A/B and the tests compare them: the same arrays)."""
POST_HALVES = False
"""After the casts, copy the hits in halves on both threads (``_post``, one more hand-over); off: each leading
run's copies on the helper beside this thread's restores, casts and scatters (``_casts_copies_beside``).  The
same arrays either way (the in-process A/B compares them)."""
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
               t: np.ndarray, normal: np.ndarray, material: np.ndarray, a: int, b: int,
               beside: "Parked | None" = None) -> None:
    """The horizon path of ``static_cast.cast_static`` for the parts tiling [a, b) (their hits into t, normal,
    material), its single-thread sections on this thread and ``helper``'s (module docstring).  ``proof``: the
    box-first proof (None: none); ``buf`` is ``rays``' memory, whose swapped rows are restored before the
    return, also on an error.  ``beside``: a job parked for ``helper`` (the lidar's random words), run there
    after its share of the rows (submitted there when its share ran here)."""
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
        if _pair(helper, lambda: _pre(ranges[0], *job), lambda: _pre(ranges[1], *job), beside):
            _learn(len(buf), a, b, m, ranges)
        else:
            _learn_late(len(buf))
        if POST_HALVES:
            _casts_then_halves(rays, buf, heads, rests, ranges, kept_rays, kept_rows, nthreads, helper, t, normal,
                               material)
        else:
            _casts_copies_beside(rays, buf, heads, rests, ranges, kept_rays, kept_rows, nthreads, helper, t, normal,
                                 material)
    except BaseException:
        for r in ranges:                    # the caller's rays as they were (``restore`` is idempotent)
            if r.taken:
                restore(buf, r.rows, r.taken, r.saved)
        raise


def _casts_copies_beside(rays, buf, heads, rests, ranges, kept_rays, kept_rows, nthreads, helper, t, normal,
                         material) -> None:
    """The casts, the gathered segments first and the leading runs last: a run's hits are copied on ``helper``
    (``_head_copies``) while this thread restores its swapped rays and scatters the segments' hits; the
    copies are joined last (``static_cast._join``: run here if the helper has not started them).  Why this
    order: open3d's cast holds the GIL, so a copy handed over before another cast would start only after it."""
    segments = []
    for r in ranges:
        for i, off, k in r.segments:
            if k:
                part = rests[i][2]
                out = part.scene.cast_rays(o3d.core.Tensor.from_numpy(kept_rays[off:off + k]), nthreads=nthreads)
                segments.append((off, k, part.triangle_material, out))
    pending = []
    try:
        for s, e, part in heads:
            out = part.scene.cast_rays(rays[s:e], nthreads=nthreads)
            spans = _spans(ranges, s, e)
            job = (s, part.triangle_material, out["t_hit"].numpy(), out["primitive_normals"].numpy(),
                   out["primitive_ids"].numpy(), spans, t, normal, material)
            if e - s >= static_cast.BESIDE_MIN_ROWS:
                pending.append((helper.submit(_head_copies, *job), lambda job=job: _head_copies(*job)))
            else:
                _head_copies(*job)
            for r, i0, i1 in spans:                 # the rays back
                restore(buf, r.rows[i0:i1], i1 - i0, r.saved[i0:i1])
        for off, k, table, out in segments:
            scatter_hits(out["t_hit"].numpy(), out["primitive_normals"].numpy(), out["primitive_ids"].numpy(),
                         table, kept_rows[off:off + k], t, normal, material)
    finally:
        for job in pending:                         # never leave the helper writing into the sweep's arrays
            static_cast._join(job)


def _spans(ranges, s: int, e: int) -> list:
    """(range, i0, i1): the swapped rows of each range within [s, e) are ``range.rows[i0:i1]`` (rows listed in
    order)."""
    spans = []
    for r in ranges:
        if r.taken:
            i0, i1 = np.searchsorted(r.rows[:r.taken], (s, e))
            if i1 > i0:
                spans.append((r, int(i0), int(i1)))
    return spans


def _head_copies(start: int, table, t_part, normal_part, ids, spans, t, normal, material) -> None:
    """A leading run's hits into its rows (``static_cast.collect_part``), then its swapped rows written as
    misses (``static_cast._collect_beside``'s order)."""
    static_cast.collect_part(t_part, normal_part, ids, table, t, normal, material, start)
    for r, i0, i1 in spans:
        write_misses(r.rows[i0:i1], i1 - i0, t, normal, material)


def _casts_then_halves(rays, buf, heads, rests, ranges, kept_rays, kept_rows, nthreads, helper, t, normal,
                       material) -> None:
    """Every cast, then the copies in halves on the two threads (``_post``; ``POST_HALVES``)."""
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


def _pair(helper: Executor, first: Callable[[], None], second: Callable[[], None], then: "Parked | None" = None
          ) -> bool:
    """``first()`` here and ``second()`` on ``helper`` (disjoint rows: either order gives the same arrays);
    whether ``second`` ran there.  One the helper has not started when ``first`` is done (its thread busy with
    another job) is cancelled and run here; an error of either is raised once both are done.  ``then`` (a
    parked job) runs on the helper after ``second`` without being waited for (submitted there when ``second``
    runs here)."""
    half: Future = Future()

    def job() -> None:
        try:
            second()
        except BaseException as exc:
            half.set_exception(exc)
        else:
            half.set_result(None)
        if then is not None:
            then.run()

    future = helper.submit(job)
    try:
        first()
    except BaseException:
        if future.cancel():
            _release(then, helper)
        else:
            wait([half])                    # never leave the helper writing into the sweep's arrays
        raise
    if future.cancel():
        _release(then, helper)
        second()
        return False
    half.result()
    return True


def _release(then: "Parked | None", helper: Executor) -> None:
    if then is not None:
        then.submit(helper)


def _learn_late(n: int) -> None:
    """Fold in a cast whose worker had not started when this thread's half was done (its thread still busy:
    the sweep's random words, ``lidar_sweep_passes.buffer_then_draws``, or no CPU free): it started at least
    that late, which ``_learn``'s arithmetic with that delay and this thread's rate for both turns into a cut
    halfway from the present one to all the rows here."""
    share = _cuts.get(n, 0.5)
    target = min((share + 1.0) / 2.0, CUT_BOUNDS[1])
    _cuts[n] = share + CUT_LEARN * (target - share)


def _learn(n: int, a: int, b: int, m: int, ranges: tuple[_Range, _Range]) -> None:
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

