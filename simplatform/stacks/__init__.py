"""The reference driving stack the platform runs against out of the box, and its lidar variant.

In a launch file::

    stack: {transport: inprocess, class: "simplatform.stacks:ReferenceStack"}
    stack: {transport: rosbridge, command: "python -m simplatform.stacks.ros_client"}

Modules: ``inputs`` (the topics it reads and their shapes), ``route``
(Frenet frame of the route), ``tracking`` (Kalman tracks), ``planner``
(IDM, MOBIL, stop lines, crossing road users, AEB), ``control`` (pure
pursuit, PID), ``reference`` (the stack), ``lidar`` (point-cloud
perception), ``ros_client`` (the same stack as a ROS-style process over
rosbridge with ``roslibpy`` — the example for writing your own).
"""

from .lidar import LidarReferenceStack
from .parameters import StackParameters
from .reference import ReferenceStack

__all__ = ["LidarReferenceStack", "ReferenceStack", "StackParameters"]
