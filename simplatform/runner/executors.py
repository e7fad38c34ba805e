"""Executors: one interface, three ways to run ``execute_task`` over a suite.

``Executor.run(tasks, on_result)`` runs every task and calls ``on_result``
with each result dict as it finishes (completion order); ``close()`` frees
the workers.  ``make_executor`` picks one from the run settings:

* ``sequential`` — in this process, one after the other (debugging; the
  wall timeout is enforced with ``SIGALRM``, but a crash of native code or
  memory exhaustion takes the run down with it);
* ``pool`` — ``simplatform.runner.pool.LocalPool``: worker processes with
  a wall timeout, a memory limit and replacement of dead workers;
* ``ray`` — ``simplatform.runner.ray_executor.RayExecutor`` for clusters.

All three call the same pure function with the same per-scenario seed, so
their results are identical.
"""

from __future__ import annotations

import signal
import threading
import time
from typing import Any, Callable, Iterable, Protocol

from simplatform.runner.settings import RunSettings
from simplatform.runner.task import ScenarioTask, error_result, execute_task

OnResult = Callable[[dict[str, Any]], None]


class Executor(Protocol):
    def run(self, tasks: Iterable[ScenarioTask], on_result: OnResult) -> None: ...

    def close(self) -> None: ...


class _WallTimeout(BaseException):
    """Raised by SIGALRM inside a sequential run; a BaseException so ``execute_task`` does not swallow it."""


class SequentialExecutor:
    """Runs tasks in this process in order."""

    def __init__(self, timeout: float | None = None) -> None:
        self.timeout = timeout

    def run(self, tasks: Iterable[ScenarioTask], on_result: OnResult) -> None:
        for task in tasks:
            on_result(self._one(task))

    def _one(self, task: ScenarioTask) -> dict[str, Any]:
        use_alarm = self.timeout is not None and threading.current_thread() is threading.main_thread()
        if not use_alarm:
            return execute_task(task)

        def alarm(signum, frame):  # noqa: ARG001
            raise _WallTimeout

        started = time.perf_counter()
        previous = signal.signal(signal.SIGALRM, alarm)
        signal.setitimer(signal.ITIMER_REAL, self.timeout)
        try:
            return execute_task(task)
        except _WallTimeout:
            return error_result(task, f"timed out after {self.timeout:g} s", time.perf_counter() - started)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)

    def close(self) -> None:
        pass


def make_executor(settings: RunSettings) -> Executor:
    if settings.executor == "sequential":
        return SequentialExecutor(settings.timeout)
    if settings.executor == "ray":
        from simplatform.runner.ray_executor import RayExecutor

        return RayExecutor(settings.workers, address=settings.address, timeout=settings.timeout,
                           memory_limit_mb=settings.memory_limit_mb)
    from simplatform.runner.pool import LocalPool

    return LocalPool(settings.workers, timeout=settings.timeout, memory_limit_mb=settings.memory_limit_mb)
