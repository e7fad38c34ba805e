"""Suite throughput: the whole library through the runner with ``--jobs 1`` and ``--jobs 2``.

Prints, per job count, the wall time, scenarios per minute and the aggregate
real-time factor (simulated seconds of all scenarios / wall seconds of the run).
Target (issue): the whole library (≥ 1000 scenarios) in ≤ 10 minutes on 2 cores.

    .venv/bin/python bench/suite_bench.py [--index scenarios/index.yaml] [--jobs 1 2]
                                          [--stack none|package.module:factory] [--limit N]
    .venv/bin/python bench/suite_bench.py --generate 40     # no library yet: a generated suite

``--generate N`` builds N lead-vehicle scenarios (half braking, half cruising,
8 s each) with scenariogeneration, for when the library index is not there.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simplatform.runner import RunSettings, default_library_index, load_index, run_suite  # noqa: E402
from simplatform.runner.launch import parse_stack  # noqa: E402


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
    ap.add_argument("--stack", default="none")
    ap.add_argument("--limit", type=int, default=0, help="only the first N scenarios")
    ap.add_argument("--trace-hz", type=float, default=10.0)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="suite_bench_") as tmp:
        tmp = Path(tmp)
        if args.generate:
            index = generated_index(args.generate, tmp / "suite")
        else:
            index = args.index or default_library_index()
        entries = list(load_index(index).entries)
        if args.limit:
            entries = entries[: args.limit]
        print(f"suite      {index} ({len(entries)} scenarios), stack {args.stack}, native engine")
        for jobs in args.jobs:
            settings = RunSettings(executor="pool", jobs=jobs, stack=parse_stack(args.stack), trace_hz=args.trace_hz,
                                   reports=("junit", "json", "html"))
            started = time.perf_counter()
            out = run_suite(entries, settings, tmp / f"run-jobs{jobs}", quiet=True)
            wall = time.perf_counter() - started
            sim = sum(r.sim_time for r in out.results)
            print(f"--jobs {jobs}  wall {wall:8.1f} s  {60 * len(entries) / wall:7.1f} scenarios/min  "
                  f"aggregate RTF {sim / wall:6.1f}x  ({out.counts['pass']} pass, {out.counts['fail']} fail, "
                  f"{out.counts['error']} error; reports included)")
            if len(entries) >= 1000:
                print(f"           whole library in {wall / 60:.1f} min (target ≤ 10 min on 2 cores)")


if __name__ == "__main__":
    main()
