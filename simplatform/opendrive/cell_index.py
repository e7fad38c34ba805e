"""A uniform-grid index from a world point to the roads that may contain it.

Why next to the KD-tree: ``locate_many`` answers hundreds of thousands of
points per call, and a k-nearest query costs far more per point than hashing
the point into a grid cell.  Every lane sample is registered in its own cell
and the eight around it, so with cells at least as large as the reach of a
sample (half a lane width plus the sample spacing), the point's own cell
lists every road with a sample within that reach: the same candidate set the
KD-tree gives, found with one ``searchsorted``.  One sample is kept per
(cell, road) — one from the cell itself when there is one — as the start of
the Newton projection.
"""

from __future__ import annotations

import numpy as np


class CellIndex:
    """Cells of side ``cell`` → (road, sample) pairs, stored as CSR arrays."""

    def __init__(self, xy: np.ndarray, road: np.ndarray, cell: float) -> None:
        self.cell = float(cell)
        self.origin = xy.min(axis=0) - 2.0 * self.cell
        ij = np.floor((xy - self.origin) / self.cell).astype(np.int64)
        self.nx = int(ij[:, 0].max()) + 3
        self.ny = int(ij[:, 1].max()) + 3
        n = len(xy)
        keys, samples, ranks = [], [], []
        for di in (-1, 0, 1):
            for dj in (-1, 0, 1):
                keys.append((ij[:, 0] + di) * self.ny + (ij[:, 1] + dj))
                samples.append(np.arange(n))
                ranks.append(np.full(n, abs(di) + abs(dj), dtype=np.int8))
        key = np.concatenate(keys)
        sample = np.concatenate(samples)
        rank = np.concatenate(ranks)
        rd = road[sample]
        order = np.lexsort((rank, rd, key))
        key, rd, sample = key[order], rd[order], sample[order]
        first = np.ones(len(key), dtype=bool)
        first[1:] = (key[1:] != key[:-1]) | (rd[1:] != rd[:-1])
        key, sample = key[first], sample[first]
        self.cell_keys, starts = np.unique(key, return_index=True)
        self.offsets = np.append(starts, len(key))
        self.pair_sample = sample

    def query(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(point index, sample index) pairs: one per candidate road of each point."""
        ij = np.floor((points - self.origin) / self.cell).astype(np.int64)
        inside = (ij[:, 0] >= 0) & (ij[:, 0] < self.nx) & (ij[:, 1] >= 0) & (ij[:, 1] < self.ny)
        key = ij[:, 0] * self.ny + ij[:, 1]
        pos = np.minimum(np.searchsorted(self.cell_keys, key), len(self.cell_keys) - 1)
        hit = inside & (self.cell_keys[pos] == key)
        counts = np.where(hit, self.offsets[pos + 1] - self.offsets[pos], 0)
        total = int(counts.sum())
        point = np.repeat(np.arange(len(points)), counts)
        ends = np.cumsum(counts)
        base = np.repeat(self.offsets[pos] - (ends - counts), counts)
        pair = base + np.arange(total)
        return point, self.pair_sample[pair]
