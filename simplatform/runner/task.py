"""One scenario as a unit of work, and the function every executor runs on it.

``execute_task(task) -> dict`` is what a worker (in-process, pool process,
Ray actor) calls: it runs the scenario through the test harness
(``simplatform.harness.run_test``: the stack, the sensor rig, the metrics,
the requirements and the report's trace are the harness's), and never
raises — whatever goes wrong inside becomes an ``error`` result naming the
cause, so the suite goes on.  It returns ``ScenarioResult.to_dict()``:
plain data that crosses process boundaries and lands in the results store
unchanged.
"""

from __future__ import annotations

import hashlib
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simplatform.errors import InputError
from simplatform.results import ScenarioResult, Verdict
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
    """Everything a worker needs to run one scenario; picklable.

    ``stack`` is a ``bridge.StackConfig`` (None: the storyboard drives the
    ego), ``stack_parameters`` go to its ``setup``; ``requirements`` is the
    run's override set (a path), merged by id over the entry's family set
    and the .xosc criteria by the harness."""

    entry: SuiteEntry
    seed: int
    out_dir: Path
    dt: float = 0.01
    max_time: float = 600.0
    csv: bool = True
    record: bool = False
    trace_hz: float = 10.0
    stack: Any = None
    stack_parameters: dict[str, Any] = field(default_factory=dict)
    sensor_rig: str | None = None
    requirements: str | None = None
    route_length: float | None = None
    ego: str | None = None
    timeout: float | None = None
    memory_limit_mb: int | None = None


def error_result(task: ScenarioTask, message: str, wall_time: float = 0.0) -> dict[str, Any]:
    """The result of a scenario that could not be run or evaluated."""
    return ScenarioResult(scenario_id=task.entry.scenario_id, verdict=Verdict.ERROR, end_reason="error",
                          sim_time=0.0, steps=0, wall_time=wall_time, error=message,
                          parameters=dict(task.entry.parameters), seed=task.seed).to_dict()


def execute_task(task: ScenarioTask) -> dict[str, Any]:
    """Run one scenario and evaluate it; any failure becomes an ``error`` result (never raises)."""
    started = time.perf_counter()
    try:
        return _execute(task)
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


def harness_config(task: ScenarioTask) -> Any:
    """The harness configuration of one task."""
    from simplatform.harness import TestConfig

    return TestConfig(stack=task.stack, stack_parameters=dict(task.stack_parameters), rig=task.sensor_rig,
                      requirement_set=task.entry.requirements, requirements=task.requirements, dt=task.dt,
                      seed=task.seed, max_time=task.max_time, out_dir=Path(task.out_dir), csv=task.csv,
                      record=task.record, trace_hz=task.trace_hz, route_length=task.route_length,
                      ego=task.ego)


def declared_parameters(path: str | Path) -> set[str]:
    """Names of the global ParameterDeclarations of an .xosc (OpenSCENARIO 1.x §5.1, Scenario parameters)."""
    from lxml import etree

    try:
        root = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True)).getroot()
    except (OSError, etree.XMLSyntaxError):
        return set()  # the scenario loader reports the unreadable file with its line
    return {p.get("name") for p in root.findall("./ParameterDeclarations/ParameterDeclaration")}


def _execute(task: ScenarioTask) -> dict[str, Any]:
    from dataclasses import replace

    from simplatform.engine.run import ScenarioSpec
    from simplatform.harness import run_test

    entry = task.entry
    # an index entry's parameters: those the file declares are overrides; the rest describe how a
    # concrete file was sampled (the library's files are concrete) and are kept with the result
    declared = declared_parameters(entry.path) if entry.parameters else set()
    overrides = {k: v for k, v in entry.parameters.items() if k in declared}
    described = {k: v for k, v in entry.parameters.items() if k not in declared}
    result = run_test(ScenarioSpec(entry.path, overrides, entry.scenario_id), harness_config(task))
    if described:
        result = replace(result, parameters={**described, **result.parameters})
    return result.to_dict()
