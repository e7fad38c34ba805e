"""``subscribed_topics``: an in-process stack gets (and the harness builds) only the platform topics it reads."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from simplatform.bridge import StackConfig
from simplatform.errors import ConfigError
from simplatform.harness.config import default_rig
from simplatform.harness.observe import Observer, registry_for
from simplatform.harness.run import declared_names
from simplatform.world import BoundingBox, EntityKind, EntityState, WorldSnapshot

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness_s3_topics_stack import BadDeclarationStack, InheritingStack, OdometryOnlyStack  # noqa: E402

DT = 0.05
LATCHED = {"/route/info": "info", "/sensors/mounts": "mounts"}


def _state(name: str, x: float, ego: bool = False) -> EntityState:
    return EntityState(name=name, kind=EntityKind.VEHICLE, category="car", x=x, y=0.5, z=0.0, heading=0.1, pitch=0.0,
                       roll=0.0, speed=10.0, vx=10.0, vy=1.0, ax=0.5, ay=0.1, yaw_rate=0.01,
                       bbox=BoundingBox(4.5, 1.8, 1.5, 1.4, 0.0, 0.75), lane=None, is_ego=ego)


def _run(observer: Observer, steps: int) -> list[dict]:
    return [observer.observe(WorldSnapshot.from_states(k * DT, k, [_state("ego", 10.0 * k * DT, True),
                                                                 _state("lead", 30.0 + 10.0 * k * DT)],
                                                       signals={"7": "green"}))
            for k in range(steps)]


def test_unsubscribed_platform_topics_are_not_built_and_the_rest_is_unchanged():
    rig = default_rig(gnss=False).with_seed(3, "topics")
    registry = registry_for(rig, ground_truth_objects=True)
    full = _run(Observer(rig, registry, DT, latched=LATCHED), 4)
    narrow_observer = Observer(rig, registry, DT, latched=LATCHED,
                               subscribed_topics={"/ego/odometry", "/sensors/mounts"})
    assert narrow_observer.unread == {"/ego/vehicle_status", "/traffic_lights", "/ground_truth/objects", "/route",
                                      "/goal", "/route/info"}
    narrow = _run(narrow_observer, 4)
    platform = {"/ego/vehicle_status", "/traffic_lights", "/ground_truth/objects", "/route/info"}
    assert platform <= set(full[0])  # the full observer does build them
    for k, step in enumerate(full):
        assert set(narrow[k]) == set(step) - platform, k  # sensor topics (/imu, objects) stay
        assert list(narrow[k]) == [t for t in step if t not in platform]  # and keep their order
        for topic, msg in narrow[k].items():
            assert msg == step[topic], (k, topic)
    assert narrow[0]["/sensors/mounts"] == "mounts" and "/route/info" not in narrow[0]


def test_an_empty_declaration_leaves_the_clock_and_the_sensors():
    rig = default_rig(gnss=False).with_seed(3, "topics")
    steps = _run(Observer(rig, registry_for(rig), DT, latched=LATCHED, subscribed_topics=frozenset()), 3)
    assert set(steps[0]) == {"/clock", "/sensors/objects/objects", "/imu"}
    assert set(steps[1]) == {"/clock", "/imu"}


def test_a_stack_gets_only_what_it_declares_and_a_subclass_gets_everything(tmp_path):
    from simplatform.harness import TestConfig, run_test
    from stack_scenario_files import straight

    path = straight(tmp_path, duration=0.5)
    for cls in (OdometryOnlyStack, InheritingStack):
        config = TestConfig(stack=StackConfig(transport="inprocess",
                                              stack_class=f"harness_s3_topics_stack:{cls.__name__}"), dt=0.05)
        assert run_test(path, config).error == ""
    assert {"/clock", "/ego/odometry", "/sensors/objects/objects", "/imu"} <= OdometryOnlyStack.seen
    assert OdometryOnlyStack.seen <= {"/clock", "/ego/odometry", "/sensors/objects/objects", "/imu", "/gnss"}
    assert {"/ego/vehicle_status", "/traffic_lights", "/route", "/route/info", "/sensors/mounts"} \
        <= InheritingStack.seen


def test_declarations_are_the_class_own_and_must_be_sets_of_names():
    assert declared_names(OdometryOnlyStack(), "subscribed_topics") == {"/ego/odometry"}
    assert declared_names(InheritingStack(), "subscribed_topics") is None
    assert declared_names(None, "subscribed_topics") is None
    with pytest.raises(ConfigError, match=r"BadDeclarationStack\.subscribed_topics must be a set of names"):
        declared_names(BadDeclarationStack(), "subscribed_topics")
