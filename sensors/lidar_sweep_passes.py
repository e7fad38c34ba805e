"""The per-return passes of a lidar sweep and the two-thread hand-over they use (``sensors.lidar``).

Why a module of its own: ``Lidar.sense`` runs these passes either in the
calling thread (``serial_passes``) or, on a large sweep with a second CPU
free, split across a worker thread (``passes_beside_draws``): the sensor's
random draws (dropout uniforms, then range-noise normals) are one
sequential stream of its ``numpy.random.Generator``, drawn on the worker
(numpy draws without the GIL) while this thread runs the compiled ``nogil``
passes that need no draw (``lidar_fill``).  The draws keep their order and
sizes and the passes their float32 arithmetic, so both give the same bits
(``tests/sensors/test_sensors_lidar_parallel.py``,
``test_sensors_s4_sweep.py``).
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import numpy as np

from sensors.lidar_fill import fill_fields, fill_xyz, power_candidates, survivors
from sensors.lidar_kernels import fill_points, select_returns
from sensors.lidar_patterns import PatternTables, ScanPattern
from sensors.pointcloud import POINT_DTYPE

if TYPE_CHECKING:
    from sensors.lidar import Lidar

INDEX = np.int32
"""dtype of the per-return index buffers (pattern index of each return, the selected returns): a sweep
has far fewer than 2³¹ rays, and half the bytes of int64 is less memory traffic in the passes that
stream them (~60 µs of CPU on an HDL-64E sweep)."""

NOISE_CHUNK = 8192
"""Range-noise normals a two-thread sweep draws per chunk (the points of a chunk are placed while the next
is drawn)."""


_pool: tuple[int, ThreadPoolExecutor] | None = None
_pool_lock = threading.Lock()


def both(first, second, *, hand_over: bool = False):
    """(first(), second()), ``second`` on a worker thread while ``first`` runs here.

    ``second`` spends its time in a compiled ``nogil`` kernel, so both run on
    two cores at once; they write disjoint outputs, so the result does not
    depend on which finishes first.  The pool is per process (a forked child
    makes its own).

    ``hand_over``: ``first`` runs Python (or kernels that keep the GIL) for a
    while, so the worker, which needs the GIL to reach its kernel, would wait
    for it until ``first`` ends (CPython hands the GIL over on request only
    after its 5 ms switch interval; measured: the worker entered its kernel a
    median 2.0 ms late beside 2 ms of Python).  This thread then waits until
    the worker has begun ``second`` — it holds the GIL until its kernel lets
    it go — before running ``first``.
    """
    global _pool
    with _pool_lock:
        if _pool is None or _pool[0] != os.getpid():
            _pool = (os.getpid(), ThreadPoolExecutor(1, thread_name_prefix="lidar-returns"))
        pool = _pool[1]
    started = threading.Event() if hand_over else None

    def begin_second():
        started.set()
        return second()

    future = pool.submit(begin_second if hand_over else second)
    try:
        if started is not None:
            started.wait()
        a = first()
    finally:
        b = future.result()             # never leave the worker writing into scratch buffers
    return a, b


def serial_passes(lidar: "Lidar", pattern: ScanPattern, tables: PatternTables, idx, r, echo, alpha: float,
                  sigma: float, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(points, sel): dropout and echo power select the returns, then their records (one thread)."""
    count = len(r)
    uniform = lidar.rng.random(count, dtype=np.float32) if lidar.dropout > 0 else np.zeros(0, np.float32)
    if alpha > 0:
        echo = echo * np.exp(-2.0 * alpha * r)
    sel = lidar._buffer("sel", n, INDEX)
    sel = sel[:select_returns(r, echo, uniform, lidar.dropout, lidar.power_threshold, sel)]
    noise = lidar.rng.standard_normal(len(sel), dtype=np.float32) if sigma > 0 else np.zeros(0, np.float32)
    points = np.empty(len(sel), dtype=POINT_DTYPE)
    fill_points(*(points[f] for f in POINT_DTYPE.names), tables.columns, sel, idx, r, echo, noise, sigma,
                255.0 * lidar.intensity_reference ** 2, lidar.intensity_reference ** 2, pattern.ring, pattern.time)
    return points, sel


def passes_beside_draws(lidar: "Lidar", pattern: ScanPattern, tables: PatternTables, idx, r, echo,
                        alpha: float, sigma: float, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``serial_passes`` on two threads: a worker draws (numpy draws without the GIL) while this thread runs
    the passes that need no draw (``lidar_fill``); the draws keep their order and sizes, and the
    passes their arithmetic, so the bits are ``_passes``'s."""
    count = len(r)
    if alpha > 0:
        echo = echo * np.exp(-2.0 * alpha * r)          # draws nothing: the uniforms are the same either side
    sel = lidar._buffer("sel", n, INDEX)
    if lidar.dropout > 0:
        found, uniform = both(lambda: power_candidates(r, echo, lidar.power_threshold, sel),
                              lambda: lidar.rng.random(count, dtype=np.float32))
        sel = sel[:survivors(sel[:found], uniform, lidar.dropout, sel)]
    else:
        sel = sel[:power_candidates(r, echo, lidar.power_threshold, sel)]
    k = len(sel)
    points = np.empty(k, dtype=POINT_DTYPE)
    x, y, z, intensity, ring_out, time_out = (points[f] for f in POINT_DTYPE.names)
    scale, reference2 = 255.0 * lidar.intensity_reference ** 2, lidar.intensity_reference ** 2
    if sigma <= 0:                              # no draw: each thread places half of the points
        h = k // 2
        none = np.zeros(0, np.float32)
        both(lambda: (fill_fields(intensity, ring_out, time_out, sel, idx, r, echo, scale, reference2,
                                  pattern.ring, pattern.time),
                      fill_xyz(x[:h], y[:h], z[:h], tables.columns, sel[:h], idx, r, none, sigma)),
             lambda: fill_xyz(x[h:], y[h:], z[h:], tables.columns, sel[h:], idx, r, none, sigma))
        return points, sel
    # the worker draws the normals in chunks (numpy's fill loop draws element by element, so the chunks
    # are the one call's stream) while this thread places the points of each chunk drawn: only the last
    # chunk's points are placed after the draws end
    cuts = list(range(0, k, NOISE_CHUNK)) + [k]
    noise = np.empty(k, np.float32)
    drawn = [threading.Event() for _ in cuts[1:]]
    failed: list[bool] = []

    def draw() -> None:                         # worker
        try:
            for c, event in enumerate(drawn):
                lidar.rng.standard_normal(cuts[c + 1] - cuts[c], dtype=np.float32, out=noise[cuts[c]:cuts[c + 1]])
                event.set()
        except BaseException:
            failed.append(True)
            for event in drawn:
                event.set()
            raise                               # ``both`` re-raises it here

    def place() -> None:                        # here: the fields without noise, then each chunk drawn
        fill_fields(intensity, ring_out, time_out, sel, idx, r, echo, scale, reference2, pattern.ring,
                    pattern.time)
        for c, event in enumerate(drawn):
            event.wait()
            if failed:
                return
            a, b = cuts[c], cuts[c + 1]
            fill_xyz(x[a:b], y[a:b], z[a:b], tables.columns, sel[a:b], idx, r, noise[a:b], sigma)

    both(place, draw)
    return points, sel
