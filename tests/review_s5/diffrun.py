"""Run a driver in the base tree and in the new tree (separate processes, separate numba caches) on
the same jobs and compare the outputs byte for byte (review, session 5)."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

PY = sys.executable


def run_tree(tree: Path, driver: Path, jobs_file: Path, out: Path, cache: Path, env_extra: dict | None = None,
             timeout: float = 3000) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(tree), NUMBA_CACHE_DIR=str(cache), PYTHONHASHSEED="0")
    env.update(env_extra or {})
    return subprocess.Popen([PY, str(driver), str(jobs_file), str(out)], cwd=str(tree), env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def first_difference(a, b, path="root"):
    """The path of the first place two canonical dumps differ, with the two values (short)."""
    if type(a) is not type(b):
        return path, repr(a)[:300], repr(b)[:300]
    if isinstance(a, (list, tuple)):
        if len(a) != len(b):
            # a labelled node: name the label
            for i, (x, y) in enumerate(zip(a, b)):
                if x != y:
                    return first_difference(x, y, f"{path}[{i}]")
            return f"{path} (len {len(a)} vs {len(b)})", repr(a[len(b):])[:300], repr(b[len(a):])[:300]
        for i, (x, y) in enumerate(zip(a, b)):
            if x != y:
                label = x[0] if isinstance(x, tuple) and len(x) == 2 and isinstance(x[0], (str, tuple)) else i
                return first_difference(x, y, f"{path}[{label if isinstance(label, str) else i}]")
        return None
    if a != b:
        return path, repr(a)[:300], repr(b)[:300]
    return None


def compare(base: Path, new: Path, driver: Path, jobs: list[dict], work: Path,
            env_extra: dict | None = None, cache_root: Path = Path("/tmp/review5")) -> list[dict]:
    work.mkdir(parents=True, exist_ok=True)
    jf = work / "jobs.json"
    jf.write_text(json.dumps(jobs))
    procs = {name: run_tree(tree, driver, jf, work / name, cache_root / f"numba_{name}", env_extra)
             for name, tree in (("base", base), ("new", new))}
    outs = {}
    for name, p in procs.items():
        so, se = p.communicate()
        if p.returncode:
            raise RuntimeError(f"{name} driver failed:\n{se[-3000:]}")
        outs[name] = {json.loads(l)["id"]: json.loads(l) for l in so.splitlines() if l.startswith("{")}
    report = []
    for job in jobs:
        jid = job["id"]
        a, b = outs["base"].get(jid), outs["new"].get(jid)
        row = {"id": jid, "same": bool(a and b and a["sha"] == b["sha"]), "problems_new": b and b["problems"],
               "problems_base": a and a["problems"]}
        if not row["same"] and a and b and "sweeps" in a:
            diffs = [(i, x, y) for i, (x, y) in enumerate(zip(a["sweeps"], b["sweeps"])) if x != y]
            row["diff"] = diffs[:4]
            row["n_diff"] = len(diffs)
        elif not row["same"] and a and b:
            da = pickle.loads((work / "base" / f"{jid}.pkl").read_bytes())
            db = pickle.loads((work / "new" / f"{jid}.pkl").read_bytes())
            row["same"] = da == db
            row["diff"] = None if row["same"] else first_difference(da, db)
        report.append(row)
    return report


if __name__ == "__main__":
    jobs = json.loads(Path(sys.argv[2]).read_text())
    rep = compare(Path("/tmp/review5/base"), Path(sys.argv[3]) if len(sys.argv) > 3 else Path("/tmp/review5/new"),
                  Path(sys.argv[1]), jobs, Path(sys.argv[4]) if len(sys.argv) > 4 else Path("/tmp/review5/work"))
    for r in rep:
        print(json.dumps(r, default=str))
    print(f"same in {sum(r['same'] for r in rep)} of {len(rep)}")
