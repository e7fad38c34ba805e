"""Review (session 5): ``MetricSuite.finish()`` of the current code against the code at 3401fd1, run side
by side in separate processes (``diffrun``: separate trees, separate numba caches) on randomized streams
(``mdriver``): mixed native-engine (arena) and ``from_states`` snapshots, entities coming and going, ego
changes, shared fields changing, NaN/inf values, 0/1/2 entities, contacts; mid-run ``flush``, the same
snapshot observed twice, snapshots skipped, ``add_v2x_warning``; and library scenarios through the harness
at random dt.  Compared in full (every MetricResult with its series and events, verdicts, scores, coverage,
leaderboard: ``mdriver.canon``).  The fast test checks, in this process, that every evaluated block's
``snapshots[k]`` equals the snapshot observed in every field."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

import mdriver
from review_trees import REPO
from diffrun import compare

HERE = Path(__file__).resolve().parent


@pytest.mark.parametrize("seed", [3, 21])
def test_block_snapshots_equal_the_observed_ones(seed: int) -> None:
    """Arena and plain snapshots mixed, with duplicates, skips, flushes and V2X warnings: each block's
    ``snapshots[k]`` (rebuilt from the buffer's columns for arena steps) equals the observed snapshot."""
    pert = mdriver.Perturbed({"check": True, "flush": 0.02, "dup": 0.05, "skip": 0.05, "v2x": 0.01, "back": 0.02}, seed)
    pert.install()
    try:
        ev = mdriver.synthetic_job({"seed": seed, "steps": 200, "egoless": False, "max_n": 9}, pert)
    finally:
        mdriver.CURRENT = mdriver.Perturbed({}, 0)
    pert.check_blocks()
    assert ev.metrics and not pert.problems, pert.problems
    assert len(pert.observed) > 150


def _ran(work, report) -> None:
    """Every job gave an Evaluation (not an exception, which would compare equal too)."""
    for r in report:
        got = pickle.loads((work / "new" / f"{r['id']}.pkl").read_bytes())
        assert got[0] == "dc", (r["id"], str(got)[:300])


def _jobs(seeds, steps, egoless, perturbed):
    jobs = []
    for i, seed in enumerate(seeds):
        p = {"check": True}
        if perturbed and i % 2:
            p.update(flush=0.02, dup=0.05, skip=0.05, v2x=0.004)
        jobs.append({"id": f"s{seed}", "kind": "synthetic", "seed": seed, "steps": steps, "perturb": p,
                     "egoless": egoless, "max_n": 26 if i % 3 == 2 else 7})
    return jobs


@pytest.mark.slow
def test_finish_equal_to_3401fd1_on_mixed_streams(base_tree, numba_caches, tmp_path) -> None:
    jobs = _jobs([2000, 2001, 2002, 2003, 2004, 2005], 1500, egoless=False, perturbed=True)
    report = compare(base_tree, REPO, HERE / "mdriver.py", jobs, tmp_path, cache_root=numba_caches)
    assert all(r["same"] for r in report), json.dumps([r for r in report if not r["same"]], default=str)[:3000]
    _ran(tmp_path, report)
    assert not any(r["problems_new"] for r in report)


@pytest.mark.slow
def test_finish_equal_to_3401fd1_on_streams_with_egoless_steps(base_tree, numba_caches, tmp_path) -> None:
    """Failed at 3458fcc (the collision rules forgot the last party across a block without the ego), fixed in 595abe5."""
    jobs = _jobs([1000, 1001], 2500, egoless=True, perturbed=False)
    report = compare(base_tree, REPO, HERE / "mdriver.py", jobs, tmp_path, cache_root=numba_caches)
    assert all(r["same"] for r in report), json.dumps([r for r in report if not r["same"]], default=str)[:3000]
    _ran(tmp_path, report)


@pytest.mark.slow
@pytest.mark.parametrize("scenario,dt,stack", [
    ("typ_vru_cbfa_v40_day", 0.01, "none"),
    ("typ_alks_cutout_v80_object_ttc3_night", 0.02, "none"),
    ("urb_roundabout_v20_o30_lag0_x13", 0.05, "reference"),
])
def test_finish_equal_to_3401fd1_through_the_harness(base_tree, numba_caches, tmp_path, scenario, dt, stack) -> None:
    jobs = [{"id": "plain", "kind": "harness", "scenario": scenario, "dt": dt, "stack": stack, "seed": 1,
             "perturb": {"check": True}, "max_time": 30.0},
            {"id": "perturbed", "kind": "harness", "scenario": scenario, "dt": dt, "stack": stack, "seed": 2,
             "perturb": {"check": True, "flush": 0.01, "dup": 0.02, "skip": 0.02, "v2x": 0.002}, "max_time": 30.0}]
    report = compare(base_tree, REPO, HERE / "mdriver.py", jobs, tmp_path, cache_root=numba_caches)
    assert all(r["same"] for r in report), json.dumps([r for r in report if not r["same"]], default=str)[:3000]
    _ran(tmp_path, report)
    assert not any(r["problems_new"] for r in report)
