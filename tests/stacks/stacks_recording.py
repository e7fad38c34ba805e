"""An in-process reference stack that records what it was given and answered, for replays in the tests."""

from __future__ import annotations

from typing import Any, Mapping

from simplatform.bridge.msgs import AckermannDriveStamped
from simplatform.stacks import ReferenceStack


class RecordingReferenceStack(ReferenceStack):
    """Declares no topics of its own (declarations are not inherited), so the harness hands it every topic."""

    records: list[dict[str, Any]] = []

    def setup(self, setup: Any) -> None:
        self.record = {"init": dict(self._init_parameters), "setup": setup, "observations": [], "answers": []}
        type(self).records.append(self.record)
        super().setup(setup)

    def step(self, observations: Mapping[str, Any]) -> AckermannDriveStamped:
        answer = super().step(observations)
        self.record["observations"].append(dict(observations))
        self.record["answers"].append(answer)
        return answer
