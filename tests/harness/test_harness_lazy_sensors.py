"""Lazy sensors: an in-process stack that declares the sensor types it reads gets only those run."""

from __future__ import annotations

import numpy as np

from simplatform.harness.config import default_rig
from simplatform.harness.observe import Observer, registry_for
from simplatform.stacks import LidarReferenceStack, ReferenceStack
from simplatform.world import BoundingBox, EntityKind, EntityState, WorldSnapshot

DT = 0.05


def _state(name: str, x: float, ego: bool = False) -> EntityState:
    return EntityState(name=name, kind=EntityKind.VEHICLE, category="car", x=x, y=0.0, z=0.0, heading=0.0, pitch=0.0,
                       roll=0.0, speed=10.0, vx=10.0, vy=0.0, ax=0.5, ay=0.0, yaw_rate=0.01,
                       bbox=BoundingBox(4.5, 1.8, 1.5, 1.4, 0.0, 0.75), lane=None, is_ego=ego)


def _run(observer: Observer, steps: int) -> list[dict]:
    return [observer.observe(WorldSnapshot.from_states(k * DT, k, [_state("ego", 10.0 * k * DT, True),
                                                                 _state("lead", 30.0 + 10.0 * k * DT)]))
            for k in range(steps)]


def test_unread_sensors_are_not_run_and_the_read_ones_are_unchanged():
    rig = default_rig(gnss=False).with_seed(3, "lazy")
    registry = registry_for(rig)
    full = _run(Observer(rig, registry, DT), 6)
    lazy_observer = Observer(rig, registry, DT, sensor_types=ReferenceStack.subscribed_sensor_types)
    assert lazy_observer.skipped == {"imu"}
    lazy = _run(lazy_observer, 6)
    assert any("/imu" in step for step in full) and not any("/imu" in step for step in lazy)
    objects = [(k, step["/sensors/objects/objects"]) for k, step in enumerate(full) if "/sensors/objects/objects" in step]
    assert objects and all(lazy[k]["/sensors/objects/objects"] == msg for k, msg in objects)
    for k, step in enumerate(full):
        assert set(lazy[k]) == set(step) - {"/imu"}
    assert Observer(rig, registry, DT, sensor_types=LidarReferenceStack.subscribed_sensor_types).skipped == {
        "imu", "objects"}
    assert np.isfinite(full[0]["/imu"].linear_acceleration.z)



def test_only_a_class_own_declaration_narrows_the_rig(tmp_path):
    """A subclass may read more sensors than its parent: without a declaration of its own it gets them all."""
    import sys
    from pathlib import Path

    from simplatform.bridge import StackConfig
    from simplatform.harness import TestConfig, run_test
    from stack_scenario_files import straight

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from harness_topics_stack import NarrowTopicsStack, TopicsStack

    path = straight(tmp_path, duration=1.0)
    for cls in (TopicsStack, NarrowTopicsStack):
        config = TestConfig(stack=StackConfig(transport="inprocess", stack_class=f"harness_topics_stack:{cls.__name__}"),
                            dt=0.05)
        assert run_test(path, config).error == ""
    assert {"/imu", "/sensors/objects/objects"} <= TopicsStack.seen
    assert "/sensors/objects/objects" in NarrowTopicsStack.seen and "/imu" not in NarrowTopicsStack.seen
