"""``run_test(spec, config) -> ScenarioResult``: one scenario, a stack under test, its sensors, its metrics.

Composition of one test run (DESIGN.md "One scenario run, as data flows"):
the engine runs the scenario at a fixed step; each step the sensor rig
senses the world, the bridge messages of the topics due go to the stack
session (in-process class or a process over rosbridge, per
``config.stack``), its control drives the ego through the native backend,
and the metrics evaluator observes every snapshot (t = 0 included) and
checks the requirement set at the end.

A stack fault (``StackError``/``StackTimeout``: crash, hang, garbage,
wrong-step control, disconnect) ends the scenario with ``Verdict.ERROR``
and the fault's message in ``error``: the metrics of what ran are kept, no
exception leaves ``run_test``, and the session is closed (its process
stopped, its log kept as an artifact) so the next scenario starts clean.
Bad input (scenario, rig, requirements, launch values) still raises the
``InputError`` naming file, line and cause, as everywhere in the platform.

Why the harness steps ``ScenarioEngine`` itself rather than calling
``engine.run.run_scenario``: the stack needs the route and the ego's
lane position before the first step, and a stack fault must end the run
with the metrics so far — hooks for both are requested from the engine
(``/work/notes/requests_for_engine.md``); the loop below mirrors
``run_scenario``'s order (stack, engine.step, backend.step, log, end checks).
"""

from __future__ import annotations

import json
import tempfile
import time as wallclock
from dataclasses import replace
from pathlib import Path
from typing import Any

from simplatform.bridge import StackSetup, open_stack
from simplatform.errors import StackError
from simplatform.results import ScenarioResult, Verdict

from .config import TestConfig
from .observe import Observer, registry_for
from .route_topics import forward_segments, mounts_message, route_info_message, route_message, sample


def _load(spec: Any):
    from simplatform.engine.run import ScenarioSpec
    from simplatform.opendrive import load_opendrive
    from simplatform.openscenario.loader import load_scenario

    if not isinstance(spec, ScenarioSpec):
        spec = ScenarioSpec(Path(spec))
    scenario = load_scenario(spec.path, spec.parameters)
    road = load_opendrive(scenario.road_network_path) if scenario.road_network_path is not None else None
    return spec, scenario, road


def _route(engine: Any, config: TestConfig):
    """The ego's route from its lane position now (see ``route_topics``)."""
    from simplatform.harness.route_topics import Segment

    net = engine.road.net
    t = engine.table
    i = engine.entity_index(engine.ego)
    road_id, lane_id, s = t.lane_road[i], int(t.lane_id[i]), float(t.lane_s[i])
    if road_id is None:
        raise StackError(f"the ego {engine.ego!r} is not on a lane at the start: no route to give the stack")
    if config.goal is not None:
        from simplatform.opendrive import LanePosition

        planned = net.route(LanePosition(road_id, lane_id, s), config.goal)
        segments = [Segment(g.road_id, g.lane_id, g.s_start, g.s_end) for g in planned.segments]
    else:
        segments = forward_segments(net, road_id, lane_id, s, config.route_length,
                                    engine.routes.preferred.get(i, ()))
    return sample(net, segments, config.route_spacing)


def _vehicle_parameters(engine: Any) -> dict[str, float]:
    t = engine.table
    i = engine.entity_index(engine.ego)
    cx, length = float(t.bbox_center_x[i]), float(t.length[i])
    return {"wheelbase": float(t.wheelbase[i]), "front_length": cx + 0.5 * length,
            "rear_length": 0.5 * length - cx, "width": float(t.width[i])}


def run_test(spec: Any, config: TestConfig | None = None) -> ScenarioResult:
    from metrics import MetricSuite, RoutePath, ScenarioContext, stop_lines_from_road
    from sensors import static_world_for
    from sensors.gnss import GeoReference
    from simplatform.backends.native import NativeBackend
    from simplatform.engine.engine import ScenarioEngine
    from simplatform.opendrive.mesh import build_road_mesh
    from simplatform.recording.csv_log import CsvTrajectoryLog

    config = config or TestConfig()
    started = wallclock.perf_counter()
    spec, scenario, road = _load(spec)
    scenario_id = spec.scenario_id or Path(spec.path).stem
    requirements = config.requirement_list()
    engine = ScenarioEngine(scenario, road, dt=config.dt, ego=config.ego, seed=config.seed,
                            custom_handlers=dict(config.custom_handlers))
    backend = NativeBackend(engine, seed=config.seed)
    engine.need_collisions = True
    engine.initialise()
    backend.take_over(engine.ego)
    geo = GeoReference.from_header(road.header) if road is not None else None
    rig = config.rig_config(scenario_id, map_has_geo_reference=geo is not None)
    registry = registry_for(rig, ground_truth_objects=config.ground_truth_objects)
    out_dir = Path(config.out_dir) if config.out_dir is not None else Path(tempfile.mkdtemp(prefix="simplatform_"))
    artifacts: dict[str, str] = {}
    csv = None
    if config.out_dir is not None:
        csv = CsvTrajectoryLog(out_dir / f"{scenario_id}.csv", config.dt)
        artifacts["trajectory_csv"] = str(out_dir / f"{scenario_id}.csv")
    stop_lines = stop_lines_from_road(road) if road is not None else ()
    parameters = {**(_vehicle_parameters(engine) if config.vehicle_parameters else {}),
                  **dict(config.stack_parameters)}
    stack_config = config.stack
    if stack_config.transport == "rosbridge" and config.vehicle_parameters:
        stack_config = replace(stack_config, env={**stack_config.env,
                                                  "SIMPLATFORM_STACK_VEHICLE": json.dumps(_vehicle_parameters(engine))})
    suite = None
    session = None
    error, end_reason = "", "max_time"
    try:
        waypoints = _route(engine, config) if road is not None else None
        route_msg = route_message(waypoints) if waypoints is not None else None
        latched = {"/sensors/mounts": mounts_message(rig.sensors)}
        if waypoints is not None:
            latched.update({"/route": route_msg, "/route/info": route_info_message(waypoints, stop_lines)})
        context = ScenarioContext(road=road, ego=engine.ego, stop_lines=tuple(stop_lines),
                                  route=RoutePath.from_points(waypoints.points()) if waypoints is not None else None)
        suite = MetricSuite(context, requirements, all_metrics=config.all_metrics)
        static = static_world_for(build_road_mesh(road)) if road is not None else None
        observer = Observer(rig, registry, config.dt, static_world=static, geo_reference=geo, latched=latched)
        session = open_stack(stack_config, registry, log_dir=out_dir)
        session.setup(StackSetup(topics=registry, dt=config.dt, route=route_msg, parameters=parameters,
                                 seed=config.seed))
        if csv:
            csv.write(engine.table, engine.time)
        snapshot = engine.snapshot()
        suite.observe(snapshot)
        max_steps = int(round(config.max_time / config.dt))
        while engine.step_index < max_steps:
            command = session.step(observer.observe(snapshot))
            if command is not None:
                backend.apply(engine.ego, command)
            engine.step()
            backend.step(config.dt)
            if csv:
                csv.write(engine.table, engine.time)
            snapshot = engine.snapshot()
            suite.observe(snapshot)
            if engine.storyboard.stopped:
                end_reason = "stop_trigger"
                break
            if engine.storyboard.complete and engine.storyboard.stop_trigger is None:
                end_reason = "storyboard_complete"
                break
    except StackError as exc:
        error, end_reason = f"stack fault at t={engine.time:.3f} s (step {engine.step_index}): {exc}", "stack_error"
    finally:
        if session is not None:
            try:
                session.close()
            except StackError as exc:
                error = error or f"stack fault while closing: {exc}"
            artifacts.update(session.artifacts)
        if csv:
            csv.close()
        backend.close()
    return _result(scenario_id, engine, suite, error, end_reason, artifacts, config, started)


def _result(scenario_id: str, engine: Any, suite: Any, error: str, end_reason: str, artifacts: dict[str, str],
            config: TestConfig, started: float) -> ScenarioResult:
    from simplatform.results import MetricEvent

    evaluation = suite.finish(parameters=dict(engine.parameters)) if suite is not None and suite.steps else None
    verdicts = evaluation.verdicts if evaluation is not None else ()
    verdict = Verdict.ERROR if error else Verdict.combine([v.verdict for v in verdicts])
    story_events = tuple(MetricEvent(time=ev.time, kind=f"{ev.kind}.{ev.transition}", detail=ev.element)
                         for ev in engine.storyboard.log)
    events = story_events + (evaluation.events if evaluation is not None else ())
    scores = dict(evaluation.scores) if evaluation is not None else {}
    if evaluation is not None and evaluation.leaderboard is not None:
        scores["driving_score"] = float(evaluation.leaderboard.driving_score)
    return ScenarioResult(
        scenario_id=scenario_id, verdict=verdict, end_reason=end_reason, sim_time=engine.time,
        steps=engine.step_index, wall_time=wallclock.perf_counter() - started, requirements=tuple(verdicts),
        metrics=evaluation.scalars() if evaluation is not None else {}, scores=scores,
        events=tuple(sorted(events, key=lambda e: e.time)), error=error,
        parameters=dict(engine.parameters), artifacts=artifacts, seed=config.seed,
    )
