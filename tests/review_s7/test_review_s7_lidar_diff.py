"""Review (session 7): lidar clouds and camera frames of the current code against e23f302 (before the
box-first proof, its one-thread / motion-distorted follow-up and the Livox band pairs), side by side in
separate processes (``s7diff`` → ``s7driver``, ``review_s6``'s driver with actors of any box and pose), on
three scenario maps, ``review_s6``'s hand-made worlds and ``s7jobs``' road-over-road and canopy worlds, with
``s7jobs``' inputs (actors on / sunk into / floating over the surface, under and on decks, tiny, huge,
holding the sensor, at the range limits, tilted, with NaN / inf poses; every preset, tilted and upside-down
mounts, 0.7 m–2 km, motion distortion to 60 m/s and 3 rad/s, labels, rain, fog, one / two / random threads,
random two-thread cuts; cameras among the same actors), Livox runs of new frames (the band pairs) with NaN
frame angles and NaN poses, and heads firing over several periods.  Per sweep: the PointCloud arrays and
fields, labels, the PointCloud2 bytes and the generator state; per frame every camera array.

``REVIEW_S7_BASE``: a checkout of e23f302 (else ``git archive``); ``REVIEW_S7_NUMBA``: where to keep the two
trees' numba caches; ``REVIEW_S7_JOBS``: jobs per world (default 4)."""

from __future__ import annotations

import json
import os

import pytest

import s7jobs
from review_trees import REPO
from s7diff import differences, run_both


@pytest.mark.slow
def test_clouds_equal_to_e23f302(base_tree, numba_caches, tmp_path) -> None:
    per_world = int(os.environ.get("REVIEW_S7_JOBS", "4"))
    worlds = s7jobs.write_worlds(tmp_path / "worlds", 3)
    jobs = (s7jobs.all_jobs(worlds, per_world, 73) + s7jobs.livox_jobs(worlds, 4 * per_world, 74)
            + s7jobs.wide_firing_jobs(worlds, 75) + s7jobs.odd_box_jobs(76))
    outs = run_both(base_tree, REPO, jobs, tmp_path / "worlds", tmp_path, numba_caches)
    assert len(outs["new"]) == len(jobs)
    bad = differences(jobs, outs)
    assert not bad, json.dumps([{k: b[k] for k in ("id", "rows")} for b in bad], default=str)[:3000]
    points = [p for o in outs["new"].values() for p in o["points"] if p >= 0]
    assert sum(p > 0 for p in points) > len(points) // 2      # the sweeps saw the worlds
    proved, casts = max((o["proved"] for o in outs["new"].values()), key=lambda c: c[0])
    assert proved > 100000 and casts >= 10                   # and the box-first proof was at work


@pytest.mark.slow
# was a strict xfail: 83e9fe4 raised MemoryError / ValueError for ranges of 1e15 m and more (fixed in c022d38)
def test_huge_ranges_equal_to_e23f302(base_tree, numba_caches, tmp_path) -> None:
    import s6worlds
    (tmp_path / "worlds").mkdir()
    s6worlds.save(s6worlds.synthetic("walls", 6), tmp_path / "worlds" / "walls.npz")
    jobs = s7jobs.huge_range_jobs()
    outs = run_both(base_tree, REPO, jobs, tmp_path / "worlds", tmp_path, numba_caches)
    assert not any("exc" in s for o in outs["base"].values() for s in o["sweeps"])
    bad = differences(jobs, outs)
    assert not bad, json.dumps([{k: b[k] for k in ("id", "rows")} for b in bad], default=str)[:3000]
