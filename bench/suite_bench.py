"""Suite throughput: the library through the runner and the harness with ``--jobs 1`` and ``--jobs 2``.

Prints, per job count, the wall time, scenarios per minute and the aggregate
real-time factor (simulated seconds of all scenarios / wall seconds of the
run, reports included), and from that factor the wall time the whole
library would take.  Target (issue): the whole library (≥ 1000 scenarios)
in ≤ 10 minutes on 2 cores.

    .venv/bin/python bench/suite_bench.py                       # whole library, reference stack, dt 0.05, jobs 1 and 2
    .venv/bin/python bench/suite_bench.py --per-logical 1       # one concrete scenario per logical scenario
    .venv/bin/python bench/suite_bench.py --family typical --per-logical 1 --jobs 2 --stack none
    .venv/bin/python bench/suite_bench.py --generate 40         # no library: a generated suite

The run goes through exactly what ``simplatform run --suite library`` does
(``run_suite``: pool executor, harness with the stack, sensor rig and
metrics, results store, JUnit/JSON/HTML reports).  ``--generate N`` builds N
lead-vehicle scenarios (half braking, half cruising, 8 s each) with
scenariogeneration.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simplatform.runner import RunSettings, default_library_index, load_index, run_suite, select  # noqa: E402


def generated_index(n: int, directory: Path) -> Path:
    spec = importlib.util.spec_from_file_location("runner_suite_files", ROOT / "tests/runner/runner_suite_files.py")
    files = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(files)
    return files.make_suite(directory, n_brake=n // 2, n_cruise=n - n // 2, duration=8.0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", type=Path)
    ap.add_argument("--generate", type=int, default=0)
    ap.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--stack", default="reference", help="reference (default), lidar, none or module:Class")
    ap.add_argument("--family", action="append", default=[])
    ap.add_argument("--per-logical", type=int, default=0, help="at most N scenarios per logical scenario")
    ap.add_argument("--limit", type=int, default=0, help="only the first N scenarios (after the filters)")
    ap.add_argument("--trace-hz", type=float, default=10.0)
    ap.add_argument("--dt", type=float, default=0.05, help="fixed step (default 0.05 s, as launch/library.yaml)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="suite_bench_") as tmp:
        tmp = Path(tmp)
        index = generated_index(args.generate, tmp / "suite") if args.generate else (args.index or default_library_index())
        library = list(load_index(index).entries)
        entries = select(library, families=args.family, per_logical=args.per_logical)
        if args.limit:
            entries = entries[: args.limit]
        library_sim = sum(e.expected_duration or 0.0 for e in library)
        print(f"suite      {index}: {len(entries)} of {len(library)} scenarios "
              f"({sum(e.expected_duration or 0.0 for e in entries):.0f} of {library_sim:.0f} simulated s expected), "
              f"stack {args.stack}, dt {args.dt:g} s, native engine, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
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
            if len(entries) < len(library):
                print(f"           whole library ({len(library)} scenarios, {library_sim:.0f} s simulated) at this "
                      f"RTF: {library_sim / rtf / 60:.0f} min (target ≤ 10 min on 2 cores)")
            else:
                print(f"           whole library in {wall / 60:.1f} min (target ≤ 10 min on 2 cores)")


if __name__ == "__main__":
    main()
