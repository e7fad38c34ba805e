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

import numpy as np
import pytest

import s6jobs
import s6worlds
from review_trees import REPO
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


def wide_firing_jobs(worlds: dict[str, list]) -> list[dict]:
    """Motion-distorted heads whose lasers fire over more than two periods (VLP-16 base, 2000 channels at
    1 kHz: 5.5 ms of firing a 1 ms sweep) at ranges whose reach from the origin ball sits just below a
    canonical crop reach (103.9 → 104, its near crop 51.95 → 52): a ball widened to hold every origin
    (6a5fdbe) keys another crop and another near crop, whose BVHs break ties between coincident road
    meshes otherwise — the clouds then differ from fb91629's in the last bits of a few intensities."""
    jobs = []
    for name in ("map_junction_4way", "map_junction_t", "map_roundabout", "map_urban_grid", "map_highway_on_ramp"):
        pts = s6worlds.surface_points(worlds[name], np.random.default_rng(5), 12)
        lidars = [{"preset": "VLP-16", "rate_hz": 1000.0, "mount": [0, 0, 1.9, 0, 0, 0],
                   "params": {"channels": 2000, "vertical_fov_deg": [-30.0, 0.5], "max_range_m": r,
                              "motion_distortion": True, "labels": True}} for r in (103.9, 51.95, 207.8)]
        sweeps = [{"t": 1.0 + 0.001 * k, "ego": [float(p[0]), float(p[1]), float(p[2]), 0.3 * k, 0.0, 0.0, 40.0, 0.0, 0.0]}
                  for k, p in enumerate(pts)]
        jobs.append({"id": f"wide-firing {name}", "seed": 5, "world": name, "lidars": lidars, "sweeps": sweeps,
                     "threads": "off", "ahead": False})
    return jobs


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason=(
    "intentional since 6a5fdbe: a crop keyed by fb91629's one-period ball is not proved to hold every hit of "
    "lasers fired outside that ball (a query is covered only up to its canonical reach: the crop's margin is "
    "spent on the grid cell's offset, scene_region's docstring), so heads firing over more than a period key "
    "their crops by the ball that holds their origins; ties on coincident meshes may then break otherwise"))
def test_wide_firing_heads_equal_to_fb91629(base_tree, numba_caches, tmp_path) -> None:
    names = ["map_junction_4way", "map_junction_t", "map_roundabout", "map_urban_grid", "map_highway_on_ramp"]
    worlds = s6jobs.write_worlds(tmp_path / "worlds", names)
    jobs = wide_firing_jobs(worlds)
    outs = run_both(base_tree, REPO, jobs, tmp_path / "worlds", tmp_path, numba_caches)
    bad = differences(jobs, outs)
    assert not bad, json.dumps([{"id": b["id"], "sweeps differing": b["n_rows"], "first": b["rows"][:1]}
                                for b in bad], default=str)
