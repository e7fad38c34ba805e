"""The per-step fast paths of session 3: the flat control check and the shared stamp of /clock and the ego."""

from __future__ import annotations

import math

import numpy as np

from simplatform.bridge import observations
from simplatform.bridge.codec import _finite, is_finite_message
from simplatform.bridge.msgs import AckermannDrive, AckermannDriveStamped, Header, Time
from simplatform.world import BoundingBox, EntityKind, EntityState, WorldSnapshot

SPECIAL = (math.nan, math.inf, -math.inf, 0.0, -0.0, 1e308, -5e-324, 3, True, "x", None, np.float64(math.nan))


def test_the_flat_control_check_answers_as_the_general_walk():
    rng = np.random.default_rng(7)
    checked = 0
    for _ in range(3000):
        values = [float(v) for v in rng.normal(0.0, 10.0, 5)]
        for k in rng.choice(5, size=int(rng.integers(0, 3)), replace=False):
            values[k] = SPECIAL[int(rng.integers(len(SPECIAL)))]
        stamp = Time(sec=int(rng.integers(0, 100)), nanosec=int(rng.integers(0, 10**9)))
        if rng.random() < 0.1:
            stamp = Time(sec=float(SPECIAL[int(rng.integers(3))]), nanosec=0)
        frame = "base_link" if rng.random() < 0.9 else 7
        msg = AckermannDriveStamped(header=Header(stamp=stamp, frame_id=frame), drive=AckermannDrive(*values))
        assert is_finite_message(msg) == _finite(msg), msg
        checked += not is_finite_message(msg)
    assert checked > 300  # the non-finite cases were exercised
    plain = AckermannDriveStamped(header=Header(stamp=Time(1, 5), frame_id="base_link"),
                                  drive=AckermannDrive(0.1, 0.0, 5.0, -1.0, 0.0))
    assert is_finite_message(plain)
    assert not is_finite_message(AckermannDriveStamped(drive=AckermannDrive(speed=math.nan)))


def _snapshot(t: float, step: int) -> WorldSnapshot:
    ego = EntityState(name="ego", kind=EntityKind.VEHICLE, category="car", x=3.0 * t, y=0.5, z=0.1, heading=0.2,
                      pitch=0.01, roll=-0.02, speed=3.0, vx=2.9, vy=0.6, ax=0.3, ay=-0.1, yaw_rate=0.05,
                      bbox=BoundingBox(4.5, 1.8, 1.5, 1.4, 0.0, 0.75), lane=None, is_ego=True)
    return WorldSnapshot.from_states(t, step, [ego])


def test_a_given_stamp_builds_the_same_ego_messages():
    for step in range(0, 400, 7):
        snap = _snapshot(step * 0.05, step)
        stamp = Time.from_seconds(snap.time)
        assert observations.ego_messages(snap, stamp=stamp) == observations.ego_messages(snap)
        assert observations.ego_odometry(snap, stamp=stamp) == observations.ego_odometry(snap)
        assert observations.vehicle_status(snap, stamp=stamp) == observations.vehicle_status(snap)
        assert observations.clock(snap.time).clock == stamp
