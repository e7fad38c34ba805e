"""Suite throughput: the library through the runner and the harness with ``--jobs 1`` and ``--jobs 2``.

Prints, per job count, the wall time, scenarios per minute and the aggregate
real-time factor (simulated seconds of all scenarios / wall seconds of the
run, reports included), and from that factor the wall time the whole
library would take.  Target (issue #9): the whole library (≥ 1000 scenarios)
in ≤ 10 minutes on 2 cores.

    .venv/bin/python bench/suite_bench.py                       # whole library, reference stack, dt 0.05, jobs 1 and 2
    .venv/bin/python bench/suite_bench.py --per-logical 1       # one concrete scenario per logical scenario
    .venv/bin/python bench/suite_bench.py --family typical --per-logical 1 --jobs 2 --stack none
    .venv/bin/python bench/suite_bench.py --generate 40         # no library: a generated suite
    .venv/bin/python bench/suite_bench.py --stride 16 --cpu     # CPU s per simulated s by family, in-process
    .venv/bin/python bench/suite_bench.py --stride 16 --cpu --verdicts before.json   # save verdicts ...
    .venv/bin/python bench/suite_bench.py --stride 16 --cpu --compare before.json    # ... and compare later
    .venv/bin/python bench/suite_bench.py --random 16 --seed 1 --cpu                 # a random 1/16 of each family
    .venv/bin/python bench/suite_bench.py --stride 4 --jobs 2                        # pool: where the wall went

The pool run goes through exactly what ``simplatform run --suite library``
does (``run_suite``: pool executor, harness with the stack, sensor rig and
metrics, results store, JUnit/JSON/HTML reports).  ``--generate N`` builds N
lead-vehicle scenarios (half braking, half cruising, 8 s each) with
scenariogeneration.

``--cpu`` instead runs each scenario in this process with the function a
pool worker runs (``execute_task``, same settings, same per-scenario seed)
and measures its CPU time (``time.process_time``, so other users of a
shared machine do not inflate it; a worker's caches across scenarios are
kept, as in a pool worker).  It prints CPU seconds per simulated second per
family and extrapolates to the whole library: Σ over families of (the
library's expected simulated seconds of that family × the family's CPU s
per expected second in the sample — scenarios that end early, at a goal or
a collision, count as they do in the library), divided over the cores.  The estimate assumes perfect
packing (the runner schedules longest first) and leaves out the suite's
fixed costs (worker start, reports), which the pool run includes.  Mind the
sample: the library enumerates parameter grids whose inner dimensions repeat
every 8 or 16 entries, so ``--stride 16`` sees one corner of each grid (its
10 continuous picks are all ``d4_c400_dryday`` or ``green_wave_night_bike``).
Measured back to back (2026-11-26, shared machine, CPU time), those 10 cost
0.0146 CPU s per simulated s and a random quarter of the family (``--family
continuous --random 4 --seed 1``) 0.0120: the stride overstated the family
that is ~80 % of the library's CPU by ~18 %.  Ten picks are few either way (a
random 1/16, ``--random 16 --seed 1``, also drew ten costing 0.0143): for the
estimate, sample the continuous family with ``--family continuous --random 4``.
``--random K`` draws 1/K of each family.

After a pool run the runner's ``RunTimings`` are printed: wall and runner CPU
per phase (prepare, scenarios, results, each report), the CPU the workers spent
inside the scenarios and how busy that kept them (scenario CPU / (jobs × wall
of the scenario phase)).  On a shared machine compare the CPU figures.
"""

from __future__ import annotations

import argparse
import collections
import importlib.util
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Sequence

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simplatform.runner import RunSettings, default_library_index, load_index, run_suite, select  # noqa: E402


def generated_index(n: int, directory: Path) -> Path:
    spec = importlib.util.spec_from_file_location("runner_suite_files", ROOT / "tests/runner/runner_suite_files.py")
    files = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(files)
    return files.make_suite(directory, n_brake=n // 2, n_cruise=n - n // 2, duration=8.0)


def random_sample(entries: Sequence[Any], k: int, seed: int) -> list[Any]:
    """round(n/K) entries of each family drawn without replacement (at least one), in suite order.

    Why not every K-th: the library's concrete scenarios enumerate parameter grids whose inner
    dimensions (density × curvature × weather, …) repeat every 8 or 16 entries, so a stride of 16
    always lands on the same corner of each grid and the estimate inherits its bias."""
    import numpy as np

    rng = np.random.default_rng(seed)
    by_family: dict[str, list[int]] = collections.defaultdict(list)
    for i, e in enumerate(entries):
        by_family[e.family].append(i)
    chosen: list[int] = []
    for family in sorted(by_family):
        idx = by_family[family]
        chosen += rng.choice(idx, size=max(1, round(len(idx) / k)), replace=False).tolist()
    return [entries[i] for i in sorted(chosen)]


def cpu_by_family(entries: Sequence[Any], library: Sequence[Any], settings: RunSettings, run_dir: Path,
                  cores: int) -> dict[str, dict[str, Any]]:
    """Each scenario in this process (``execute_task``), its CPU time; per family figures and the estimate."""
    from simplatform.runner.session import _tasks
    from simplatform.runner.task import execute_task

    rows: dict[str, dict[str, Any]] = {}
    per_family: dict[str, list[float]] = collections.defaultdict(lambda: [0, 0.0, 0.0, 0.0])
    for task in _tasks(entries, settings, run_dir):
        started = time.process_time()
        result = execute_task(task)
        cpu = time.process_time() - started
        family = task.entry.family
        acc = per_family[family]
        acc[0] += 1
        acc[1] += result["sim_time"]
        acc[2] += cpu
        acc[3] += task.entry.expected_duration or result["sim_time"]
        rows[task.entry.scenario_id] = {
            "family": family, "verdict": result["verdict"], "sim_time": round(result["sim_time"], 6), "cpu": cpu,
            "requirements": {r["requirement_id"]: r["verdict"] for r in result.get("requirements", ())},
            "metrics": {k: v for k, v in result.get("metrics", {}).items() if isinstance(v, (int, float))},
            "error": result.get("error", "")[:300]}
    library_sim = collections.Counter()
    for e in library:
        library_sim[e.family] += e.expected_duration or 0.0
    total = 0.0
    print(f"{'family':12s} {'scen':>5s} {'sim s':>9s} {'cpu s':>8s} {'cpu/sim':>8s}  library expected s  -> cpu s")
    for family in sorted(per_family):
        n, sim, cpu, expected = per_family[family]
        ratio = cpu / sim if sim else 0.0
        share = cpu / expected if expected else 0.0
        total += share * library_sim[family]
        print(f"{family:12s} {n:5d} {sim:9.1f} {cpu:8.2f} {ratio:8.4f}  {library_sim[family]:18.0f}  "
              f"{share * library_sim[family]:8.0f}")
    missing = sorted(set(library_sim) - set(per_family))
    n_all = sum(v[0] for v in per_family.values())
    sim_all = sum(v[1] for v in per_family.values())
    cpu_all = sum(v[2] for v in per_family.values())
    print(f"{'sample':12s} {n_all:5d} {sim_all:9.1f} {cpu_all:8.2f} {cpu_all / max(sim_all, 1e-9):8.4f}")
    print(f"whole library estimate: {total:.0f} CPU s (expected durations) -> {total / cores / 60:.1f} min on "
          f"{cores} cores at perfect packing{' (families not sampled: ' + ', '.join(missing) + ')' if missing else ''}"
          f" (target ≤ 10 min on 2 cores)")
    return rows


def compare_verdicts(now: dict[str, dict[str, Any]], before: dict[str, dict[str, Any]]) -> None:
    """Scenario and requirement verdicts that differ from a saved run, and the pass rates of both."""
    common = sorted(set(now) & set(before))
    changed = [k for k in common if now[k]["verdict"] != before[k]["verdict"]]
    req_changed = [k for k in common if now[k]["requirements"] != before[k]["requirements"]]
    cpu_before = sum(before[k]["cpu"] for k in common)
    cpu_now = sum(now[k]["cpu"] for k in common)
    passes = lambda d: sum(d[k]["verdict"] == "pass" for k in common)  # noqa: E731
    print(f"compared {len(common)} scenarios: pass {passes(before)} -> {passes(now)}, "
          f"CPU {cpu_before:.1f} s -> {cpu_now:.1f} s")
    for k in changed:
        print(f"  verdict {k}: {before[k]['verdict']} -> {now[k]['verdict']} {now[k]['error'][:120]}")
    for k in req_changed:
        diff = {r: (before[k]["requirements"].get(r), v) for r, v in now[k]["requirements"].items()
                if before[k]["requirements"].get(r) != v}
        print(f"  requirements {k}: {diff}")
    sim_diff = [k for k in common if abs(now[k]["sim_time"] - before[k]["sim_time"]) > 1e-6]
    if sim_diff:
        print(f"  simulated time differs in {len(sim_diff)}: {sim_diff[:10]}")
    metric_diff = [k for k in common if now[k].get("metrics") != before[k].get("metrics")]
    print(f"  metric scalars bit-identical in {len(common) - len(metric_diff)} of {len(common)}"
          + (f"; differ in {metric_diff[:8]}" if metric_diff else ""))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", type=Path)
    ap.add_argument("--generate", type=int, default=0)
    ap.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--stack", default="reference", help="reference (default), lidar, none or module:Class")
    ap.add_argument("--family", action="append", default=[])
    ap.add_argument("--per-logical", type=int, default=0, help="at most N scenarios per logical scenario")
    ap.add_argument("--stride", type=int, default=1, help="every K-th scenario (after the filters)")
    ap.add_argument("--random", type=int, default=0, metavar="K",
                    help="a random 1/K of each family instead of --stride (seeded by --seed); the library's "
                         "parameter grids repeat with periods dividing 16, so --stride 16 sees one corner of them")
    ap.add_argument("--seed", type=int, default=0, help="seed of --random (default 0)")
    ap.add_argument("--limit", type=int, default=0, help="only the first N scenarios (after the filters)")
    ap.add_argument("--trace-hz", type=float, default=10.0)
    ap.add_argument("--dt", type=float, default=0.05, help="fixed step (default 0.05 s, as launch/library.yaml)")
    ap.add_argument("--cpu", action="store_true", help="in-process CPU time per family and the library estimate")
    ap.add_argument("--cores", type=int, default=2, help="cores the --cpu estimate divides over (default 2)")
    ap.add_argument("--verdicts", type=Path, help="with --cpu: save every scenario's verdicts to this JSON file")
    ap.add_argument("--compare", type=Path, help="with --cpu: compare the verdicts with a saved JSON file")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="suite_bench_") as tmp:
        tmp = Path(tmp)
        index = generated_index(args.generate, tmp / "suite") if args.generate else (args.index or default_library_index())
        library = list(load_index(index).entries)
        entries = select(library, families=args.family, per_logical=args.per_logical)
        entries = random_sample(entries, args.random, args.seed) if args.random else entries[:: max(1, args.stride)]
        if args.limit:
            entries = entries[: args.limit]
        library_sim = sum(e.expected_duration or 0.0 for e in library)
        print(f"suite      {index}: {len(entries)} of {len(library)} scenarios "
              f"({sum(e.expected_duration or 0.0 for e in entries):.0f} of {library_sim:.0f} simulated s expected), "
              f"stack {args.stack}, dt {args.dt:g} s, native engine, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
        if args.cpu:
            settings = RunSettings(dt=args.dt, stack=args.stack, trace_hz=args.trace_hz)
            rows = cpu_by_family(entries, library, settings, tmp / "run-cpu", args.cores)
            if args.verdicts:
                args.verdicts.write_text(json.dumps(rows, indent=1, sort_keys=True), encoding="utf-8")
            if args.compare:
                compare_verdicts(rows, json.loads(args.compare.read_text(encoding="utf-8")))
            return
        for jobs in args.jobs:
            settings = RunSettings(executor="pool", jobs=jobs, dt=args.dt, stack=args.stack, trace_hz=args.trace_hz,
                                   reports=("junit", "json", "html"))
            started = time.perf_counter()
            out = run_suite(entries, settings, tmp / f"run-jobs{jobs}", quiet=True)
            wall = time.perf_counter() - started
            sim = sum(r.sim_time for r in out.results)
            rtf = sim / wall
            print(f"--jobs {jobs}  wall {wall:8.1f} s  {60 * len(entries) / wall:7.1f} scenarios/min  "
                  f"aggregate RTF {rtf:6.1f}x  ({out.counts['pass']} pass, {out.counts['fail']} fail, "
                  f"{out.counts['error']} error; reports included)")
            print("\n".join(out.timings.lines()))
            if out.timings.scenario_cpu is not None:
                print(f"           scenarios' CPU / {jobs} + the rest of the run's wall: "
                      f"{out.timings.scenario_cpu / jobs + wall - out.timings.wall('scenarios'):.1f} s "
                      f"(the wall an idle machine with perfect packing would take)")
            if len(entries) < len(library):
                print(f"           whole library ({len(library)} scenarios, {library_sim:.0f} s simulated) at this "
                      f"RTF: {library_sim / rtf / 60:.0f} min (target ≤ 10 min on 2 cores)")
            else:
                print(f"           whole library in {wall / 60:.1f} min (target ≤ 10 min on 2 cores)")


if __name__ == "__main__":
    main()
