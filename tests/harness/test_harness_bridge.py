"""The harness with stacks in other processes: same trajectory over rosbridge, and faults as error verdicts."""

from __future__ import annotations

import filecmp
import sys
from pathlib import Path

import pytest

import stack_scenario_files as files
from simplatform.bridge import StackConfig
from simplatform.harness import TestConfig, ros_stack, run_test
from simplatform.results import Verdict

FAULT_STACK = Path(__file__).with_name("harness_fault_stack.py")


def test_reference_stack_in_process_and_over_rosbridge_drive_identically(tmp_path):
    """The cut-in (AEB fires) run with the stack in-process and as a roslibpy process: same bytes."""
    scenario = files.cut_in(tmp_path, duration=5.0)
    local = run_test(scenario, TestConfig(out_dir=tmp_path / "inprocess"))
    remote = run_test(scenario, TestConfig(out_dir=tmp_path / "rosbridge", stack=ros_stack()))
    assert local.verdict is Verdict.PASS and remote.verdict is Verdict.PASS, remote.error
    assert remote.steps == local.steps >= 500
    assert local.metrics["decel_max"] > 8.0  # the run exercised AEB, not just cruising
    assert filecmp.cmp(tmp_path / "inprocess" / "cut_in.csv", tmp_path / "rosbridge" / "cut_in.csv", shallow=False)
    assert Path(remote.artifacts["stack_log"]).is_file()


EXPECTED = {
    "crash": "exited with code 3",
    "hang": "no control from the stack for step 5",
    "garbage": "refused",
    "wrong_step": "sent the control for step 0",
    "disconnect": "disconnected",
}


@pytest.fixture(scope="module")
def short_scenario(tmp_path_factory):
    return files.straight(tmp_path_factory.mktemp("fault"), duration=1.0)


STEP_TIMEOUT_S = {"hang": 3.0, "garbage": 3.0}
"""The step timeout per mode. The five good steps before the fault must each beat it on a loaded CI machine
(a Python process answering over a socket: 1-20 ms measured under load 5 on 2 cores); where the fault ends
the run by itself (an exit, a wrong stamp, a disconnect) nothing waits for it, so it is generous; where the
fault is silence it is the wait the test spends."""


@pytest.mark.parametrize("mode", sorted(EXPECTED))
def test_a_misbehaving_stack_process_ends_its_scenario_with_an_error_verdict(mode, short_scenario, tmp_path):
    stack = StackConfig(transport="rosbridge", command=[sys.executable, str(FAULT_STACK), mode],
                        step_timeout=STEP_TIMEOUT_S.get(mode, 30.0), connect_timeout=60.0)
    result = run_test(short_scenario, TestConfig(stack=stack, out_dir=tmp_path))
    assert result.verdict is Verdict.ERROR
    assert result.end_reason == "stack_error"
    assert "stack fault at t=0.050 s (step 5)" in result.error
    assert EXPECTED[mode] in result.error, result.error
    assert result.steps == 5 and result.metrics  # what ran is still measured


def test_the_next_scenario_runs_after_a_stack_fault(short_scenario, tmp_path):
    crash = StackConfig(transport="rosbridge", command=[sys.executable, str(FAULT_STACK), "crash"])
    assert run_test(short_scenario, TestConfig(stack=crash, out_dir=tmp_path / "a")).verdict is Verdict.ERROR
    after = run_test(short_scenario, TestConfig(out_dir=tmp_path / "b"))
    assert after.verdict is Verdict.PASS and after.steps >= 100 and not after.error


def test_an_in_process_stack_that_raises_is_an_error_verdict_too(short_scenario):
    result = run_test(short_scenario, TestConfig(stack_parameters={"no_such_gain": 1.0}))
    assert result.verdict is Verdict.ERROR and result.steps == 0
    assert "no_such_gain" in result.error
