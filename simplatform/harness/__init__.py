"""The test harness: one scenario with a stack under test, a sensor rig and the metrics.

    from simplatform.harness import TestConfig, run_test, ros_stack
    result = run_test("cut_in.xosc")                                   # reference stack, in-process
    result = run_test("cut_in.xosc", TestConfig(stack=ros_stack()))    # the same stack over rosbridge

Modules: ``config`` (TestConfig, default rig, ros_stack), ``route_topics``
(the route and its latched topics), ``observe`` (sensor outputs and bridge
messages per step), ``run`` (run_test).
"""

from .config import REFERENCE_STACK, TestConfig, default_rig, ros_stack
from .run import run_test

__all__ = ["REFERENCE_STACK", "TestConfig", "default_rig", "ros_stack", "run_test"]
