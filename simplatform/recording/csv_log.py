"""Trajectory log in the column layout of esmini's CSV logger, plus more.

esmini (``dat2csv --extended`` / ``--csv_logger``) writes one line per object
per step: ``time, id, name, x, y, z, h, p, r, roadId, laneId, offset, t, s,
speed, wheel_angle, wheel_rot`` (angles in radians, ``offset`` from the lane
centre, ``t`` from the road reference line).  We keep those columns, in that
order and with those names, so esmini tooling (plotters, comparisons) reads
our logs, and append the columns our consumers need: velocity and
acceleration vectors, yaw rate, bounding box, visibility, ego flag.

Determinism: every value is printed with a fixed number of decimals, and the
time is ``step × dt`` printed with enough decimals for ``dt``; two runs of the
same file and seed produce byte-identical logs.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TextIO

import numpy as np

from simplatform.engine.entities import EntityTable

CSV_COLUMNS = (
    "time", "id", "name", "x", "y", "z", "h", "p", "r", "roadId", "laneId", "offset", "t", "s",
    "speed", "wheel_angle", "wheel_rot",
    # beyond esmini
    "vx", "vy", "ax", "ay", "yaw_rate", "length", "width", "height", "visible", "ego",
)


class CsvTrajectoryLog:
    """Writes the rows of active entities of an :class:`EntityTable` after each step."""

    def __init__(self, path: str | Path, dt: float, *, decimals: int = 6) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file: TextIO = open(self.path, "w", encoding="utf-8", newline="\n")
        self._file.write(", ".join(CSV_COLUMNS) + "\n")
        time_decimals = max(3, int(math.ceil(-math.log10(dt) - 1e-9)) + 1) if dt < 1 else 3
        f = f"%.{decimals}f"
        self._time_fmt = f"%.{time_decimals}f"
        self._fmt = ", ".join(
            ["%s", "%d", "%s"] + [f] * 6 + ["%s", "%d", f, f, f] + [f] * 3 + [f] * 5 + ["%.3f"] * 3 + ["%d", "%d"]
        ) + "\n"

    def write(self, table: EntityTable, time: float) -> None:
        t = self._time_fmt % time
        fmt = self._fmt
        ego = table.ego
        # one gather of all numeric columns into Python floats: indexing numpy scalars per field
        # and formatting them costs ~3x more than formatting floats
        cols = np.stack((table.x, table.y, table.z, table.heading, table.pitch, table.roll,
                         table.lane_offset, table.road_t, table.lane_s, table.speed, table.wheel_angle,
                         table.wheel_rot, table.vx, table.vy, table.ax, table.ay, table.yaw_rate,
                         table.length, table.width, table.height), axis=1).tolist()
        lane_ids = table.lane_id.tolist()
        active = table.active.tolist()
        visible = table.visible.tolist()
        rows = []
        for i, name in enumerate(table.names):
            if not active[i]:
                continue
            c = cols[i]
            road = table.lane_road[i]
            if road is None:
                road, lane, off, rt, ls = "", 0, 0.0, 0.0, 0.0
            else:
                lane, off, rt, ls = lane_ids[i], c[6], c[7], c[8]
            rows.append(fmt % (t, i, name, c[0], c[1], c[2], c[3], c[4], c[5], road, lane, off, rt, ls,
                               c[9], c[10], c[11], c[12], c[13], c[14], c[15], c[16], c[17], c[18], c[19],
                               visible[i], name == ego))
        self._file.write("".join(rows))

    def close(self) -> None:
        if not self._file.closed:
            self._file.close()

    def __enter__(self) -> "CsvTrajectoryLog":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
