"""``results.json``: the run's settings, suite, summary and every result, for any tool to read."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

from simplatform.notes import note_dict, result_notes
from simplatform.results import ScenarioResult
from simplatform.runner.reports.summary import finite, summary
from simplatform.runner.suite import SuiteEntry


def report_dict(results: Sequence[ScenarioResult], meta: dict[str, Any], entries: Sequence[SuiteEntry]) -> dict[str, Any]:
    """Each result as ``ScenarioResult.to_dict`` with its family, tags, path and ``notes``
    (``simplatform.notes``: time, kind, entities, detail, category), and the run's summary."""
    by_id = {e.scenario_id: e for e in entries}
    rows = []
    for r in results:
        e = by_id.get(r.scenario_id)
        rows.append({**r.to_dict(), "family": e.family if e else "", "tags": list(e.tags) if e else [],
                     "path": str(e.path) if e else "",
                     "notes": [note_dict(n) for n in result_notes(r)]})
    return finite({"format": "simplatform-run/1", "run": {k: meta[k] for k in ("settings", "versions", "started", "finished")},
                   "summary": summary(results, entries), "results": rows})


def write_json(path: Path, results: Sequence[ScenarioResult], meta: dict[str, Any], entries: Sequence[SuiteEntry],
               *, data: dict[str, Any] | None = None) -> None:
    """``data``: this run's ``report_dict`` when the caller has it already (it is not modified)."""
    data = report_dict(results, meta, entries) if data is None else data
    path.write_text(json.dumps(data, indent=1, allow_nan=False), encoding="utf-8")
