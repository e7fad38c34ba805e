"""What one test run is made of: the stack, the sensor rig, the requirements, the clock.

``TestConfig()`` runs the reference stack in-process with the default rig —
one ideal object-list sensor (360°, 200 m, occlusion kept, 10 Hz), an IMU
(20 Hz) and, when the map has a ``<geoReference>``, a GNSS (10 Hz).
``ros_stack(...)`` gives the ``StackConfig`` that runs a Python stack class
as its own process over rosbridge with ``simplatform.stacks.ros_client``.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from sensors import MountPose, RigConfig, SensorConfig, load_rig
from simplatform.bridge import StackConfig

REFERENCE_STACK = "simplatform.stacks:ReferenceStack"


def default_rig(*, gnss: bool = True) -> RigConfig:
    sensors = [
        SensorConfig(name="objects", type="objects", mount=MountPose(1.5, 0.0, 1.5), rate_hz=10.0,
                     parameters={"ideal": True, "horizontal_fov_deg": 360.0, "max_range_m": 200.0}),
        SensorConfig(name="imu", type="imu", mount=MountPose(1.4, 0.0, 0.5), rate_hz=20.0),
    ]
    if gnss:
        sensors.append(SensorConfig(name="gnss", type="gnss", mount=MountPose(1.0, 0.0, 1.5), rate_hz=10.0))
    return RigConfig("default", tuple(sensors))


def ros_stack(stack_class: str = REFERENCE_STACK, *, parameters: Mapping[str, Any] | None = None,
              step_timeout: float = 5.0, connect_timeout: float = 20.0, python: str | None = None,
              **kwargs: Any) -> StackConfig:
    """A rosbridge ``StackConfig`` that launches ``stack_class`` with the reference ROS client."""
    command = [python or sys.executable, "-m", "simplatform.stacks.ros_client", "--stack", stack_class,
               "--params", json.dumps(dict(parameters or {}), sort_keys=True)]
    return StackConfig(transport="rosbridge", command=command, step_timeout=step_timeout,
                       connect_timeout=connect_timeout, **kwargs)


@dataclass(frozen=True)
class TestConfig:
    """One scenario run with a stack under test.

    ``stack``: in-process ``module:Class`` or a rosbridge process (``ros_stack``).
    ``stack_parameters`` go to the stack's ``setup`` (in-process) — give the
    same to ``ros_stack(parameters=...)`` for a process.  ``vehicle_parameters``
    (default on) adds the ego's wheelbase and box to them, as a stack's
    vehicle calibration would.  ``rig``: a ``RigConfig``, a rig YAML path, or
    None for the default rig.  ``requirements``: a requirement-set YAML path,
    a ``RequirementSet`` or requirements; none means every metric runs and
    the verdict is pass unless the stack fails.  ``goal``: an
    ``opendrive.LanePosition`` to route to; without one the route runs
    ``route_length`` metres ahead.
    """

    __test__ = False  # not a pytest test class

    stack: StackConfig = field(default_factory=lambda: StackConfig(transport="inprocess",
                                                                  stack_class=REFERENCE_STACK))
    stack_parameters: Mapping[str, Any] = field(default_factory=dict)
    vehicle_parameters: bool = True
    rig: RigConfig | str | Path | None = None
    requirements: Any = None
    dt: float = 0.01
    seed: int = 0
    max_time: float = 120.0
    ego: str | None = None
    goal: Any = None
    route_length: float = 1000.0
    route_spacing: float = 2.0
    out_dir: Path | None = None
    ground_truth_objects: bool = False
    custom_handlers: Mapping[str, Any] = field(default_factory=dict)
    all_metrics: bool = False
    """False: the always-on metrics and those the requirements name (faster); True: every metric."""

    def rig_config(self, scenario_id: str, *, map_has_geo_reference: bool) -> RigConfig:
        if self.rig is None:
            rig = default_rig(gnss=map_has_geo_reference)
        elif isinstance(self.rig, RigConfig):
            rig = self.rig
        else:
            rig = load_rig(self.rig)
        return rig.with_seed(self.seed, scenario_id)

    def requirement_list(self) -> Sequence[Any]:
        if self.requirements is None:
            return ()
        if isinstance(self.requirements, (str, Path)):
            from metrics import load_requirement_set

            return tuple(load_requirement_set(self.requirements))
        return tuple(self.requirements)
