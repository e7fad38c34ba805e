"""The numpy formulation the traffic kernels replaced: many lane tables evaluated as one set of arrays.

Kept as the reference the compiled lane-centre and tracking kernels of
``simplatform.backends.traffic_kernels`` are tested against, bit for bit
(``test_backends_model_traffic.py``); the platform itself uses
``simplatform.backends.lane_stack.LaneStack`` and those kernels.
"""

from __future__ import annotations

import numpy as np

from simplatform.engine.lane_tables import LaneTable


class TableStack:
    """Many lane tables as one set of arrays, for evaluating N entities on N different lanes at once."""

    NAMES = ("x", "y", "dx", "dy", "z", "h", "p", "r", "ct")

    def __init__(self) -> None:
        self.tables: list[LaneTable] = []
        self._ids: dict[int, int] = {}
        self._built = 0
        self.base = np.zeros(0, dtype=np.int64)
        self.count = np.zeros(0, dtype=np.int64)
        self.ds = np.zeros(0)
        self.length = np.zeros(0)
        self.arrays: dict[str, np.ndarray] = {}

    def id_of(self, table: LaneTable) -> int:
        k = self._ids.get(id(table))
        if k is None:
            k = len(self.tables)
            self.tables.append(table)
            self._ids[id(table)] = k
        return k

    def _build(self) -> None:
        if self._built == len(self.tables):
            return
        counts = np.array([t.n for t in self.tables], dtype=np.int64)
        self.count = counts
        self.base = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
        self.ds = np.array([t.ds for t in self.tables])
        self.length = np.array([t.length for t in self.tables])
        self.arrays = {n: np.concatenate([t.arrays[n] for t in self.tables]) for n in self.NAMES}
        self._built = len(self.tables)

    def poses(self, ids: np.ndarray, s: np.ndarray, offset: np.ndarray) -> dict[str, np.ndarray]:
        """Pose at (s, offset) on table ``ids[i]`` for every i (s clamped to the road; NaN off the lane)."""
        self._build()
        a = self.arrays
        ds = self.ds[ids]
        u = np.clip(s, 0.0, self.length[ids]) / ds
        k = np.clip(u.astype(np.int64), 0, self.count[ids] - 2)
        f = u - k
        g = self.base[ids] + k
        j = g + 1
        f2 = f * f
        f3 = f2 * f
        x = (2 * f3 - 3 * f2 + 1) * a["x"][g] + (f3 - 2 * f2 + f) * ds * a["dx"][g] \
            + (3 * f2 - 2 * f3) * a["x"][j] + (f3 - f2) * ds * a["dx"][j]
        y = (2 * f3 - 3 * f2 + 1) * a["y"][g] + (f3 - 2 * f2 + f) * ds * a["dy"][g] \
            + (3 * f2 - 2 * f3) * a["y"][j] + (f3 - f2) * ds * a["dy"][j]
        out = {n: a[n][g] + (a[n][j] - a[n][g]) * f for n in ("h", "z", "p", "r", "ct")}
        across = offset * np.cos(out["r"])          # t in the superelevated cross section (OpenDRIVE 1.8 §8.3)
        out["x"] = x - across * np.sin(out["h"])
        out["y"] = y + across * np.cos(out["h"])
        out["z"] = out["z"] + offset * np.sin(out["r"])
        return out

    def _cells(self, ids: np.ndarray, s: np.ndarray):
        self._build()
        ds = self.ds[ids]
        u = np.clip(s, 0.0, self.length[ids]) / ds
        k = np.clip(u.astype(np.int64), 0, self.count[ids] - 2)
        g = self.base[ids] + k
        return g, g + 1, u - k, ds

    def centre(self, ids: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(x, y, reference heading) of the lane centre only: the per-step tracking needs no more."""
        g, j, f, ds = self._cells(ids, s)  # builds first: read the arrays after it (a new table may just have joined)
        a = self.arrays
        f2 = f * f
        f3 = f2 * f
        w0, w1, w2, w3 = 2 * f3 - 3 * f2 + 1, (f3 - 2 * f2 + f) * ds, 3 * f2 - 2 * f3, (f3 - f2) * ds
        x = w0 * a["x"][g] + w1 * a["dx"][g] + w2 * a["x"][j] + w3 * a["dx"][j]
        y = w0 * a["y"][g] + w1 * a["dy"][g] + w2 * a["y"][j] + w3 * a["dy"][j]
        h = a["h"][g] + (a["h"][j] - a["h"][g]) * f
        return x, y, h

    def linear(self, ids: np.ndarray, s: np.ndarray, names: tuple[str, ...]) -> dict[str, np.ndarray]:
        """The linearly interpolated columns ``names`` (of h, z, p, r, ct) at s."""
        g, j, f, _ = self._cells(ids, s)
        a = self.arrays
        return {n: a[n][g] + (a[n][j] - a[n][g]) * f for n in names}
