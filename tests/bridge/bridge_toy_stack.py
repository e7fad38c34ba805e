"""A deterministic toy stack for the bridge tests: a P-controller on speed and heading.

It reads only what both transports deliver (``/clock``, ``/ego/odometry``) and
answers an AckermannDriveStamped stamped with the step's clock.
"""

from __future__ import annotations

import dataclasses
import math

from simplatform.bridge.msgs import AckermannDrive, AckermannDriveStamped, Header


class ToyStack:
    target_speed = 10.0

    def setup(self, setup) -> None:
        self.dt = setup.dt
        self.steps = 0

    def step(self, observations):
        clock = observations["/clock"].clock
        odom = observations.get("/ego/odometry")
        speed = odom.twist.twist.linear.x if odom is not None else 0.0
        yaw = odom.pose.pose.orientation.yaw() if odom is not None else 0.0
        self.steps += 1
        return AckermannDriveStamped(
            header=Header(stamp=clock, frame_id="base_link"),
            drive=AckermannDrive(speed=self.target_speed, acceleration=0.5 * (self.target_speed - speed),
                                 steering_angle=-0.3 * math.sin(yaw) + 0.001 * self.steps),
        )


class BrokenStack(ToyStack):
    def step(self, observations):
        if self.steps == 3:
            return 1 / 0
        return super().step(observations)


class StaleStack(ToyStack):
    """Answers every step with the control of step 0."""

    def step(self, observations):
        if self.steps == 0:
            self.first = super().step(observations)
        self.steps += 1
        return self.first


class ClockEchoStack(ToyStack):
    """Steers by the clock it answers (1 mrad per second): a control tells which step produced it."""

    def step(self, observations):
        control = super().step(observations)
        drive = dataclasses.replace(control.drive, steering_angle=0.001 * observations["/clock"].clock.to_seconds())
        return dataclasses.replace(control, drive=drive)
