"""A local pool of worker processes that survives what scenarios do to it.

Why not ``concurrent.futures.ProcessPoolExecutor``: it cannot stop one hung
task (only the whole pool) and marks the pool broken when a worker dies.
Here each worker is a long-lived process (started from a ``forkserver`` that
has the engine and metrics imported, so a replacement starts in
milliseconds) talking over its own pipe; the parent waits on all pipes and
process sentinels at once (``multiprocessing.connection.wait``) and

* a worker past its task's wall deadline is killed (SIGKILL): ``error``
  "timed out after N s";
* a worker that dies (segfault, ``kill -9``, ``os._exit``): ``error``
  naming the signal or exit status;
* a worker whose scenario raised ``MemoryError`` under its address-space
  limit reports the ``error`` and is replaced (its heap may be fragmented);

and in each case a fresh worker takes its place and the suite goes on.
The memory limit is ``RLIMIT_AS`` set to the worker's size at start plus
``memory_limit_mb``: a budget for the scenario on top of the imported code.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import resource
import signal
import time
from collections import deque
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any, Iterable

from simplatform.runner.task import ScenarioTask, error_result, execute_task

PRELOAD = ["simplatform.runner.task", "simplatform.engine.run", "simplatform.harness", "metrics", "sensors",
           # what the first scenario would import lazily (~0.9 s of CPU per worker); the forkserver skips a
           # name that fails to import, so the list may lag behind a rename without breaking the pool
           "numba", "simplatform.engine.engine", "simplatform.backends.native", "simplatform.openscenario.loader",
           "simplatform.opendrive.mesh", "simplatform.recording.csv_log", "metrics.safety", "sensors.object_list"]


def prestart(start_method: str = "forkserver") -> None:
    """Start the forkserver now, so that its preload (~2.5 s of CPU importing ``PRELOAD``) runs beside
    what the runner still does before the first worker (parsing the launch file and the index,
    importing the harness to resolve the stack, ~2 s), not after it.  ``ensure_running`` returns once
    the server process is spawned; a ``LocalPool`` created later finds it running (Python docs,
    ``multiprocessing``, "Contexts and start methods")."""
    if start_method != "forkserver":
        return
    from multiprocessing import forkserver

    mp.get_context("forkserver").set_forkserver_preload(PRELOAD)
    forkserver.ensure_running()


def _address_space_bytes() -> int:
    with open("/proc/self/statm", encoding="ascii") as f:
        return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _worker_main(conn: Connection, memory_limit_mb: int | None) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    if memory_limit_mb:
        try:
            limit = _address_space_bytes() + memory_limit_mb * 1024 * 1024
            _, hard = resource.getrlimit(resource.RLIMIT_AS)
            if hard != resource.RLIM_INFINITY:
                limit = min(limit, hard)
            resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
        except (OSError, ValueError):
            pass  # no /proc or a hard limit in the way: run without our limit
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return  # the parent is gone
        if task is None:
            return
        cpu = time.process_time()
        result = execute_task(task)
        cpu = time.process_time() - cpu  # the scenario's CPU in this worker (all its threads), for RunTimings
        recycle = result.get("error", "").startswith("out of memory")
        try:
            conn.send(("recycle" if recycle else "ok", result, cpu))
        except (BrokenPipeError, OSError):
            return
        if recycle:
            return


@dataclass
class _Worker:
    process: Any
    conn: Connection
    task: ScenarioTask | None = None
    started: float = 0.0


def describe_exit(exitcode: int | None) -> str:
    if exitcode is None:
        return "worker vanished"
    if exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        return f"worker killed by {name}"
    return f"worker exited with status {exitcode}"


class LocalPool:
    """``jobs`` worker processes with per-scenario wall timeout and memory limit."""

    def __init__(self, jobs: int, *, timeout: float | None = None, memory_limit_mb: int | None = None,
                 start_method: str = "forkserver") -> None:
        self.jobs = max(1, int(jobs))
        self.timeout = timeout
        self.memory_limit_mb = memory_limit_mb
        self.ctx = mp.get_context(start_method)
        if start_method == "forkserver":
            self.ctx.set_forkserver_preload(PRELOAD)
        self.workers: list[_Worker] = []
        self.task_cpu = 0.0
        """CPU seconds the workers spent in the scenarios they reported (``time.process_time`` there)."""

    def _spawn(self) -> _Worker:
        parent, child = self.ctx.Pipe(duplex=True)
        process = self.ctx.Process(target=_worker_main, args=(child, self.memory_limit_mb), daemon=True,
                                   name="simplatform-worker")
        process.start()
        child.close()
        return _Worker(process, parent)

    def _replace(self, worker: _Worker) -> None:
        if worker.process.is_alive():
            worker.process.kill()
        worker.process.join(5)
        worker.conn.close()
        self.workers[self.workers.index(worker)] = self._spawn()

    def run(self, tasks: Iterable[ScenarioTask], on_result) -> None:
        queue = deque(tasks)
        while len(self.workers) < min(self.jobs, len(queue)):
            self.workers.append(self._spawn())
        while queue or any(w.task is not None for w in self.workers):
            for w in self.workers:
                if w.task is None and queue:
                    self._assign(w, queue.popleft(), on_result)
            busy = [w for w in self.workers if w.task is not None]
            if not busy:
                continue
            wait_for = None
            if self.timeout is not None:
                wait_for = max(0.0, min(w.started + self.timeout for w in busy) - time.monotonic())
            ready = set(wait([w.conn for w in busy] + [w.process.sentinel for w in busy], timeout=wait_for))
            now = time.monotonic()
            for w in busy:
                if w.conn in ready or w.process.sentinel in ready:
                    self._collect(w, on_result)
                elif self.timeout is not None and now - w.started >= self.timeout:
                    task = w.task
                    w.task = None
                    self._replace(w)
                    on_result(error_result(task, f"timed out after {self.timeout:g} s", now - w.started))

    def _assign(self, w: _Worker, task: ScenarioTask, on_result) -> None:
        try:
            w.conn.send(task)
        except (BrokenPipeError, OSError):  # died while idle: replace it and retry once
            self._replace(w)
            w = next(x for x in self.workers if x.task is None and x.process.is_alive())
            w.conn.send(task)
        w.task, w.started = task, time.monotonic()

    def _collect(self, w: _Worker, on_result) -> None:
        task, elapsed = w.task, time.monotonic() - w.started
        message = None
        if w.conn.poll():
            try:
                message = w.conn.recv()
            except (EOFError, OSError):
                message = None
        w.task = None
        if message is None:
            w.process.join(1)
            cause = describe_exit(w.process.exitcode)
            self._replace(w)
            on_result(error_result(task, cause, elapsed))
            return
        kind, result, cpu = message
        self.task_cpu += cpu
        if kind == "recycle":
            self._replace(w)
        on_result(result)

    def close(self) -> None:
        for w in self.workers:
            try:
                w.conn.send(None)
            except (BrokenPipeError, OSError):
                pass
        deadline = time.monotonic() + 5
        for w in self.workers:
            w.process.join(max(0.0, deadline - time.monotonic()))
            if w.process.is_alive():
                w.process.kill()
                w.process.join(1)
            w.conn.close()
        self.workers = []
