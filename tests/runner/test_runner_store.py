"""The results store: kill -9 mid-run, resume, and the final results equal an uninterrupted run's."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from simplatform.cli import main
from simplatform.runner import ResultsStore


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "simplatform.cli", "run", *args]


HOLD_AFTER = 3
_HOLDING_CLI = f"""
import sys, threading
from simplatform.runner import store
from simplatform.cli import main

real_put = store.ResultsStore.put

def put(self, *args, **kwargs):
    real_put(self, *args, **kwargs)
    if self.db.execute("SELECT count(*) FROM results").fetchone()[0] >= {HOLD_AFTER}:
        threading.Event().wait()          # hold the run mid-suite, until the test kills it

store.ResultsStore.put = put
sys.exit(main(["run", *sys.argv[1:]]))
"""
"""``simplatform run`` that stops after storing its third result: the test kills it there, not at whatever
point a race between its scenarios and the test's polling reached (on a loaded machine the poller could
look only after the last scenario, and the run had finished before the kill)."""


def _stored(run_dir: Path) -> int:
    try:
        with sqlite3.connect(run_dir / "results.sqlite") as db:
            return db.execute("SELECT count(*) FROM results").fetchone()[0]
    except sqlite3.Error:
        return 0


@pytest.fixture(scope="module")
def resume_suite(tmp_path_factory, request):
    files = sys.modules["runner_suite_files"]
    return files.make_suite(tmp_path_factory.mktemp("resume"), n_brake=4, n_cruise=4, duration=2.0)


def test_kill_9_halfway_then_resume_equals_an_uninterrupted_run(resume_suite, tmp_path, comparable):
    killed = tmp_path / "killed"
    common = ["--suite", str(resume_suite), "--stack", "none", "--seed", "5", "--jobs", "1", "--trace-hz", "0", "--quiet"]
    proc = subprocess.Popen([sys.executable, "-c", _HOLDING_CLI, *common, "--run-dir", str(killed)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 240                        # generous: only a broken run takes it
    while _stored(killed) < HOLD_AFTER and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert proc.poll() is None, proc.stderr.read().decode()
    os.killpg(proc.pid, signal.SIGKILL)  # the runner and its workers, no chance to clean up
    proc.wait()
    half = _stored(killed)
    assert half == HOLD_AFTER
    assert main(["run", "--resume", str(killed), "--quiet"]) == 1  # some scenarios fail
    full = tmp_path / "full"
    assert main(["run", *common, "--executor", "sequential", "--run-dir", str(full)]) == 1
    a, b = ResultsStore(killed), ResultsStore(full)
    try:
        assert [comparable(r) for r in a.results()] == [comparable(r) for r in b.results()]
        assert len(a.results()) == 8 and a.meta()["finished"]
    finally:
        a.close()
        b.close()
    # JUnit: one testcase per scenario, failures carry the failed requirements
    cases = ET.parse(killed / "junit.xml").getroot().iter("testcase")
    failures = {c.get("name"): c.find("failure") for c in cases}
    assert len(failures) == 8
    assert "SAF-2" in failures["brake.000"].get("message") and failures["cruise.000"] is None


def test_resume_of_a_finished_run_reruns_nothing_and_a_used_dir_is_refused(small_suite, tmp_path, capsys):
    run_dir = tmp_path / "r"
    args = ["run", "--suite", str(small_suite), "--id", "cruise.*", "--executor", "sequential", "--trace-hz", "0",
            "--run-dir", str(run_dir), "--quiet"]
    assert main(args) == 0
    assert main(["run", "--resume", str(run_dir), "--quiet"]) == 0
    assert "ran 0, reused 2" in capsys.readouterr().out
    assert main(args) == 2
    assert "already holds a run" in capsys.readouterr().err
    assert main(["run", "--resume", str(tmp_path / "nothing")]) == 2


def test_bad_filters_and_requirement_sets_are_usage_errors(small_suite, tmp_path, capsys):
    assert main(["run", "--suite", str(small_suite), "--family", "nope", "--run-dir", str(tmp_path / "x")]) == 2
    assert "no scenario matches" in capsys.readouterr().err
    bad = tmp_path / "bad.yaml"
    bad.write_text("requirements:\n  - id: X\n    check: ttc_minn >= 1\n")
    assert main(["run", "--suite", str(small_suite), "--requirements", str(bad), "--run-dir", str(tmp_path / "y")]) == 2
    err = capsys.readouterr().err
    assert "bad.yaml:3" in err and "ttc_minn" in err
    assert main(["run", "--suite", str(small_suite), "--stack", "no_such_stack", "--run-dir", str(tmp_path / "z")]) == 2
    assert "no_such_stack" in capsys.readouterr().err
    launch = tmp_path / "l.yaml"
    launch.write_text(f"suite: {{index: {small_suite}}}\nstack: reference\n")
    assert main(["run", str(launch), "--stack", "no_such_stack", "--run-dir", str(tmp_path / "w")]) == 2  # overrides
    assert "no_such_stack" in capsys.readouterr().err


def test_the_summary_names_each_failed_requirement_with_value_threshold_and_time(small_suite, tmp_path, capsys):
    code = main(["run", "--suite", str(small_suite), "--stack", "none", "--id", "brake.000", "--executor",
                 "sequential", "--trace-hz", "0", "--reports", "junit", "--run-dir", str(tmp_path / "r")])
    out = capsys.readouterr().out
    assert code == 1
    assert "1 scenarios: 0 pass, 1 fail, 0 error" in out
    line = next(x for x in out.splitlines() if "SAF-2" in x)  # metrics.format_verdicts: id, check, value, time
    assert "FAIL" in line and "ttc_min = " in line and "required >= 1 s" in line and " at t=" in line
    assert "SAF-1" not in out  # a met requirement is not listed
    assert f"junit      {tmp_path / 'r' / 'junit.xml'}" in out
