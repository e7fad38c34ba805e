"""The Python stack adapters read the server's ``null`` back as NaN.

The server writes NaN and ±inf as JSON ``null``, as rosbridge does (JSON has no NaN); the two
roslibpy adapters — ``simplatform.bridge.client`` (a stack class in its own process) and
``simplatform.stacks.ros_client`` (the stand-alone client) — must then take ``null`` in a float
field as NaN instead of failing the stack on the message.
"""

from __future__ import annotations

import math

import pytest

from simplatform.bridge.client import RoslibpyStackAdapter
from simplatform.stacks.ros_client import StackNode


class _Ros:
    closed = False

    def close(self) -> None:
        self.closed = True


def _odometry_with_null_covariance() -> dict:
    return {"header": {"stamp": {"sec": 1, "nanosec": 0}, "frame_id": "map"}, "child_frame_id": "base_link",
            "pose": {"pose": {"position": {"x": 1.0, "y": 2.0, "z": 0.0},
                              "orientation": {"x": 0.0, "y": 0.0, "z": 0.0, "w": 1.0}},
                     "covariance": [None] + [0.0] * 35},
            "twist": {"twist": {"linear": {"x": 3.0, "y": 0.0, "z": 0.0}, "angular": {"x": 0.0, "y": 0.0, "z": 0.0}},
                      "covariance": [0.0] * 36}}


@pytest.mark.parametrize("make", [lambda ros: RoslibpyStackAdapter(object(), ros, 0.05),
                                  lambda ros: StackNode(object(), ros)])
def test_a_null_float_from_the_server_arrives_as_nan(make):
    ros = _Ros()
    adapter = make(ros)
    adapter._on_message("/ego/odometry", "nav_msgs/msg/Odometry", _odometry_with_null_covariance())
    received = getattr(adapter, "pending", None) or adapter.latest
    odom = received["/ego/odometry"]
    assert math.isnan(odom.pose.covariance[0]) and odom.twist.twist.linear.x == 3.0
    assert not ros.closed
