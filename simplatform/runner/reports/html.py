"""``report.html``: one self-contained page a person opens offline in a browser.

Everything is inline — CSS, the small vanilla-JS renderer (tables, filters,
canvas replay and plots; no CDN, no library) and the data as a JSON
``<script type="application/json">`` block.  The replay and the plots read
the per-scenario trace (``trace.json``: poses sampled from the run, ego
speed, TTC, distance and acceleration series).  To keep the file small for
a library run, traces are embedded for every failed or errored scenario and
for passing ones up to ``max_traces`` in all; the others list their
artifacts.

Each scenario's notes (``simplatform.notes``, the ``notes`` of its ``report_dict`` row) are
counted in the scenario table's notes column (its tooltip names their kinds), filtered by
"with notes", listed in the scenario's detail, and the summary has a "with notes" card.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any, Sequence

from simplatform.results import ScenarioResult
from simplatform.runner.reports.json_report import report_dict
from simplatform.runner.reports.summary import finite
from simplatform.runner.suite import SuiteEntry

ASSETS = Path(__file__).with_name("assets")
MAX_TRACES = 200

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title><style>{css}</style></head>
<body><header><h1>{title}</h1><div class="meta">{meta}</div></header>
<main>
<section><h2>Summary</h2><div class="cards" id="cards"></div></section>
<section><h2>By family</h2><table id="families"><thead><tr><th>family</th><th>scenarios</th><th>pass</th><th>fail</th>
<th>error</th><th>pass rate</th><th>mean score</th></tr></thead><tbody></tbody></table></section>
<section><h2>By requirement</h2><table id="requirements"><thead><tr><th>id</th><th>text</th><th>check</th><th>pass</th>
<th>fail</th><th>error</th></tr></thead><tbody></tbody></table></section>
<section><h2>Scenarios</h2><div class="filters"><input id="f-text" placeholder="search id, family, tag">
<select id="f-verdict"><option value="">all verdicts</option><option>pass</option><option>fail</option><option>error</option></select>
<select id="f-family"><option value="">all families</option></select>
<select id="f-notes"><option value="">with or without notes</option><option value="with">with notes</option>
<option value="without">without notes</option></select><span id="f-count" class="muted"></span></div>
<div class="tablewrap"><table id="scenarios"><thead><tr><th>id</th><th>family</th><th>verdict</th><th>failed / error</th><th>notes</th>
<th>score</th><th>sim s</th><th>wall s</th><th>tags</th></tr></thead><tbody></tbody></table></div></section>
<section id="detail" hidden><h2 id="d-title"></h2><div id="d-info"></div>
<div id="d-notes" hidden><h3>Notes</h3><table><thead><tr><th>time</th><th>kind</th><th>entities</th><th>note</th>
</tr></thead><tbody></tbody></table></div>
<table id="d-reqs"><thead><tr><th>requirement</th><th>verdict</th><th>check</th><th>value</th><th>worst at</th>
<th>with</th><th>evidence</th></tr></thead><tbody></tbody></table>
<p id="d-noreplay" class="muted" hidden>No replay embedded for this scenario (see its trajectory log).</p>
<div id="d-replay"><div class="controls"><button id="r-play">play</button><input id="r-time" type="range" min="0" value="0">
<span id="r-label"></span></div><div class="grid"><canvas id="replay" height="360"></canvas><div class="plots">
<canvas id="p-speed" height="160"></canvas><canvas id="p-ttc" height="160"></canvas>
<canvas id="p-distance" height="160"></canvas><canvas id="p-accel" height="160"></canvas></div></div></div></section>
</main>
<script type="application/json" id="report-data">{data}</script>
<script>{js}</script>
</body></html>
"""


def _chosen(results: Sequence[ScenarioResult], max_traces: int) -> list[ScenarioResult]:
    """Every failed or errored scenario, then passing ones up to ``max_traces`` in all."""
    chosen = [r for r in results if r.verdict.value != "pass"]
    return chosen + [r for r in results if r.verdict.value == "pass"][: max(0, max_traces - len(chosen))]


def _trace_json(path: str) -> str | None:
    """One ``trace.json`` as ``_script_json`` prints it; None when unreadable or not JSON.

    Why not ``_script_json(json.loads(text))`` as such: a library run embeds ~200 traces (~1.5 MB
    each for the long continuous routes), and walking them value by value for non-finite floats
    (``finite``), then printing every float again, cost ~9 s of the report's ~10 s.
    ``TraceRecorder`` writes them with ``json.dumps(..., separators=(",", ":"))``: compact ASCII,
    each float printed by ``repr``, which parses back to the same float and prints the same
    again (Python's shortest round-trip repr) — so a text with no whitespace, no escape and no
    ``NaN``/``Infinity`` token is already what ``_script_json`` prints for its value, and goes in
    as it is (a compact file from another writer too: the same value for the page's
    ``JSON.parse``, if not always the same bytes).  A non-finite value or any whitespace or escape
    takes the general path.  The text is still parsed, so a damaged file is left out as before."""
    constants: list[str] = []

    def constant(name: str) -> float:
        constants.append(name)
        return float(name.replace("Infinity", "inf"))

    try:
        text = Path(path).read_text(encoding="utf-8")
        value = json.loads(text, parse_constant=constant)
    except (OSError, ValueError):
        return None
    if constants:
        return _script_json(value)
    if text.isascii() and not any(c in text for c in ' \n\r\t\\'):
        return text.replace("</", "<\\/")
    return json.dumps(value, separators=(",", ":"), allow_nan=False).replace("</", "<\\/")


def _traces(results: Sequence[ScenarioResult], max_traces: int) -> dict[str, str]:
    """Scenario id -> its trace as JSON text (see ``_trace_json``), for the scenarios ``_chosen`` picks."""
    out = {}
    for r in _chosen(results, max_traces):
        path = r.artifacts.get("trace")
        text = _trace_json(path) if path else None
        if text is not None:
            out[r.scenario_id] = text
    return out


def _script_json(value: Any) -> str:
    """JSON safe inside <script>: no '</' can close the element (HTML §4.12.1.3)."""
    return json.dumps(finite(value), separators=(",", ":"), allow_nan=False).replace("</", "<\\/")


def _page_json(data: dict[str, Any], traces: dict[str, str]) -> str:
    """``_script_json({**data, "traces": {id: trace}})``, with each trace's JSON text spliced in as is."""
    head = _script_json(data)
    body = ",".join(f"{_script_json(sid)}:{text}" for sid, text in traces.items())
    return f"{head[:-1]}{',' if data else ''}\"traces\":{{{body}}}}}"


def write_html(path: Path, results: Sequence[ScenarioResult], meta: dict[str, Any], entries: Sequence[SuiteEntry],
               *, max_traces: int = MAX_TRACES, data: dict[str, Any] | None = None) -> None:
    """``data``: this run's ``report_dict`` when the caller has it already (it is not modified)."""
    data = report_dict(results, meta, entries) if data is None else data
    traces = _traces(results, max_traces)
    settings = meta["settings"]
    title = f"simplatform run — {settings.get('name') or Path(path).parent.name}"
    info = (f"started {meta.get('started')} · finished {meta.get('finished')} · seed {settings.get('seed')} · "
            f"dt {settings.get('dt')} s · stack {_stack_name(settings.get('stack'))} · "
            + (f"ego {settings['ego']} · " if settings.get("ego") else "") +
            f"simplatform {meta['versions'].get('simplatform')}")
    page = PAGE.format(title=html.escape(title), meta=html.escape(info),
                       css=(ASSETS / "report.css").read_text(encoding="utf-8"),
                       js=(ASSETS / "report.js").read_text(encoding="utf-8"), data=_page_json(data, traces))
    path.write_text(page, encoding="utf-8")


def _stack_name(stack: Any) -> str:
    """The run's stack as the settings store it (a name, ``module:Class`` or a launch block)."""
    if isinstance(stack, dict):
        return str(stack.get("class") or stack.get("command") or stack.get("transport", "stack block"))
    return str(stack or "none")
