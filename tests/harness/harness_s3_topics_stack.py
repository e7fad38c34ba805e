"""Small in-process stacks for the ``subscribed_topics`` tests: they record the topics they were given."""

from __future__ import annotations

from typing import Any, Mapping

from simplatform.bridge.msgs import AckermannDrive, AckermannDriveStamped, Header


class OdometryOnlyStack:
    """Reads /clock and /ego/odometry only: holds 5 m/s straight ahead."""

    subscribed_topics = frozenset({"/ego/odometry"})
    seen: set[str] = set()

    def setup(self, setup: Any) -> None:  # noqa: ARG002 — nothing to configure
        pass

    def step(self, observations: Mapping[str, Any]) -> AckermannDriveStamped:
        type(self).seen.update(observations)
        assert "/ego/odometry" in observations  # due every step
        return AckermannDriveStamped(header=Header(stamp=observations["/clock"].clock, frame_id="base_link"),
                                     drive=AckermannDrive(speed=5.0))


class InheritingStack(OdometryOnlyStack):
    """Declares nothing itself: gets every topic, as a stack without the attribute does."""

    seen: set[str] = set()


class BadDeclarationStack(OdometryOnlyStack):
    """A bare string is not a set of topic names."""

    subscribed_topics = "/ego/odometry"
