"""The reference stack with a recorder: what it was given and what it decided, for the V2X tests."""

from __future__ import annotations

from typing import Any, Mapping

from simplatform.bridge.msgs import Detection3DArray, String
from simplatform.stacks import ReferenceStack


class RecordingStack(ReferenceStack):
    """Records per step: time, ego speed, planned acceleration and reason, the V2X documents received
    and the ids the object list reported."""

    last: "RecordingStack | None" = None

    def __init__(self, **parameters: Any) -> None:
        super().__init__(**parameters)
        RecordingStack.last = self
        self.steps: list[tuple[float, float, float, str]] = []
        self.v2x_received: list[tuple[float, str, String]] = []
        self.seen: dict[str, float] = {}
        """Object-list id → first time it was reported."""

    def step(self, observations: Mapping[str, Any]) -> Any:
        out = super().step(observations)
        now = observations["/clock"].clock.to_seconds()
        for topic, msg in observations.items():
            if topic.startswith("/v2x/"):
                self.v2x_received.append((now, topic, msg))
            elif isinstance(msg, Detection3DArray):
                for d in msg.detections:
                    self.seen.setdefault(d.id, now)
        odometry = observations.get("/ego/odometry")
        speed = odometry.twist.twist.linear.x if odometry is not None else 0.0
        if self.plan is not None:
            self.steps.append((now, speed, self.plan.accel, self.plan.reason))
        return out

    def first_braking(self, decel: float = 1.0) -> float:
        """When the plan first asked for at least ``decel`` m/s² of braking (inf: never)."""
        return next((t for t, _, a, _ in self.steps if a <= -decel), float("inf"))
