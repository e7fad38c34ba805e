"""The exact path of the ego's box-corner checks (``EgoRoadBlock.corners``): corners located by the road model.

Why its own module: ``metrics.road_block`` settles most steps in the lane frame at the
reference point; the steps it cannot settle there (a corner near a lane line, a curve too
sharp for the sagitta bound, no curvature from the road model) have their corners located
exactly, in one ``locate_many`` per block, and judged by the per-step rule here.  ``CornerViews``
is mixed into ``EgoRoadBlock`` and reads its per-step state (``road``, ``view``, ``low``,
``high``, ``lane_id``, ``road_id``, ``lane_type_at``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass
class CornerState:
    """Per step: the smallest lateral margin of a box corner inside the reference lane (NaN when
    unknown), whether a corner is outside it (departed) and whether a corner is on a sidewalk."""

    margin: np.ndarray
    departed: np.ndarray
    sidewalk: np.ndarray
    located: np.ndarray
    none_departed: bool = False
    """True when no step is known to have departed without asking ``departed.any()`` (a one-lane
    block with every step settled in the lane frame): the metrics skip their onset search."""
    none_sidewalk: bool = False
    """The same for ``sidewalk``: the block's one lane type is not a sidewalk and nothing was located."""


class CornerViews:
    """The exact corner checks of ``EgoRoadBlock`` (see the module docstring)."""

    def _locate_corners(self, idx: np.ndarray, corners: np.ndarray, margin, departed, sidewalk) -> None:
        """The per-step rule on located corners: a corner on another road or outside the reference
        lane's borders is a departure; a corner on a ``sidewalk`` lane is on the sidewalk."""
        res = self.road.locate_many(corners[idx].reshape(-1, 2))
        on = np.asarray(res.on_road, dtype=bool).reshape(-1, 4)
        road_index = np.asarray(res.road_index).reshape(-1, 4)
        lane = np.asarray(res.lane_id).reshape(-1, 4)
        s = np.asarray(res.s, dtype=float).reshape(-1, 4)
        t = np.asarray(res.t, dtype=float).reshape(-1, 4)
        corner_ids = [[res.road_ids[road_index[n, c]] if on[n, c] else None for c in range(4)]
                      for n in range(len(idx))]
        corner_type = self._corner_lane_types(idx, corner_ids, lane, s)
        for n, k in enumerate(idx.tolist()):
            rid = self.road_id(k)
            ids = corner_ids[n]
            same = np.array([ids[c] == rid for c in range(4)])
            m = np.where(same, np.minimum(t[n] - self.low[k], self.high[k] - t[n]), np.nan)
            departed[k] = bool(np.any(~same) or np.nanmin(m) < 0)
            margin[k] = float(np.nanmin(m)) if np.any(same) else math.nan
            sidewalk[k] = any((kt or "").lower() == "sidewalk" for kt in corner_type[n])

    def _corner_lane_types(self, idx: np.ndarray, corner_ids: list[list[str | None]], lane: np.ndarray,
                           s: np.ndarray) -> list[list[str | None]]:
        """Lane type under each located corner: the reference point's where the corner is in the
        reference lane, else one array query per road over all corners of the block on it."""
        out: list[list[str | None]] = [[None] * 4 for _ in range(len(idx))]
        ask: dict[str, list[tuple[int, int]]] = {}
        for n, k in enumerate(idx.tolist()):
            ref_key = (self.road_id(k), int(self.lane_id[k]))
            for c, rid in enumerate(corner_ids[n]):
                if rid is None:
                    continue
                if (rid, int(lane[n, c])) == ref_key:
                    out[n][c] = self.lane_type_at(k)
                else:
                    ask.setdefault(rid, []).append((n, c))
        for rid, cells in ask.items():
            rows, cols = np.array(cells).T
            types = self.view.lane_types(rid, lane[rows, cols], s[rows, cols])
            for n, c, kt in zip(rows.tolist(), cols.tolist(), types):
                out[n][c] = kt
        return out
