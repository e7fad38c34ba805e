"""Reports of a finished run: JUnit XML for CI, JSON with everything, a self-contained HTML page."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path
from typing import Any, Sequence

from simplatform.results import ScenarioResult
from simplatform.runner.reports.html import write_html
from simplatform.runner.reports.json_report import report_dict, write_json
from simplatform.runner.reports.junit import write_junit
from simplatform.runner.suite import SuiteEntry

WRITERS = {"junit": ("junit.xml", write_junit), "json": ("results.json", write_json),
           "html": ("report.html", write_html)}


def write_reports(run_dir: Path, results: Sequence[ScenarioResult], meta: dict[str, Any],
                  entries: Sequence[SuiteEntry], kinds: Sequence[str], *, timings: Any = None) -> dict[str, Path]:
    """Each report of ``kinds``; the JSON and HTML reports share one ``report_dict`` (~0.7 s for a
    library run) instead of building it each.  ``timings``: a ``RunTimings`` that records each
    report's wall and CPU time as phase ``report <kind>``."""
    out: dict[str, Path] = {}
    shared: dict[str, Any] = {}
    phase = timings.phase if timings is not None else (lambda name: nullcontext())
    if {"json", "html"} <= set(kinds):
        with phase("report data"):
            shared["data"] = report_dict(results, meta, entries)
    for kind in kinds:
        name, writer = WRITERS[kind]
        path = Path(run_dir) / name
        with phase(f"report {kind}"):
            writer(path, results, meta, entries, **(shared if kind in ("json", "html") else {}))
        out[kind] = path
    return out


__all__ = ["write_reports", "write_html", "write_json", "write_junit"]
