"""One scenario as a unit of work, and the function every executor runs on it.

``execute_task(task) -> dict`` is what a worker (in-process, pool process,
Ray actor) calls: it runs ``run_scenario`` with the metrics observer, turns
the evaluation into verdicts, scores and a trace artifact, and never raises —
whatever goes wrong inside becomes an ``error`` result naming the cause, so
the suite goes on.  It returns ``ScenarioResult.to_dict()``: plain data that
crosses process boundaries and lands in the results store unchanged.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import time
import traceback
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from simplatform.errors import ConfigError, InputError
from simplatform.results import ScenarioResult, Verdict
from simplatform.runner.settings import StackRef
from simplatform.runner.suite import SuiteEntry


def derive_seed(run_seed: int, scenario_id: str) -> int:
    """The seed of one scenario: a hash of (run seed, scenario id), 63 bits.

    Why: a seed handed out in suite order would change when the suite is
    filtered, reordered or split over workers; hashing the id makes each
    scenario's randomness a function of the run seed and its name alone, so
    sequential, pool and Ray runs agree (DESIGN.md "Randomness").
    """
    digest = hashlib.blake2b(f"{run_seed}\x00{scenario_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1


@dataclass(frozen=True)
class ScenarioTask:
    """Everything a worker needs to run one scenario; picklable."""

    entry: SuiteEntry
    seed: int
    out_dir: Path
    dt: float = 0.01
    max_time: float = 600.0
    csv: bool = True
    record: bool = False
    trace_hz: float = 10.0
    stack: StackRef | None = None
    requirements: tuple[Any, ...] = ()
    timeout: float | None = None
    memory_limit_mb: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def error_result(task: ScenarioTask, message: str, wall_time: float = 0.0) -> dict[str, Any]:
    """The result of a scenario that could not be run or evaluated."""
    return ScenarioResult(scenario_id=task.entry.scenario_id, verdict=Verdict.ERROR, end_reason="error",
                          sim_time=0.0, steps=0, wall_time=wall_time, error=message,
                          parameters=dict(task.entry.parameters), seed=task.seed).to_dict()


def load_factory(ref: str) -> Any:
    """``package.module:name`` or ``path/to/file.py:name`` → the named object."""
    module_name, sep, attr = ref.rpartition(":")
    if not sep or not module_name or not attr:
        raise ConfigError(f"stack factory {ref!r} must look like 'package.module:callable' or 'file.py:callable'")
    if module_name.endswith(".py"):
        path = Path(module_name)
        if not path.is_file():
            raise ConfigError(f"stack factory file {path} does not exist")
        spec = importlib.util.spec_from_file_location(f"_simplatform_stack_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    else:
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise ConfigError(f"stack factory {ref!r}: cannot import {module_name} ({exc})") from None
    try:
        return getattr(module, attr)
    except AttributeError:
        raise ConfigError(f"stack factory {ref!r}: {module_name} has no {attr!r}") from None


def execute_task(task: ScenarioTask) -> dict[str, Any]:
    """Run one scenario and evaluate it; any failure becomes an ``error`` result (never raises)."""
    started = time.perf_counter()
    try:
        return _execute(task, started)
    except InputError as exc:
        return error_result(task, f"bad input: {exc}", time.perf_counter() - started)
    except MemoryError:
        limit = f" (limit {task.memory_limit_mb} MiB)" if task.memory_limit_mb else ""
        return error_result(task, f"out of memory{limit}", time.perf_counter() - started)
    except RecursionError as exc:
        return error_result(task, f"RecursionError: {exc}", time.perf_counter() - started)
    except Exception as exc:  # noqa: BLE001 — a crashing scenario or stack is a result, not a crash of the suite
        tail = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)[-6:])
        return error_result(task, f"{type(exc).__name__}: {exc}\n{tail}", time.perf_counter() - started)


def _execute(task: ScenarioTask, started: float) -> dict[str, Any]:
    from simplatform.engine.run import RunConfig, ScenarioSpec, run_scenario
    from simplatform.runner.evaluation import RunObserver, write_trace

    entry = task.entry
    stack = None
    if task.stack is not None:
        stack = load_factory(task.stack.factory)(**task.stack.params)
    observer = RunObserver(task.requirements, trace_hz=task.trace_hz, dt=task.dt, timeout=None)
    config = RunConfig(dt=task.dt, seed=task.seed, out_dir=task.out_dir, csv=task.csv, record=task.record,
                       max_time=task.max_time, stack=stack, on_step=observer.on_step)
    result = run_scenario(ScenarioSpec(entry.path, dict(entry.parameters), entry.scenario_id), config)
    evaluation = observer.finish()
    artifacts = dict(result.artifacts)
    if task.trace_hz > 0:
        trace_path = Path(task.out_dir) / "trace.json"
        write_trace(trace_path, observer.trace(evaluation))
        artifacts["trace"] = str(trace_path)
    if evaluation is None:
        return replace(result, artifacts=artifacts, wall_time=time.perf_counter() - started).to_dict()
    verdicts = evaluation.verdicts
    scores = dict(evaluation.scores)
    if evaluation.leaderboard is not None:
        scores["driving_score"] = float(evaluation.leaderboard.driving_score)
    events = tuple(sorted(result.events + evaluation.events, key=lambda e: e.time))
    return replace(result, verdict=Verdict.combine([v.verdict for v in verdicts]), requirements=verdicts,
                   metrics={**result.metrics, **evaluation.scalars()}, scores=scores, events=events,
                   artifacts=artifacts, wall_time=time.perf_counter() - started).to_dict()
