"""Review (session 6): lidar clouds and camera frames of the current code against the code at fb91629, side by
side in separate processes (``s6diff``, ``s6driver``), on every scenario map and the hand-made worlds of
``s6worlds`` (walls, a deck and gantry over the sensor, poles and signal arms, a tunnel, steep slopes, a
triangle soup, UTM-like coordinates, vertices on the height grid's cell edges), with the inputs of
``s6jobs``: every preset and explicit channel / fov configs, tilted, rolled and upside-down mounts, ranges
from 0.7 m to 2 km, min_range, dropout, labels, noise, motion distortion, rain and fog, actors, sweeps in
order, repeated, backwards and at random (region caches hit and missed in mixed orders: the worlds are
interleaved in one process), two threads on / off / random, FrameAhead on / off, other bit generators and a
generator shared with another user, random cuts of a two-thread sweep's columns (``split_column`` learns
its cut from timings, so any cut may occur).  Per sweep: the PointCloud arrays and fields, labels, the
PointCloud2 bytes and the generator's state after it; per frame every camera array.

``REVIEW_S6_BASE``: a checkout of fb91629 to use (else ``git archive``); ``REVIEW_S6_NUMBA``: where to keep
the two trees' numba caches; ``REVIEW_S6_JOBS``: jobs per world (default 3; 6 took ~15 min at load 7)."""

from __future__ import annotations

import json
import os

import pytest

import s6jobs
from conftest import REPO
from s6diff import differences, run_both


@pytest.mark.slow
def test_clouds_equal_to_fb91629(base_tree, numba_caches, tmp_path) -> None:
    worlds = s6jobs.write_worlds(tmp_path / "worlds")
    jobs = s6jobs.all_jobs(worlds, int(os.environ.get("REVIEW_S6_JOBS", "3")), 61)
    outs = run_both(base_tree, REPO, jobs, tmp_path / "worlds", tmp_path, numba_caches)
    assert len(outs["new"]) == len(jobs)
    bad = differences(jobs, outs)
    assert not bad, json.dumps([{k: b[k] for k in ("id", "rows")} for b in bad], default=str)[:3000]
    points = [p for o in outs["new"].values() for p in o["points"] if p >= 0]
    assert sum(p > 0 for p in points) > len(points) // 2      # the sweeps saw the worlds
    culled, tested = max((o["culled"] for o in outs["new"].values()), key=lambda c: c[1])
    assert culled > 100000 and tested > culled              # and the miss proof was at work
