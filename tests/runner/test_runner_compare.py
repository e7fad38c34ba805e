"""Two runs of one suite compared: regressions found, tests computed, Markdown and HTML written."""

from __future__ import annotations

import pytest

from simplatform.cli import main
from simplatform.runner.compare import compare_runs, mcnemar_exact, wilcoxon_scores


def test_mcnemar_exact_and_wilcoxon_match_textbook_values():
    # 6 discordant pairs all one way: two-sided exact p = 2 * 0.5**6
    assert mcnemar_exact([True] * 6 + [False] * 4, [False] * 6 + [False] * 4)["p_value"] == pytest.approx(0.03125)
    assert mcnemar_exact([True, False], [True, False])["p_value"] == 1.0
    # differences 1..8 all positive: exact two-sided p = 2 / 2**8
    res = wilcoxon_scores([0.0] * 8, [float(k) for k in range(1, 9)])
    assert res["p_value"] == pytest.approx(2 / 256) and res["median_difference"] == 4.5
    assert wilcoxon_scores([1.0, 2.0], [1.0, 2.0])["p_value"] == 1.0


def test_compare_finds_the_regressions_of_a_stricter_candidate(small_suite, tmp_path, capsys):
    base, cand = tmp_path / "base", tmp_path / "cand"
    common = ["run", "--suite", str(small_suite), "--stack", "none", "--executor", "sequential", "--trace-hz", "0", "--quiet",
              "--reports", "json"]
    assert main([*common, "--run-dir", str(base)]) == 1
    strict = tmp_path / "strict.yaml"  # the candidate "stack" is judged stricter: cruise now fails too
    strict.write_text("requirements:\n  - id: SPD-1\n    check: speed_max <= 10\n")
    assert main([*common, "--requirements", str(strict), "--run-dir", str(cand)]) == 1
    (c,) = compare_runs([base, cand])
    assert c.paired == 4
    assert [r["scenario_id"] for r in c.regressions] == ["cruise.000", "cruise.001"]
    assert c.regressions[0]["failed"] == ["SPD-1"] and c.improvements == []
    assert c.families["cruise"]["baseline"]["pass_rate"] == 1.0 and c.families["cruise"]["candidate"]["pass_rate"] == 0.0
    assert c.pass_test["regressed"] == 2 and c.pass_test["p_value"] == pytest.approx(0.5)
    md, page = tmp_path / "cmp.md", tmp_path / "cmp.html"
    assert main(["compare", str(base), str(cand), "--markdown", str(md), "--html", str(page),
                 "--fail-on-regression"]) == 1
    text = md.read_text()
    assert "### Regressions (2)" in text and "| cruise.000 | cruise | pass | fail |" in text
    assert "Wilcoxon" in text and "McNemar" in text
    assert "<svg" in page.read_text() and "cruise.001" in page.read_text()
