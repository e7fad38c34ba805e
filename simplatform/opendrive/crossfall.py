"""Road crossfall (OpenDRIVE 1.4/1.5 ``<lateralProfile><crossfall>``), one cubic per side.

OpenDRIVE 1.4 §5.3.6.2: "the crossfall of the road is defined as the road
surface's angle relative to the t-axis"; it may be given for the left, the right
or both sides, and a positive crossfall makes the surface fall from the
reference line towards the outer edge.  1.6 dropped it for ``<shape>``, but
exporters that write 1.4/1.5 (RoadRunner's 1.4 export among them) still do, with
non-zero polynomials.  As libOpenDRIVE does (``Road::get_lane_surface_pt``), the
surface at t is lowered by tan(crossfall)·|t| on t's side of the reference line;
the surface is continuous at t = 0 and, as for ``<shape>``, the height is added
vertically.  Lanes kept level (lane ``@level``) leave it out, with the
superelevation (``level_lanes``).

The records form ONE sequence in s, as libOpenDRIVE keeps them
(``Crossfall::get_crossfall``: one map s → polynomial, one map s → side) and as
1.4 §5.3.6.2 words every lateral-profile entry ("valid until the next entry
starts"): a ``side="left"`` record from s on leaves the right side at 0 until the
next record, ``right`` the left side, ``both`` sets both.  Records that start at
the same s make one entry, each giving the side(s) it names (the last one wins per
side; a side none of them names is 0): a file that writes one record per side at
each s (``left`` then ``right``) keeps both sides, where libOpenDRIVE's map keeps
only the last record.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field

import numpy as np

from simplatform.opendrive import model as m
from simplatform.opendrive.plan_view import CubicTable


def per_side(left: tuple[m.CubicRecord, ...], right: tuple[m.CubicRecord, ...]
             ) -> tuple[list[m.CubicRecord], list[m.CubicRecord]]:
    """Each side's records with the one-sequence reading applied: every entry
    start s gets a record on both sides, a zero one on a side its records skip.

    The parser lists a ``both`` record on each side (the same record, so equal);
    one-sided records are on one list only."""
    entries: dict[float, list[m.CubicRecord | None]] = {}  # s -> [left, right]; the later record wins
    for index, records in ((0, left), (1, right)):
        for record in records:
            entries.setdefault(record.s, [None, None])[index] = record
    out_left, out_right = [], []
    for s in sorted(entries):
        on_left, on_right = entries[s]
        out_left.append(on_left if on_left is not None else m.CubicRecord(s=s, a=0.0))
        out_right.append(on_right if on_right is not None else m.CubicRecord(s=s, a=0.0))
    return out_left, out_right


@dataclass(frozen=True)
class Crossfall:
    """The crossfall angle of each side as a piecewise cubic in s (0 where none is given)."""

    left: CubicTable
    right: CubicTable
    rows: dict = field(default_factory=dict)  # side -> (start s list, (s, a, b, c, d) rows) for ``scalar``

    @classmethod
    def of(cls, road: m.Road) -> "Crossfall | None":
        if not road.crossfall_left and not road.crossfall_right:
            return None
        left, right = per_side(road.crossfall_left, road.crossfall_right)
        rows = {side: ([r.s for r in records], [(r.s, r.a, r.b, r.c, r.d) for r in records])
                for side, records in ((1, left), (-1, right))}
        return cls(CubicTable.of(left), CubicTable.of(right), rows)

    def scalar(self, s: float, t: float) -> tuple[float, float, float]:
        """``__call__`` for one point, without arrays (the engine's per-entity poses)."""
        side = 1 if t > 0.0 else -1
        starts, rows = self.rows[side]
        i = bisect.bisect_right(starts, s) - 1
        if i < 0:
            return 0.0, 0.0, 0.0
        s0, a, b, c, d = rows[i]
        ds = s - s0
        angle = a + ds * (b + ds * (c + ds * d))
        rate = b + ds * (2.0 * c + 3.0 * d * ds)
        tan = math.tan(angle)
        return -tan * abs(t), -abs(t) * (1.0 + tan * tan) * rate, -angle if side > 0 else angle

    def __call__(self, s: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Height change, its rate along s at fixed t, and the roll it adds, at (s, t).

        Roll follows ``road_frame`` (positive lowers the right side): a right side
        falling outward adds +angle, a left side falling outward −angle."""
        s = np.asarray(s, dtype=float)
        t = np.asarray(t, dtype=float)
        left_a, left_rate = self.left(s)
        right_a, right_rate = self.right(s)
        on_left = t > 0.0
        angle = np.where(on_left, left_a, right_a)
        rate = np.where(on_left, left_rate, right_rate)
        tan = np.tan(angle)
        dz = -tan * np.abs(t)
        dz_ds = -np.abs(t) * (1.0 + tan * tan) * rate
        roll = np.where(on_left, -angle, angle)
        return dz, dz_ds, roll
