"""One named worker thread per process, for the work a sensor runs beside its own (``concurrent.futures``).

Why a module: the lidar's return passes and random words (``lidar_sweep_passes``) and the next
rosette frame (``lidar_frame_rosette.FrameAhead``, ``lidar_frame_next`` through ``process_queue``)
each hand work to a thread of their own, made on first use.  A runner worker forked from a process that already has one inherits the
executor object but not its thread, so the executor is keyed by the process id and a forked
child makes its own.
"""

from __future__ import annotations

import os
import queue
import threading
from concurrent.futures import ThreadPoolExecutor

_workers: dict[str, tuple[int, ThreadPoolExecutor]] = {}
_lock = threading.Lock()


def process_worker(name: str) -> ThreadPoolExecutor:
    """The single-thread executor called ``name`` of this process (threads named after it)."""
    with _lock:
        got = _workers.get(name)
        if got is None or got[0] != os.getpid():
            got = _workers[name] = (os.getpid(), ThreadPoolExecutor(1, thread_name_prefix=name))
        return got[1]


class Parked:
    """A job parked for whoever takes it first: run once, by ``run`` here or ``submit`` on an executor.

    Why: a lidar sweep's random words are drawn on the worker beside the cast (``lidar_sweep_passes``); where
    the static cast hands that worker a share of its own rows (``static_split``), the words wait behind that
    share in the same job instead of keeping the worker busy when the share is handed over.  A cast that does
    not split submits them at once; the sweep submits them after the cast if nobody took them (never lost).
    """

    def __init__(self) -> None:
        self._job = None
        self._lock = threading.Lock()

    def park(self, job) -> None:
        with self._lock:
            self._job = job

    def take(self):
        """The parked job (None: none, or taken); nobody else gets it."""
        with self._lock:
            job, self._job = self._job, None
        return job

    def run(self) -> None:
        job = self.take()
        if job is not None:
            job()

    def submit(self, executor) -> None:
        job = self.take()
        if job is not None:
            executor.submit(job)


_queues: dict[str, tuple[int, "queue.SimpleQueue"]] = {}


def process_queue(name: str) -> "queue.SimpleQueue":
    """The job queue of this process's daemon thread called ``name``, which runs each callable put on it
    (made on first use; a forked child makes its own).

    Why beside ``process_worker``: a caller that tracks its job's claim and end itself (``lidar_frame_next``)
    needs no ``Future``; a ``SimpleQueue.put`` costs the caller 1.6 µs at best, 7 µs median at load 5 (a
    ``ThreadPoolExecutor.submit`` 8), most of it waking the thread.  A job must not raise (it reports its
    own outcome); the daemon thread does not hold up the interpreter's exit.
    """
    with _lock:
        got = _queues.get(name)
        if got is None or got[0] != os.getpid():
            jobs: queue.SimpleQueue = queue.SimpleQueue()
            threading.Thread(target=_drain, args=(jobs,), name=name, daemon=True).start()
            got = _queues[name] = (os.getpid(), jobs)
        return got[1]


def _drain(jobs: "queue.SimpleQueue") -> None:
    while True:
        jobs.get()()
