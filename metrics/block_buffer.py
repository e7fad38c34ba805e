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

from simplatform.state_arena import ArenaSlots
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
        except (TypeError, BufferError, ValueError):   # a non-contiguous row: concatenate below
            buffer = None
        if buffer is not None and len(buffer) == 8 * n * len(rows):   # rows of one length
            return np.frombuffer(buffer, dtype=np.float64).reshape(len(rows), n)
    return np.concatenate(rows).reshape(len(rows), -1)


def gather(s: WorldSnapshot) -> tuple:
    """``_GATHER(s)``, the same objects in the same order, at a quarter of its cost.

    Why: ``attrgetter`` of 13 names pays a generic attribute lookup per name (~22 ns each);
    these are the interpreter's specialised attribute loads (~4 ns).  Keep it in ``_GATHERED``
    order (``tests/metrics/test_metrics_s4_handover.py`` checks it)."""
    return (s.names, s.ego, s.time, s.state, s.lane_roads, s.collisions, s.environment, s.length, s.width, s.height,
            s.bbox_center_x, s.bbox_center_y, s.bbox_center_z)


MAX_RUNS = 16
"""The most runs of arena slots in a block (beyond, the block copies its matrices as they come)."""


class BlockBuffer:
    """The snapshots of the next block, read as they come (``MetricSuite.observe``).

    Why: a snapshot is in the cache when the engine has just built it, and long out of it
    1,000 steps later, when its block is evaluated; reading what the block needs of it now
    (``_GATHERED``) costs less than reading it then (~0.3 against ~0.9 µs a step in situ).
    Its state matrix needs no reading when it is a ``StateArena`` slot (the native engine's):
    per step the buffer only checks that it is the arena's next slot (``states[next_slot] is
    state``), and the block gets a run of consecutive slots as one view of the arena
    (``stacked_state``).  A slot that does not follow on (a step's snapshot made twice, the
    first one not observed; a snapshot observed twice; another arena) starts another run, and
    the block gets the runs joined in one copy.  Any other snapshot's matrix (other backends,
    ``from_states``) is byte-copied as it comes, and the runs before it are copied then, as
    they are when a block would have more than ``MAX_RUNS`` runs.

    ``names`` and ``ego`` are the first snapshot's (None while empty): the block's entities.
    While the block is arena slots, ``runs`` holds its finished runs (index, first, stop) and
    the current run is slots ``first_slot`` to ``next_slot`` - 1 of ``slots`` (the arena's
    index, held so that the block can be read as its view), whose matrices are ``states``;
    else ``slots`` is None and ``states`` empty."""

    __slots__ = ("snapshots", "gathered", "state_bytes", "names", "ego", "slots", "states", "first_slot",
                 "next_slot", "runs")

    def __init__(self) -> None:
        self.snapshots: list[WorldSnapshot] = []
        self.gathered: list[tuple] = []
        self.state_bytes: bytearray | None = bytearray()
        self.names: tuple[str, ...] | None = None
        self.ego: str | None = None
        self.slots: ArenaSlots | None = None
        self.states: list | tuple = ()
        self.first_slot = 0
        self.next_slot = 0
        self.runs: list[tuple[ArenaSlots, int, int]] = []

    def __len__(self) -> int:
        return len(self.snapshots)

    def append(self, snapshot: WorldSnapshot, got: tuple | None = None) -> None:
        """Add a snapshot; ``got`` is ``gather(snapshot)`` when the caller has read it already."""
        if got is None:
            got = gather(snapshot)
        state = got[3]
        snapshots = self.snapshots
        if self.slots is not None or not snapshots:
            k = self.next_slot
            if k < len(self.states) and self.states[k] is state:
                self.next_slot = k + 1
            else:
                if not snapshots:
                    self.names, self.ego = got[0], got[1]
                found = ArenaSlots.of(state)
                if found is not None and len(self.runs) < MAX_RUNS:
                    if snapshots:   # another run (any slot: runs are joined in their order)
                        self.runs.append((self.slots, self.first_slot, self.next_slot))
                    self.slots, k = found
                    self.states = self.slots.states
                    self.first_slot, self.next_slot = k, k + 1
                elif snapshots:
                    self._leave_arena()
            if self.slots is not None:
                snapshots.append(snapshot)
                self.gathered.append(got)
                return
        snapshots.append(snapshot)
        self.gathered.append(got)
        if self.state_bytes is not None:
            try:
                # extend, not +=: ``bytearray += ndarray`` is numpy's broadcasting add (its __radd__ comes
                # first) and fails, which sent every block back to stacking the matrices at its end
                self.state_bytes.extend(state)   # a C-contiguous float64 matrix (from_state_matrix checks the type)
            except (TypeError, BufferError, ValueError):   # None, or not contiguous: the block stacks them itself
                self.state_bytes = None

    def _spans(self) -> list[np.ndarray]:
        return [slots.span(first, stop) for slots, first, stop in (*self.runs, (self.slots, self.first_slot,
                                                                              self.next_slot))]

    def _leave_arena(self) -> None:
        """The next snapshot is no arena slot (or the runs are too many): the matrices so far are copied now."""
        self.state_bytes = bytearray()
        for span in self._spans():
            self.state_bytes.extend(span)
        self.slots, self.states, self.runs = None, (), []

    def stacked_state(self, shape: tuple[int, ...]) -> np.ndarray | None:
        """The buffered state matrices as one (T, ``STATE_ROWS``, N) array of ``shape``, or None when
        they were not all C-contiguous float64 matrices of that shape (the block stacks them then):
        a read-only view of the arena when they are one run of two or more of its slots, else their copy."""
        shape = tuple(shape)
        if self.slots is not None:
            spans = self._spans()
            if any(span.shape[1:] != shape[1:] for span in spans) or sum(map(len, spans)) != shape[0]:
                return None
            # one step is copied: its slices would be contiguous views, read-only ones, which numba
            # compiles apart from the writable arrays that slicing a larger block copies out
            return spans[0] if len(spans) == 1 and shape[0] > 1 else np.concatenate(spans)
        got = self.state_bytes
        if got is not None and len(got) == 8 * math.prod(shape):
            return np.frombuffer(got, dtype=np.float64).reshape(shape)
        return None
