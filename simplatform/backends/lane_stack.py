"""The lane tables a driver-model fleet drives on, stacked into one matrix for the compiled kernels.

:class:`~simplatform.engine.lane_tables.LaneTable` samples one lane's centre
line on a fixed s grid; a fleet's vehicles sit on many lanes at once, so the
per-step kernels (:mod:`simplatform.backends.traffic_kernels`) read every
lane they need from one ``(9, samples)`` matrix (rows ``x, y, dx, dy, z, h,
p, r, ct`` as in ``LaneTable.arrays``) and a ``(4, lanes)`` table of where each
lane starts in it, its sample count, grid step and road length.  Lanes join
on first use, keyed by ``(road id, lane id)``; the matrix is re-stacked only
then (a vehicle entering a lane not driven before), never per step.

The tables are the process-wide cached ones (``lane_table``), so a lane's
samples are exactly those the default controller interpolates.
"""

from __future__ import annotations

import numpy as np

from simplatform.engine.lane_tables import SAMPLE_ROWS, lane_table, stack_samples

ROWS = SAMPLE_ROWS
"""Matrix rows, in the order the kernels index them."""


class LaneStack:
    """Lane tables of one road network as one matrix; ``lane(road_id, lane_id)`` gives a lane's column
    in ``meta`` (its rows: start in the matrix, sample count, grid step, road length)."""

    def __init__(self, net) -> None:
        self.net = net
        self._lanes: dict[tuple[str, int], int] = {}
        self._tables: list = []
        self._stacked = 0
        self.matrix = np.zeros((len(ROWS), 0))
        self.meta = np.zeros((4, 0))

    def lane(self, road_id: str, lane_id: int) -> int:
        """The lane's index in ``meta`` (its table joins the stack on first use)."""
        key = (road_id, lane_id)
        k = self._lanes.get(key)
        if k is None:
            k = len(self._tables)
            self._tables.append(lane_table(self.net, road_id, lane_id))
            self._lanes[key] = k
        return k

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """(matrix, meta), re-stacked when lanes joined since the last call."""
        if self._stacked != len(self._tables):
            tables = self._tables
            self.matrix, starts, counts = stack_samples(tables)
            meta = np.empty((4, len(tables)))
            meta[0] = starts
            meta[1] = counts
            meta[2] = [t.ds for t in tables]
            meta[3] = [t.length for t in tables]
            self.meta = meta
            self._stacked = len(tables)
        return self.matrix, self.meta
