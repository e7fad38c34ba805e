"""Sequential, pool and Ray give identical results; a misbehaving scenario is an error, the suite goes on."""

from __future__ import annotations

import dataclasses

import pytest

from simplatform.runner import RunSettings, StackRef, load_index, run_suite


def _run(small_suite, tmp_path, name, **kw):
    entries = load_index(small_suite).entries
    settings = RunSettings(seed=3, max_time=10, trace_hz=0, reports=(), **kw)
    return run_suite(entries, settings, tmp_path / name, quiet=True)


def test_pool_gives_the_sequential_results_and_verdicts(small_suite, tmp_path, comparable):
    seq = _run(small_suite, tmp_path, "seq", executor="sequential")
    pool = _run(small_suite, tmp_path, "pool", executor="pool", jobs=2)
    assert [r.verdict.value for r in seq.results] == ["fail", "fail", "pass", "pass"]
    assert [comparable(r) for r in pool.results] == [comparable(r) for r in seq.results]
    failed = seq.results[0].requirements
    assert "SAF-2" in [v.requirement_id for v in failed if v.verdict.value == "fail"]  # TTC below 1 s
    assert seq.exit_code == 1 and seq.counts == {"pass": 2, "fail": 2, "error": 0}


def test_ray_gives_the_sequential_results(small_suite, tmp_path, comparable):
    ray = pytest.importorskip("ray", reason="ray is not installed: pip install 'ray[default]' to test --executor ray")
    seq = _run(small_suite, tmp_path, "seq", executor="sequential")
    try:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
        got = _run(small_suite, tmp_path, "ray", executor="ray", jobs=2)
    finally:
        ray.shutdown()
    assert [comparable(r) for r in got.results] == [comparable(r) for r in seq.results]


def test_crash_hang_memory_and_exception_become_errors_and_the_pool_goes_on(small_suite, tmp_path, faulty):
    """One worker per fault; each replaced, and a healthy scenario after them still passes."""
    cruise = [e for e in load_index(small_suite).entries if e.family == "cruise"][0]
    kinds = ["crash", "hang", "hog", "raise"]
    entries = [dataclasses.replace(cruise, scenario_id=f"fault.{k}") for k in kinds]
    settings = RunSettings(max_time=10, trace_hz=0, reports=(), executor="pool", jobs=2, timeout=4,
                           memory_limit_mb=512)
    results = {}
    for k, e in zip(kinds, entries):  # a stack per entry: one run each, sharing nothing
        s = dataclasses.replace(settings, stack=StackRef(f"{faulty}:make", {"kind": k}))
        out = run_suite([e, dataclasses.replace(cruise, scenario_id=f"after.{k}")], s, tmp_path / k, quiet=True)
        results[k] = {r.scenario_id: r for r in out.results}
    err = {k: results[k][f"fault.{k}"].error for k in kinds}
    assert all(results[k][f"fault.{k}"].verdict.value == "error" for k in kinds)
    assert "SIGSEGV" in err["crash"]
    assert "timed out after 4 s" in err["hang"]
    assert "out of memory (limit 512 MiB)" in err["hog"]
    assert "RuntimeError: the stack under test gave up" in err["raise"]
    # the scenario after each fault ran in a healthy worker (the stack misbehaves there too, but the
    # run still produced a result for it: nothing was lost)
    assert all(f"after.{k}" in results[k] for k in kinds)


def test_sequential_executor_enforces_the_wall_timeout(small_suite, tmp_path, faulty):
    cruise = [e for e in load_index(small_suite).entries if e.family == "cruise"][0]
    s = RunSettings(max_time=10, trace_hz=0, reports=(), executor="sequential", timeout=1,
                    stack=StackRef(f"{faulty}:make", {"kind": "hang"}))
    out = run_suite([cruise], s, tmp_path / "seq-hang", quiet=True)
    assert out.results[0].verdict.value == "error" and "timed out after 1 s" in out.results[0].error
