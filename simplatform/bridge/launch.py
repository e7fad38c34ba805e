"""Start, watch and stop the process of a stack under test (any language).

The command runs in its own process group (``start_new_session``) so that
stopping it also stops what it spawned (a ``ros2 launch`` tree, a shell
script's children): SIGTERM to the group, then SIGKILL after a grace period —
the same escalation ``ros2 launch`` uses for its own processes.  stdout and
stderr go to one log file that is kept with the scenario result; the tail of
that log is quoted in the error when the process dies.

The process learns where to connect from its environment:
``SIMPLATFORM_BRIDGE_URL`` (``ws://host:port``), ``SIMPLATFORM_BRIDGE_HOST``,
``SIMPLATFORM_BRIDGE_PORT`` and, when authentication is on,
``SIMPLATFORM_BRIDGE_TOKEN``.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
from pathlib import Path
from typing import IO, Mapping, Sequence

from ..errors import ConfigError, StackError

KILL_REAP_S = 5.0
"""How long ``stop`` waits for a SIGKILLed process to be reaped before it closes the log anyway."""


def parse_command(command: str | Sequence[str]) -> list[str]:
    """A launch file may give the command as one string (split like a POSIX shell) or as a list."""
    args = shlex.split(command) if isinstance(command, str) else [str(a) for a in command]
    if not args:
        raise ConfigError("the stack command is empty", element="stack.command")
    return args


class StackProcess:
    def __init__(
        self,
        command: str | Sequence[str],
        *,
        log_path: str | Path,
        env: Mapping[str, str] | None = None,
        cwd: str | Path | None = None,
    ) -> None:
        self.args = parse_command(command)
        self.log_path = Path(log_path)
        self.env = dict(env or {})
        self.cwd = Path(cwd) if cwd is not None else None
        self._proc: subprocess.Popen | None = None
        self._log: IO[bytes] | None = None

    def start(self, bridge_env: Mapping[str, str] | None = None) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "wb")
        env = {**os.environ, **self.env, **(bridge_env or {})}
        try:
            self._proc = subprocess.Popen(
                self.args, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env=env, cwd=self.cwd, start_new_session=True,
            )
        except OSError as exc:
            self._log.close()
            raise StackError(f"cannot start the stack command {shlex.join(self.args)!r}: {exc}") from None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def poll(self) -> int | None:
        """The exit code once the process has ended, else None."""
        return self._proc.poll() if self._proc is not None else None

    def check_alive(self, context: str) -> None:
        """Raise :class:`StackError` with the exit code and the log tail when the process has ended."""
        code = self.poll()
        if code is not None:
            raise StackError(f"the stack process exited with {describe_exit(code)} {context}"
                             f" (command: {shlex.join(self.args)}; log: {self.log_path})"
                             + self._tail_text())

    def _tail_text(self) -> str:
        tail = self.log_tail()
        return ("\nlast lines of its log:\n" + tail) if tail else "\nits log is empty"

    def log_tail(self, lines: int = 15) -> str:
        if self._log is not None:
            self._log.flush()
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.rstrip().splitlines()[-lines:])

    def stop(self, grace_s: float = 2.0) -> int | None:
        """SIGTERM the process group, SIGKILL it after ``grace_s``; returns the exit code."""
        proc = self._proc
        if proc is None:
            return None
        if proc.poll() is None:
            self._signal_group(signal.SIGTERM)
            try:
                proc.wait(grace_s)
            except subprocess.TimeoutExpired:
                self._signal_group(signal.SIGKILL)
                try:
                    proc.wait(max(grace_s, KILL_REAP_S))
                except subprocess.TimeoutExpired:  # not reaped yet (a loaded machine): the log still closes
                    pass
        else:
            self._signal_group(signal.SIGKILL)  # orphans the stack may have left in its group
        if self._log is not None:
            self._log.close()
            self._log = None
        return proc.returncode

    def _signal_group(self, sig: int) -> None:
        try:
            os.killpg(self._proc.pid, sig)  # type: ignore[union-attr]
        except (ProcessLookupError, PermissionError):
            pass


def describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"signal {signal.Signals(-code).name}"
        except ValueError:
            return f"signal {-code}"
    return f"code {code}"
