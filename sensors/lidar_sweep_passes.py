"""The per-return passes of a lidar sweep and the two-thread hand-over they use (``sensors.lidar``).

After the cast, ``sweep_returns`` turns the hits into the cloud: the
returns gathered from the ring-major cast into pattern order and selected
(echo power, dropout) in one pass (``lidar_gather``), their range-noise
normals decoded, their PointXYZIRT records filled.  The random draws are
decoded from the sensor generator's raw words (``lidar_draws``), drawn
beside the cast on a two-thread sweep, so the cloud and the generator's
state are those of numpy's ``random`` / ``standard_normal`` calls, whatever
the threads.

On a large sweep with a second CPU free (``split``) the gather runs as two
column ranges on two threads (the second starts at the return index the
first ends at: ``count_returns``), then the worker decodes the normals;
each thread fills the records of its range, and the worker then sets the
generator's state (``_split_returns``).  With extinction (fog, rain) the echo is attenuated by numpy's
exp between the gather and the selection, as before; that path, and a
generator whose words cannot be decoded, run on one thread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from time import perf_counter
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING

import numpy as np

from sensors.lidar_draw_ahead import ahead_job, decode, expected_words, finish, normal_end, pend, stream_for
from sensors.lidar_draws import MARK, select_words, supported
from sensors.lidar_gather import (count_returns, fill_compact, fill_records, gather_permuted, gather_returns,
                                   gather_select, gather_select_permuted, gather_select_positions)
from sensors.lidar_fog import merge_fog, spread_fog
from sensors.lidar_kernels import select_returns
from sensors.lidar_patterns import PatternTables, ScanPattern
from sensors.pointcloud import POINT_DTYPE
from sensors.worker_thread import process_worker

if TYPE_CHECKING:
    from sensors.lidar import Lidar
    from sensors.worker_thread import Parked
    from sensors.scene import RayHits

INDEX = np.int32
"""dtype of the per-return index buffers (pattern index of each return, the selected returns): a sweep
has far fewer than 2³¹ rays, and half the bytes of int64 is less memory traffic in the passes that
stream them (~60 µs of CPU on an HDL-64E sweep)."""

NORMALS_WALK = 0.25
"""CPU of decoding a sweep's normals (``lidar_draws.normals``) relative to gathering the whole sweep
(measured on HDL-64E: ~0.22 vs ~0.85 ms): the first sweeps' estimate (``Balance``)."""
COUNT_PASS = 0.08
"""CPU of counting the first range's returns (``lidar_gather.count_returns``, which only reads t) relative to
gathering the whole sweep (~0.07 vs ~0.85 ms), per column counted: the first sweeps' estimate."""

@dataclass
class Balance:
    """Where a two-thread sweep cuts its columns (``split_column``), learnt from the sweeps before it.

    This thread gathers columns [0, cut) at ``main`` seconds a column; the
    worker counts them (``count`` a column), gathers the rest (``worker`` a
    column) and decodes the normals (``normals`` seconds).  Each sweep's
    timings update the estimates by an exponential average (``LEARN``), so
    the cut follows what the two threads take on this machine now: after the
    cast one core's caches are often colder than the other's, by up to 2× on
    the reference machine, in either direction.  Only the timing depends on
    the cut: the cloud is the same for every cut (the tests sweep with many).
    """

    main: float
    worker: float
    count: float
    normals: float
    sweeps: int = 0

    def learn(self, cut: int, columns: int, main_s: float, count_s: float, worker_s: float, normals_s: float) -> None:
        """Fold one sweep's timings in (ranges of fewer than 16 columns teach nothing about their rate); the
        first replaces the starting ratios, which are in units of a column's gather, not seconds."""
        k = LEARN if self.sweeps else 1.0
        self.sweeps += 1
        if cut >= 16:
            self.main += k * (main_s / cut - self.main)
            self.count += k * (count_s / cut - self.count)
        if columns - cut >= 16:
            self.worker += k * (worker_s / (columns - cut) - self.worker)
        self.normals += k * (normals_s - self.normals)


COUNT_DEFICIT = 2048
"""A sweep whose words drawn ahead fall short of one per ray (the most uniforms it can read) by at most this
many draws the rest (~1.7 ns a word) instead of counting its returns first (~7 µs on a Mid-40 sweep, some
40 % of its new frames); the words drawn beyond those read change nothing (``finish`` commits the ones read)."""
POSITIONS_GATHER = True
"""A pattern without a grid gathers its returns in pattern order from their cast rows
(``lidar_gather.gather_select_positions``); off: the permuted gather (the same returns; the in-process A/B
and the tests compare them)."""
RECORD_FILL = True
"""The records are filled through the record array (``lidar_gather.fill_records``); off: through its six field
views (``fill_compact``; the same bytes: the in-process A/B and the tests compare them)."""
LEARN = 0.25
"""Weight of the newest sweep in ``Balance``'s averages (about the last four sweeps count)."""


def _balance(lidar: "Lidar", columns: int, counted: bool, normals: bool) -> Balance:
    """The sensor's ``Balance`` (per process, as the worker), started from the reference machine's ratios
    (``NORMALS_WALK``, ``COUNT_PASS``) in units of one column's gather."""
    got = lidar.__dict__.get("_split_balance")
    if got is None:
        got = lidar._split_balance = Balance(1.0, 1.0, COUNT_PASS * counted, NORMALS_WALK * columns * normals)
    return got


def split_column(balance: Balance, columns: int) -> int:
    """The cut (a multiple of 16, the gather's tile) where the two threads' estimates meet:
    main·x = count·x + worker·(C − x) + normals, kept within [C/8, 7C/8] of the columns."""
    denominator = balance.main + balance.worker - balance.count
    x = (balance.worker * columns + balance.normals) / denominator if denominator > 0 else columns / 2
    x = min(max(x, columns / 8), columns * 7 / 8)
    return min((int(x) + 15) // 16 * 16, columns)


def _worker() -> ThreadPoolExecutor:
    """The process's worker thread of the return passes (``worker_thread``)."""
    return process_worker("lidar-returns")


def buffer_then_draws(lidar: "Lidar", fill: Callable[[], object], later: "Parked | None" = None) -> Future:
    """Run ``fill`` (the sweep's ray buffer: a ``nogil`` kernel) on the worker, then draw the sweep's random
    words there (``lidar_draw_ahead.ahead_job``) while the cast runs; the returned future is done when
    ``fill`` is (with its result, or its exception).

    ``later``: the words are not drawn after ``fill`` but parked there (``worker_thread.Parked``) for the
    static cast to run on the worker after its share of the cast's rows (``static_split``).

    Why one job: the worker is woken once for both (a hand-over costs some 50 µs of wall time here), the
    buffer needs no GIL while this thread finds the actor pairs, and the words, a fixed cost that depends
    on nothing the sweep computes, are drawn beside the cast (which keeps both cores busy for
    milliseconds), adding about half their CPU time to the sweep's wall time instead of all of it.
    """
    built: Future = Future()
    draw = ahead_job(lidar, lidar.rng)
    if later is not None and draw is not None:
        # the words parked (``worker_thread.Parked``): the static cast runs them after the worker's share of
        # its rows (``static_split``), or submits them at once; the future pended is set when they are drawn
        words: Future = Future()

        def drawn() -> None:
            try:
                words.set_result(draw())
            except BaseException as exc:            # ``stream_for`` then draws them itself
                words.set_exception(exc)

        later.park(drawn)
        pend(lidar, words)
        draw = None

    def job():
        try:
            result = fill()
        except BaseException as exc:
            built.set_exception(exc)
            raise
        built.set_result(result)
        return None if draw is None else draw()

    future = _worker().submit(job)
    if draw is not None:
        pend(lidar, future)                             # a failed job: ``stream_for`` draws the words itself
    return built


def both(first, second):
    """(first(), second()), ``second`` on a worker thread while ``first`` runs here.

    ``second`` spends its time in a compiled ``nogil`` kernel, so both run on
    two cores at once; they write disjoint outputs, so the result does not
    depend on which finishes first.  The pool is per process (a forked child
    makes its own).  (The set-up before the cast, whose ``first`` runs Python,
    hands over differently: ``buffer_then_draws``.)
    """
    future = _worker().submit(second)
    try:
        a = first()
    finally:
        b = future.result()             # never leave the worker writing into scratch buffers
    return a, b


def sweep_returns(lidar: "Lidar", pattern: ScanPattern, tables: PatternTables, rays: np.ndarray, hits: "RayHits",
                  reflectivity: np.ndarray, alpha: float, sigma: float, split: bool
                  ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """(points, idx, mat): the sweep's PointXYZIRT records and, when the sensor gives labels, each point's
    pattern index and material (scratch views, valid until the next sweep; None without labels).

    ``rays`` is the cast's (N, 6) buffer (cast order), ``hits`` its
    untrimmed hits: returns are the hits within [min_range, max_range].
    ``reflectivity``: float32 per material (``hits.material`` indexes it);
    ``alpha``: the atmosphere's extinction; ``sigma``: the range noise;
    ``split``: two threads.
    """
    n = len(hits.t)
    idx = lidar._buffer("return_idx", n + 2, INDEX)
    r = lidar._buffer("return_r", n + 2, np.float32)
    mat = lidar._buffer("return_mat", n + 2, np.int32)
    echo = lidar._buffer("return_echo", n + 2, np.float32)
    if alpha > 0 or not supported(lidar.rng):
        return _reference_path(lidar, pattern, tables, rays, hits, reflectivity, alpha, sigma, idx, r, mat, echo)
    drop = lidar.dropout > 0
    grid = pattern.grid
    stream = None
    if drop:
        stream = stream_for(lidar, lidar.rng, expected_words(lidar))
        if n + 1 - stream.available > COUNT_DEFICIT:     # far fewer words than rays: count the returns' uniforms
            # (a cast in any order counts as one ring: until session 7 it took every ray as a return, and
            # a Livox sweep then drew some 10 000 words, ~20 µs, more than it read)
            rings, columns = (grid.channels, grid.columns) if grid is not None else (1, n)
            count = count_returns(hits.t, rings, columns, lidar.min_range, lidar.max_range, 0, columns)
            stream.ensure(2 * count + count // 16 + 256 if sigma > 0 else count + 1)
        else:                                           # a few words short of one per ray: draw them
            stream.ensure(n + 1)
    words = (stream.raw32, stream.first, stream.head) if stream is not None else _NO_WORDS
    if grid is not None and split:
        return _split_returns(lidar, pattern, tables, rays, hits, reflectivity, sigma, drop, stream, words, idx, r,
                              mat, echo)
    if grid is not None:
        kept, count = gather_select(hits.t, hits.material, hits.normal, rays, grid.channels, grid.columns,
                                    reflectivity, lidar.min_range, lidar.max_range, lidar.power_threshold, *words,
                                    lidar.dropout, drop, 0, idx, r, mat, echo, 0, grid.columns)
    else:
        if POSITIONS_GATHER:
            kept, count = gather_select_positions(hits.t, hits.material, hits.normal, rays, tables.cast_position,
                                                  reflectivity, lidar.min_range, lidar.max_range,
                                                  lidar.power_threshold, *words, lidar.dropout, drop, idx, r, mat, echo)
        else:
            kept, count = gather_select_permuted(hits.t, hits.material, hits.normal, rays, tables.cast_order,
                                                 reflectivity, lidar.min_range, lidar.max_range,
                                                 lidar.power_threshold, *words, lidar.dropout, drop, idx, r, mat, echo)
    end = count if drop else 0                          # the normals' words follow the uniforms'
    noise = _NONE
    if sigma > 0:
        if stream is None:
            stream = stream_for(lidar, lidar.rng, kept + kept // 32 + 64)
        noise = lidar._buffer("noise", n + 1, np.float32)[:kept]
        end = decode(stream, end, noise)[2]
    points = np.empty(kept, dtype=POINT_DTYPE)
    _fill(lidar, pattern, tables, points, idx[:kept], r[:kept], echo[:kept], noise, sigma)
    if stream is not None:
        finish(lidar, lidar.rng, stream, end)
    return _labelled(lidar, kept, idx, mat, points)


def _split_returns(lidar: "Lidar", pattern: ScanPattern, tables: PatternTables, rays: np.ndarray, hits: "RayHits",
                   reflectivity: np.ndarray, sigma: float, drop: bool, stream, words, idx, r, mat, echo
                   ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """``sweep_returns`` of a spinning head on two threads: the gather in two column ranges (the second
    from the first's return count: ``count_returns``), the worker then decoding the normals; the records
    in the same two ranges, the worker then setting the generator's state (``finish``).

    (Tried in session 6 and not kept: chunks claimed from the two ends, which balance by themselves, but
    cost ~0.2 ms more wall per HDL-64E sweep on a fast minute: the count of every chunk and the normals
    ahead of the worker's gather, and more hand-over.)
    """
    grid = pattern.grid
    n = len(hits.t)
    if sigma > 0 and stream is None:
        stream = stream_for(lidar, lidar.rng, 0)
    args = (hits.t, hits.material, hits.normal, rays, grid.channels, grid.columns, reflectivity,
            lidar.min_range, lidar.max_range, lidar.power_threshold, *words, lidar.dropout, drop)
    counted = drop or sigma > 0                         # the second range needs the first's return count
    balance = _balance(lidar, grid.columns, counted, sigma > 0)
    cut = split_column(balance, grid.columns)
    o = cut * grid.channels + 1                         # the first range's last (unkept) write lands before it
    noise = lidar._buffer("noise", n + 1, np.float32)
    marks = lidar._buffer("marks", n // MARK + 2, np.int64)
    times = [0.0, 0.0, 0.0, 0.0]                        # this thread's gather; the worker's count, gather, normals

    def first():
        t0 = perf_counter()
        out = gather_select(*args, 0, idx, r, mat, echo, 0, cut)
        times[0] = perf_counter() - t0
        return out

    def second():                                       # its first return index, its range, the normals
        t0 = perf_counter()
        j0 = count_returns(hits.t, grid.channels, grid.columns, lidar.min_range, lidar.max_range, 0,
                           cut) if counted else 0
        t1 = perf_counter()
        b, cb = gather_select(*args, j0, idx[o:], r[o:], mat[o:], echo[o:], cut, grid.columns)
        t2 = perf_counter()
        times[1:3] = t1 - t0, t2 - t1
        if sigma <= 0:
            return b, cb, None
        returns = j0 + cb                               # as many normals as returns: the kept ones' are a prefix
        start = returns if drop else 0
        decoded = (start, *decode(stream, start, noise[:returns], marks))
        times[3] = perf_counter() - t2
        return b, cb, decoded

    (a, ca), (b, cb, decoded) = both(first, second)
    balance.learn(cut, grid.columns, *times)
    k = a + b
    points = np.empty(k, dtype=POINT_DTYPE)

    def second_records():                               # then the generator left after the draws used
        _fill(lidar, pattern, tables, points[a:], idx[o:o + b], r[o:o + b], echo[o:o + b], noise[a:k], sigma)
        if stream is not None:
            end = ca + cb if drop else 0                # the normals' words follow the uniforms'
            if decoded is not None:
                start, made, first_end, _ = decoded
                end = normal_end(stream, start, marks, made, first_end, k)
            finish(lidar, lidar.rng, stream, end)

    both(lambda: _fill(lidar, pattern, tables, points[:a], idx[:a], r[:a], echo[:a], noise[:a], sigma),
         second_records)
    if not lidar.labels:
        return points, None, None
    for buf in (idx, mat):                              # the second range's after the first's
        buf[a:a + b] = buf[o:o + b]
    return points, idx[:k], mat[:k]

def _labelled(lidar: "Lidar", kept: int, idx: np.ndarray, mat: np.ndarray, points: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """(points, idx, mat) of ``sweep_returns``: the kept returns' index and material when the sensor gives
    labels."""
    if not lidar.labels:
        return points, None, None
    return points, idx[:kept], mat[:kept]


def _fill(lidar: "Lidar", pattern: ScanPattern, tables: PatternTables, points: np.ndarray, idx, r, echo, noise,
          sigma: float) -> None:
    """``points`` ← the records of compact returns (``lidar_gather.fill_records``, or ``fill_compact`` on the
    field views where ``RECORD_FILL`` is off: the same bytes; ``noise`` empty: none)."""
    if RECORD_FILL:
        fill_records(points, tables.columns, idx, r, echo, noise if sigma > 0 else _NONE, sigma,
                     255.0 * lidar.intensity_reference ** 2, lidar.intensity_reference ** 2, pattern.ring,
                     pattern.time)
        return
    fill_compact(*(points[f] for f in POINT_DTYPE.names), tables.columns, idx, r, echo,
                 noise if sigma > 0 else _NONE, sigma, 255.0 * lidar.intensity_reference ** 2,
                 lidar.intensity_reference ** 2, pattern.ring, pattern.time)


def _reference_path(lidar: "Lidar", pattern: ScanPattern, tables: PatternTables, rays, hits, reflectivity,
                    alpha: float, sigma: float, idx, r, mat, echo) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One thread, the passes one by one: gather, the echo attenuated by numpy's exp, selection, records;
    numpy's own draws for a generator ``lidar_draws`` cannot decode (``supported``)."""
    n = len(hits.t)
    grid = pattern.grid
    if grid is not None:
        count = gather_returns(hits.t, hits.material, hits.normal, rays, grid.channels, grid.columns, reflectivity,
                               lidar.min_range, lidar.max_range, idx, r, mat, echo, 0, grid.columns)
    else:
        count = gather_permuted(hits.t, hits.material, hits.normal, rays, tables.cast_order, reflectivity,
                                lidar.min_range, lidar.max_range, idx, r, mat, echo)
    idx, r, mat, echo = idx[:count], r[:count], mat[:count], echo[:count]
    drop = lidar.dropout > 0
    decoded = supported(lidar.rng)
    stream = stream_for(lidar, lidar.rng, count + 1) if decoded and drop else None
    uniform = lidar.rng.random(count, dtype=np.float32) if drop and not decoded else _NONE
    if alpha > 0:
        echo = echo * np.exp(-2.0 * alpha * r)
    sel = lidar._buffer("sel", n + 1, INDEX)
    if stream is not None:
        sel = sel[:select_words(r, echo, stream.raw32, stream.first, stream.head, lidar.dropout,
                                lidar.power_threshold, drop, sel)]
    else:
        sel = sel[:select_returns(r, echo, uniform, lidar.dropout, lidar.power_threshold, sel)]
    returns = idx, r, echo
    idx, r, mat, echo = idx[sel], r[sel], mat[sel], echo[sel]
    fog = lidar._fog_table
    if fog is not None:                                 # fog returns in place of weaker hard ones (``lidar_fog``)
        (idx, r, mat, echo), fog_at, fog_power = merge_fog(fog, hits.t, tables.cast_position,
                                                           lidar.power_threshold, returns, (idx, r, mat, echo), INDEX)
    if decoded:
        end = count if drop else 0
        noise = _NONE
        if sigma > 0:
            stream = stream if stream is not None else stream_for(lidar, lidar.rng, len(idx) + 64)
            noise = np.empty(len(idx), np.float32)
            end = decode(stream, end, noise)[2]
        if stream is not None:
            finish(lidar, lidar.rng, stream, end)
    else:
        noise = lidar.rng.standard_normal(len(idx), dtype=np.float32) if sigma > 0 else _NONE
    lidar._fog_count = 0
    if fog is not None and len(fog_at):
        spread_fog(lidar.rng, lidar.fog.range_spread_m, r, echo, fog_at, fog_power)
        lidar._fog_count = len(fog_at)
    points = np.empty(len(idx), dtype=POINT_DTYPE)
    _fill(lidar, pattern, tables, points, idx, r, echo, noise, sigma)
    return points, idx, mat


_NONE = np.zeros(0, np.float32)
_NO_WORDS = (np.zeros(0, np.uint32), 0, 0)
_NO_EXCEPTIONS = (np.zeros(0, np.int64), np.zeros(0, np.float32), np.zeros(0, np.int64))
