"""``--resume`` finishes a run with the settings it was started with, so options that define a run are refused.

Before, ``simplatform run --resume RUN_DIR --ego Car1`` (or ``--stack``, ``--requirements``, a filter)
silently resumed with the stored settings, and a user believed the option had taken effect.
"""

from __future__ import annotations

import pytest

from simplatform.cli import main


@pytest.mark.parametrize("extra, named", [
    (["--ego", "Car1"], "--ego"),
    (["--stack", "reference"], "--stack"),
    (["--family", "typical", "--per-logical", "2"], "--family, --per-logical"),
    (["--route-length", "500"], "--route-length"),
])
def test_resume_refuses_options_that_define_the_run(tmp_path, capsys, extra, named):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    assert main(["run", "--resume", str(run_dir), *extra]) == 2
    err = capsys.readouterr().err
    assert f"drop {named}" in err and "settings it was started with" in err and "Traceback" not in err


def test_resume_still_takes_execution_options(tmp_path, capsys):
    # the run directory does not exist: the error is about it, not about --jobs/--executor
    assert main(["run", "--resume", str(tmp_path / "nothing"), "--jobs", "1", "--executor", "sequential"]) == 2
    assert "drop" not in capsys.readouterr().err
