"""Run a suite into a run directory, or resume one: the runner's top level.

Run directory layout::

    RUN_DIR/results.sqlite              the store (settings, suite, one row per scenario)
    RUN_DIR/scenarios/<id>/<id>.csv     trajectory log (esmini columns)
    RUN_DIR/scenarios/<id>/<id>.mcap    recording (when asked)
    RUN_DIR/scenarios/<id>/trace.json   sampled poses and series for the report
    RUN_DIR/report.html, junit.xml, results.json

``run_suite`` stores the settings and the resolved suite first, so
``resume_run(RUN_DIR)`` needs nothing else: it re-derives every scenario's
config hash and skips those stored under the same one.
"""

from __future__ import annotations

import platform
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from simplatform import __version__
from simplatform.errors import EXIT_OK, EXIT_VERDICT_FAILED, ConfigError
from simplatform.results import ScenarioResult
from simplatform.runner.executors import make_executor
from simplatform.runner.progress import Progress
from simplatform.runner.settings import RunSettings, scenario_key, settings_digest
from simplatform.runner.store import ResultsStore
from simplatform.runner.suite import SuiteEntry
from simplatform.runner.task import ScenarioTask, derive_seed
from simplatform.runner.timings import RunTimings


@dataclass(frozen=True)
class RunOutcome:
    run_dir: Path
    results: tuple[ScenarioResult, ...]
    counts: dict[str, int]
    ran: int
    skipped: int
    reports: dict[str, Path]
    timings: RunTimings = field(default_factory=RunTimings)
    ego: str | None = None
    """The run's ``RunSettings.ego`` (--ego / the launch ``ego:`` key); None: each scenario's own by the engine's rule."""

    @property
    def exit_code(self) -> int:
        """0 when every scenario passed; 1 when any failed or errored (an error is a result, not exit 3)."""
        return EXIT_OK if all(r.verdict.value == "pass" for r in self.results) else EXIT_VERDICT_FAILED


def versions() -> dict[str, str]:
    import numpy

    return {"simplatform": __version__, "python": platform.python_version(), "numpy": numpy.__version__,
            "platform": platform.platform()}


def check_requirements(entries: Sequence[SuiteEntry], settings: RunSettings) -> None:
    """Load every requirement set the suite names, and the run's override, once — before the first
    scenario runs, so a typo fails the run at once (exit 2).  The harness merges them per run with
    the scenario's own .xosc criteria (``metrics.requirements_for_run``)."""
    from metrics import load_requirement_set

    for path in sorted({e.requirements for e in entries if e.requirements}):
        load_requirement_set(path)
    if settings.requirements:
        load_requirement_set(settings.requirements)


def _tasks(entries: Sequence[SuiteEntry], settings: RunSettings, run_dir: Path) -> list[ScenarioTask]:
    stack, stack_parameters = settings.stack_config()
    tasks = [ScenarioTask(entry=e, seed=derive_seed(settings.seed, e.scenario_id),
                          out_dir=(run_dir / "scenarios" / e.scenario_id).resolve(), dt=settings.dt,
                          max_time=settings.max_time, csv=settings.csv, record=settings.record,
                          trace_hz=settings.trace_hz, stack=stack, stack_parameters=stack_parameters,
                          sensor_rig=settings.sensor_rig, requirements=settings.requirements,
                          route_length=settings.route_length, ego=settings.ego, timeout=settings.timeout, memory_limit_mb=settings.memory_limit_mb)
             for e in entries]
    # longest first packs a pool tighter (LPT scheduling, Graham 1969); ties in suite order
    order = {e.scenario_id: k for k, e in enumerate(entries)}
    return sorted(tasks, key=lambda t: (-(t.entry.expected_duration or 0.0), order[t.entry.scenario_id]))


def run_suite(entries: Sequence[SuiteEntry], settings: RunSettings, run_dir: str | Path, *,
              quiet: bool = False) -> RunOutcome:
    """Start a new run in ``run_dir`` (which must not hold one already)."""
    if not entries:
        raise ConfigError("the suite is empty (check the filters)")
    run_dir = Path(run_dir)
    store = ResultsStore(run_dir, create=True)
    try:
        if store.meta() is not None:
            raise ConfigError("this directory already holds a run; resume it with --resume or choose another",
                              file=run_dir)
        suite = [e.to_dict() for e in entries]
        check_requirements(entries, settings)  # fail on a bad requirement set before storing anything
        store.begin(settings.to_dict(), settings_digest(settings), suite, versions())
    finally:
        store.close()
    return resume_run(run_dir, quiet=quiet)


def resume_run(run_dir: str | Path, *, quiet: bool = False, **execution: Any) -> RunOutcome:
    """Run what ``run_dir``'s store lacks (or holds under another config hash), then write reports.

    ``execution`` may change how (executor, jobs, address), never what, is run.
    """
    from simplatform.runner.reports import write_reports

    run_dir = Path(run_dir)
    timings = RunTimings()
    store = ResultsStore(run_dir)
    try:
        with timings.phase("prepare"):
            meta = store.meta()
            if meta is None:
                raise ConfigError("the run directory's store holds no run", file=run_dir)
            settings = RunSettings.from_dict(meta["settings"]).with_execution(**execution)
            entries = [SuiteEntry.from_dict(d) for d in meta["suite"]]
            digest = settings_digest(settings)
            keys = {e.scenario_id: scenario_key(digest, e.to_dict()) for e in entries}
            done = store.done_hashes()
            todo = [e for e in entries if done.get(e.scenario_id) != keys[e.scenario_id]]
            family = {e.scenario_id: e.family for e in entries}
            store.mark_resumed()
            finished = Counter(r.verdict.value for r in store.results()
                               if done.get(r.scenario_id) == keys.get(r.scenario_id))
            progress = Progress(len(entries), done=finished, quiet=quiet)

        def on_result(result: dict[str, Any]) -> None:
            sid = result["scenario_id"]
            store.put(result, keys[sid], family[sid])
            progress.update(result["verdict"])

        with timings.phase("scenarios"):
            if todo:
                cpu = time.process_time()
                executor = make_executor(settings)
                try:
                    executor.run(_tasks(todo, settings, run_dir), on_result)
                finally:
                    executor.close()
                    progress.close()
                timings.jobs = getattr(executor, "jobs", 1)
                timings.scenario_cpu = getattr(executor, "task_cpu", None)
                if settings.executor == "sequential":
                    timings.scenario_cpu = time.process_time() - cpu
            else:
                progress.close()
        with timings.phase("results"):
            store.finish()
            results = tuple(r for r in store.results() if r.scenario_id in keys)
            meta = store.meta()
    finally:
        store.close()
    reports = write_reports(run_dir, results, meta, entries, settings.reports, timings=timings)
    counts = Counter(r.verdict.value for r in results)
    return RunOutcome(run_dir, results, {k: counts.get(k, 0) for k in ("pass", "fail", "error")},
                      len(todo), len(entries) - len(todo), reports, timings, settings.ego)
