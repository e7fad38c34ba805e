"""Reference stacks that record which topics they were given, for the lazy-sensor tests."""

from __future__ import annotations

from typing import Any, Mapping

from simplatform.stacks import ReferenceStack


class TopicsStack(ReferenceStack):
    """Inherits the reference stack's declaration, which the harness does not apply to a subclass."""

    seen: set[str] = set()

    def step(self, observations: Mapping[str, Any]) -> Any:
        type(self).seen.update(observations)
        return super().step(observations)


class NarrowTopicsStack(TopicsStack):
    """Declares its own sensor subscriptions: object lists only."""

    subscribed_sensor_types = frozenset({"vision_msgs/msg/Detection3DArray"})
    seen: set[str] = set()
