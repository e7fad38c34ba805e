"""What one test run is made of: the stack, the sensor rig, the requirements, the clock, the outputs.

``TestConfig()`` runs the reference stack in-process with the default rig —
one ideal object-list sensor (360°, 200 m, occlusion kept, 10 Hz), an IMU
(20 Hz) and, when the map has a ``<geoReference>``, a GNSS (10 Hz).  The
lidar variant gets a VLP-16 on the roof instead of the object list.  When
the scenario has V2X (roadside units, ``v2x.equipped`` entities or
``simplatform.v2x`` messages) the default rig also gets a V2X radio ``v2x``
at the step rate (``/v2x/v2x``; ``simplatform.harness.v2x``): the ego is
equipped exactly when its rig has a ``v2x`` sensor, so a rig of your own
without one runs the scenario without V2X.
``TestConfig(stack=None)`` plays the scenario as written: its storyboard
drives the ego (esmini-like playback), and the metrics still score it.
``ros_stack(...)`` gives the ``StackConfig`` that runs a Python stack class
as its own process over rosbridge with ``simplatform.stacks.ros_client``;
:func:`simplatform.harness.stack_choice.stack_config` turns the names a user
types (``reference``, ``lidar``, ``none``, ``module:Class``, a launch-file
``stack:`` block) into one.
"""

from __future__ import annotations

import json
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from sensors import MountPose, RigConfig, SensorConfig, load_rig
from simplatform.bridge import StackConfig
from simplatform.errors import ConfigError

REFERENCE_STACK = "simplatform.stacks:ReferenceStack"
LIDAR_STACK = "simplatform.stacks:LidarReferenceStack"


def default_rig(*, gnss: bool = True, lidar: bool = False) -> RigConfig:
    """The rig a stack gets when none is named: ideal objects (or a VLP-16 for the lidar stack) + IMU (+ GNSS)."""
    if lidar:
        first = SensorConfig(name="top", type="lidar", mount=MountPose(1.3, 0.0, 1.9), rate_hz=10.0, preset="VLP-16")
    else:
        first = SensorConfig(name="objects", type="objects", mount=MountPose(1.5, 0.0, 1.5), rate_hz=10.0,
                             parameters={"ideal": True, "horizontal_fov_deg": 360.0, "max_range_m": 200.0})
    sensors = [first, SensorConfig(name="imu", type="imu", mount=MountPose(1.4, 0.0, 0.5), rate_hz=20.0)]
    if gnss:
        sensors.append(SensorConfig(name="gnss", type="gnss", mount=MountPose(1.0, 0.0, 1.5), rate_hz=10.0))
    return RigConfig("default_lidar" if lidar else "default", tuple(sensors))


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
    """One scenario run with a stack under test (or none).

    ``stack``: in-process ``module:Class`` / ``file.py:Class`` or a rosbridge
    process (``ros_stack``); None lets the storyboard drive the ego.
    ``stack_parameters`` go to the stack's ``setup`` (in-process) — give the
    same to ``ros_stack(parameters=...)`` for a process.  ``vehicle_parameters``
    (default on) adds the ego's wheelbase and box to them, as a stack's
    vehicle calibration would, and — with ``init_speed_is_set_speed`` — the
    ego's Init speed as ``set_speed``, the driver's cruise set speed: a
    Euro NCAP or UN R157 test holds the vehicle at its test speed and only
    the function under test intervenes.  ``rig``: a ``RigConfig``, a rig YAML path, or
    None for the default rig.

    Requirements (``metrics.requirements_for_run``): ``requirement_set`` is
    the scenario family's set (a YAML path, from the library index), the
    ScenarioRunner ``criteria_*`` conditions of the ``.xosc`` are added when
    ``scenario_criteria``, and ``requirements`` (a YAML path, a
    ``RequirementSet`` or requirements) override them by id.  No requirement
    at all: every metric still runs and the verdict is pass unless the stack
    fails.

    ``goal``: an ``opendrive.LanePosition`` to route to; without one the
    ego's ``simplatform.goal`` property ("x,y,radius", the library's
    convention) gives the goal region and the route's end, and otherwise the
    route follows the lanes ahead for ``route_length`` metres or, None (the
    default), as far as the ego could drive in ``max_time`` at the higher of
    its Init speed and the lanes' speed limit (at least 1000 m, at most
    50 km: ``route_topics.reach_length``), ending where the lanes end.  ``trace_hz`` > 0 with an
    ``out_dir`` writes ``trace.json`` (the HTML report's replay).
    """

    __test__ = False  # not a pytest test class

    stack: StackConfig | None = field(default_factory=lambda: StackConfig(transport="inprocess",
                                                                         stack_class=REFERENCE_STACK))
    stack_parameters: Mapping[str, Any] = field(default_factory=dict)
    vehicle_parameters: bool = True
    init_speed_is_set_speed: bool = True
    rig: RigConfig | str | Path | None = None
    requirement_set: str | Path | None = None
    requirements: Any = None
    scenario_criteria: bool = True
    dt: float = 0.01
    seed: int = 0
    max_time: float = 120.0
    ego: str | None = None
    vehicle_model: str = "dynamic"
    goal: Any = None
    route_length: float | None = None
    route_spacing: float = 2.0
    out_dir: Path | None = None
    csv: bool = True
    record: bool = False
    trace_hz: float = 0.0
    ground_truth_objects: bool = False
    custom_handlers: Mapping[str, Any] = field(default_factory=dict)
    all_metrics: bool = False
    """False: the always-on metrics and those the requirements name (faster); True: every metric."""

    def __post_init__(self) -> None:
        if self.route_length is not None and not (math.isfinite(self.route_length) and self.route_length > 0):
            raise ConfigError(f"route_length must be a positive number of metres, got {self.route_length!r}",
                              element="route_length")

    def rig_config(self, scenario_id: str, *, map_has_geo_reference: bool, v2x: bool = False) -> RigConfig:
        """The named rig, or the default one (+ a V2X radio at the step rate when the scenario has V2X)."""
        if self.rig is None:
            lidar = self.stack is not None and self.stack.stack_class == LIDAR_STACK
            rig = default_rig(gnss=map_has_geo_reference, lidar=lidar)
            if v2x:
                from .v2x import default_radio

                rig = RigConfig(rig.name, rig.sensors + (default_radio(round(1.0 / self.dt)),))
        elif isinstance(self.rig, RigConfig):
            rig = self.rig
        else:
            rig = load_rig(self.rig)
        return rig.with_seed(self.seed, scenario_id)

    def requirement_list(self, scenario: str | Path | None = None) -> tuple[Any, ...]:
        """The requirements of a run of ``scenario`` (family set + .xosc criteria + override by id)."""
        from metrics import RequirementSet, load_requirement_set, requirements_for_run

        merged = requirements_for_run(self.requirement_set,
                                      scenario=scenario if self.scenario_criteria else None)
        override = self.requirements
        if override is None:
            return tuple(merged)
        if isinstance(override, (str, Path)):
            override = load_requirement_set(override)
        elif not isinstance(override, RequirementSet):
            override = RequirementSet(tuple(override))
        return tuple(merged.merge(override))
