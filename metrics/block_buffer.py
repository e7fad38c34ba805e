"""The snapshots of the next block, read as they come: what ``MetricSuite.observe`` does per step.

Why its own module: this is the one part of the metrics that runs every step
(the rest runs once per block of up to 1,000 steps), so its per-step cost is
the floor of the metric overhead (issue #7), and the hand-over of the
snapshot's state from the engine to the metrics is its whole job.
"""

from __future__ import annotations

import math
from itertools import repeat
from operator import attrgetter, is_, itemgetter

import numpy as np

from simplatform.world import FLOAT_COLUMNS, WorldSnapshot

_F8_ONLY = {np.dtype(np.float64)}
_DTYPE = attrgetter("dtype")
_GATHERED = ("names", "ego", "time", "state", "lane_roads", "collisions", "environment") + FLOAT_COLUMNS[12:]
"""What a block reads of every snapshot in one pass (``names`` and ``ego`` first: the suite checks
them as it observes): each pass over a block's snapshots touches 1,000 objects that left the cache
long ago, and costs about as much as the reading itself."""
_GATHER = attrgetter(*_GATHERED)
_FIELDS = {name: itemgetter(k) for k, name in enumerate(_GATHERED)}


def _all_same(rows: list[np.ndarray]) -> bool:
    """Whether every row is the first row's array object (a column the snapshots share)."""
    first = rows[0]
    if rows[-1] is not first or rows[len(rows) // 2] is not first:
        return False
    if isinstance(first, np.ndarray) and first.size >= 2:
        # list.count compares identity first, in C (a fifth of map(is_)); a row that is another
        # array compares elementwise, which for two or more values has no one truth value and raises
        try:
            return rows.count(first) == len(rows)
        except ValueError:
            return False
    return all(map(is_, rows, repeat(first)))


def stack_rows(rows: list[np.ndarray]) -> np.ndarray:
    """Per-step 1-D arrays of one length stacked to (T, N), bit for bit.

    Why not ``np.concatenate``: it pays ~0.25 µs per input array, which for
    20-element rows is most of a column's cost; joining the float64 rows'
    buffers is a plain byte copy at a sixth of that.  A row shared by every
    step (the engine's box columns) is repeated; anything that is not
    contiguous float64 goes through ``np.concatenate``."""
    first = rows[0]
    if _all_same(rows):
        return np.repeat(first.reshape(1, -1), len(rows), axis=0)
    n = first.size
    if set(map(_DTYPE, rows)) == _F8_ONLY:
        try:
            buffer = bytearray().join(rows)
        except (TypeError, BufferError, ValueError):   # a non-contiguous row
            pass
        else:
            if len(buffer) == 8 * n * len(rows):       # rows of one length
                return np.frombuffer(buffer, dtype=np.float64).reshape(len(rows), n)
    return np.concatenate(rows).reshape(len(rows), -1)


class BlockBuffer:
    """The snapshots of the next block, read as they come (``MetricSuite.observe``).

    Why: a snapshot is in the cache when the engine has just built it, and long out of it
    1,000 steps later, when its block is evaluated; reading what the block needs of it now
    (``_GATHERED``, and a byte copy of its state matrix) costs less than reading it then.
    ``names`` and ``ego`` are the first snapshot's (None while empty): the block's entities."""

    __slots__ = ("snapshots", "gathered", "state_bytes", "names", "ego")

    def __init__(self) -> None:
        self.snapshots: list[WorldSnapshot] = []
        self.gathered: list[tuple] = []
        self.state_bytes: bytearray | None = bytearray()
        self.names: tuple[str, ...] | None = None
        self.ego: str | None = None

    def __len__(self) -> int:
        return len(self.snapshots)

    def append(self, snapshot: WorldSnapshot, got: tuple | None = None) -> None:
        """Add a snapshot; ``got`` is ``_GATHER(snapshot)`` when the caller has read it already."""
        if got is None:
            got = _GATHER(snapshot)
        if not self.snapshots:
            self.names, self.ego = got[0], got[1]
        self.snapshots.append(snapshot)
        self.gathered.append(got)
        if self.state_bytes is not None:
            try:
                # extend, not +=: ``bytearray += ndarray`` is numpy's broadcasting add (its __radd__ comes
                # first) and fails, which sent every block back to stacking the matrices at its end
                self.state_bytes.extend(got[3])   # a C-contiguous float64 matrix (from_state_matrix checks the type)
            except (TypeError, BufferError, ValueError):   # None, or not contiguous: the block stacks them itself
                self.state_bytes = None

    def stacked_state(self, shape: tuple[int, ...]) -> np.ndarray | None:
        """The buffered state matrices as one (T, ``STATE_ROWS``, N) array of ``shape``, or None when
        they were not all C-contiguous float64 matrices of that shape (the block stacks them then)."""
        got = self.state_bytes
        if got is not None and len(got) == 8 * math.prod(shape):
            return np.frombuffer(got, dtype=np.float64).reshape(shape)
        return None
