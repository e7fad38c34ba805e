"""``simplatform run DISTRIBUTION.xosc``: play every concrete run of a parameter value distribution.

A ``ParameterValueDistribution`` file (OpenSCENARIO 1.x §9) names a scenario
and the parameter values to play it with.  Its runs are expanded with the
``--seed`` (stochastic distributions draw deterministically), and the runs of
one scenario file are played together in one process with
:func:`simplatform.engine.batch.run_variants` — the lockstep batch engine,
several times faster than one run after another — in chunks so memory stays
bounded.  Each run writes the log ``run_scenario`` would, named
``<distribution>_<index>``, and one line in ``<out>/<distribution>_runs.csv``
(index, scenario, parameters, end reason, times) ties the logs to the values.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

CHUNK = 64
"""Variants stepped together at most: enough to amortise the per-step work, few enough to bound memory."""


def is_distribution(path: Path) -> bool:
    """Whether ``path`` is an OpenSCENARIO parameter value distribution (read from its header)."""
    from simplatform.openscenario.xml import read_document

    found = read_document(path, [])
    return found is not None and found[1].kind == "distribution"


def run_distribution(path: Path, overrides: Mapping[str, Any], config, seed: int) -> int:
    """Expand, play and summarise; returns the command's exit status."""
    from simplatform.engine.batch import run_variants
    from simplatform.engine.run import ScenarioSpec, run_scenario
    from simplatform.openscenario.distributions import load_distribution

    runs = load_distribution(path, seed=seed)
    stem = path.stem
    started = time.perf_counter()
    rows: list[tuple[Any, Any]] = []
    groups: dict[Path, list] = {}
    for run in runs:
        groups.setdefault(run.scenario_path, []).append(run)
    for scenario_path, group in groups.items():
        for k in range(0, len(group), CHUNK):
            chunk = group[k:k + CHUNK]
            params = [{**run.parameters, **overrides} for run in chunk]
            ids = [f"{stem}_{run.index:04d}" for run in chunk]
            if config.backend == "native" and config.stack is None:
                results = run_variants(scenario_path, params, config, scenario_ids=ids)
            else:
                results = [run_scenario(ScenarioSpec(scenario_path, p, scenario_id=i), config)
                           for p, i in zip(params, ids)]
            rows.extend(zip(chunk, results))
    wall = time.perf_counter() - started
    rows.sort(key=lambda row: row[0].index)
    _print_summary(path, rows, wall)
    if config.out_dir is not None:
        table = _write_table(Path(config.out_dir), stem, rows)
        print(f"runs       {table}")
    return 0


def _print_summary(path: Path, rows, wall: float) -> None:
    sim = sum(r.sim_time for _, r in rows)
    print(f"distribution {path}: {len(rows)} runs")
    print(f"duration   {sim:.3f} s simulated in {wall:.3f} s wall ({sim / max(wall, 1e-9):.0f}x real time, aggregate)")
    reasons: dict[str, int] = {}
    for _, r in rows:
        reasons[r.end_reason] = reasons.get(r.end_reason, 0) + 1
    for reason, count in sorted(reasons.items()):
        print(f"end reason {reason}: {count}")
    for run, r in rows[:10]:
        values = ", ".join(f"{k}={v}" for k, v in run.parameters.items())
        print(f"  {run.index:4d}  {r.sim_time:8.3f} s  {r.end_reason:12s} {values}")
    if len(rows) > 10:
        print(f"  ... {len(rows) - 10} more")


def _write_table(out: Path, stem: str, rows) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    names = sorted({name for run, _ in rows for name in run.parameters})
    target = out / f"{stem}_runs.csv"
    with open(target, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["index", "scenario_id", "scenario", *names, "end_reason", "sim_time", "steps", "log"])
        for run, r in rows:
            w.writerow([run.index, r.scenario_id, str(run.scenario_path),
                        *[run.parameters.get(n, "") for n in names],
                        r.end_reason, f"{r.sim_time:.6f}", r.steps, r.artifacts.get("trajectory_csv", "")])
    return target
