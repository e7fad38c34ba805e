"""The suite side of ``simplatform run``: arguments, dispatch and the printed summary.

``simplatform run`` keeps the engine's single-scenario path for one ``.xosc``
file; a directory, a launch ``.yaml``, ``--suite``, a filter or ``--resume``
come here (``wants_suite``).
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

from simplatform.errors import ConfigError
from simplatform.runner.launch import load_launch, parse_stack
from simplatform.runner.session import RunOutcome, resume_run, run_suite
from simplatform.runner.settings import EXECUTORS, REPORTS, RunSettings
from simplatform.runner.suite import default_library_index, load_directory, load_index, select


def add_suite_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("suites (a directory, a launch .yaml, --suite, filters or --resume)")
    g.add_argument("--suite", metavar="library|INDEX", help="run the scenario library ('library') or an index file")
    g.add_argument("--family", action="append", default=[], help="only this family (repeatable)")
    g.add_argument("--tag", action="append", default=[], help="only scenarios with this tag (repeatable)")
    g.add_argument("--id", action="append", default=[], dest="id_glob", metavar="GLOB",
                   help="only ids matching this shell glob (repeatable)")
    g.add_argument("--resume", type=Path, metavar="RUN_DIR", help="finish an interrupted run")
    g.add_argument("--run-dir", type=Path, help="where the run goes (default OUT/runs/<date-time>)")
    g.add_argument("--executor", choices=EXECUTORS, help="sequential, pool (default) or ray")
    g.add_argument("--jobs", type=int, help="worker processes (default: all cores)")
    g.add_argument("--address", help="Ray cluster address (with --executor ray)")
    g.add_argument("--timeout", type=float, default=600.0, help="wall-clock limit per scenario in s (default 600)")
    g.add_argument("--memory-limit", type=int, default=4096, metavar="MiB",
                   help="address-space budget per scenario in MiB (default 4096; 0 = none)")
    g.add_argument("--stack", default=None, help="none, package.module:factory or file.py:factory")
    g.add_argument("--requirements", type=Path, help="requirement set merged over each scenario's own")
    g.add_argument("--trace-hz", type=float, default=10.0, help="replay sampling rate for the report (0 = none)")
    g.add_argument("--reports", default=",".join(REPORTS), help="comma list of junit,json,html")
    g.add_argument("--quiet", action="store_true", help="no progress bar (also when CI is set or not a terminal)")


def wants_suite(args: argparse.Namespace) -> bool:
    target = args.scenario
    if args.resume or args.suite or args.family or args.tag or args.id_glob:
        return True
    return target is not None and (target.is_dir() or target.suffix in (".yaml", ".yml"))


def run_suite_command(args: argparse.Namespace) -> int:
    execution = {"executor": args.executor, "jobs": args.jobs, "address": args.address}
    if args.resume is not None:
        if args.scenario is not None:
            raise ConfigError("--resume takes the run directory alone, not a scenario or suite")
        outcome = resume_run(args.resume, quiet=args.quiet, **execution)
        return _print(outcome)
    run_dir = args.run_dir
    if args.scenario is not None and args.scenario.suffix in (".yaml", ".yml"):
        launch = load_launch(args.scenario)
        settings = launch.settings.with_execution(**execution)
        entries = select(launch.entries, families=args.family, tags=args.tag, ids=args.id_glob)
        run_dir = run_dir or launch.run_dir
    else:
        if args.scenario is not None and args.suite:
            raise ConfigError("give a scenario directory or --suite, not both")
        if args.scenario is not None:
            entries = load_directory(args.scenario)
        elif args.suite in (None, "library"):
            entries = list(load_index(default_library_index()).entries)
        else:
            entries = list(load_index(args.suite).entries)
        if args.param:
            from simplatform.commands.run import parse_params

            overrides = parse_params(args.param)
            entries = [type(e)(**{**e.__dict__, "parameters": {**e.parameters, **overrides}}) for e in entries]
        entries = select(entries, families=args.family, tags=args.tag, ids=args.id_glob)
        settings = RunSettings(
            seed=args.seed, dt=args.dt, max_time=args.max_time, stack=parse_stack(args.stack),
            requirements=str(args.requirements.resolve()) if args.requirements else None,
            executor=args.executor or "pool", jobs=args.jobs or 0, address=args.address, timeout=args.timeout,
            memory_limit_mb=args.memory_limit or None, record=args.record, trace_hz=args.trace_hz,
            reports=tuple(x.strip() for x in args.reports.split(",") if x.strip()))
    if not entries:
        raise ConfigError("no scenario matches the filters")
    run_dir = run_dir or args.out / "runs" / datetime.now().strftime("%Y%m%d-%H%M%S")
    return _print(run_suite(entries, settings, run_dir, quiet=args.quiet))


def _print(o: RunOutcome) -> int:
    c = o.counts
    print(f"run dir    {o.run_dir}")
    print(f"results    {len(o.results)} scenarios: {c['pass']} pass, {c['fail']} fail, {c['error']} error "
          f"(ran {o.ran}, reused {o.skipped})")
    failing = [r for r in o.results if r.verdict.value != "pass"]
    for r in failing[:10]:
        why = ", ".join(v.requirement_id for v in r.requirements if v.verdict.value != "pass") or \
            (r.error.splitlines()[0] if r.error else r.end_reason)
        print(f"  {r.verdict.value:5s} {r.scenario_id}: {why}")
    if len(failing) > 10:
        print(f"  ... {len(failing) - 10} more (see the report)")
    for kind, path in o.reports.items():
        print(f"{kind:10s} {path}")
    sys.stdout.flush()
    return o.exit_code
