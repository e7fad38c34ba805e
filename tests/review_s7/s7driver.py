"""Differential driver for the lidar (review, session 7): ``review_s6``'s ``s6driver`` with actors of any box,
pose and kind, and a count of the rows the box-first proof took out of the static cast (where the tree
has it).  Run in a subprocess whose ``sys.path[0]`` is one tree:

    python s7driver.py JOBS.json

An actor is ``[x, y, z, heading, pedestrian]`` (s6's car / pedestrian) or a dict ``{"p": [x, y, z, heading,
pitch, roll], "bb": [length, width, height, cx, cy, cz], "ped": bool}``; poses may hold NaN / inf (JSON's
``NaN`` / ``Infinity``).  A sweep's ``t`` may be non-finite (its step is then 0).  Each job's line gets
``"proved"``: [rows proved, proof calls that returned rows] so far in the process, and ``"band"``: [Livox
frames whose pairs came from the band path, frames it handed to the azimuth path] so far.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(1, str(HERE.parent / "review_s6"))
import s6driver  # noqa: E402

PROVED = [0, 0]
BAND = [0, 0]


def snapshot(sweep: dict):
    import numpy as np
    from simplatform.world import BoundingBox, EntityKind, EntityState, WorldSnapshot
    x, y, z, h, p, r, vx, vy, w = sweep["ego"]
    speed = float(np.hypot(vx, vy))
    states = [EntityState("ego", EntityKind.VEHICLE, "car", x, y, z, h, p, r, speed, vx, vy, 0.0, 0.0, w,
                          BoundingBox(4.6, 1.9, 1.5, 1.4, 0, 0.75), None, is_ego=True)]
    for i, a in enumerate(sweep.get("actors", [])):
        if isinstance(a, dict):
            ax, ay, az, ah, ap, ar = a["p"]
            ped = bool(a.get("ped"))
            bb = BoundingBox(*a["bb"])
        else:
            ax, ay, az, ah, ped = a
            ap = ar = 0.0
            bb = BoundingBox(0.6, 0.6, 1.8, 0, 0, 0.9) if ped else BoundingBox(4.6, 1.9, 1.5, 1.4, 0, 0.75)
        kind, cat = (EntityKind.PEDESTRIAN, "pedestrian") if ped else (EntityKind.VEHICLE, "car")
        states.append(EntityState(f"a{i}", kind, cat, ax, ay, az, ah, ap, ar, 10.0, 10.0, 0.0, 0.0, 0.0, 0.0, bb, None))
    t = sweep["t"]
    step = int(round(t * 100)) if math.isfinite(t) and abs(t) < 1e12 else 0
    return WorldSnapshot.from_states(t, step, states, ego="ego", environment=sweep.get("env") or {})


def _count_proofs() -> None:
    import sensors.static_cast as static_cast
    real = getattr(static_cast, "prove_box_first", None)
    if real is None:
        return

    def counting(*a, **k):
        got = real(*a, **k)
        if got is not None:
            PROVED[0] += got.count
            PROVED[1] += 1
        return got
    static_cast.prove_box_first = counting


def _count_band_pairs() -> None:
    import sensors.lidar as lidar_module
    real = getattr(lidar_module, "frame_pairs", None)
    if real is None:
        return

    def counting(*a, **k):
        got = real(*a, **k)
        BAND[0 if got is not None else 1] += 1
        return got
    lidar_module.frame_pairs = counting


def _print(line: str, **kw) -> None:
    if line.startswith("{"):
        d = json.loads(line)
        d["proved"] = PROVED[:]
        d["band"] = BAND[:]
        line = json.dumps(d)
    print(line, **kw)


if __name__ == "__main__":
    s6driver.snapshot = snapshot
    s6driver.print = _print
    _count_proofs()
    _count_band_pairs()
    s6driver.main()
