"""Lockstep over rosbridge: the stack is stepped deterministically, and every fault is a clear error.

A suite runner catches StackError/StackTimeout per scenario (an *error* verdict)
and goes on; these tests run scenarios the way it does.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import pytest

from bridge_helpers import fault_stack, python_stack, stack_env
from simplatform.bridge import StackConfig, StackSetup, TopicRegistry, observations, open_stack
from simplatform.bridge.msgs import Odometry, Point, Pose, PoseWithCovariance, Quaternion, Twist, TwistWithCovariance, Vector3
from simplatform.control import AckermannCommand
from simplatform.errors import StackError, StackTimeout

DT = 0.01


def socket_config(command, **kw) -> StackConfig:
    return StackConfig(transport="rosbridge", command=command, env=stack_env(),
                       step_timeout=kw.pop("step_timeout", 2.0), connect_timeout=kw.pop("connect_timeout", 20.0), **kw)


def run_scenario(config: StackConfig, tmp_path: Path, steps: int = 50) -> tuple[list, dict]:
    """A miniature scenario: a point-mass ego that follows the commands; returns the commands."""
    registry = TopicRegistry.from_rig([])
    session = open_stack(config, registry, log_dir=tmp_path)
    commands = []
    x = y = yaw = v = 0.0
    try:
        session.setup(StackSetup(topics=registry, dt=DT))
        for k in range(steps):
            odom = Odometry(pose=PoseWithCovariance(pose=Pose(position=Point(x, y, 0.0),
                                                              orientation=Quaternion.from_euler(0, 0, yaw))),
                            twist=TwistWithCovariance(twist=Twist(linear=Vector3(v, 0.0, 0.0))))
            cmd = session.step({"/clock": observations.clock(k * DT), "/ego/odometry": odom})
            commands.append(cmd)
            if isinstance(cmd, AckermannCommand):
                v += cmd.acceleration * DT
                yaw += v / 2.8 * math.tan(cmd.steering_angle) * DT
                x += v * math.cos(yaw) * DT
                y += v * math.sin(yaw) * DT
    finally:
        session.close()
    return commands, session.artifacts


def test_the_same_stack_in_process_and_over_rosbridge_gives_identical_controls(tmp_path):
    in_process, _ = run_scenario(StackConfig(stack_class="bridge_toy_stack:ToyStack"), tmp_path, steps=200)
    over_socket, artifacts = run_scenario(socket_config(python_stack("bridge_toy_stack:ToyStack")), tmp_path,
                                          steps=200)
    assert len(in_process) == 200 and in_process == over_socket
    assert in_process[-1].steering_angle != in_process[0].steering_angle  # the loop really was closed
    assert Path(artifacts["stack_log"]).exists()


# the step timeout: 3 s where silence is the fault (hang, garbage), 30 s where the fault ends the run
# itself — a loaded machine may take seconds to answer step 0, which must not read as the fault
@pytest.mark.parametrize("mode, timeout, error, words", [
    ("crash", 30.0, StackError, ["exited with code 3", "step 1", "segmentation fault (simulated)"]),
    ("hang", 3.0, StackTimeout, ["no control from the stack for step 1", "within 3 s"]),
    ("garbage", 3.0, StackTimeout, ["step 0", "malformed JSON frame"]),
    ("wrong_step", 30.0, StackError, ["control for step 0 (t=0.000 s) while waiting for step 1 (t=0.010 s)"]),
    ("bad_control", 30.0, StackError, ["unusable control on /ego/control", "drive.speed"]),
    ("disconnect", 30.0, StackError, ["the stack disconnected (code 100", "closed", "step 1"]),
    ("exit_early", 30.0, StackError, ["exited with code 2", "cannot load planner config"]),
])
def test_a_faulty_stack_ends_its_scenario_with_a_clear_error(tmp_path, mode, timeout, error, words):
    with pytest.raises(error) as err:
        run_scenario(socket_config(fault_stack(mode), step_timeout=timeout), tmp_path)
    for w in words:
        assert w in str(err.value)
    assert "fault stack starting" in (tmp_path / "stack.log").read_text()  # the log is kept


def test_a_stack_that_never_connects_is_a_timeout(tmp_path):
    with pytest.raises(StackTimeout, match="did not connect and subscribe to /clock within 1 s"):
        run_scenario(socket_config(fault_stack("silent"), connect_timeout=1.0), tmp_path)


def test_after_a_failed_scenario_the_next_one_runs(tmp_path):
    verdicts = []
    for i, command in enumerate([fault_stack("crash"), python_stack("bridge_toy_stack:ToyStack")]):
        try:
            commands, _ = run_scenario(socket_config(command), tmp_path / str(i), steps=20)
            verdicts.append(("ran", len(commands)))
        except StackError as exc:
            verdicts.append(("error", type(exc).__name__))
    assert verdicts == [("error", "StackError"), ("ran", 20)]


def test_free_running_mode_uses_the_latest_control_without_waiting(tmp_path):
    started = time.monotonic()
    commands, _ = run_scenario(socket_config(python_stack("bridge_toy_stack:ToyStack"), mode="free",
                                             real_time_factor=2.0), tmp_path, steps=100)
    assert commands[0] is None  # nothing received yet at the first step: free running never waits
    assert isinstance(commands[-1], AckermannCommand)
    assert time.monotonic() - started >= 0.99 * 0.5  # 1 s of simulation at twice real time


def test_free_running_never_applies_a_control_computed_from_the_same_steps_observations(tmp_path):
    # 40 ms of wall time per step: ample for the stack to answer each step before the next one.
    # Step k must still use an answer to an earlier step (a real stack's one-step latency), not
    # the answer to its own observations, or a fast stack would act on the future.
    commands, _ = run_scenario(socket_config(python_stack("bridge_toy_stack:ClockEchoStack"), mode="free",
                                             real_time_factor=0.25), tmp_path, steps=12)
    assert commands[0] is None
    answered = [(k, round(c.steering_angle / 0.001 / DT)) for k, c in enumerate(commands) if c is not None]
    assert answered and all(produced_by < k for k, produced_by in answered), answered


def test_in_process_faults_are_stack_errors_too(tmp_path):
    with pytest.raises(StackError, match="step\\(\\) raised ZeroDivisionError"):
        run_scenario(StackConfig(stack_class="bridge_toy_stack:BrokenStack"), tmp_path)
    with pytest.raises(StackError, match="control for step 0 .* while waiting for step 1"):
        run_scenario(StackConfig(stack_class="bridge_toy_stack:StaleStack"), tmp_path)
