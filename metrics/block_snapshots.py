"""An arena block's snapshots, rebuilt on demand from what ``metrics.block_buffer.BlockBuffer`` kept.

Why its own module: the buffer keeps columns, not snapshots (issue #7); this is the other
direction — a metric that reads a step's snapshot (a contact's, the last one) gets it made
again from those parts, equal in every field to the one observed (the same objects, ``lanes``
a new ``StateLanes`` over the same matrix and road ids, which ``from_state_matrix``'s
contract makes equal to the original's).
"""

from __future__ import annotations

from collections.abc import Sequence

from simplatform.world import StateLanes, WorldSnapshot


def _rebuild(time, step, names, ego, state, visible, shared) -> WorldSnapshot:
    """An arena step's snapshot from what the buffer kept of it (``BlockBuffer.rebuild``)."""
    (kinds, categories, lane_roads, collisions, environment, signals, length, width, height, center_x, center_y,
     center_z) = shared
    boxes = {"length": length, "width": width, "height": height, "bbox_center_x": center_x,
             "bbox_center_y": center_y, "bbox_center_z": center_z}
    return WorldSnapshot.from_state_matrix(
        time, step, names, kinds, categories, state, boxes, StateLanes(state, lane_roads), lane_roads, visible,
        ego=ego, signals=signals, collisions=collisions, environment=environment)


class BlockSnapshots(Sequence):
    """``StepBlock.snapshots`` of an arena block: a sequence whose item k is step k's snapshot,
    rebuilt on first read (``BlockBuffer.rebuild``, ~6 µs) and kept, so that a metric reading a few
    steps (a contact's, the last one) pays for those alone; ``list(…)`` rebuilds every step."""

    __slots__ = ("_buffer", "_built")

    def __init__(self, buffer: BlockBuffer) -> None:
        self._buffer = buffer
        self._built: dict[int, WorldSnapshot] = {}

    def __len__(self) -> int:
        return len(self._buffer)

    def __getitem__(self, k):
        if isinstance(k, slice):
            return [self[i] for i in range(*k.indices(len(self)))]
        n = len(self._buffer)
        if not -n <= k < n:
            raise IndexError(f"step {k} of a block of {n}")
        k %= n
        got = self._built.get(k)
        if got is None:
            got = self._built[k] = self._buffer.rebuild(k)
        return got

    def __iter__(self):
        return map(self.__getitem__, range(len(self)))
