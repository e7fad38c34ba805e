"""``simplatform run SCENARIO.xosc``: play one scenario headless, write its trajectory log.

Besides the storyboard events that fired, the summary prints the run's notes
(``simplatform.notes.result_notes``, shared with the suite runner's summary and
reports): what the engine recorded that changes how the scenario was played
and that a user should know — a controller taken as the system under test and
who drives the ego, an action not applied, a collision the simulator reported.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from simplatform.errors import ConfigError
from simplatform.notes import NOTE_KINDS, format_note, result_notes  # shared with the suite runner

__all__ = ["NOTE_KINDS", "format_note", "parse_params", "register", "result_notes", "run"]


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("run", help="play an OpenSCENARIO file headless and write its trajectory log")
    p.add_argument("scenario", type=Path, nargs="?",
                   help="the .xosc file (or a directory of them, or a launch .yaml: a suite)")
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                   help="override a global parameter (repeatable)")
    p.add_argument("--dt", type=float, default=0.01, help="fixed step in seconds (default 0.01)")
    p.add_argument("--seed", type=int, default=0, help="seed of every random draw (default 0)")
    p.add_argument("--out", type=Path, default=Path("out"), help="output directory (default ./out)")
    p.add_argument("--record", action="store_true", help="also write an MCAP recording (ROS 2 encodings)")
    p.add_argument("--max-time", type=float, default=600.0, help="stop after this simulated time (s)")
    p.add_argument("--vehicle-model", choices=("dynamic", "kinematic"), default="dynamic",
                   help="vehicle model of a stack-driven ego (default dynamic single track)")
    p.add_argument("--backend", choices=("native", "carla"), default="native", help="simulator (default native)")
    p.add_argument("--carla-host", default="127.0.0.1", help="CARLA server host (default 127.0.0.1)")
    p.add_argument("--carla-port", type=int, default=2000, help="CARLA server port (default 2000)")
    p.add_argument("--carla-timeout", type=float, default=10.0, help="seconds per CARLA request (default 10)")
    from simplatform.runner.cli import add_suite_arguments  # suites: simplatform.runner

    add_suite_arguments(p)
    p.set_defaults(handler=run)


def parse_params(items: list[str]) -> dict[str, str]:
    params = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ConfigError(f"--param expects NAME=VALUE, got {item!r}")
        params[name.strip()] = value
    return params


def run(args: argparse.Namespace) -> int:
    from simplatform.engine.run import RunConfig, ScenarioSpec, run_scenario
    from simplatform.runner.cli import run_suite_command, wants_suite

    if wants_suite(args):
        return run_suite_command(args)
    if args.scenario is None:
        raise ConfigError("give a scenario file, a directory, a launch .yaml, --suite library or --resume RUN_DIR")
    if not args.scenario.is_file():
        raise ConfigError(f"no such scenario file: {args.scenario}")
    if getattr(args, "route_length", None) is not None:  # the suite options' --route-length (simplatform.runner)
        raise ConfigError("--route-length is the route given to a stack under test: name one with --stack "
                          "(a single .xosc without one is played as written, no route is given)")
    egos: list[str] = []  # the engine's ego (--ego, else its rule: simplatform.engine.build.guess_ego)
    config = RunConfig(dt=args.dt, seed=args.seed, out_dir=args.out, record=args.record, max_time=args.max_time,
                       vehicle_model=args.vehicle_model, backend=args.backend, carla_host=args.carla_host,
                       carla_port=args.carla_port, carla_timeout=args.carla_timeout,
                       ego=getattr(args, "ego", None),  # --ego (a suite option, also for one .xosc)
                       on_start=lambda engine: egos.append(engine.ego))
    from simplatform.commands.run_distribution import is_distribution, run_distribution

    if is_distribution(args.scenario):
        from dataclasses import replace

        return run_distribution(args.scenario, parse_params(args.param), replace(config, on_start=None), args.seed)
    result = run_scenario(ScenarioSpec(args.scenario, parse_params(args.param)), config)
    fired = [e for e in result.events if e.kind == "Event.startTransition"]
    print(f"scenario   {result.scenario_id}")
    if egos:
        print(f"ego        {egos[0]}" + (" (--ego)" if config.ego is not None else ""))
    print(f"duration   {result.sim_time:.3f} s simulated in {result.wall_time:.3f} s wall "
          f"({result.sim_time / max(result.wall_time, 1e-9):.0f}x real time)")
    print(f"steps      {result.steps} (dt {args.dt:g} s)")
    print(f"end reason {result.end_reason}")
    print(f"events     {len(fired)} fired")
    for e in fired[:20]:
        print(f"  {e.time:8.3f} s  {e.detail}")
    if len(fired) > 20:
        print(f"  ... {len(fired) - 20} more")
    notes = result_notes(result)
    if notes:
        print(f"notes      {len(notes)}")
        for e in notes:
            print(format_note(e))
    if result.error:
        print(f"error      {result.error}")
    for name, path in result.artifacts.items():
        print(f"{name:10s} {path}")
    return 0
