"""Review (session 6, issue #7): ``MetricSuite.finish()`` of the current code against the code at fb91629,
run side by side in separate processes (``diffrun``: separate trees, separate numba caches) and compared
in full (``mdriver.canon``: every MetricResult with its series and events, verdicts, scores, coverage,
leaderboard).  ``REVIEW_S6_BASE``: a checkout of fb91629 to use (else ``git archive``).

Streams: ``m6driver.attack_jobs`` (arena snapshots whose shared fields change mid-block, arenas that
stop following on, one-slot arenas, the ego and the background coming and going, goals entered at a
block's edge, touching/coincident/zero-size boxes, huge coordinates, NaN, plain and float64/float32
snapshots, flushes, duplicates, skips, replays, V2X warnings), library scenarios through the harness,
and the float32 velocity columns found to differ (``test_review_s6m_float32``)."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from diffrun import compare
from m6driver import attack_jobs, edge_jobs

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
DRIVER = HERE / "m6driver.py"


def _check(report, work, *, ran: bool = True) -> None:
    bad = [r for r in report if not r["same"]]
    assert not bad, json.dumps(bad, default=str)[:3000]
    if ran:   # every job gave an Evaluation (an exception in both trees would compare equal too)
        for r in report:
            got = pickle.loads((work / "new" / f"{r['id']}.pkl").read_bytes())
            assert got[0] == "dc", (r["id"], str(got)[:300])
    assert not any(r["problems_new"] for r in report), [r["problems_new"] for r in report]


@pytest.mark.slow
@pytest.mark.parametrize("seeds", [range(600, 607), range(607, 614)])
def test_attack_streams_equal_to_fb91629(base_tree, numba_caches, tmp_path, seeds) -> None:
    jobs = attack_jobs("t", list(seeds), 900)
    report = compare(base_tree, REPO, DRIVER, jobs, tmp_path, cache_root=numba_caches)
    _check(report, tmp_path)


@pytest.mark.slow
def test_block_edges_equal_to_fb91629(base_tree, numba_caches, tmp_path) -> None:
    """The goal entered on the first or last step of a block; eight or more background vehicles."""
    jobs = edge_jobs("e")
    report = compare(base_tree, REPO, DRIVER, jobs, tmp_path, cache_root=numba_caches)
    _check(report, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("scenario,dt,stack", [
    ("urb_dense_v40_aggressive_n9_s2", 0.05, "none"),
    ("v2x_glosa_v40_3_day", 0.05, "none"),
    ("urb_left_unprotected_v20_o50_lag1_night", 0.05, "reference"),
])
def test_harness_equal_to_fb91629(base_tree, numba_caches, tmp_path, scenario, dt, stack) -> None:
    jobs = [{"id": "plain", "kind": "harness", "scenario": scenario, "dt": dt, "stack": stack, "seed": 1,
             "perturb": {"check": True}, "max_time": 20.0},
            {"id": "perturbed", "kind": "harness", "scenario": scenario, "dt": dt, "stack": stack, "seed": 2,
             "perturb": {"check": True, "flush": 0.01, "dup": 0.02, "skip": 0.02, "v2x": 0.003}, "max_time": 20.0}]
    report = compare(base_tree, REPO, DRIVER, jobs, tmp_path, cache_root=numba_caches)
    _check(report, tmp_path)


@pytest.mark.slow
def test_float32_columns_equal_to_fb91629(base_tree, numba_caches, tmp_path) -> None:
    """Failed from 75d2cc0 (min_speed_route read float32 vx/vy columns as float64), fixed in b742f12."""
    jobs = [{"id": "f32", "kind": "float32"}]
    report = compare(base_tree, REPO, DRIVER, jobs, tmp_path, cache_root=numba_caches)
    _check(report, tmp_path)
