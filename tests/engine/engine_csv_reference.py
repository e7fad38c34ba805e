"""The CSV writer as it was before the speed work (commit 7854c25): the byte-for-byte oracle
the optimised :class:`CsvTrajectoryLog` is tested against.  Kept deliberately naive."""

from __future__ import annotations

import math

import numpy as np

from simplatform.recording.csv_log import CSV_COLUMNS


def reference_header() -> str:
    return ", ".join(CSV_COLUMNS) + "\n"


def reference_rows(table, time: float, dt: float, decimals: int = 6) -> str:
    time_decimals = max(3, int(math.ceil(-math.log10(dt) - 1e-9)) + 1) if dt < 1 else 3
    f = f"%.{decimals}f"
    fmt = ", ".join(
        ["%s", "%d", "%s"] + [f] * 6 + ["%s", "%d", f, f, f] + [f] * 3 + [f] * 5 + ["%.3f"] * 3 + ["%d", "%d"]
    ) + "\n"
    t = f"%.{time_decimals}f" % time
    cols = np.stack((table.x, table.y, table.z, table.heading, table.pitch, table.roll,
                     table.lane_offset, table.road_t, table.lane_s, table.speed, table.wheel_angle,
                     table.wheel_rot, table.vx, table.vy, table.ax, table.ay, table.yaw_rate,
                     table.length, table.width, table.height), axis=1).tolist()
    rows = []
    for i, name in enumerate(table.names):
        if not table.active[i]:
            continue
        c = cols[i]
        road = table.lane_road[i]
        if road is None:
            road, lane, off, rt, ls = "", 0, 0.0, 0.0, 0.0
        else:
            lane, off, rt, ls = int(table.lane_id[i]), c[6], c[7], c[8]
        rows.append(fmt % (t, i, name, c[0], c[1], c[2], c[3], c[4], c[5], road, lane, off, rt, ls,
                           c[9], c[10], c[11], c[12], c[13], c[14], c[15], c[16], c[17], c[18], c[19],
                           bool(table.visible[i]), name == table.ego))
    return "".join(rows)
