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
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field

import numpy as np

from simplatform.opendrive import model as m
from simplatform.opendrive.plan_view import CubicTable


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
        rows = {side: ([r.s for r in records], [(r.s, r.a, r.b, r.c, r.d) for r in records])
                for side, records in ((1, road.crossfall_left), (-1, road.crossfall_right))}
        return cls(CubicTable.of(road.crossfall_left), CubicTable.of(road.crossfall_right), rows)

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
