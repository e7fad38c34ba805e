"""The suite side of ``simplatform run``: arguments, dispatch and the printed summary.

``simplatform run`` keeps the engine's single-scenario path for one ``.xosc``
file played as written; a directory, a launch ``.yaml``, ``--suite``, a
filter, ``--resume``, or one ``.xosc`` with a stack or requirements come
here (``wants_suite``) and run through the test harness.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from simplatform.errors import ConfigError
from simplatform.runner.launch import load_launch
from simplatform.runner.session import RunOutcome, resume_run, run_suite
from simplatform.runner.settings import EXECUTORS, REPORTS, RunSettings
from simplatform.runner.suite import SuiteEntry, default_library_index, load_directory, load_index, select
from simplatform.runner.yamlio import load_located


EPILOG = """\
stack under test (--stack, or 'stack:' in a launch file):
  reference             the reference stack (object list, IDM/MOBIL planner, AEB), in-process
  lidar                 the reference stack with lidar perception (a VLP-16 unless --sensor-rig says otherwise)
  none                  no stack: the scenario's own storyboard drives the ego (still scored by the metrics)
  package.module:Class  your in-process stack (setup(StackSetup), step(observations) -> control)
  file.py:Class         the same, from a file
  a launch 'stack:' block, e.g. {transport: rosbridge, command: [python, -m, my_stack]}: any process
  over rosbridge (see simplatform.bridge.StackConfig for the keys).
Default: 'reference' for a suite (a directory, --suite library) — a suite tests a stack; a launch
file names its own, which --stack overrides.  'none' for a single .xosc file, which is played as
written (esmini-like) unless --stack, --requirements or --sensor-rig is given: then it runs as a
suite of one, with verdicts and reports.

exit status: 0 every scenario passed; 1 a requirement failed or a scenario ended in error (stack
fault, timeout, bad scenario file); 2 bad input or usage (nothing ran); 3 internal error.
"""


def add_suite_arguments(p: argparse.ArgumentParser) -> None:
    p.epilog = EPILOG
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    g = p.add_argument_group("suites (a directory, a launch .yaml, --suite, filters or --resume)")
    g.add_argument("--suite", metavar="library|INDEX", help="run the scenario library ('library') or an index file")
    g.add_argument("--family", action="append", default=[], help="only this family (repeatable)")
    g.add_argument("--tag", action="append", default=[], help="only scenarios with this tag (repeatable)")
    g.add_argument("--id", action="append", default=[], dest="id_glob", metavar="GLOB",
                   help="only ids matching this shell glob (repeatable)")
    g.add_argument("--per-logical", type=int, default=0, metavar="N",
                   help="at most N concrete scenarios per logical scenario (a smoke subset)")
    g.add_argument("--resume", type=Path, metavar="RUN_DIR", help="finish an interrupted run")
    g.add_argument("--run-dir", type=Path, help="where the run goes (default OUT/runs/<date-time>)")
    g.add_argument("--executor", choices=EXECUTORS, help="sequential, pool (default) or ray")
    g.add_argument("--jobs", type=int, help="worker processes (default: all cores)")
    g.add_argument("--address", help="Ray cluster address (with --executor ray)")
    g.add_argument("--timeout", type=float, default=600.0, help="wall-clock limit per scenario in s (default 600)")
    g.add_argument("--memory-limit", type=int, default=4096, metavar="MiB",
                   help="address-space budget per scenario in MiB (default 4096; 0 = none)")
    g.add_argument("--stack", default=None, metavar="reference|lidar|none|module:Class",
                   help="the stack under test (default: reference for suites, none for one .xosc; see below)")
    g.add_argument("--sensor-rig", type=Path, metavar="RIG.yaml", help="the stack's sensor rig (default: ideal "
                   "object list + IMU (+GNSS); a VLP-16 for the lidar stack)")
    g.add_argument("--route-length", type=float, metavar="M",
                   help="metres of lanes given to the stack as its route when a scenario has no goal (default: "
                        "as far as the ego could drive in --max-time at the higher of its initial speed and the "
                        "speed limit, 1000 m to 50 km, ending where the lanes end)")
    g.add_argument("--ego", metavar="NAME",
                   help="the entity the stack drives and the metrics judge (default: one named ego, hero, "
                        "egovehicle or ego_vehicle in any case, else the first Vehicle); also for one .xosc")
    g.add_argument("--requirements", type=Path, help="requirement set merged by id over each scenario's own")
    g.add_argument("--trace-hz", type=float, default=10.0, help="replay sampling rate for the report (0 = none)")
    g.add_argument("--reports", default=",".join(REPORTS), help="comma list of junit,json,html")
    g.add_argument("--quiet", action="store_true", help="no progress bar (also when CI is set or not a terminal)")


def wants_suite(args: argparse.Namespace) -> bool:
    target = args.scenario
    if args.resume or args.suite or args.family or args.tag or args.id_glob or args.per_logical:
        return True
    if target is not None and target.suffix == ".xosc" and (
            args.requirements or args.sensor_rig or (args.stack is not None and args.stack.strip() not in ("none", ""))):
        return True  # one scenario with a stack under test: a suite of one, with verdicts and reports
    return target is not None and (target.is_dir() or target.suffix in (".yaml", ".yml"))


def _run_defining_options(args: argparse.Namespace) -> list[str]:
    """The options given that define a run (what runs, how it is judged), which a resumed run keeps from
    its start; execution options (executor, jobs, address, quiet) may change on resume."""
    given = {"--stack": args.stack, "--sensor-rig": args.sensor_rig, "--route-length": args.route_length,
             "--ego": getattr(args, "ego", None), "--requirements": args.requirements, "--suite": args.suite,
             "--family": args.family, "--tag": args.tag, "--id": args.id_glob, "--per-logical": args.per_logical}
    return [name for name, value in given.items() if value not in (None, [], 0)]


def run_suite_command(args: argparse.Namespace) -> int:
    execution = {"executor": args.executor, "jobs": args.jobs, "address": args.address}
    if args.resume is not None:
        if args.scenario is not None:
            raise ConfigError("--resume takes the run directory alone, not a scenario or suite")
        fixed = _run_defining_options(args)
        if fixed:   # they would be silently ignored: the run finishes with the settings it was started with
            raise ConfigError(f"--resume finishes the run with the settings it was started with; drop "
                              f"{', '.join(fixed)} (start a new run to change them)")
        outcome = resume_run(args.resume, quiet=args.quiet, **execution)
        return _print(outcome)
    run_dir = args.run_dir
    if args.scenario is not None and args.scenario.suffix in (".yaml", ".yml"):
        _prestart_pool(args.executor or _launch_executor(args.scenario))
        launch = load_launch(args.scenario)
        settings = launch.settings.with_execution(**execution)
        if args.stack is not None:  # the same campaign against another stack
            settings = replace(settings, stack=args.stack, stack_params={})
        if args.sensor_rig is not None:
            settings = replace(settings, sensor_rig=str(args.sensor_rig.resolve()))
        if args.route_length is not None:
            settings = replace(settings, route_length=args.route_length)
        if args.ego is not None:
            settings = replace(settings, ego=args.ego)
        entries = select(launch.entries, families=args.family, tags=args.tag, ids=args.id_glob,
                         per_logical=args.per_logical)
        if run_dir is None and launch.run_dir is not None:
            run_dir = _fresh_run_dir(launch.run_dir)
    else:
        if args.scenario is not None and args.suite:
            raise ConfigError("give a scenario directory or --suite, not both")
        single = args.scenario is not None and args.scenario.is_file() and args.scenario.suffix == ".xosc"
        if single:
            entries = [SuiteEntry(re.sub(r"[^A-Za-z0-9._-]", "_", args.scenario.stem), args.scenario.resolve(),
                                  args.scenario.resolve().parent.name)]
        elif args.scenario is not None:
            entries = load_directory(args.scenario, seed=args.seed)
        elif args.suite in (None, "library"):
            entries = list(load_index(default_library_index()).entries)
        else:
            entries = list(load_index(args.suite).entries)
        if args.param:
            from simplatform.commands.run import parse_params

            overrides = parse_params(args.param)
            entries = [type(e)(**{**e.__dict__, "parameters": {**e.parameters, **overrides}}) for e in entries]
        entries = select(entries, families=args.family, tags=args.tag, ids=args.id_glob, per_logical=args.per_logical)
        stack = args.stack if args.stack is not None else ("none" if single else "reference")
        if entries:
            _prestart_pool(args.executor or ("sequential" if len(entries) == 1 else "pool"))
        settings = RunSettings(
            seed=args.seed, dt=args.dt, max_time=args.max_time, stack=stack,
            sensor_rig=str(args.sensor_rig.resolve()) if args.sensor_rig else None,
            requirements=str(args.requirements.resolve()) if args.requirements else None, route_length=args.route_length,
            ego=args.ego, executor=args.executor or ("sequential" if len(entries) == 1 else "pool"), jobs=args.jobs or 0, address=args.address, timeout=args.timeout,
            memory_limit_mb=args.memory_limit or None, record=args.record, trace_hz=args.trace_hz,
            reports=tuple(x.strip() for x in args.reports.split(",") if x.strip()))
    if not entries:
        raise ConfigError("no scenario matches the filters")
    run_dir = run_dir or _fresh_run_dir(args.out / "runs")
    return _print(run_suite(entries, settings, run_dir, quiet=args.quiet))


def _launch_executor(path: Path) -> str:
    """The executor kind a launch file names (``pool`` when it names none; ``""`` when the file cannot
    be read here: ``load_launch`` then reports it with its line, and no forkserver is started)."""
    try:
        executor = load_located(path).get("executor") or "pool"
    except (ConfigError, AttributeError):
        return ""
    return str(executor.get("kind", "pool") if isinstance(executor, dict) else executor)


def _prestart_pool(executor: str) -> None:
    """A pool run starts its workers' forkserver before the suite is read (``pool.prestart``)."""
    if executor == "pool":
        from simplatform.runner.pool import prestart

        prestart()


def _fresh_run_dir(parent: Path) -> Path:
    """A new run directory under ``parent`` named by the start time, so running the same
    campaign again never collides with an earlier run (``--run-dir`` names one exactly)."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    candidate, n = parent / stamp, 1
    while candidate.exists():
        n += 1
        candidate = parent / f"{stamp}-{n}"
    return candidate


NOTES_WHERE = {"junit": "junit.xml (each test case's system-out)", "json": 'results.json ("notes" of each result)',
               "html": "report.html (notes column, scenario detail)"}


def _print_notes(o: RunOutcome, *, shown: int) -> None:
    """How many scenarios have notes, by category, the first note of the first ``shown`` of them,
    and which report lists them all (``simplatform.notes``): a suite of a thousand scenarios would
    otherwise pass without anyone reading that an action was skipped or the ego's controller stood in for."""
    from simplatform.notes import format_note, notes_summary, result_notes, summary_phrase

    counts = notes_summary(o.results)
    if not counts["scenarios"]:
        return
    print(f"notes      {summary_phrase(counts)} ({counts['scenarios']} of {len(o.results)} scenarios have notes)")
    noted = [(r, notes) for r in o.results if (notes := result_notes(r))]
    for r, notes in noted[:shown]:
        more = f"  (+{len(notes) - 1} more)" if len(notes) > 1 else ""
        print(f"  {r.scenario_id}{format_note(notes[0])}{more}")
    if len(noted) > shown:
        print(f"  ... {len(noted) - shown} more scenarios with notes")
    where = [NOTES_WHERE[k] for k in o.reports if k in NOTES_WHERE]
    print("  every note: " + ("; ".join(where) if where else
                              f"the results store {o.run_dir / 'results.sqlite'} (each result's events)"))


def _print(o: RunOutcome, *, shown: int = 10) -> int:
    """Counts, why each failed scenario failed (value, threshold, time), the run's notes, and where
    the reports are."""
    from metrics import format_verdicts

    c = o.counts
    print(f"run dir    {o.run_dir}")
    print(f"results    {len(o.results)} scenarios: {c['pass']} pass, {c['fail']} fail, {c['error']} error "
          f"(ran {o.ran}, reused {o.skipped})")
    if o.ego is not None:
        print(f"ego        {o.ego} (every scenario)")
    failing = [r for r in o.results if r.verdict.value != "pass"]
    for r in failing[:shown]:
        print(f"  {r.verdict.value.upper():5s} {r.scenario_id}  (t={r.sim_time:.2f} s, {r.end_reason})")
        detail = format_verdicts(r.requirements)  # the failed and errored requirements
        if r.error:
            detail = "\n".join(filter(None, [r.error.splitlines()[0], detail]))
        for line in detail.splitlines():
            print(f"        {line}")
    if len(failing) > shown:
        print(f"  ... {len(failing) - shown} more (see the report)")
    _print_notes(o, shown=shown)
    for kind, path in o.reports.items():
        print(f"{kind:10s} {path}")
    sys.stdout.flush()
    return o.exit_code
