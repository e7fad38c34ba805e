"""The test harness: one scenario with a stack under test (or none), a sensor rig and the metrics.

    from simplatform.harness import TestConfig, run_test, ros_stack
    result = run_test("cut_in.xosc")                                   # reference stack, in-process
    result = run_test("cut_in.xosc", TestConfig(stack=ros_stack()))    # the same stack over rosbridge
    result = run_test("cut_in.xosc", TestConfig(stack=None))           # the storyboard drives the ego

Modules: ``config`` (TestConfig, default rig, ros_stack), ``stack_choice``
(``reference | lidar | none | module:Class | stack block`` → StackConfig),
``route_topics`` (the route, the goal and their latched topics),
``observe`` (sensor outputs and bridge messages per step), ``trace`` (the
report's replay), ``run`` (run_test, on ``engine.run.run_scenario``'s hooks).
"""

from .config import LIDAR_STACK, REFERENCE_STACK, TestConfig, default_rig, ros_stack
from .run import run_test
from .stack_choice import describe, stack_config

__all__ = ["LIDAR_STACK", "REFERENCE_STACK", "TestConfig", "default_rig", "describe", "ros_stack", "run_test",
           "stack_config"]
