"""The HTML report's notes, rendered by its own script under Node.js with a small DOM stub.

The headless-Chromium test (``test_runner_html``) is skipped where no browser is installed; this
one runs ``report.js`` against a stub of the few DOM calls it makes (no canvas: the run has no
traces, so no replay is drawn) and reads back the scenario table, the summary cards, the
detail's notes and the "with notes" filter.  Skipped when ``node`` is missing.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from simplatform.runner import RunSettings, load_directory, run_suite

NODE = shutil.which("node") or shutil.which("nodejs")

DOM_STUB = r"""
const fs = require("fs");
const page = fs.readFileSync(process.argv[1], "utf8");
const at = page.indexOf('id="report-data">') + 'id="report-data">'.length;
const data = page.slice(at, page.indexOf("</script>", at));
const script = page.slice(page.lastIndexOf("<script>") + 8, page.lastIndexOf("</script>"));
class El {
  constructor(tag) { this.tag = tag; this.children = []; this.attrs = {}; this.style = {}; this.hidden = false;
    this.value = ""; this.own = ""; this.on = {}; this.className = ""; this.classList = { add() {}, remove() {} }; }
  append(...kids) { this.children.push(...kids); }
  replaceChildren(...kids) { this.children = kids; }
  setAttribute(k, v) { this.attrs[k] = v; }
  addEventListener(e, f) { this.on[e] = f; }
  get textContent() { return this.own || this.children.map((c) => c.textContent).join(""); }
  set textContent(v) { this.own = String(v); }
}
global.Node = El;
const byId = {};
const get = (id) => byId[id] || (byId[id] = new El(id));
get("report-data").textContent = data;
global.document = { getElementById: get, createElement: (t) => new El(t),
  createTextNode: (t) => { const e = new El("#text"); e.own = t; return e; },
  querySelector: (s) => get(s.replace(/^#/, "").replace(/ tbody$/, ":tbody")) };
global.window = {};
eval(script);
const rows = get("scenarios:tbody").children;
const from = page.indexOf('<table id="scenarios">');
const table = page.slice(from, page.indexOf("</thead>", from));
const out = { ready: !!window.__reportReady, header: [...table.matchAll(/<th>([^<]*)<\/th>/g)].map((m) => m[1]),
  rows: rows.map((r) => ({ cells: r.children.map((c) => c.textContent),
                           titles: r.children.map((c) => c.attrs.title || "") })),
  cards: get("cards").children.map((c) => c.textContent), details: {} };
rows.forEach((r, i) => { r.on.click();
  out.details[r.children[0].textContent] = { hidden: get("d-notes").hidden,
    notes: get("d-notes:tbody").children.map((tr) => tr.children.map((c) => c.textContent)) }; });
get("f-notes").value = "with"; get("f-notes").on.input();
out.withNotes = rows.map((r) => r.style.display !== "none");
console.log(JSON.stringify(out));
"""


def _notes_files():
    """``runner_notes_files`` (beside this file), loaded once by the conftest."""
    return sys.modules["runner_notes_files"]


@pytest.mark.skipif(NODE is None, reason="no node binary: apt-get install -y nodejs to run the report's script")
def test_the_report_shows_notes_in_the_table_the_detail_a_card_and_a_filter(tmp_path):
    suite = _notes_files().make_notes_suite(tmp_path / "suite")
    outcome = run_suite(load_directory(suite), RunSettings(executor="sequential", stack="reference", trace_hz=0.0,
                                                           reports=("html",)), tmp_path / "run", quiet=True)
    got = subprocess.run([NODE, "-e", DOM_STUB, str(outcome.reports["html"])], capture_output=True, text=True,
                         timeout=60)
    assert got.returncode == 0, got.stderr
    state = json.loads(got.stdout)
    assert state["ready"]
    header = state["header"]
    column = header.index("notes")
    assert header[column - 1] == "failed / error" and header[column + 1] == "score"
    rows = {r["cells"][0]: r for r in state["rows"]}
    assert rows["lane.lane"]["cells"][column] == "1" and rows["lane.lane"]["titles"][column] == "LaneChangeAction"
    assert rows["alks.alks"]["titles"][column] == "SystemUnderTestController"
    assert rows["plain.cruise"]["cells"][column] == ""
    assert "2with notes" in state["cards"]
    lane = state["details"]["lane.lane"]
    assert not lane["hidden"]
    assert lane["notes"] == [["1.010 s", "LaneChangeAction", "Ego", "not applied: driven by the stack under test"]]
    assert state["details"]["plain.cruise"]["hidden"]
    assert state["withNotes"] == [r["cells"][0] != "plain.cruise" for r in state["rows"]]
