"""``subscribed_topics``: the reference stacks read exactly the platform topics they declare (besides /clock)."""

from __future__ import annotations

import struct

import pytest

import stack_scenario_files as files
from simplatform.bridge import StackConfig
from simplatform.bridge.topics import CLOCK, GOAL, GROUND_TRUTH_OBJECTS, ODOMETRY, ROUTE, TRAFFIC_LIGHTS, VEHICLE_STATUS
from simplatform.harness import TestConfig, run_test
from simplatform.stacks import LidarReferenceStack, ReferenceStack
from simplatform.stacks.inputs import ROUTE_INFO, SENSOR_MOUNTS
from stacks_recording import RecordingReferenceStack


def test_the_declarations_name_the_platform_topics_read_and_not_the_vehicle_status():
    assert vars(ReferenceStack)["subscribed_topics"] == {ODOMETRY, TRAFFIC_LIGHTS, ROUTE, ROUTE_INFO, SENSOR_MOUNTS,
                                                         GROUND_TRUTH_OBJECTS}
    assert vars(LidarReferenceStack)["subscribed_topics"] == {ODOMETRY, TRAFFIC_LIGHTS, ROUTE, ROUTE_INFO,
                                                              SENSOR_MOUNTS}
    for cls in (ReferenceStack, LidarReferenceStack):
        assert VEHICLE_STATUS not in cls.subscribed_topics and GOAL not in cls.subscribed_topics
        assert CLOCK not in cls.subscribed_topics                   # always delivered: the tick


def _bits(answer) -> tuple:
    d = answer.drive
    return answer.header.stamp, answer.header.frame_id, struct.pack("<ddd", d.steering_angle, d.speed, d.acceleration)


def _declared_only(cls: type, observations: dict) -> dict:
    """What an in-process harness honouring the declarations hands over: /clock, the declared platform
    topics, the sensor messages of the declared types and the V2X radios."""
    return {topic: msg for topic, msg in observations.items()
            if topic == CLOCK or topic in cls.subscribed_topics or topic.startswith("/v2x/")
            or getattr(msg, "ROS_TYPE", None) in cls.subscribed_sensor_types}


@pytest.fixture(scope="module")
def recordings(tmp_path_factory):
    """Every topic the harness gives a stack over a red light and a cut-in (object lists in the sensor frame).

    (The light may not govern the route here: scenariogeneration numbers signals per process.)"""
    directory = tmp_path_factory.mktemp("topics")
    RecordingReferenceStack.records.clear()
    config = TestConfig(stack=StackConfig(transport="inprocess", stack_class="stacks_recording:RecordingReferenceStack"),
                        dt=0.05)
    for path in (files.red_light(directory, light_at=90.0, duration=9.0), files.cut_in(directory, ahead=22.0)):
        assert run_test(path, config).error == ""
    return list(RecordingReferenceStack.records)


@pytest.mark.parametrize("cls", [ReferenceStack, LidarReferenceStack])
def test_a_stack_given_only_its_declared_topics_answers_the_same(recordings, cls):
    dropped: set[str] = set()
    tracked: set[str] = set()
    for record in recordings:
        full, narrow = cls(**record["init"]), cls(**record["init"])
        full.setup(record["setup"])
        narrow.setup(record["setup"])
        for observations, recorded in zip(record["observations"], record["answers"]):
            given = _declared_only(cls, observations)
            dropped |= set(observations) - set(given)
            answer = narrow.step(given)
            assert _bits(answer) == _bits(full.step(observations))
            if cls is ReferenceStack:
                assert _bits(answer) == _bits(recorded)               # and what it answered in the closed loop
            tracked |= set(narrow.tracker.tracks)
    assert VEHICLE_STATUS in dropped                                  # the replay left something out
    assert (cls is ReferenceStack) == bool(tracked)                   # the object list reached the tracker
    assert all(TRAFFIC_LIGHTS in record["observations"][1] for record in recordings)
