"""Sequential, pool and Ray give identical results; a misbehaving scenario is an error, the suite goes on."""

from __future__ import annotations

import dataclasses

import pytest

from simplatform.runner import RunSettings, load_index, run_suite


def _run(small_suite, tmp_path, name, **kw):
    entries = load_index(small_suite).entries
    settings = RunSettings(**{"seed": 3, "max_time": 10, "trace_hz": 0, "reports": (), "stack": "none", **kw})
    return run_suite(entries, settings, tmp_path / name, quiet=True)


def test_pool_gives_the_sequential_results_and_verdicts(small_suite, tmp_path, comparable):
    seq = _run(small_suite, tmp_path, "seq", executor="sequential")
    pool = _run(small_suite, tmp_path, "pool", executor="pool", jobs=2)
    assert [r.verdict.value for r in seq.results] == ["fail", "fail", "pass", "pass"]
    assert [comparable(r) for r in pool.results] == [comparable(r) for r in seq.results]
    failed = seq.results[0].requirements
    assert "SAF-2" in [v.requirement_id for v in failed if v.verdict.value == "fail"]  # TTC below 1 s
    assert seq.exit_code == 1 and seq.counts == {"pass": 2, "fail": 2, "error": 0}


def test_the_reference_stack_is_the_suite_default_and_brakes_where_the_script_collides(tmp_path):
    """Same suite, no stack vs the default: the scripted ego runs into the braking lead, the reference stack
    (object list → IDM/AEB) does not — the run is the harness's, with its metrics and requirements."""
    import sys

    suite = sys.modules["runner_suite_files"].make_suite(tmp_path / "suite", n_brake=1, n_cruise=1, duration=5.0)
    assert RunSettings().stack == "reference"
    scripted = _run(suite, tmp_path, "none", executor="sequential", trace_hz=10)
    driven = _run(suite, tmp_path, "reference", executor="sequential", stack="reference", trace_hz=10)
    (s_brake, s_cruise), (d_brake, d_cruise) = scripted.results, driven.results
    assert s_brake.metrics["collisions"] >= 1 and s_brake.verdict.value == "fail"
    assert d_brake.metrics["collisions"] == 0, d_brake.requirements
    assert s_cruise.verdict.value == "pass" and d_cruise.verdict.value == "pass"
    assert all(r.artifacts.get("trace", "").endswith("trace.json") for r in driven.results)
    assert all(r.sim_time == pytest.approx(5.0, abs=0.03) and not r.error for r in driven.results)


def test_a_raising_and_a_hanging_stack_become_errors_and_the_pool_goes_on(small_suite, tmp_path, faulty):
    """An exception in the stack is an ERROR verdict naming it; a hang is killed at the wall timeout and
    its worker replaced; the healthy scenario after each still runs."""
    cruise = [e for e in load_index(small_suite).entries if e.family == "cruise"][0]
    results = {}
    for kind, timeout in (("Raise", 120), ("Hang", 3)):
        settings = RunSettings(max_time=10, trace_hz=0, reports=(), executor="pool", jobs=2, timeout=timeout,
                               stack=f"{faulty}:{kind}")
        entries = [dataclasses.replace(cruise, scenario_id=f"fault.{kind}"),
                   dataclasses.replace(cruise, scenario_id=f"after.{kind}")]
        out = run_suite(entries, settings, tmp_path / kind, quiet=True)
        results.update({r.scenario_id: r for r in out.results})
    raised, hung = results["fault.Raise"], results["fault.Hang"]
    assert raised.verdict.value == "error" and raised.end_reason == "stack_error", raised.error
    assert "RuntimeError('the stack under test gave up')" in raised.error and "t=0.000 s" in raised.error
    assert hung.verdict.value == "error" and "timed out after 3 s" in hung.error
    assert {"after.Raise", "after.Hang"} <= set(results)


def test_a_segfaulting_and_a_memory_hogging_stack_are_isolated(small_suite, tmp_path, faulty):
    """One worker per fault; each replaced, and the scenario after it still produces a result."""
    cruise = [e for e in load_index(small_suite).entries if e.family == "cruise"][0]
    results = {}
    for kind in ("Crash", "Hog"):
        settings = RunSettings(max_time=10, trace_hz=0, reports=(), executor="pool", jobs=2, timeout=20,
                               memory_limit_mb=512, stack=f"{faulty}:{kind}")
        entries = [dataclasses.replace(cruise, scenario_id=f"fault.{kind}"),
                   dataclasses.replace(cruise, scenario_id=f"after.{kind}")]
        out = run_suite(entries, settings, tmp_path / kind, quiet=True)
        results.update({r.scenario_id: r for r in out.results})
    assert "SIGSEGV" in results["fault.Crash"].error
    assert "out of memory (limit 512 MiB)" in results["fault.Hog"].error
    assert {"after.Crash", "after.Hog"} <= set(results)


def test_ray_gives_the_sequential_results(small_suite, tmp_path, comparable):
    ray = pytest.importorskip("ray", reason="ray is not installed: pip install 'ray[default]' to test --executor ray")
    seq = _run(small_suite, tmp_path, "seq", executor="sequential")
    try:
        # address="local": a Ray of this test's own. Without it ray.init joins whatever RAY_ADDRESS names or a
        # Ray instance already running on the machine (another job's, a developer's) and refuses num_cpus there
        ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
        got = _run(small_suite, tmp_path, "ray", executor="ray", jobs=2)
    finally:
        ray.shutdown()
    assert [comparable(r) for r in got.results] == [comparable(r) for r in seq.results]


def test_sequential_executor_enforces_the_wall_timeout(small_suite, tmp_path, faulty):
    cruise = [e for e in load_index(small_suite).entries if e.family == "cruise"][0]
    s = RunSettings(max_time=10, trace_hz=0, reports=(), executor="sequential", timeout=1, stack=f"{faulty}:Hang")
    out = run_suite([cruise], s, tmp_path / "seq-hang", quiet=True)
    assert out.results[0].verdict.value == "error" and "timed out after 1 s" in out.results[0].error
