"""Reports of a finished run: JUnit XML for CI, JSON with everything, a self-contained HTML page."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from simplatform.results import ScenarioResult
from simplatform.runner.reports.html import write_html
from simplatform.runner.reports.json_report import write_json
from simplatform.runner.reports.junit import write_junit
from simplatform.runner.suite import SuiteEntry

WRITERS = {"junit": ("junit.xml", write_junit), "json": ("results.json", write_json),
           "html": ("report.html", write_html)}


def write_reports(run_dir: Path, results: Sequence[ScenarioResult], meta: dict[str, Any],
                  entries: Sequence[SuiteEntry], kinds: Sequence[str]) -> dict[str, Path]:
    out = {}
    for kind in kinds:
        name, writer = WRITERS[kind]
        path = Path(run_dir) / name
        writer(path, results, meta, entries)
        out[kind] = path
    return out


__all__ = ["write_reports", "write_html", "write_json", "write_junit"]
