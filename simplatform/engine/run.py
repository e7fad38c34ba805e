"""``run_scenario(spec, config) -> ScenarioResult``: one scenario, headless, start to end.

The one pure function every executor calls (DESIGN.md).  It loads the
scenario and its road network, runs the engine at a fixed step until the
storyboard's stop trigger fires, the storyboard completes (without a stop
trigger, and not while a stack under test drives: ``end_reason_of``), or
``max_time`` passes, writes the CSV trajectory log (and the MCAP recording when asked)
and returns the result.  Bad input raises an ``InputError`` subclass (the
CLI turns it into exit 2); a stack, when given, drives the ego each step
through the backend (vehicle dynamics, ``RunConfig.vehicle_model``), and a
``StackError`` from it (crash, timeout, unusable command) ends the run with
``Verdict.ERROR``, ``end_reason="stack_error"`` and the fault in ``error``.

Hooks, in order: ``on_start(engine)`` after Init, ``stack.setup``, then per
step ``stack.step(observations(snapshot))`` → ``engine.step()`` →
``on_step(engine)``.  ``play_to`` gives the world at one instant and
``load_scenario_and_road`` the parsed inputs, for tools.
"""

from __future__ import annotations

import time as wallclock
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from simplatform.engine.heap import frozen_setup_heap
from simplatform.errors import ConfigError, StackError
from simplatform.results import MetricEvent, ScenarioResult, Verdict


@dataclass(frozen=True)
class ScenarioSpec:
    path: Path
    parameters: dict[str, Any] = field(default_factory=dict)
    scenario_id: str | None = None


@dataclass(frozen=True)
class RunConfig:
    dt: float = 0.01
    seed: int = 0
    out_dir: Path | None = None
    csv: bool = True
    record: bool = False
    record_every: int = 1
    max_time: float = 600.0
    stack: Any = None
    observations: Callable[[Any], Any] | None = None
    custom_handlers: dict[str, Callable[[str, str], None]] = field(default_factory=dict)
    on_step: Callable[[Any], None] | None = None
    ego: str | None = None
    vehicle_model: str = "dynamic"
    """Vehicle model of the stack-driven ego: "dynamic" (single track with tyres) or "kinematic"."""
    on_start: Callable[[Any], None] | None = None
    """Called with the engine after Init (and the ego's take-over by the backend), before the first
    step: the place to read the ego's lane position and route, and to observe the t = 0 world."""
    backend: str = "native"
    """"native" (the engine's own world) or "carla" (simplatform.backends.carla_backend)."""
    carla_host: str = "127.0.0.1"
    carla_port: int = 2000
    carla_timeout: float = 10.0
    """Seconds per CARLA RPC (client.set_timeout)."""
    stack_setup: Callable[[Any], Any] | None = None
    """When given, ``stack.setup(stack_setup(engine))`` (the bridge's ``StackSetup`` shape) replaces
    the two-argument ``stack.setup(None, None)``; called after ``on_start``."""


_ROADS: dict[tuple[str, bytes], Any] = {}


def cached_road_network(path) -> Any:
    """``load_opendrive`` once per process per (path, content): a batch of variants on one map parses
    it once, and the lane tables cached on the network object are shared too.  Keyed by a digest of
    the file's bytes, not its mtime and size: a same-size rewrite within one timestamp tick (a test or a
    generator rewriting a map) is parsed again.  Reading and hashing a map costs well under a millisecond."""
    import hashlib

    from simplatform.opendrive import RoadNetwork
    from simplatform.opendrive.parser import parse_document
    from simplatform.opendrive.xml_input import read_file

    data, source = read_file(Path(path).resolve())  # errors name the file
    key = (source, hashlib.blake2b(data, digest_size=16).digest())
    net = _ROADS.get(key)
    if net is None:
        if len(_ROADS) >= 16:
            _ROADS.pop(next(iter(_ROADS)))
        net = RoadNetwork(parse_document(data, source))
        _ROADS[key] = net
    return net


def load_scenario_and_road(spec: ScenarioSpec | str | Path):
    """The parsed Scenario (parameters of ``spec`` applied) and its RoadNetwork (None without one).

    Bad input raises the ``InputError`` naming file, line and cause."""
    from simplatform.openscenario.loader import load_scenario

    if not isinstance(spec, ScenarioSpec):
        spec = ScenarioSpec(Path(spec))
    scenario = load_scenario(spec.path, spec.parameters)
    road = cached_road_network(scenario.road_network_path) if scenario.road_network_path is not None else None
    return scenario, road


_load = load_scenario_and_road  # the name the first callers used


BACKENDS = ("native", "carla")


def _check(config: RunConfig) -> None:
    if not (config.dt > 0 and config.dt <= 1.0):
        raise ConfigError(f"--dt must be in (0, 1] s, got {config.dt}")
    if config.backend not in BACKENDS:
        raise ConfigError(f"--backend must be native or carla, not {config.backend!r}")


def _engine_and_backend(scenario, road, config: RunConfig):
    """(engine, backend, road): the native world, or CARLA's (which may bring its own town's road)."""
    if config.backend == "carla":
        from simplatform.backends.carla_backend import start_carla

        engine, backend = start_carla(scenario, road, config)  # connects, loads the world, attaches
        return engine, backend, (engine.road.net if engine.road is not None else None)
    from simplatform.backends.native import NativeBackend
    from simplatform.engine.engine import ScenarioEngine

    engine = ScenarioEngine(scenario, road, dt=config.dt, ego=config.ego, custom_handlers=config.custom_handlers,
                            seed=config.seed)
    return engine, NativeBackend(engine, seed=config.seed, vehicle_model=config.vehicle_model), road


def play_to(spec: ScenarioSpec | str | Path, time: float, config: RunConfig | None = None):
    """``(WorldSnapshot, RoadNetwork | None)``: the scenario played headless to simulation ``time``.

    For tools that need the world at one instant (sensor rendering, map views):
    no stack, no logs; the ego and every other entity move as the scenario
    says.  When the stop trigger fires or the storyboard completes earlier,
    the world at that moment is returned (its ``snapshot.time`` says when).
    ``config`` gives ``dt``, ``seed``, ``ego`` and ``custom_handlers``."""
    config = config or RunConfig()
    _check(config)
    if not time >= 0.0:
        raise ConfigError(f"the time to play to must be >= 0 s, got {time}")
    scenario, road = load_scenario_and_road(spec)
    engine, backend, road = _engine_and_backend(scenario, road, config)
    try:
        engine.initialise()
        backend.load(road, engine.table)
        steps = int(round(time / config.dt))
        while engine.step_index < steps:
            engine.step()
            if engine.storyboard.stopped or (engine.storyboard.complete and engine.storyboard.stop_trigger is None):
                break
        return engine.snapshot(), road
    finally:
        backend.close()


def run_scenario(spec: ScenarioSpec | str | Path, config: RunConfig | None = None) -> ScenarioResult:
    if not isinstance(spec, ScenarioSpec):
        spec = ScenarioSpec(Path(spec))
    config = config or RunConfig()
    _check(config)
    started = wallclock.perf_counter()
    scenario, road = load_scenario_and_road(spec)
    engine, backend, road = _engine_and_backend(scenario, road, config)
    scenario_id = spec.scenario_id or Path(spec.path).stem
    csv, mcap, artifacts = open_logs(config, scenario_id, road)
    stack = config.stack
    error = ""
    try:
        engine.initialise()
        backend.load(road, engine.table)  # native: nothing; CARLA: spawns the actors at their Init poses
        if stack is not None:
            backend.take_over(engine.ego)
        if config.on_start is not None:
            config.on_start(engine)
        if stack is not None:
            if config.stack_setup is not None:
                stack.setup(config.stack_setup(engine))
            else:
                stack.setup(None, None)
        if csv:
            csv.write(engine.table, engine.time)
        if mcap:
            mcap.write(engine.table, engine.time, engine.step_index)
        max_steps = int(round(config.max_time / config.dt))
        end_reason = "max_time"
        with frozen_setup_heap():   # the loop walks no set-up object in a collection (engine.heap)
            while engine.step_index < max_steps:
                if stack is not None:
                    try:
                        snap = engine.snapshot()
                        obs = config.observations(snap) if config.observations else snap
                        command = stack.step(obs)
                        if command is not None:  # None: the last command holds
                            backend.apply(engine.ego, command)
                    except StackError as exc:
                        # a crashed, hung or garbling stack ends the run with an ERROR verdict, not a traceback
                        error = f"stack fault at t={engine.time:.3f} s (step {engine.step_index}): {exc}"
                        end_reason = "stack_error"
                        break
                engine.step()  # moves every entity, the backend's driven ego included
                if csv:
                    csv.write(engine.table, engine.time)
                if mcap:
                    mcap.write(engine.table, engine.time, engine.step_index)
                if config.on_step is not None:
                    config.on_step(engine)
                ended = end_reason_of(engine, driven=stack is not None)
                if ended is not None:
                    end_reason = ended
                    break
    finally:
        if csv:
            csv.close()
        if mcap:
            mcap.close()
        backend.close()
    return scenario_result(engine, scenario_id, config, end_reason, error, started, artifacts)


def open_logs(config: RunConfig, scenario_id: str, road=None):
    """(CSV log or None, MCAP recorder or None, artifacts) as ``config`` asks for them; the MCAP
    recorder gets the road network's lane lines (the Foxglove scene's /scene/road)."""
    from simplatform.recording.csv_log import CsvTrajectoryLog

    artifacts: dict[str, str] = {}
    csv = mcap = None
    if config.out_dir is not None:
        out = Path(config.out_dir)
        if config.csv:
            csv = CsvTrajectoryLog(out / f"{scenario_id}.csv", config.dt)
            artifacts["trajectory_csv"] = str(out / f"{scenario_id}.csv")
        if config.record:
            from simplatform.recording.mcap_log import McapRecorder

            mcap = McapRecorder(out / f"{scenario_id}.mcap", every=config.record_every)
            artifacts["mcap"] = str(out / f"{scenario_id}.mcap")
            if road is not None:
                mcap.set_road(road)
    return csv, mcap, artifacts


STORYBOARD_COMPLETE = "StoryboardComplete"
"""Kind of the engine's record (a note, simplatform.notes) of a storyboard that completed with no stop trigger."""
NOTHING_PLAYED_WITHIN = 1.0
"""Seconds: a headless run whose storyboard completes this early, no event started, was most likely
not meant to end there (an idle ManeuverGroup and ``<StopTrigger/>``); its end is noted."""


def end_reason_of(engine, driven: bool = False) -> str | None:
    """Why the run ends after this step ("stop_trigger", "storyboard_complete"), None to go on.

    A storyboard without an effective stop trigger (none, ``<StopTrigger/>``, or CARLA criteria only:
    engine/build.py ``compile_trigger``) ends the run when it completes -- as esmini plays a file --
    unless a stack under test drives (``driven``) and no event ever started: a "free drive" file (Init,
    an idle ManeuverGroup or no Story, ``<StopTrigger/>``) completes at its first step, and the stack's
    test would silently be a one-step run; it runs on to ``max_time`` instead.  A story that played and
    finished ends the run under a stack too (as ScenarioRunner ends a scenario whose behaviour tree is
    done).  The free drive is noted once (``STORYBOARD_COMPLETE``), and so is a headless completion
    within the first second with no event started."""
    sb = engine.storyboard
    if sb.stopped:
        return "stop_trigger"
    if sb.stop_trigger is None and sb.complete:
        if driven and sb.events_fired == 0:     # nothing played: a free drive, not a finished story
            if not sb.completion_noted:
                sb.completion_noted = True
                engine.record(STORYBOARD_COMPLETE, "", f"storyboard complete at t={engine.time:.2f} s with no stop "
                              "trigger: the stack under test drives on until max_time")
            return None
        if engine.time <= NOTHING_PLAYED_WITHIN + 1e-9 and sb.events_fired == 0:
            engine.record(STORYBOARD_COMPLETE, "", f"storyboard complete at t={engine.time:.2f} s: no stop trigger "
                          "and nothing to play, so the run ends here")
        return "storyboard_complete"
    return None


def scenario_result(engine, scenario_id: str, config: RunConfig, end_reason: str, error: str, started: float,
                    artifacts: dict[str, str]) -> ScenarioResult:
    events = tuple(
        MetricEvent(time=ev.time, kind=f"{ev.kind}.{ev.transition}", entities=(), detail=ev.element)
        for ev in engine.storyboard.log
    ) + tuple(MetricEvent(time=r.time, kind=r.kind, entities=(r.entity,) if r.entity else (), detail=r.detail)
              for r in engine.records)
    return ScenarioResult(
        scenario_id=scenario_id,
        verdict=Verdict.ERROR if error else Verdict.PASS,
        end_reason=end_reason,
        error=error,
        sim_time=engine.time,
        steps=engine.step_index,
        wall_time=wallclock.perf_counter() - started,
        events=events,
        parameters={k: v for k, v in engine.parameters.items()},
        artifacts=artifacts,
        seed=config.seed,
        metrics={"events_fired": float(engine.storyboard.events_fired)},
        ego=engine.ego or "",
    )
