"""The in-process transport: a Python stack class, named ``module:Class``, called directly.

It follows the same rules as the socket transport so the two are
interchangeable: the same observation dicts go in, a stamped control must
carry the clock of the step it answers, and faults become
:class:`~simplatform.errors.StackError` with what happened.
"""

from __future__ import annotations

import importlib
import traceback
from typing import Any, Mapping

from ..errors import ConfigError, StackError
from .controls import EngineCommand, stamp_of, to_engine_command
from .msgs import Clock, Time
from .stack import StackSetup
from .topics import CLOCK


def load_stack(spec: str, **kwargs: Any) -> Any:
    """Import ``module:Class`` (``module.sub:Class`` too) and instantiate it with ``kwargs``."""
    module_name, sep, class_name = spec.partition(":")
    if not sep or not module_name or not class_name:
        raise ConfigError(f"a stack class is named 'module:Class', got {spec!r}", element="stack.class")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(f"cannot import stack module {module_name!r}: {exc}", element="stack.class") from None
    obj: Any = module
    for part in class_name.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            raise ConfigError(f"module {module_name!r} has no {class_name!r}", element="stack.class")
    try:
        stack = obj(**kwargs)
    except Exception as exc:  # the user's constructor: any failure is theirs to read
        raise StackError(f"constructing {spec} failed: {exc!r}\n{_tail(exc)}") from exc
    for method in ("setup", "step"):
        if not callable(getattr(stack, method, None)):
            raise ConfigError(f"{spec} has no {method}() method; a stack needs setup(setup) and "
                              "step(observations)", element="stack.class")
    return stack


def _tail(exc: BaseException, lines: int = 8) -> str:
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return "\n".join(text.rstrip().splitlines()[-lines:])


def clock_of(observations: Mapping[str, Any]) -> Time:
    clock = observations.get(CLOCK)
    if not isinstance(clock, Clock):
        raise StackError(f"observations of a step must hold {CLOCK} (rosgraph_msgs/Clock)")
    return clock.clock


def check_stamp(msg: Any, expected: Time, step: int, stamps: Mapping[int, int], *, source: str) -> None:
    """Lockstep rule: a stamped control answers the step whose clock it carries, and no other.

    Stamp 0 while the clock is past 0 is a control that carries no ``header.stamp`` (over rosbridge: a
    header left out of the message, which keeps stamp 0 as rosbridge leaves it); it is refused with
    that said, not taken as a late answer to step 0 nor stamped with whatever time the server had."""
    stamp = stamp_of(msg)
    if stamp is None or stamp is expected or stamp == expected:  # a stack usually answers with the clock's own stamp
        return
    other = stamps.get(stamp.to_nanoseconds())
    waiting = f"while waiting for step {step} (t={expected.to_seconds():.3f} s)"
    if stamp.sec == 0 and stamp.nanosec == 0:
        what = (f"the control for step {other} (t=0.000 s) {waiting}, or a control that carries no header.stamp"
                if other is not None else f"a control that carries no header.stamp (stamp 0) {waiting}")
        raise StackError(f"{source} sent {what}: lockstep needs header.stamp = that step's {CLOCK} "
                         f"({{sec: {expected.sec}, nanosec: {expected.nanosec}}}); over rosbridge a header left out "
                         "of the message is not stamped: copy each /clock into the control's header.stamp")
    if other is not None:
        raise StackError(f"{source} sent the control for step {other} (t={stamp.to_seconds():.3f} s) {waiting}")
    raise StackError(f"{source} sent a control stamped t={stamp.to_seconds():.9f} s, which is no step's clock, "
                     f"{waiting}")


class InProcessStack:
    """A :class:`~simplatform.bridge.stack.StackSession` around a Python stack object."""

    def __init__(self, stack: Any) -> None:
        self.stack = stack
        self.artifacts: dict[str, str] = {}
        self._step = 0
        self._stamps: dict[int, int] = {}

    def setup(self, setup: StackSetup) -> None:
        try:
            self.stack.setup(setup)
        except Exception as exc:
            raise StackError(f"the stack's setup() raised {exc!r}\n{_tail(exc)}") from exc

    def step(self, observations: Mapping[str, Any]) -> EngineCommand:
        expected = clock_of(observations)
        self._stamps[expected.to_nanoseconds()] = self._step
        try:
            answer = self.stack.step(observations)
        except Exception as exc:
            raise StackError(f"the stack's step() raised {exc!r} at step {self._step} "
                             f"(t={expected.to_seconds():.3f} s)\n{_tail(exc)}") from exc
        if answer is None:
            raise StackError(f"the stack's step() returned no control at step {self._step}")
        check_stamp(answer, expected, self._step, self._stamps, source="the stack")
        self._step += 1
        return to_engine_command(answer)

    def close(self) -> None:
        close = getattr(self.stack, "close", None)
        if callable(close):
            try:
                close()
            except Exception as exc:
                raise StackError(f"the stack's close() raised {exc!r}") from exc
