"""One named worker thread per process, for the work a sensor runs beside its own (``concurrent.futures``).

Why a module: the lidar's return passes and random words (``lidar_sweep_passes``) and the next
rosette frame (``lidar_frame_rosette.FrameAhead``) each hand work to a thread of their own, made
on first use.  A runner worker forked from a process that already has one inherits the
executor object but not its thread, so the executor is keyed by the process id and a forked
child makes its own.
"""

from __future__ import annotations

import os
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
