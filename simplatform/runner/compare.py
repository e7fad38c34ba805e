"""Stack vs stack (or version vs version): two or more runs of the same suite side by side.

Scenarios are paired by id (only ids in both runs count).  For each run
against the first (the baseline):

* per-family pass rates and mean overall scores;
* regressions (pass in the baseline, not in the candidate) and improvements;
* metric distributions (quantiles of each shared scalar);
* a Wilcoxon signed-rank test on the paired overall scores (Wilcoxon 1945;
  ``scipy.stats.wilcoxon``, two-sided, zero differences dropped — Wilcoxon's
  own treatment) and an exact McNemar test on the paired pass/not-pass
  outcomes (McNemar 1947; exact form: a two-sided binomial test of the
  discordant pairs b against b + c with p = 1/2, ``scipy.stats.binomtest``);
* the scenarios whose notes differ (``simplatform.notes``: an action not applied in one run
  only, a system-under-test controller driven by a stack in one and by the storyboard in the
  other): their verdicts may not compare like for like.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from simplatform.notes import notes_difference, result_notes
from simplatform.results import ScenarioResult
from simplatform.runner.store import ResultsStore
from simplatform.runner.suite import SuiteEntry

DISTRIBUTION_METRICS = ("ttc_min", "min_distance", "decel_max", "jerk_long_max", "speed_mean",
                        "lat_accel_max", "collisions")


@dataclass(frozen=True)
class LoadedRun:
    name: str
    run_dir: Path
    results: dict[str, ScenarioResult]
    families: dict[str, str]
    settings: dict[str, Any]


@dataclass(frozen=True)
class PairedComparison:
    baseline: str
    candidate: str
    paired: int
    families: dict[str, dict[str, Any]]
    regressions: list[dict[str, Any]]
    improvements: list[dict[str, Any]]
    distributions: dict[str, dict[str, list[float]]]
    score_test: dict[str, Any]
    pass_test: dict[str, Any]
    only_in_baseline: list[str] = field(default_factory=list)
    only_in_candidate: list[str] = field(default_factory=list)
    note_changes: list[dict[str, Any]] = field(default_factory=list)


def load_run(run_dir: str | Path) -> LoadedRun:
    store = ResultsStore(run_dir)
    try:
        meta = store.meta() or {"settings": {}, "suite": []}
        results = {r.scenario_id: r for r in store.results()}
    finally:
        store.close()
    families = {e["scenario_id"]: e.get("family", "") for e in meta["suite"]}
    name = meta["settings"].get("name") or Path(run_dir).name
    return LoadedRun(name, Path(run_dir), results, families, meta["settings"])


def _passed(r: ScenarioResult) -> bool:
    return r.verdict.value == "pass"


def wilcoxon_scores(a: Sequence[float], b: Sequence[float]) -> dict[str, Any]:
    from scipy.stats import wilcoxon

    d = np.asarray(b, float) - np.asarray(a, float)
    nz = int(np.count_nonzero(np.abs(d) > 1e-12))
    out = {"test": "Wilcoxon signed-rank (two-sided)", "n": len(d), "nonzero": nz,
           "median_difference": float(np.median(d)) if len(d) else 0.0,
           "mean_difference": float(np.mean(d)) if len(d) else 0.0}
    if nz == 0:
        return {**out, "statistic": None, "p_value": 1.0, "note": "no score differences"}
    res = wilcoxon(a, b, zero_method="wilcox", alternative="two-sided")
    return {**out, "statistic": float(res.statistic), "p_value": float(res.pvalue)}


def mcnemar_exact(base_pass: Sequence[bool], cand_pass: Sequence[bool]) -> dict[str, Any]:
    from scipy.stats import binomtest

    b = sum(1 for x, y in zip(base_pass, cand_pass) if x and not y)  # regressions
    c = sum(1 for x, y in zip(base_pass, cand_pass) if y and not x)  # improvements
    p = 1.0 if b + c == 0 else float(binomtest(min(b, c), b + c, 0.5).pvalue)
    return {"test": "McNemar exact (two-sided binomial on discordant pairs)", "regressed": b, "improved": c,
            "p_value": p}


def compare_pair(base: LoadedRun, cand: LoadedRun) -> PairedComparison:
    ids = [i for i in base.results if i in cand.results]
    families: dict[str, dict[str, Any]] = {}
    for fam in sorted({base.families.get(i, "") for i in ids}):
        members = [i for i in ids if base.families.get(i, "") == fam]
        row = {"total": len(members)}
        for label, run in (("baseline", base), ("candidate", cand)):
            rs = [run.results[i] for i in members]
            scores = [r.scores.get("overall") for r in rs if "overall" in r.scores]
            row[label] = {"pass_rate": sum(map(_passed, rs)) / len(rs),
                          "mean_score": float(np.mean(scores)) if scores else None}
        families[fam or "(none)"] = row

    def change(i: str) -> dict[str, Any]:
        a, b = base.results[i], cand.results[i]
        return {"scenario_id": i, "family": base.families.get(i, ""), "baseline": a.verdict.value,
                "candidate": b.verdict.value, "score_baseline": a.scores.get("overall"),
                "score_candidate": b.scores.get("overall"),
                "failed": [v.requirement_id for v in b.requirements if v.verdict.value != "pass"] or
                          ([b.error.splitlines()[0]] if b.error else [])}

    regressions = [change(i) for i in ids if _passed(base.results[i]) and not _passed(cand.results[i])]
    improvements = [change(i) for i in ids if not _passed(base.results[i]) and _passed(cand.results[i])]
    scored = [i for i in ids if "overall" in base.results[i].scores and "overall" in cand.results[i].scores]
    dists = {}
    for m in DISTRIBUTION_METRICS:
        pa = [base.results[i].metrics[m] for i in ids if m in base.results[i].metrics and m in cand.results[i].metrics]
        pb = [cand.results[i].metrics[m] for i in ids if m in base.results[i].metrics and m in cand.results[i].metrics]
        pa = [v for v in pa if math.isfinite(v)]
        pb = [v for v in pb if math.isfinite(v)]
        if pa and pb:
            dists[m] = {"baseline": [float(x) for x in np.quantile(pa, [0, .25, .5, .75, 1])],
                        "candidate": [float(x) for x in np.quantile(pb, [0, .25, .5, .75, 1])],
                        "baseline_values": pa, "candidate_values": pb}
    return PairedComparison(
        base.name, cand.name, len(ids), families, regressions, improvements, dists,
        wilcoxon_scores([base.results[i].scores["overall"] for i in scored],
                        [cand.results[i].scores["overall"] for i in scored]),
        mcnemar_exact([_passed(base.results[i]) for i in ids], [_passed(cand.results[i]) for i in ids]),
        sorted(set(base.results) - set(cand.results)), sorted(set(cand.results) - set(base.results)),
        note_changes(base, cand, ids))


def note_changes(base: LoadedRun, cand: LoadedRun, ids: Sequence[str]) -> list[dict[str, Any]]:
    """The paired scenarios whose notes differ, with the notes only the baseline has and those
    only the candidate has (``notes_difference``: kind, entities and detail; times ignored)."""
    out = []
    for i in ids:
        only_base, only_cand = notes_difference(result_notes(base.results[i]), result_notes(cand.results[i]))
        if only_base or only_cand:
            out.append({"scenario_id": i, "family": base.families.get(i, ""), "baseline": base.results[i].verdict.value,
                        "candidate": cand.results[i].verdict.value, "only_baseline": only_base,
                        "only_candidate": only_cand})
    return out


def compare_runs(run_dirs: Sequence[str | Path]) -> list[PairedComparison]:
    runs = [load_run(d) for d in run_dirs]
    names = [r.name for r in runs]
    if len(set(names)) != len(names):  # same launch name twice: tell them apart by directory
        runs = [LoadedRun(f"{r.name} ({r.run_dir.name})", r.run_dir, r.results, r.families, r.settings) for r in runs]
    return [compare_pair(runs[0], r) for r in runs[1:]]


__all__ = ["LoadedRun", "PairedComparison", "SuiteEntry", "compare_pair", "compare_runs", "load_run",
           "mcnemar_exact", "note_changes", "wilcoxon_scores"]
