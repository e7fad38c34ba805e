"""Ray executor: the same ``execute_task`` as a Ray task, on a local instance or a cluster.

``RayExecutor(jobs, address=None)`` connects to ``address`` (``ray://host:10001``
or ``auto``) or starts a local instance with ``jobs`` CPUs.  At most ``jobs``
tasks are in flight, so the wall timeout counts from a task's submission
close to its start; a task past it is cancelled with ``force=True`` (its
worker process is killed) and recorded as ``error``.  A task whose worker
dies (``WorkerCrashedError``, out-of-memory kill) is an ``error`` naming it;
Ray's own retries are off (``max_retries=0``) so a crash is reported, not
hidden.  On a cluster, scenario files and the run directory must be on a
path every node sees (a shared file system), since workers read the
``.xosc`` and write artifacts themselves.
"""

from __future__ import annotations

import time
from typing import Any, Iterable

from simplatform.errors import ConfigError
from simplatform.runner.task import ScenarioTask, error_result, execute_task


def _ray():
    try:
        import ray
    except ImportError:
        raise ConfigError("--executor ray needs the 'ray' package: pip install 'ray[default]'") from None
    return ray


def _run_limited(task: ScenarioTask) -> dict[str, Any]:
    if task.memory_limit_mb:
        from simplatform.runner.pool import _address_space_bytes
        import resource

        try:
            limit = _address_space_bytes() + task.memory_limit_mb * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (limit, resource.getrlimit(resource.RLIMIT_AS)[1]))
        except (OSError, ValueError):
            pass
        try:
            return execute_task(task)
        finally:
            resource.setrlimit(resource.RLIMIT_AS, (resource.RLIM_INFINITY, resource.getrlimit(resource.RLIMIT_AS)[1]))
    return execute_task(task)


class RayExecutor:
    def __init__(self, jobs: int, *, address: str | None = None, timeout: float | None = None,
                 memory_limit_mb: int | None = None) -> None:
        ray = _ray()
        self.ray = ray
        self.jobs = max(1, int(jobs))
        self.timeout = timeout
        self._started_here = False
        if not ray.is_initialized():
            if address:
                ray.init(address=address, include_dashboard=False, log_to_driver=False)
            else:
                # a Ray of its own: not one that RAY_ADDRESS or a running cluster would otherwise join
                # (which also refuses num_cpus); a cluster is named with --address
                ray.init(address="local", num_cpus=self.jobs, include_dashboard=False, log_to_driver=False)
                self._started_here = True
        self._remote = ray.remote(num_cpus=1, max_retries=0)(_run_limited)

    def run(self, tasks: Iterable[ScenarioTask], on_result) -> None:
        ray = self.ray
        queue = list(tasks)[::-1]
        inflight: dict[Any, tuple[ScenarioTask, float]] = {}
        while queue or inflight:
            while queue and len(inflight) < self.jobs:
                task = queue.pop()
                inflight[self._remote.remote(task)] = (task, time.monotonic())
            wait_for = None
            if self.timeout is not None:
                wait_for = max(0.0, min(s for _, s in inflight.values()) + self.timeout - time.monotonic())
            done, _ = ray.wait(list(inflight), num_returns=1, timeout=wait_for)
            now = time.monotonic()
            for ref in done:
                task, started = inflight.pop(ref)
                try:
                    on_result(ray.get(ref))
                except Exception as exc:  # noqa: BLE001 — a dead worker or a cancelled task
                    on_result(error_result(task, f"ray: {type(exc).__name__}: {str(exc).splitlines()[0]}",
                                           now - started))
            if self.timeout is None:
                continue
            for ref, (task, started) in list(inflight.items()):
                if now - started >= self.timeout:
                    ray.cancel(ref, force=True)
                    del inflight[ref]
                    on_result(error_result(task, f"timed out after {self.timeout:g} s", now - started))

    def close(self) -> None:
        if self._started_here and self.ray.is_initialized():
            self.ray.shutdown()
