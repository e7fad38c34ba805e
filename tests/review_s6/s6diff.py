"""Run ``s6driver`` in two trees (separate processes, separate numba caches) on the same jobs and list the
jobs whose sweeps differ (review, session 6)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def run_both(base: Path, new: Path, jobs: list[dict], worlds: Path, work: Path, caches: Path,
             driver: Path = HERE / "s6driver.py", timeout: float | None = None) -> dict[str, dict]:
    """Each tree's ``driver`` on ``jobs`` (its own process and numba cache): {tree: {job id: output}}."""
    work.mkdir(parents=True, exist_ok=True)
    spec = work / "jobs.json"
    spec.write_text(json.dumps({"worlds": str(worlds), "jobs": jobs}))
    procs = {}
    for name, tree in (("base", base), ("new", new)):
        env = dict(os.environ, PYTHONPATH=str(tree), NUMBA_CACHE_DIR=str(caches / f"numba_{name}"), PYTHONHASHSEED="0")
        procs[name] = subprocess.Popen([sys.executable, str(driver), str(spec)], cwd=str(tree), env=env,
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    outs = {}
    for name, p in procs.items():
        so, se = p.communicate(timeout=timeout)
        if p.returncode:
            raise RuntimeError(f"{name} driver failed:\n{se[-3000:]}")
        outs[name] = {json.loads(line)["id"]: json.loads(line) for line in so.splitlines() if line.startswith("{")}
    return outs


def differences(jobs: list[dict], outs: dict[str, dict]) -> list[dict]:
    bad = []
    for job in jobs:
        a, b = outs["base"].get(job["id"]), outs["new"].get(job["id"])
        if a is None or b is None or a["sweeps"] != b["sweeps"]:
            rows = [] if a is None or b is None else [
                (i, x, y, pa, pb) for i, (x, y, pa, pb) in enumerate(zip(a["sweeps"], b["sweeps"], a["points"], b["points"]))
                if x != y]
            bad.append({"id": job["id"], "rows": rows[:3], "n_rows": len(rows), "job": job})
    return bad


def record(jobs: list[dict], outs: dict[str, dict], work: Path) -> tuple[list[dict], int]:
    """Both trees' outputs and the differing jobs written under ``work`` (outs.json, bad.json), each
    differing job printed; returns the differences and the number of lidar sweeps compared."""
    (work / "outs.json").write_text(json.dumps(outs))
    bad = differences(jobs, outs)
    (work / "bad.json").write_text(json.dumps(bad, indent=1, default=str))
    for b in bad:
        print(b["id"], b["rows"])
    return bad, sum(len(j["sweeps"]) * len(j["lidars"]) for j in jobs)


if __name__ == "__main__":     # python s6diff.py BASE NEW WORK PER_WORLD SEED
    sys.path.insert(0, str(HERE))
    import s6jobs
    base, new, work = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    per_world, seed = int(sys.argv[4]), int(sys.argv[5])
    worlds = s6jobs.write_worlds(work / "worlds")
    jobs = s6jobs.all_jobs(worlds, per_world, seed)
    outs = run_both(base, new, jobs, work / "worlds", work, work)
    bad, sweeps = record(jobs, outs, work)
    print(f"differ in {len(bad)} of {len(jobs)} jobs ({sweeps} lidar sweeps)")
