"""Session 3 speed work on the reports and the index loader: the same bytes as the general paths.

The HTML report splices each ``trace.json``'s own text into the page when that text is already
what ``_script_json`` prints for its value (``html._trace_json``); the JSON and HTML reports share
one ``report_dict``; the index/launch YAML is parsed by libyaml.  Each must give what the plain
code gives, which these tests rebuild here and compare byte for byte.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import yaml

from simplatform.results import ScenarioResult, Verdict
from simplatform.runner.reports import WRITERS, write_reports
from simplatform.runner.reports import html as html_report
from simplatform.runner.reports.json_report import report_dict
from simplatform.runner.reports.summary import finite
from simplatform.runner.suite import SuiteEntry
from simplatform.runner.yamlio import _LineLoader, _PyLineLoader, load_located


def _plain_script_json(value) -> str:
    """The encoding every embedded trace had before the splice: finite() walk, strict compact JSON."""
    return json.dumps(finite(value), separators=(",", ":"), allow_nan=False).replace("</", "<\\/")


def _trace(rng: np.random.Generator, n: int = 300) -> dict:
    """A trace shaped like TraceRecorder's: times, per-entity poses, series with gaps (None)."""
    t = [round(0.1 * k, 4) for k in range(n)]
    x = (rng.normal(size=n) * 10.0 ** rng.integers(-8, 6, size=n)).tolist()
    speed = [round(float(v), 4) if k % 17 else None for k, v in enumerate(rng.uniform(0, 40, n))]
    return {"t": t, "entities": [{"name": "Ego", "first": 0, "x": x, "y": x[::-1], "h": [0.0, -0.0, 5e-324] * (n // 3)}],
            "series": {"speed": speed, "ttc": [1e308, 2.5e-7, 123456789.125]}, "outline": [[[0.1, 0.2]]]}


def _write(tmp: Path, name: str, text: str) -> str:
    path = tmp / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_spliced_trace_is_the_general_encoding_byte_for_byte(tmp_path):
    rng = np.random.default_rng(7)
    for k in range(5):
        value = _trace(rng)
        path = _write(tmp_path, f"t{k}.json", json.dumps(value, separators=(",", ":")))  # as TraceRecorder writes
        assert html_report._trace_json(path) == _plain_script_json(value)


@pytest.mark.parametrize("text", [
    '{"t":[0.0,0.1],"series":{"ttc":[Infinity,-Infinity,NaN]}}',   # non-finite: the finite() path
    '{"t": [0.0, 0.1], "name": "a b"}',                            # whitespace: re-encoded
    '{"name":"</script><b>","x":[1E5,1.50,-0]}',                   # '</' escaped; other writers' numbers
    '{"name":"caf\\u00e9 \\"q\\"","x":[1]}',                        # escapes: re-encoded
])
def test_other_traces_take_the_general_path(tmp_path, text):
    got = html_report._trace_json(_write(tmp_path, "t.json", text))
    value = json.loads(text)
    if "1E5" in text:  # compact ASCII without escapes goes in as written: same value, '</' made safe
        assert got == text.replace("</", "<\\/") and json.loads(got) == value and "</" not in got
    else:
        assert got == _plain_script_json(value)
    assert "</" not in got


def test_damaged_or_missing_traces_are_left_out(tmp_path):
    assert html_report._trace_json(_write(tmp_path, "bad.json", '{"t":[0.0,')) is None
    assert html_report._trace_json(str(tmp_path / "missing.json")) is None


def _results(tmp_path: Path, n: int) -> tuple[list[ScenarioResult], list[SuiteEntry], dict]:
    rng = np.random.default_rng(3)
    results, entries = [], []
    for k in range(n):
        sid = f"s.{k:03d}"
        trace = _write(tmp_path, f"{sid}.json", json.dumps(_trace(rng, 50), separators=(",", ":")))
        if k == 2:
            trace = _write(tmp_path, f"{sid}.json", '{"t":[0.0],"series":{"ttc":[Infinity]}}')
        verdict = (Verdict.PASS, Verdict.FAIL, Verdict.ERROR)[k % 3]
        results.append(ScenarioResult(scenario_id=sid, verdict=verdict, end_reason="stop", sim_time=5.0, steps=100,
                                      wall_time=0.5, artifacts={"trace": trace}, seed=k,
                                      scores={"overall": math.inf if k == 4 else 0.5}))
        entries.append(SuiteEntry(sid, tmp_path / f"{sid}.xosc", "fam" if k % 2 else "other", ("a",)))
    meta = {"settings": {"name": "t", "seed": 0, "dt": 0.05, "stack": "reference"},
            "versions": {"simplatform": "x"}, "started": "s", "finished": "f", "suite": [e.to_dict() for e in entries]}
    return results, entries, meta


def _plain_html(path: Path, results, meta, entries, max_traces: int) -> None:
    """write_html as it was: traces parsed, put in the data, the whole walked by finite() and encoded."""
    data = report_dict(results, meta, entries)
    data["traces"] = {}
    for r in html_report._chosen(results, max_traces):
        try:
            data["traces"][r.scenario_id] = json.loads(Path(r.artifacts["trace"]).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
    original = html_report._page_json
    try:
        html_report._page_json = lambda d, traces: _plain_script_json(d)  # noqa: ARG005
        html_report.write_html(path, results, meta, entries, max_traces=max_traces, data=data)
    finally:
        html_report._page_json = original


@pytest.mark.parametrize("max_traces", [0, 4, 200])
def test_html_page_equals_the_plain_encoding(tmp_path, max_traces):
    results, entries, meta = _results(tmp_path, 9)
    new, old = tmp_path / "new.html", tmp_path / "old.html"
    html_report.write_html(new, results, meta, entries, max_traces=max_traces)
    _plain_html(old, results, meta, entries, max_traces)
    assert new.read_bytes() == old.read_bytes()
    assert new.read_text(encoding="utf-8").count('"t":[') == min(9, max(max_traces, 6))  # the 6 non-pass always


def test_shared_report_dict_gives_the_same_files(tmp_path):
    results, entries, meta = _results(tmp_path, 6)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    together = write_reports(tmp_path / "a", results, meta, entries, ("junit", "json", "html"))
    for kind, (name, writer) in WRITERS.items():
        writer(tmp_path / "b" / name, results, meta, entries)
    for kind, path in together.items():
        assert path.read_bytes() == (tmp_path / "b" / path.name).read_bytes(), kind


def test_libyaml_loader_gives_the_pure_loaders_values_and_lines(tmp_path):
    text = ("version: 1\nscenarios:\n  - {id: a, path: a.xosc, parameters: {v: 1.5e1, n: null, b: yes}}\n"
            "  - id: b\n    tags: [x, 'y z']\n    expected_duration: 20\n")
    fast, pure = yaml.load(text, Loader=_LineLoader), yaml.load(text, Loader=_PyLineLoader)  # noqa: S506
    assert fast == pure and fast["scenarios"][1]["tags"] == ["x", "y z"]
    assert [fast.line, *(s.line for s in fast["scenarios"])] == [pure.line, *(s.line for s in pure["scenarios"])] \
        == [1, 3, 4]
    path = _write(tmp_path, "bad.yaml", "a: 1\nb: [1, 2\nc: 3\n")
    with pytest.raises(Exception) as info:
        load_located(path)
    assert "bad.yaml" in str(info.value) and "not valid YAML" in str(info.value)
