"""The stack process: started with the bridge environment, logged, stopped even when it resists."""

from __future__ import annotations

import sys
import time

import pytest

from simplatform.bridge import StackProcess
from simplatform.bridge.inprocess import load_stack
from simplatform.bridge.launch import parse_command
from simplatform.errors import ConfigError, StackError


def py(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def test_the_process_gets_the_bridge_environment_and_its_output_is_logged(tmp_path):
    proc = StackProcess(py("import os; print('url', os.environ['SIMPLATFORM_BRIDGE_URL'], os.environ['MY_VAR'])"),
                        log_path=tmp_path / "stack.log", env={"MY_VAR": "42"})
    proc.start({"SIMPLATFORM_BRIDGE_URL": "ws://127.0.0.1:9"})
    while proc.poll() is None:
        time.sleep(0.01)
    assert proc.stop() == 0
    assert (tmp_path / "stack.log").read_text().strip() == "url ws://127.0.0.1:9 42"


def test_a_dead_process_is_reported_with_its_exit_code_and_log_tail(tmp_path):
    proc = StackProcess(py("import sys; print('boom: no map'); sys.exit(7)"), log_path=tmp_path / "s.log")
    proc.start()
    while proc.poll() is None:
        time.sleep(0.01)
    with pytest.raises(StackError, match=r"(?s)exited with code 7 at step 4 .*boom: no map"):
        proc.check_alive("at step 4")


def test_a_process_that_ignores_sigterm_is_killed_after_the_grace_period(tmp_path):
    code = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ready', flush=True); time.sleep(60)"
    proc = StackProcess(py(code), log_path=tmp_path / "s.log")
    proc.start()
    while "ready" not in (tmp_path / "s.log").read_text():
        time.sleep(0.01)
    started = time.monotonic()
    assert proc.stop(grace_s=0.3) == -9                     # SIGKILL: SIGTERM was ignored
    # the grace period was waited (a lower bound no load can break); the upper bound only says stop() did
    # not wait for the process's own 60 s, with room for a loaded machine
    assert 0.29 < time.monotonic() - started < 30.0


def test_a_command_that_cannot_start_is_a_stack_error(tmp_path):
    with pytest.raises(StackError, match="cannot start the stack command"):
        StackProcess(["/nonexistent/stack_binary"], log_path=tmp_path / "s.log").start()


def test_commands_are_strings_split_like_a_shell_or_lists():
    assert parse_command("ros2 launch my_stack 'a b'.py") == ["ros2", "launch", "my_stack", "a b.py"]
    assert parse_command(["./stack", 3]) == ["./stack", "3"]
    with pytest.raises(ConfigError):
        parse_command("")


def test_stack_classes_are_named_module_colon_class():
    assert type(load_stack("bridge_toy_stack:ToyStack")).__name__ == "ToyStack"
    with pytest.raises(ConfigError, match="module:Class"):
        load_stack("bridge_toy_stack.ToyStack")
    with pytest.raises(ConfigError, match="cannot import"):
        load_stack("no_such_module_xyz:Stack")
    with pytest.raises(ConfigError, match="has no 'Nope'"):
        load_stack("bridge_toy_stack:Nope")
