"""Whole-library run on the native engine: wall time on N worker processes, engine errors,
and the share of scenarios where the ego, driven by the engine's default controller (no
stack: constant speed along its lane), collides — a measure that the library tests something.

    .venv/bin/python bench/library_bench.py [--workers 2] [--dt 0.05] [--family F] [--every K]
"""

from __future__ import annotations

import argparse
import collections
import multiprocessing as mp
import time


def _run(args: tuple[str, str, str, float, float]) -> tuple[str, str, float, float, str, bool]:
    sid, family, path, duration, dt = args
    from simplatform.engine.run import RunConfig, run_scenario

    hit = []

    def on_step(engine) -> None:
        if not hit and engine.step_index % 2 == 0:
            engine._compute_collisions()
            if any("Ego" in pair for pair in engine.collisions):
                hit.append(engine.time)

    t0 = time.perf_counter()
    try:
        result = run_scenario(path, RunConfig(dt=dt, max_time=duration + 5.0, on_step=on_step))
        return sid, family, result.sim_time, time.perf_counter() - t0, "", bool(hit)
    except Exception as exc:  # an engine error is what this bench looks for
        return sid, family, 0.0, time.perf_counter() - t0, f"{type(exc).__name__}: {exc}", False


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--dt", type=float, default=0.05)
    p.add_argument("--family")
    p.add_argument("--every", type=int, default=1)
    a = p.parse_args()
    from scenarios.library.index import load_index

    index = load_index()
    jobs = [(e.id, e.family, str(e.file(index.root)), e.expected_duration_s, a.dt)
            for e in index.select(a.family)][::a.every]
    t0 = time.perf_counter()
    with mp.get_context("fork").Pool(a.workers) as pool:
        results = pool.map(_run, jobs, chunksize=4)
    wall = time.perf_counter() - t0
    errors = [r for r in results if r[4]]
    by_family = collections.defaultdict(list)
    for r in results:
        by_family[r[1]].append(r)
    print(f"{len(results)} scenarios on {a.workers} workers, dt {a.dt} s: wall {wall:.1f} s, "
          f"simulated {sum(r[2] for r in results):.0f} s, engine errors {len(errors)}")
    for fam, rs in sorted(by_family.items()):
        coll = sum(r[5] for r in rs)
        print(f"  {fam:12s} {len(rs):5d} scenarios  sim {sum(r[2] for r in rs):8.0f} s  cpu {sum(r[3] for r in rs):7.1f} s"
              f"  ego collisions without a stack {coll} ({100 * coll / len(rs):.0f} %)")
    for r in errors[:10]:
        print("ERROR", r[0], r[4])


if __name__ == "__main__":
    main()
