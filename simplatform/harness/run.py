"""``run_test(spec, config) -> ScenarioResult``: one scenario, a stack under test, its sensors, its metrics.

Composition of one test run (DESIGN.md "One scenario run, as data flows")
on the one engine loop, ``simplatform.engine.run.run_scenario``, through its
hooks: ``on_start`` (after Init: the road, the ego's lane position and
assigned route are known) computes the route, builds the sensor rig and the
metrics and opens the stack session; ``stack_setup`` hands the stack its
``StackSetup``; each step ``observations`` gives the stack the bridge
messages of the topics due, its control drives the ego through the native
backend, and ``on_step`` feeds the metrics (t = 0 included, from
``on_start``) and the report's trace.  The scenario's V2X world
(``.v2x.V2XWiring``: roadside units, equipped vehicles, storyboard
messages) reaches the ego's radios; warnings are timed at first delivery.  With ``config.stack`` None the
storyboard drives the ego and only the metrics and the trace run.

A stack fault (``StackError``/``StackTimeout``: crash, hang, garbage,
wrong-step control, disconnect) ends the scenario with ``Verdict.ERROR``
and the fault's message in ``error``: the metrics of what ran are kept, no
exception leaves ``run_test``, and the session is closed (its process
stopped, its log kept as an artifact) so the next scenario starts clean.
A stack that runs out of memory raises ``MemoryError`` on (the runner
reports it with the limit and replaces the worker).  Bad input (scenario,
rig, requirements, launch values) raises the ``InputError`` naming file,
line and cause, as everywhere in the platform.
"""

from __future__ import annotations

import contextlib
import json
import tempfile
import time as wallclock
from dataclasses import replace
from pathlib import Path
from typing import Any, Collection

from simplatform.bridge import StackSetup
from simplatform.errors import ConfigError, StackError
from simplatform.results import MetricEvent, ScenarioResult, Verdict

from .config import TestConfig
from .observe import Observer, registry_for
from .route_topics import goal_of, mounts_message, route_info_message, route_message, route_segments, sample
from .stack_choice import open_session
from .trace import TraceRecorder
from .v2x import V2XWiring
from .v2x_scenario import read_scenario

_STATIC_WORLDS: dict[int, tuple[Any, Any]] = {}
_STATIC_WORLD_CACHE = 16
"""As many maps as the engine keeps networks (``engine.run.cached_road_network``): the library has
about ten, and a pool worker runs them interleaved (longest scenarios first), so each map's mesh and
BVH are built once per worker, not once per scenario."""


def _static_world(road: Any) -> Any:
    """The sensors' static world of a road network, built once per network object in this process."""
    from sensors import static_world_for
    from simplatform.opendrive.mesh import build_road_mesh

    hit = _STATIC_WORLDS.get(id(road))
    if hit is not None and hit[0] is road:
        _STATIC_WORLDS[id(road)] = _STATIC_WORLDS.pop(id(road))  # most recently used last
        return hit[1]
    if len(_STATIC_WORLDS) >= _STATIC_WORLD_CACHE:
        _STATIC_WORLDS.pop(next(iter(_STATIC_WORLDS)))
    world = static_world_for(build_road_mesh(road))
    _STATIC_WORLDS[id(road)] = (road, world)
    return world


def _vehicle_parameters(engine: Any, *, set_speed: bool) -> dict[str, float]:
    """The ego's calibration a stack would be built with (wheelbase, box) and, with ``set_speed``, the
    driver's set speed: the ego's speed after Init (the test speed; ``StackParameters.set_speed``)."""
    t = engine.table
    i = engine.entity_index(engine.ego)
    cx, length = float(t.bbox_center_x[i]), float(t.length[i])
    out = {"wheelbase": float(t.wheelbase[i]), "front_length": cx + 0.5 * length,
           "rear_length": 0.5 * length - cx, "width": float(t.width[i])}
    speed = float(t.speed[i])
    if set_speed and speed > 0.1:
        out["set_speed"] = speed
    return out


def declared_names(stack: Any, attribute: str) -> frozenset[str] | None:
    """A stack class's own declaration ``attribute`` (``subscribed_sensor_types``, ``subscribed_topics``):
    a collection of names, None when the class itself declares none (not inherited: see ``_open_stack``)."""
    if stack is None:
        return None
    cls = type(stack)
    value = vars(cls).get(attribute)
    if value is None:
        return None
    if isinstance(value, (str, bytes)) or not isinstance(value, Collection) \
            or not all(isinstance(name, str) for name in value):
        raise ConfigError(f"{cls.__module__}.{cls.__qualname__}.{attribute} must be a set of names (str), "
                          f"got {value!r}", element="stack.class")
    return frozenset(value)


class _SessionDriver:
    """The ``stack`` run_scenario drives: the session opened in ``on_start``, faults passed on."""

    def __init__(self) -> None:
        self.session: Any = None

    def setup(self, setup: StackSetup) -> None:
        self.session.setup(setup)

    def step(self, observations: Any) -> Any:
        try:
            return self.session.step(observations)
        except StackError as exc:
            if isinstance(exc.__cause__, MemoryError):
                raise MemoryError(str(exc)) from exc  # a resource failure of the worker, not a verdict
            raise


class _TestRun:
    """The state of one ``run_test`` across run_scenario's hooks."""

    def __init__(self, config: TestConfig, scenario_id: str, requirements: tuple[Any, ...]) -> None:
        self.config = config
        self.scenario_id = scenario_id
        self._scratch_log_dir: Path | None = None
        self.requirements = requirements
        self.engine: Any = None
        self.suite: Any = None
        self.trace: TraceRecorder | None = None
        self.observer: Observer | None = None
        self.driver = _SessionDriver() if config.stack is not None else None
        self.setup_message: StackSetup | None = None
        self.artifacts: dict[str, str] = {}
        self.v2x = V2XWiring()


    # ----------------------------------------------------------- hooks
    def start(self, engine: Any) -> None:
        from metrics import GoalRegion, MetricSuite, RoutePath, ScenarioContext, stop_lines_from_road

        config = self.config
        self.engine = engine
        engine.need_collisions = True
        net = engine.road.net if engine.road is not None else None
        goal = goal_of(engine.scenario, engine.ego)
        stop_lines = tuple(stop_lines_from_road(net)) if net is not None else ()
        waypoints = self._route(engine, net, goal) if net is not None else None
        route = RoutePath.from_points(waypoints.points()) if waypoints is not None else None
        v2x = read_scenario(engine.scenario, engine.ego)
        has_v2x = v2x.any
        context = ScenarioContext(road=net, ego=engine.ego, stop_lines=stop_lines, route=route,
                                  goal=GoalRegion(goal[0], goal[1], goal[2]) if goal is not None else None,
                                  v2x_expected=bool(v2x.commands))  # warnings come as they are delivered
        self.suite = MetricSuite(context, self.requirements, all_metrics=config.all_metrics)
        if config.trace_hz > 0 and config.out_dir is not None:
            self.trace = TraceRecorder(config.trace_hz, config.dt, net)
        if self.driver is not None:
            self._open_stack(engine, net, waypoints, stop_lines, has_v2x)
        else:  # the ego still listens (a default radio), so that warnings are timed at delivery
            self.v2x.bind(engine, None, dt=config.dt, static_world=_static_world(net) if has_v2x and net else None,
                          seed=config.seed, scenario_id=self.scenario_id)
        self.on_step(engine)  # the world at t = 0

    def _route(self, engine: Any, net: Any, goal: tuple[float, float, float] | None) -> Any:
        t = engine.table
        i = engine.entity_index(engine.ego)
        road_id = t.lane_road[i]
        if road_id is None:
            if self.driver is None:
                return None  # a scripted ego off the lanes: no route metrics, nothing else needs one
            raise StackError(f"the ego {engine.ego!r} is not on a lane at the start: no route to give the stack")
        segments = route_segments(net, (road_id, int(t.lane_id[i]), float(t.lane_s[i])),
                                  goal_lane=self.config.goal, goal_point=goal, length=self.config.route_length,
                                  prefer=engine.routes.preferred.get(i, ()), speed=float(t.speed[i]),
                                  max_time=self.config.max_time, legs=engine.routes.legs.get(i, ()))
        return sample(net, segments, self.config.route_spacing)

    def _open_stack(self, engine: Any, net: Any, waypoints: Any, stop_lines: tuple[Any, ...], has_v2x: bool) -> None:
        from sensors.gnss import GeoReference

        config = self.config
        geo = GeoReference.from_header(net.header) if net is not None else None
        rig = config.rig_config(self.scenario_id, map_has_geo_reference=geo is not None, v2x=has_v2x)
        registry = registry_for(rig, ground_truth_objects=config.ground_truth_objects)
        latched = {"/sensors/mounts": mounts_message(rig.sensors)}
        route_msg = route_message(waypoints) if waypoints is not None else None
        if waypoints is not None:
            latched.update({"/route": route_msg, "/route/info": route_info_message(waypoints, stop_lines)})
        static = _static_world(net) if net is not None else None
        self.v2x.bind(engine, rig, dt=config.dt, static_world=static, seed=config.seed, scenario_id=self.scenario_id)
        vehicle = _vehicle_parameters(engine, set_speed=config.init_speed_is_set_speed) \
            if config.vehicle_parameters else {}
        stack_config = config.stack
        if stack_config.transport == "rosbridge" and vehicle:
            stack_config = replace(stack_config, env={**stack_config.env,
                                                      "SIMPLATFORM_STACK_VEHICLE": json.dumps(vehicle)})
        if config.out_dir is not None:
            log_dir = Path(config.out_dir)
        else:   # the stack's log needs a home; removed at close when nothing was written there
            log_dir = self._scratch_log_dir = Path(tempfile.mkdtemp(prefix="simplatform_"))
        self.driver.session = open_session(stack_config, registry, log_dir=log_dir)
        # an in-process stack whose class declares the sensor types / platform topics it reads gets only
        # those sensors run and those topics built; the declarations are not inherited (a subclass may read
        # more topics), so a subclass gets them all
        stack_object = getattr(self.driver.session, "stack", None) if stack_config.transport == "inprocess" else None
        self.observer = Observer(self.v2x.other_sensors(rig), registry, config.dt, static_world=static,
                                 geo_reference=geo, latched=latched,
                                 sensor_types=declared_names(stack_object, "subscribed_sensor_types"),
                                 subscribed_topics=declared_names(stack_object, "subscribed_topics"))
        self.setup_message = StackSetup(topics=registry, dt=config.dt, route=route_msg,
                                        parameters={**vehicle, **dict(config.stack_parameters)}, seed=config.seed)

    def stack_setup(self, engine: Any) -> StackSetup:  # noqa: ARG002 — built in start()
        return self.setup_message

    def observations(self, snapshot: Any) -> dict[str, Any]:
        out = self.observer.observe(snapshot)
        out.update(self.v2x.observe(snapshot))  # /v2x/<radio> when due
        self._warnings_to_metrics()
        return out

    def on_step(self, engine: Any) -> None:
        snapshot = engine.snapshot()
        if self.driver is None and self.v2x.equipped:
            self.v2x.observe(snapshot)
            self._warnings_to_metrics()
        self.suite.observe(snapshot)
        if self.trace is not None:
            self.trace.observe(snapshot)

    def _warnings_to_metrics(self) -> None:
        """V2X warnings first delivered to the ego this step: the reaction metric times the response."""
        for warning in self.v2x.new_warnings():
            self.suite.add_v2x_warning(warning)

    # ------------------------------------------------------------- end
    def close(self) -> str:
        """Close the stack session (process stopped, log kept); a fault while closing is returned."""
        session = self.driver.session if self.driver is not None else None
        if session is None:
            return ""
        try:
            session.close()
        except StackError as exc:
            return f"stack fault while closing: {exc}"
        finally:
            self.artifacts.update(session.artifacts)
            self._drop_empty_scratch()
        return ""

    def _drop_empty_scratch(self) -> None:
        """Remove the temporary log directory made for a run without ``out_dir`` if the stack wrote
        nothing there (an in-process stack never does): a suite of such runs left one empty
        ``/tmp/simplatform_*`` directory per scenario.  A directory holding a stack's log stays, since
        the result's artifacts name it."""
        scratch, self._scratch_log_dir = self._scratch_log_dir, None
        if scratch is not None:
            with contextlib.suppress(OSError):   # not empty (the stack's log): kept on purpose
                scratch.rmdir()

    def result(self, base: ScenarioResult | None, error: str, started: float) -> ScenarioResult:
        """run_scenario's result (or, for a fault before the first step, the engine's state) with the
        metrics: requirements' verdicts, scalars, scores, events, the trace artifact."""
        engine = self.engine
        evaluation = None
        if self.suite is not None and self.suite.steps:
            evaluation = self.suite.finish(parameters=dict(engine.parameters))
        verdicts = evaluation.verdicts if evaluation is not None else ()
        error = (base.error if base is not None else "") or error
        verdict = Verdict.ERROR if error else Verdict.combine([v.verdict for v in verdicts])
        artifacts = {**(base.artifacts if base is not None else {}), **self.artifacts}
        if self.trace is not None:
            path = Path(self.config.out_dir) / "trace.json"
            self.trace.write(path, evaluation)
            artifacts["trace"] = str(path)
        if base is None:  # a fault before the loop: the engine's state as run_scenario would have reported it,
            # its records included (a system-under-test note is written at Init, before the stack's first step)
            from simplatform.engine.run import scenario_result

            base = scenario_result(engine, self.scenario_id, self.config, "stack_error", error, started, {})
        scores = dict(evaluation.scores) if evaluation is not None else {}
        if evaluation is not None and evaluation.leaderboard is not None:
            scores["driving_score"] = float(evaluation.leaderboard.driving_score)
        events = base.events + (evaluation.events if evaluation is not None else ())
        if not any(e.kind == "v2x_warning" for e in events):  # each delivered warning, on the result's timeline
            events += tuple(MetricEvent(w.time, "v2x_warning", (), None, w.message) for w in self.v2x.warnings())
        return replace(base, verdict=verdict, error=error, requirements=tuple(verdicts),
                       end_reason="stack_error" if error and base.end_reason != "stack_error" else base.end_reason,
                       metrics={**base.metrics, **(evaluation.scalars() if evaluation is not None else {})},
                       scores=scores, events=tuple(sorted(events, key=lambda e: e.time)), artifacts=artifacts,
                       wall_time=wallclock.perf_counter() - started)


def run_test(spec: Any, config: TestConfig | None = None) -> ScenarioResult:
    from simplatform.engine.run import RunConfig, ScenarioSpec, run_scenario

    config = config or TestConfig()
    started = wallclock.perf_counter()
    if not isinstance(spec, ScenarioSpec):
        spec = ScenarioSpec(Path(spec))
    scenario_id = spec.scenario_id or Path(spec.path).stem
    run = _TestRun(config, scenario_id, config.requirement_list(spec.path))  # bad requirements fail first
    driver = run.driver
    run_config = RunConfig(
        dt=config.dt, seed=config.seed, out_dir=config.out_dir, csv=config.csv, record=config.record,
        max_time=config.max_time, ego=config.ego, vehicle_model=config.vehicle_model,
        custom_handlers={**config.custom_handlers, **run.v2x.handlers()}, on_start=run.start, on_step=run.on_step,
        stack=driver, observations=run.observations if driver is not None else None,
        stack_setup=run.stack_setup if driver is not None else None)
    base, error = None, ""
    try:
        base = run_scenario(spec, run_config)
    except StackError as exc:  # a fault before the loop (opening, setup): the run ends where it stood
        if run.engine is None:
            raise
        error = f"stack fault at t={run.engine.time:.3f} s (step {run.engine.step_index}): {exc}"
    finally:
        close_error = run.close()
    return run.result(base, error or close_error, started)
