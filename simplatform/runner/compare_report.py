"""``simplatform compare`` output: Markdown (for a PR comment) and a self-contained HTML page."""

from __future__ import annotations

import html
from typing import Any, Sequence

from simplatform.runner.compare import PairedComparison


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f} %"


def _num(x: Any, d: int = 1) -> str:
    return "–" if x is None else f"{x:.{d}f}"


def _p(p: float) -> str:
    return f"{p:.3g}" + (" (significant at 5 %)" if p < 0.05 else "")


def markdown(comparisons: Sequence[PairedComparison]) -> str:
    out = ["# simplatform compare", ""]
    for c in comparisons:
        out += [f"## {c.candidate} vs {c.baseline} (baseline)", "",
                f"{c.paired} paired scenarios; {len(c.regressions)} regressed, {len(c.improvements)} improved.", ""]
        s, m = c.score_test, c.pass_test
        out += [f"- overall score: median difference {s['median_difference']:+.2f}, mean {s['mean_difference']:+.2f}; "
                f"{s['test']}: p = {_p(s['p_value'])}",
                f"- pass/fail: {m['regressed']} regressed, {m['improved']} improved; {m['test']}: p = {_p(m['p_value'])}", ""]
        out += ["| family | scenarios | pass rate (base) | pass rate (cand) | score (base) | score (cand) |",
                "|---|---:|---:|---:|---:|---:|"]
        for fam, r in c.families.items():
            out.append(f"| {fam} | {r['total']} | {_pct(r['baseline']['pass_rate'])} | {_pct(r['candidate']['pass_rate'])} "
                       f"| {_num(r['baseline']['mean_score'])} | {_num(r['candidate']['mean_score'])} |")
        for title, rows in (("Regressions", c.regressions), ("Improvements", c.improvements)):
            out += ["", f"### {title} ({len(rows)})", ""]
            if rows:
                out += ["| scenario | family | base | cand | score base | score cand | failed |", "|---|---|---|---|---:|---:|---|"]
                out += [f"| {r['scenario_id']} | {r['family']} | {r['baseline']} | {r['candidate']} | "
                        f"{_num(r['score_baseline'])} | {_num(r['score_candidate'])} | {', '.join(r['failed'])} |" for r in rows]
            else:
                out.append("none")
        out += _notes_markdown(c.note_changes)
        if c.distributions:
            out += ["", "### Metric distributions (min / q1 / median / q3 / max)", "",
                    "| metric | baseline | candidate |", "|---|---|---|"]
            for name, d in c.distributions.items():
                out.append(f"| {name} | {' / '.join(f'{v:.3g}' for v in d['baseline'])} | "
                           f"{' / '.join(f'{v:.3g}' for v in d['candidate'])} |")
        if c.only_in_baseline or c.only_in_candidate:
            out += ["", f"Not paired: {len(c.only_in_baseline)} only in the baseline, "
                        f"{len(c.only_in_candidate)} only in the candidate."]
        out.append("")
    return "\n".join(out)


def _md_cell(text: str) -> str:
    """Text safe in a Markdown table cell: no '|' splits it, no newline ends the row."""
    return text.replace("|", "\\|").replace("\n", " ")


def _notes_markdown(changes: Sequence[dict[str, Any]]) -> list[str]:
    """The scenarios whose notes differ (``compare.note_changes``): each note only one run has."""
    out = ["", f"### Notes differ ({len(changes)})", ""]
    if not changes:
        return out + ["none"]
    out += ["Their verdicts may not compare like for like: an action applied in one run only, or a different "
            "driver for the system under test.", "",
            "| scenario | family | base | cand | notes only in the baseline | notes only in the candidate |",
            "|---|---|---|---|---|---|"]
    return out + [f"| {r['scenario_id']} | {r['family']} | {r['baseline']} | {r['candidate']} | "
                  f"{_md_cell('<br>'.join(r['only_baseline']))} | {_md_cell('<br>'.join(r['only_candidate']))} |"
                  for r in changes]


def _notes_html(changes: Sequence[dict[str, Any]]) -> str:
    e = html.escape
    title = f"<h3>Notes differ ({len(changes)})</h3>"
    if not changes:
        return title + "<p>none</p>"
    rows = "".join(f"<tr><td>{e(r['scenario_id'])}</td><td>{e(r['family'])}</td><td>{r['baseline']}</td>"
                   f"<td>{r['candidate']}</td><td>{'<br>'.join(map(e, r['only_baseline']))}</td>"
                   f"<td>{'<br>'.join(map(e, r['only_candidate']))}</td></tr>" for r in changes)
    return (title + "<p>Their verdicts may not compare like for like: an action applied in one run only, or a "
            "different driver for the system under test.</p><table><tr><th>scenario</th><th>family</th><th>base</th>"
            f"<th>cand</th><th>notes only in the baseline</th><th>notes only in the candidate</th></tr>{rows}</table>")


def _boxplot(name: str, d: dict[str, list[float]]) -> str:
    """Two horizontal box plots (Tukey 1977, whiskers at min/max) as inline SVG."""
    lo = min(d["baseline"][0], d["candidate"][0])
    hi = max(d["baseline"][4], d["candidate"][4])
    span = hi - lo or 1.0
    X = lambda v: 90 + (v - lo) / span * 380  # noqa: E731
    parts = [f'<svg width="480" height="70" role="img" aria-label="{html.escape(name)}">']
    for row, (label, q, color) in enumerate((("baseline", d["baseline"], "#6e7781"), ("candidate", d["candidate"], "#0969da"))):
        y = 15 + row * 28
        parts.append(f'<text x="0" y="{y + 5}" font-size="11">{label}</text>'
                     f'<line x1="{X(q[0]):.1f}" x2="{X(q[4]):.1f}" y1="{y}" y2="{y}" stroke="{color}"/>'
                     f'<rect x="{X(q[1]):.1f}" y="{y - 8}" width="{max(1.0, X(q[3]) - X(q[1])):.1f}" height="16" '
                     f'fill="{color}33" stroke="{color}"/>'
                     f'<line x1="{X(q[2]):.1f}" x2="{X(q[2]):.1f}" y1="{y - 8}" y2="{y + 8}" stroke="{color}" stroke-width="2"/>')
    parts.append(f'<text x="90" y="68" font-size="10">{lo:.3g}</text><text x="440" y="68" font-size="10">{hi:.3g}</text></svg>')
    return "".join(parts)


def render_html(comparisons: Sequence[PairedComparison]) -> str:
    e = html.escape
    body = []
    for c in comparisons:
        s, m = c.score_test, c.pass_test
        body.append(f"<section><h2>{e(c.candidate)} vs {e(c.baseline)} (baseline)</h2>"
                    f"<p>{c.paired} paired scenarios; <b class=fail>{len(c.regressions)} regressed</b>, "
                    f"<b class=pass>{len(c.improvements)} improved</b>.</p><ul>"
                    f"<li>overall score: median difference {s['median_difference']:+.2f}, mean "
                    f"{s['mean_difference']:+.2f}; {e(s['test'])}: p = {e(_p(s['p_value']))}</li>"
                    f"<li>pass/fail: {e(m['test'])}: p = {e(_p(m['p_value']))}</li></ul>")
        rows = "".join(f"<tr><td>{e(f)}</td><td>{r['total']}</td><td>{_pct(r['baseline']['pass_rate'])}</td>"
                       f"<td>{_pct(r['candidate']['pass_rate'])}</td><td>{_num(r['baseline']['mean_score'])}</td>"
                       f"<td>{_num(r['candidate']['mean_score'])}</td></tr>" for f, r in c.families.items())
        body.append("<h3>Families</h3><table><tr><th>family</th><th>scenarios</th><th>pass rate base</th>"
                    f"<th>pass rate cand</th><th>score base</th><th>score cand</th></tr>{rows}</table>")
        for title, items in (("Regressions", c.regressions), ("Improvements", c.improvements)):
            rows = "".join(f"<tr><td>{e(r['scenario_id'])}</td><td>{e(r['family'])}</td><td>{r['baseline']}</td>"
                           f"<td>{r['candidate']}</td><td>{_num(r['score_baseline'])}</td><td>{_num(r['score_candidate'])}</td>"
                           f"<td>{e(', '.join(r['failed']))}</td></tr>" for r in items)
            body.append(f"<h3>{title} ({len(items)})</h3>" + (
                "<table><tr><th>scenario</th><th>family</th><th>base</th><th>cand</th><th>score base</th>"
                f"<th>score cand</th><th>failed</th></tr>{rows}</table>" if items else "<p>none</p>"))
        body.append(_notes_html(c.note_changes))
        if c.distributions:
            body.append("<h3>Metric distributions</h3>" + "".join(
                f"<div><b>{e(n)}</b><br>{_boxplot(n, d)}</div>" for n, d in c.distributions.items()))
        body.append("</section>")
    return ("<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>simplatform compare</title><style>"
            "body{font:14px system-ui,sans-serif;margin:20px;color:#1d2430}table{border-collapse:collapse}"
            "td,th{padding:3px 8px;border-bottom:1px solid #ddd;text-align:left}.pass{color:#1a7f37}"
            ".fail{color:#cf222e}section{margin-bottom:28px}</style></head><body><h1>simplatform compare</h1>"
            + "".join(body) + "</body></html>")
