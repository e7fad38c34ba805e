"""The next rosette frame, built on the worker thread beside the sweep before it and taken without a hand-over.

Why: a non-repetitive head (Livox Mid-40) needs a new frame every sweep,
and building it in line (``lidar_frame_rosette._build_frame``: 0.08–0.11 ms
of a 0.5–0.7 ms sweep on the 2-core machine, most of it ``frame_cast_side``,
a kernel without the GIL) is serial work the size of the sweep's own
passes.  The sweep after frame f fires frame f + 1, so ``Lidar.sense``
starts that frame's kernel on the rosette worker (``start_next``) and goes
on with its own sweep; the next sweep's ``risley_pattern`` takes it
(``NextFrame.collect``) where the kernel has set its done flag, and only
then makes the frame's objects (``_FrameWork.assemble``), on its own thread.

Why this pays where ``lidar_frame_rosette.FrameAhead`` (``BESIDE``) did
not: that one made the sweep wait three times for the worker — until it had
begun (an OS wake-up and a GIL hand-over), for the sweep's random words it
drew after the frame, and for the frame's assembly at the sweep's end —
each a round trip of two thread wake-ups (a median of 40 µs measured at load
7 for the first alone, more under load), and the worker's Python (the
assembly, the words) took the GIL from the sweep between its kernels.  Here
the sweep never waits: the worker needs the GIL only to enter the kernel
(while the sweep is inside one of its own kernels) and to mark its end
(whenever the sweep next lets go of it); the kernel writes every
result into arrays made here and sets ``done[0]`` last
(``lidar_frame.frame_cast_side_done``), so a frame is complete once its
flag reads 1, whatever the worker's Python is doing.  (Reading the flag
first relies on stores becoming visible in program order, as on x86-64;
elsewhere ``collect`` waits for the job's end.)  A job not begun when its
frame is asked for is cancelled and the frame built in line; one running
is waited for.  The job goes through a bare ``queue.SimpleQueue`` to its
thread (``worker_thread.process_queue``) and tracks its own claim and end
(two locks), so no ``Future`` is made; handing it over still costs the
sweep ~7 µs (median; a ``ThreadPoolExecutor.submit`` ~8), most of it
waking the worker.

Measured (session 11, in process, two sensors alternating sweep by sweep,
1 000 new-frame sweeps each, the process at real-time priority so that the
second CPU is free as on an idle machine): wall median 0.589 → 0.519 ms and
0.611 → 0.535 ms, minimum 0.491 → 0.399 and 0.503 → 0.413 (two runs).
Drawing the sweep's random words in the same job before the kernel measured
slower (median 0.519 → 0.569 and 0.535 → 0.590 ms in the same runs): the
worker's Python takes the GIL from the sweep's set-up.  ``bench/sensor_bench.py
--livox-only`` at real-time priority with the gate held open, three runs
alternated with the session-start code: new-frame e2e/raw 73–80 % wall on
the minima, 71–76 % on the medians (e2e 0.38–0.44 ms); the session-start
code 60–62 % (e2e 0.49–0.53 ms).  Where the gate finds no free CPU nothing
is started and the sweep is as before (at load 5.4 with the gate forced
open the worker cost 0.04 ms a sweep: it waits for a CPU).

A frame is a function of (spec, rate, frame) alone and the kernel is
``frame_cast_side`` with its results copied out: the frame is the one
``_build_frame`` makes, bit for bit (tested), on whichever thread it runs.
"""

from __future__ import annotations

import os
import platform
import threading

import numpy as np

from sensors.lidar_frame import _BUCKETS_PER_KEY, frame_cast_side_done
from sensors.lidar_frame_lazy import FrameAngles
from sensors.lidar_frame_rosette import RISLEY_FRAMES_KEPT, _FRAME_LOCK, _FRAMES, _NEXT, _FrameWork
from sensors.lidar_patterns import LidarSpec, ScanPattern
from sensors.worker_thread import process_queue

NEXT_ON_WORKER = True
"""Whether ``start_next`` builds frames on the worker at all (the gate before it is ``Lidar._next_frame_beside``:
consecutive frames, ``sensors.lidar.FRAME_AHEAD`` and a free second CPU).  The clouds are the same either way."""
FLAG_IN_ORDER = platform.machine().lower() in ("x86_64", "amd64")
"""Whether another thread's stores become visible in program order here (x86-64's TSO), so a done flag read
as 1 means the frame's arrays are written; elsewhere ``collect`` waits for the job's end."""


class _WorkerScratch:
    """The scratch arrays of ``frame_cast_side`` for the worker's jobs (one thread runs them, one at a time):
    kept across frames, as ``lidar_frame_rosette._scratch`` keeps each thread's."""

    arrays: tuple[np.ndarray, ...] | None = None

    @classmethod
    def get(cls, n: int) -> tuple[np.ndarray, ...]:
        got = cls.arrays
        if got is None or len(got[0]) != n:
            got = cls.arrays = (np.empty(n, dtype=np.float64), np.empty(n, dtype=np.int32),
                                np.empty(_BUCKETS_PER_KEY * n + 1, dtype=np.int32), np.empty(n, dtype=np.uint64))
        return got


class NextFrame:
    """One frame's kernel handed to the worker (``worker_thread.process_queue``); ``collect`` makes the frame
    (or None: build it in line)."""

    def __init__(self, spec: LidarSpec, rate_hz: float, frame: int) -> None:
        self.pid = os.getpid()
        self.work = work = _FrameWork(spec, rate_hz, frame)
        shared = work.shared
        n = len(shared.time)
        self.order = np.empty(n, dtype=np.int64)
        self.extent = np.empty(2, dtype=np.float64)
        self.done = np.zeros(1, dtype=np.uint8)
        c1, s1, c2, s2 = shared.phases[1:]
        deflection, bucket, start, words = _WorkerScratch.get(n)
        self._args: tuple | None = (
            c1, s1, c2, s2, *work.rotation, shared.delta, -shared.z_bound, shared.z_bound, work.columns,
            deflection, work.position, work.homogeneous, work.cast_deflection, bucket, start, words, self.order,
            self.extent, self.done)
        self._claim = threading.Lock()
        self._state = _QUEUED
        self._ended = threading.Lock()
        self._ended.acquire()                           # released by the worker when the job has ended
        self._failed = False
        process_queue(WORKER).put(self._run)

    def _run(self) -> None:
        """On the worker: the kernel, unless cancelled first."""
        with self._claim:
            if self._state != _QUEUED:
                return
            self._state = _RUNNING
        try:
            frame_cast_side_done(*self._args)
        except BaseException:                               # the reader builds the frame in line
            self._failed = True
        finally:
            self._args = None
            self._ended.release()

    def _cancel(self) -> bool:
        """Whether the job was cancelled before it began (it then never runs)."""
        with self._claim:
            if self._state == _QUEUED:
                self._state = _CANCELLED
                self._args = None
            return self._state == _CANCELLED

    def collect(self) -> ScanPattern | None:
        """The frame, assembled here from the kernel's arrays; None where it must be built in line (a job not
        begun, which is cancelled; one that failed; one made by the process this one was forked from)."""
        if self.pid != os.getpid():
            return None
        if not (FLAG_IN_ORDER and self.done[0]):
            if self._cancel():
                return None
            with self._ended:                               # running: wait for its end
                pass
            if self._failed:
                return None
        work = self.work
        work.order = self.order                             # what ``_FrameWork.cast_side`` keeps of the kernel
        work.deflection_extent = (float(self.extent[0]), float(self.extent[1]))
        work.angles = FrameAngles(work.columns, work.order)
        return work.assemble()

    def drop(self) -> None:
        if self.pid == os.getpid():                         # a forked child's copy is left alone (its locks too)
            self._cancel()


_QUEUED, _RUNNING, _CANCELLED = 0, 1, 2
WORKER = "rosette-next"
"""The worker thread's name (``worker_thread.process_queue``)."""


def start_next(spec: LidarSpec, rate_hz: float, frame: int) -> bool:
    """Start building frame ``frame`` on the worker (``NextFrame``) unless it is kept or started already
    (False); ``risley_pattern`` takes it.  At most ``RISLEY_FRAMES_KEPT`` wait (the oldest is dropped)."""
    if not NEXT_ON_WORKER:
        return False
    key = (spec, rate_hz, frame)
    with _FRAME_LOCK:
        if key in _FRAMES or key in _NEXT:
            return False
    job = NextFrame(spec, rate_hz, frame)
    with _FRAME_LOCK:
        _NEXT[key] = job
        while len(_NEXT) > RISLEY_FRAMES_KEPT:
            _NEXT.popitem(last=False)[1].drop()
    return True

