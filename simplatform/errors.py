"""One error hierarchy for the whole platform.

Why one hierarchy: the CLI and the suite runner must tell a user's mistake
(bad file, bad parameter: exit 2, a clear message, no traceback) from a fault
of ours (exit 3) and from a verdict (exit 1).  Every error about an input names
where it is — file, line, element — and why it is wrong, the way a compiler does.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


EXIT_OK = 0
EXIT_VERDICT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 3


@dataclass(frozen=True)
class SourceLocation:
    """Where in an input a problem sits: file, 1-based line, XML element or YAML key."""

    file: str | None = None
    line: int | None = None
    element: str | None = None

    def __str__(self) -> str:
        parts = []
        if self.file:
            parts.append(str(self.file) + (f":{self.line}" if self.line else ""))
        elif self.line:
            parts.append(f"line {self.line}")
        if self.element:
            parts.append(f"<{self.element}>" if not self.element.startswith("<") else self.element)
        return " ".join(parts)


class SimplatformError(Exception):
    """Base of every error the platform raises on purpose."""

    exit_code = EXIT_INTERNAL


class InputError(SimplatformError):
    """Something a user gave us is wrong; the message says where and why.

    ``cause`` is the human sentence; ``file``, ``line`` and ``element`` locate it.
    """

    exit_code = EXIT_BAD_INPUT

    def __init__(
        self,
        cause: str,
        *,
        file: str | Path | None = None,
        line: int | None = None,
        element: str | None = None,
    ) -> None:
        self.cause = cause
        self.location = SourceLocation(
            str(file) if file is not None else None, line, element
        )
        super().__init__(self._render())

    def _render(self) -> str:
        where = str(self.location)
        return f"{where}: {self.cause}" if where else self.cause

    @classmethod
    def at(cls, node, cause: str, *, file: str | Path | None = None) -> "InputError":
        """Build the error for an lxml element: its line and tag come from the node."""
        tag = None
        line = None
        if node is not None:
            line = getattr(node, "sourceline", None)
            raw_tag = getattr(node, "tag", None)
            if isinstance(raw_tag, str):
                tag = raw_tag.split("}")[-1]
            if file is None:
                base = getattr(node, "base", None)
                if base:
                    file = base
        return cls(cause, file=file, line=line, element=tag)


class RoadNetworkError(InputError):
    """A bad OpenDRIVE file or a query that names a road/lane it does not have."""


class ScenarioError(InputError):
    """A bad OpenSCENARIO file: schema, reference, parameter, value."""


class CatalogError(ScenarioError):
    """A catalog that cannot be found, is cyclic, or lacks the named entry."""


class ParameterError(ScenarioError):
    """A parameter without value, with the wrong type, or an expression that fails."""


class RequirementError(InputError):
    """A requirement expression that names an unknown metric or operator."""


class ConfigError(InputError):
    """A bad launch file, sensor rig, requirement set or command-line value."""


class EngineError(SimplatformError):
    """The engine reached a state it cannot go on from (a fault of ours or of a model)."""


class BackendError(SimplatformError):
    """A simulation backend (native or CARLA) failed or could not be reached."""


class BridgeError(SimplatformError):
    """The bridge to the stack under test failed: protocol, transport, launch."""


class StackError(BridgeError):
    """The stack under test crashed, disconnected, or sent something unusable."""


class StackTimeout(StackError):
    """The stack did not answer within the lockstep timeout; an error verdict, not a fail."""
