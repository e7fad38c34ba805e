"""Plain-data views of a run shared by the JSON and HTML reports and by ``compare``."""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any, Sequence

from simplatform.notes import notes_summary
from simplatform.results import ScenarioResult
from simplatform.runner.suite import SuiteEntry


def finite(value: Any) -> Any:
    """JSON has no inf/nan (RFC 8259 §6): write them as the strings "inf", "-inf", "nan"."""
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    return value


def by_family(results: Sequence[ScenarioResult], families: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Per family: counts of pass/fail/error, pass rate and mean overall score."""
    groups: dict[str, list[ScenarioResult]] = defaultdict(list)
    for r in results:
        groups[families.get(r.scenario_id, "")].append(r)
    out = {}
    for family in sorted(groups):
        rs = groups[family]
        n = len(rs)
        counts = {v: sum(r.verdict.value == v for r in rs) for v in ("pass", "fail", "error")}
        scores = [r.scores["overall"] for r in rs if "overall" in r.scores]
        out[family or "(none)"] = {"total": n, **counts, "pass_rate": counts["pass"] / n if n else 0.0,
                                   "mean_score": sum(scores) / len(scores) if scores else None}
    return out


def by_requirement(results: Sequence[ScenarioResult]) -> dict[str, dict[str, Any]]:
    """Per requirement id: its text and how often it passed, failed, errored."""
    out: dict[str, dict[str, Any]] = {}
    for r in results:
        for v in r.requirements:
            row = out.setdefault(v.requirement_id, {"text": v.text, "check": v.check, "pass": 0, "fail": 0,
                                                    "error": 0, "failed_in": []})
            row[v.verdict.value] += 1
            if v.verdict.value != "pass":
                row["failed_in"].append(r.scenario_id)
    return dict(sorted(out.items()))


def summary(results: Sequence[ScenarioResult], entries: Sequence[SuiteEntry]) -> dict[str, Any]:
    families = {e.scenario_id: e.family for e in entries}
    sim = sum(r.sim_time for r in results)
    wall = sum(r.wall_time for r in results)
    return {"total": len(results), **{v: sum(r.verdict.value == v for r in results) for v in ("pass", "fail", "error")},
            "sim_time": sim, "wall_time": wall, "by_family": by_family(results, families),
            "by_requirement": by_requirement(results), "notes": notes_summary(results)}
