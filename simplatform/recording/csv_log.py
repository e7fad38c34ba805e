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
        rows = []
        fmt = self._fmt
        ego = table.ego
        x, y, z, h, p, r = table.x, table.y, table.z, table.heading, table.pitch, table.roll
        for i, name in enumerate(table.names):
            if not table.active[i]:
                continue
            road = table.lane_road[i]
            on = road is not None
            rows.append(fmt % (
                t, i, name, x[i], y[i], z[i], h[i], p[i], r[i],
                road if on else "", table.lane_id[i] if on else 0,
                table.lane_offset[i] if on else 0.0, table.road_t[i] if on else 0.0,
                table.lane_s[i] if on else 0.0,
                table.speed[i], table.wheel_angle[i], table.wheel_rot[i],
                table.vx[i], table.vy[i], table.ax[i], table.ay[i], table.yaw_rate[i],
                table.length[i], table.width[i], table.height[i],
                table.visible[i], name == ego,
            ))
        self._file.write("".join(rows))

    def close(self) -> None:
        if not self._file.closed:
            self._file.close()

    def __enter__(self) -> "CsvTrajectoryLog":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
