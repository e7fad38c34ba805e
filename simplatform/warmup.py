"""Compile, or load from numba's on-disk caches, every compiled kernel of the platform once:
``python -m simplatform.warmup`` (``setup.sh`` runs it).

Why: numba caches a kernel next to its source the first time it runs.  Workers
started in parallel on an empty cache (pytest-xdist, the suite runner's pool,
Ray) would each compile the same kernels for seconds; run once beforehand,
they all load the cache instead.  Each package's own warm-up runs its kernels
with the argument types it uses; the engine's batch and the trajectory log's
formatter are warmed by playing two variants of a small scenario with a CSV
log, the way a parameter study does.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

_CUT_IN = """<?xml version="1.0" encoding="UTF-8"?>
<OpenSCENARIO>
  <FileHeader revMajor="1" revMinor="2" date="2026-01-01T00:00:00" description="warm-up" author="simplatform"/>
  <ParameterDeclarations><ParameterDeclaration name="Speed" parameterType="double" value="20"/></ParameterDeclarations>
  <RoadNetwork><LogicFile filepath="{road}"/></RoadNetwork>
  <Entities>
    <ScenarioObject name="Ego"><Vehicle name="car" vehicleCategory="car">
      <BoundingBox><Center x="1.4" y="0" z="0.9"/><Dimensions width="1.8" length="4.5" height="1.5"/></BoundingBox>
      <Performance maxSpeed="69" maxAcceleration="10" maxDeceleration="10"/>
      <Axles><FrontAxle maxSteering="0.5" wheelDiameter="0.8" trackWidth="1.68" positionX="2.98" positionZ="0.4"/>
        <RearAxle maxSteering="0" wheelDiameter="0.8" trackWidth="1.68" positionX="0" positionZ="0.4"/></Axles>
      <Properties/></Vehicle></ScenarioObject>
  </Entities>
  <Storyboard>
    <Init><Actions><Private entityRef="Ego">
      <PrivateAction><TeleportAction><Position><LanePosition roadId="1" laneId="-1" s="20" offset="0"/></Position></TeleportAction></PrivateAction>
      <PrivateAction><LongitudinalAction><SpeedAction><SpeedActionDynamics dynamicsShape="step" value="0" dynamicsDimension="time"/>
        <SpeedActionTarget><AbsoluteTargetSpeed value="$Speed"/></SpeedActionTarget></SpeedAction></LongitudinalAction></PrivateAction>
    </Private></Actions></Init>
    <StopTrigger><ConditionGroup><Condition name="end" delay="0" conditionEdge="rising"><ByValueCondition>
      <SimulationTimeCondition value="1" rule="greaterThan"/></ByValueCondition></Condition></ConditionGroup></StopTrigger>
  </Storyboard>
</OpenSCENARIO>
"""


def warm_engine_step() -> None:
    """The lone engine's per-step kernels: collisions on the table's columns, derived kinematics, the
    lane step."""
    import numpy as np

    from simplatform.engine.collision_kernels import table_pairs_kernel
    from simplatform.engine.derive_kernels import warm_up as warm_derive
    from simplatform.engine.lane_kernels import warm_up as warm_lane

    z = np.zeros(2)
    table_pairs_kernel(z, z, z, z, z, np.full(2, 4.5), np.full(2, 1.8), np.ones(2, dtype=bool),
                       np.empty((1, 2), dtype=np.int64))
    warm_derive()
    warm_lane()


def warm_engine_and_recording() -> float:
    """The collision kernel, and two lockstep variants with a CSV log: the batch motion kernels and the
    CSV formatter."""
    import numpy as np

    from simplatform.engine.batch import run_variants
    from simplatform.engine.collision import overlapping_pairs
    from simplatform.engine.run import RunConfig

    start = time.perf_counter()
    overlapping_pairs(np.zeros(2), np.zeros(2), np.zeros(2), np.full(2, 4.5), np.full(2, 1.8))
    warm_engine_step()
    road = Path(__file__).resolve().parents[1] / "scenarios" / "maps" / "highway_straight.xodr"
    with tempfile.TemporaryDirectory() as tmp:
        scenario = Path(tmp) / "warmup.xosc"
        scenario.write_text(_CUT_IN.format(road=road))
        run_variants(scenario, [{"Speed": 20.0}, {"Speed": 25.0}], RunConfig(dt=0.05, out_dir=Path(tmp) / "out"))
    return time.perf_counter() - start


def warm_harness() -> float:
    """The harness's per-step kernels: the trace recorder's rounding."""
    from simplatform.harness.trace_round import warm_up

    start = time.perf_counter()
    warm_up()
    return time.perf_counter() - start


def main() -> None:
    from metrics.warmup import warm_up as warm_metrics
    from vehicle_models.warmup import warm_up as warm_vehicle_models

    steps = [("vehicle models, traffic, ego tracking", warm_vehicle_models),
             ("engine batch, trajectory log", warm_engine_and_recording),
             ("metrics", warm_metrics), ("harness trace", warm_harness)]
    from simplatform.stacks.route_kernels import warm_up as warm_stack
    steps.append(("reference stack route projection", warm_stack))
    try:
        from sensors.warmup import warm_up as warm_sensors
    except ImportError:  # open3d is the optional `sensors` extra
        print("sensors: open3d is not installed, skipped")
    else:
        steps.append(("sensors", warm_sensors))
    for label, warm in steps:
        print(f"{label}: ready in {warm():.2f} s")


if __name__ == "__main__":
    main()
