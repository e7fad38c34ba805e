"""RunTimings: every phase of a run is timed, and the pool reports its workers' scenario CPU."""

from __future__ import annotations

import time

from simplatform.runner import RunSettings, load_index, run_suite
from simplatform.runner.timings import RunTimings


def _run(small_suite, tmp_path, name, **kw):
    settings = RunSettings(**{"seed": 3, "max_time": 10, "trace_hz": 10, "reports": ("junit", "json", "html"),
                              "stack": "none", **kw})
    return run_suite(load_index(small_suite).entries, settings, tmp_path / name, quiet=True)


def test_phases_add_up_and_each_report_is_timed(small_suite, tmp_path):
    started = time.perf_counter()
    out = _run(small_suite, tmp_path, "seq", executor="sequential")
    wall = time.perf_counter() - started
    t = out.timings
    assert list(t.phases) == ["prepare", "scenarios", "results", "report data", "report junit", "report json",
                              "report html"]
    assert 0 < t.total_wall <= wall
    # the scenarios ran in the scenarios phase: by far the most CPU of this process (CPU, not wall: a report
    # phase's wall can hold a disk or scheduling stall of a loaded machine longer than the 4 short scenarios)
    cpu = {name: c for name, (_, c) in t.phases.items()}
    assert cpu["scenarios"] > 5 * max(c for name, c in cpu.items() if name != "scenarios")
    assert t.jobs == 1 and 0 < t.scenario_cpu  # the scenarios ran in this process: its CPU over the phase
    assert t.scenario_cpu <= t.phases["scenarios"][1] + 1e-9


def test_pool_workers_report_the_cpu_of_their_scenarios(small_suite, tmp_path):
    out = _run(small_suite, tmp_path, "pool", executor="pool", jobs=2)
    t = out.timings
    assert t.jobs == 2 and t.scenario_cpu is not None and t.scenario_cpu > 0
    # the workers' CPU is theirs, not the runner's: the runner mostly waits during the scenarios
    assert t.phases["scenarios"][1] < t.scenario_cpu
    assert t.busy() is not None and t.busy() > 0
    assert any("busy" in line for line in t.lines())


def test_a_phase_accumulates_and_a_run_without_scenario_cpu_has_no_busy_share():
    t = RunTimings()
    for _ in range(2):
        with t.phase("a"):
            time.sleep(0.01)
    assert t.wall("a") >= 0.02 and t.busy() is None and t.wall("missing") == 0.0


def test_the_forkserver_started_early_is_the_one_the_pool_uses(small_suite, tmp_path):
    from multiprocessing import forkserver

    from simplatform.runner.pool import prestart

    prestart()
    pid = forkserver._forkserver._forkserver_pid  # noqa: SLF001 — the server ensure_running started
    assert pid is not None
    out = _run(small_suite, tmp_path, "pool", executor="pool", jobs=2)
    assert out.counts["error"] == 0 and forkserver._forkserver._forkserver_pid == pid  # noqa: SLF001


def test_the_cli_reads_the_launch_files_executor_before_the_suite(tmp_path):
    from simplatform.runner.cli import _launch_executor

    cases = {"a.yaml": "executor: {kind: sequential}\n", "b.yaml": "executor: ray\n", "c.yaml": "name: x\n",
             "d.yaml": "executor: [1, 2\n"}
    for name, text in cases.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    got = {name: _launch_executor(tmp_path / name) for name in [*cases, "missing.yaml"]}
    assert got == {"a.yaml": "sequential", "b.yaml": "ray", "c.yaml": "pool", "d.yaml": "", "missing.yaml": ""}
