"""The Backend protocol (DESIGN.md): who moves the entities the engine does not.

``load(road, entities)`` prepares the simulator; ``apply(actor, command)``
hands it a ``Control`` or ``AckermannCommand`` for a model-driven actor;
``step(dt)`` advances it and returns the world; ``close()`` frees it.
"""

from __future__ import annotations

from typing import Protocol

from simplatform.control import AckermannCommand, Control
from simplatform.world import WorldSnapshot


class Backend(Protocol):
    def load(self, road, entities) -> None: ...
    def apply(self, actor: str, command: Control | AckermannCommand) -> None: ...
    def step(self, dt: float) -> WorldSnapshot: ...
    def close(self) -> None: ...
