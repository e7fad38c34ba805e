"""Run ``s7driver`` in two trees (separate processes, separate numba caches) on the same jobs and list the jobs
whose sweeps differ (review, session 7; ``review_s6``'s ``s6diff`` with the session-7 driver)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "review_s6"))
import s6diff  # noqa: E402
from s6diff import differences  # noqa: E402,F401


def run_both(base: Path, new: Path, jobs: list[dict], worlds: Path, work: Path, caches: Path,
             timeout: float = 3000.0) -> dict[str, dict]:
    """``s6diff.run_both`` with the session-7 driver."""
    return s6diff.run_both(base, new, jobs, worlds, work, caches, driver=HERE / "s7driver.py", timeout=timeout)


if __name__ == "__main__":     # python s7diff.py BASE NEW WORK PER_WORLD SEED [MAPS [LIVOX_JOBS]]
    sys.path.insert(0, str(HERE))
    import s7jobs
    base, new, work = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    per_world, seed = int(sys.argv[4]), int(sys.argv[5])
    maps = int(sys.argv[6]) if len(sys.argv) > 6 else 3
    livox = int(sys.argv[7]) if len(sys.argv) > 7 else 0
    worlds = s7jobs.write_worlds(work / "worlds", maps)
    jobs = (s7jobs.all_jobs(worlds, per_world, seed) + s7jobs.livox_jobs(worlds, livox, seed + 1)
            + s7jobs.wide_firing_jobs(worlds, seed + 2))
    caches = Path(os.environ.get("REVIEW_S7_NUMBA", str(work)))
    outs = run_both(base, new, jobs, work / "worlds", work, caches)
    bad, sweeps = s6diff.record(jobs, outs, work)
    proved = max((o.get("proved", [0, 0]) for o in outs["new"].values()), key=lambda c: c[0])
    print(f"differ in {len(bad)} of {len(jobs)} jobs ({sweeps} lidar sweeps, {len(worlds)} worlds); "
          f"rows proved box-first {proved[0]} in {proved[1]} casts; Livox band pairs "
          f"{max((tuple(o.get('band', [0, 0])) for o in outs['new'].values()), default=(0, 0))} (band, fallback)")
