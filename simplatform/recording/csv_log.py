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

Speed: the rows are written by a compiled kernel (:mod:`csv_format`) that prints
the same bytes as ``printf("%.6f")`` (correctly rounded; proven against Python's
formatting in the tests).  The per-entity text that seldom changes (id, name,
road, lane, visibility, ego flag) is encoded once and re-encoded only when it
changes.  A step with a value the kernel declines (NaN, ±inf, huge) is written
by the Python formatter, so the bytes are the same either way.
"""

from __future__ import annotations

import math
import operator
from pathlib import Path
from typing import BinaryIO

import numpy as np

from simplatform.engine.entities import EntityTable
from simplatform.recording.csv_format import N_COLUMNS, format_rows

CSV_COLUMNS = (
    "time", "id", "name", "x", "y", "z", "h", "p", "r", "roadId", "laneId", "offset", "t", "s",
    "speed", "wheel_angle", "wheel_rot",
    # beyond esmini
    "vx", "vy", "ax", "ay", "yaw_rate", "length", "width", "height", "visible", "ego",
)

_GROUP0 = ("x", "y", "z", "heading", "pitch", "roll")
"""Table columns printed between ``name`` and ``roadId``."""
_GROUP1 = ("lane_offset", "road_t", "lane_s", "speed", "wheel_angle", "wheel_rot", "vx", "vy", "ax", "ay",
           "yaw_rate", "length", "width", "height")
"""Table columns printed between ``laneId`` and ``visible``; the first three are 0 off road."""
_COLUMNS = _GROUP0 + _GROUP1
assert len(_COLUMNS) == N_COLUMNS
_GROUPS = np.array([len(_GROUP0), len(_GROUP1)], dtype=np.int64)
_BOX_DECIMALS = 3
_BUFFER = 1 << 20
"""Bytes buffered before a write to the OS: a 20-entity step is ~5 kB, the default 8 kB buffer
made one system call per step (kernel time the process pays)."""
_gather = operator.attrgetter(*_COLUMNS)
_ROW_SLACK = 40
"""Bytes per float a row may need at most in the kernel's range (sign, 16 integer digits, point,
decimals, separator) — a generous bound."""


class CsvTrajectoryLog:
    """Writes the rows of active entities of an :class:`EntityTable` after each step."""

    def __init__(self, path: str | Path, dt: float, *, decimals: int = 6) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # binary: the rows are UTF-8 bytes with "\n" line ends, as the text writer wrote them
        self._file: BinaryIO = open(self.path, "wb", buffering=_BUFFER)
        self._file.write((", ".join(CSV_COLUMNS) + "\n").encode("utf-8"))
        time_decimals = max(3, int(math.ceil(-math.log10(dt) - 1e-9)) + 1) if dt < 1 else 3
        f = f"%.{decimals}f"
        self._time_fmt = f"%.{time_decimals}f"
        self._time_decimals = time_decimals
        self._fmt = ", ".join(
            ["%s", "%d", "%s"] + [f] * 6 + ["%s", "%d", f, f, f] + [f] * 3 + [f] * 5 + ["%.3f"] * 3 + ["%d", "%d"]
        ) + "\n"
        self._decimals = np.array([decimals] * (len(_GROUP0) + len(_GROUP1) - 3) + [_BOX_DECIMALS] * 3,
                                  dtype=np.int64)
        self._key: tuple | None = None
        self._rows = np.empty(0, dtype=np.int64)  # indices of the active entities
        self._zero_lane = np.empty(0, dtype=np.uint8)  # 1: an active row without a road (offset, t, s print 0)
        self._pieces = np.empty(0, dtype=np.uint8)
        self._offsets = np.empty((0, 4), dtype=np.int64)
        self._out = np.empty(0, dtype=np.uint8)

    def write(self, table: EntityTable, time: float) -> None:
        key = (table.names, table.ego, tuple(table.lane_road), table.lane_id.tobytes(), table.visible.tobytes(),
               table.active.tobytes())
        if key != self._key:
            self._layout(table, key)
        cols = _gather(table)
        try:
            n = format_rows(self._out, time, self._time_decimals, self._pieces, self._offsets, self._rows,
                            self._zero_lane, cols, _GROUPS, self._decimals)
        except TypeError:  # a column that is not a contiguous float64 array (the kernel's signature)
            cols = tuple(np.ascontiguousarray(c, dtype=np.float64) for c in cols)
            n = format_rows(self._out, time, self._time_decimals, self._pieces, self._offsets, self._rows,
                            self._zero_lane, cols, _GROUPS, self._decimals)
        if n >= 0:
            self._file.write(self._out[:n].data)
        else:  # a value outside the kernel's exact range: Python prints the step, with the same bytes
            self._file.write(self._python_rows(table, self._time_fmt % time).encode("utf-8"))

    def _layout(self, table: EntityTable, key: tuple) -> None:
        """Encodes the per-entity text pieces of the rows (called when any of it changed)."""
        self._key = key
        active = table.active.tolist()
        rows = [i for i, a in enumerate(active) if a]
        self._rows = np.array(rows, dtype=np.int64)
        lane_ids = table.lane_id.tolist()
        visible = table.visible.tolist()
        chunks: list[bytes] = []
        offsets = np.zeros((len(rows), 4), dtype=np.int64)
        pos = 0
        off_road = []
        for r, i in enumerate(rows):
            name = table.names[i]
            road = table.lane_road[i]
            if road is None:
                off_road.append(r)
            # the Python writer's text: "%s" of the road ("" off road, lane 0), "%d" of the flags
            parts = (", %d, %s, " % (i, name),
                     ", %s, %d, " % (("", 0) if road is None else (road, lane_ids[i])),
                     ", %d, %d\n" % (visible[i], name == table.ego))
            for g, part in enumerate(parts):
                b = part.encode("utf-8")
                chunks.append(b)
                offsets[r, g] = pos
                pos += len(b)
            offsets[r, 3] = pos
        self._zero_lane = np.zeros(len(rows), dtype=np.uint8)
        self._zero_lane[off_road] = 1
        self._pieces = np.frombuffer(bytearray(b"".join(chunks)), dtype=np.uint8)
        self._offsets = offsets
        need = pos + len(rows) * (48 + _ROW_SLACK * (len(_GROUP0) + len(_GROUP1)))
        if len(self._out) < need:
            self._out = np.empty(need, dtype=np.uint8)

    def _python_rows(self, table: EntityTable, t: str) -> str:
        fmt = self._fmt
        ego = table.ego
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
        return "".join(rows)

    def close(self) -> None:
        if not self._file.closed:
            self._file.close()

    def __enter__(self) -> "CsvTrajectoryLog":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
