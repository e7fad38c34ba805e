"""What ``MetricSuite.observe`` keeps of each step until its block is evaluated.

Why its own module: this is the one part of the metrics that runs every step
(the rest runs once per block of up to 1,000 steps), so its per-step cost is
the floor of the metric overhead (issue #7), and the hand-over of the
snapshot's state from the engine to the metrics is its whole job.

Why columns, not snapshots: a block used to keep its ~1,000 snapshots alive, and
each was freed 1,000 steps after it was made, long out of the cache (≈1.3 µs a
step at 20 actors), after the collector had walked it a few times (≈0.7 µs).  For
the native engine's snapshots the buffer keeps only what it cannot get back —
the time, the step and the visibility array of each step, and the fields that
snapshots share (box columns, road ids, collisions, signals, environment, kinds)
each time they change — while the state matrix is already kept by the engine's
``StateArena``.  The snapshot itself dies, hot, when the engine drops it, and a
metric that asks for ``block.snapshots[k]`` gets it rebuilt from those parts,
equal in every field (``rebuild``).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable
from functools import partial
from itertools import repeat
from operator import attrgetter, is_, itemgetter

import numpy as np

from metrics.block_snapshots import BlockSnapshots, _rebuild  # noqa: F401  (BlockSnapshots: re-exported)
from simplatform.state_arena import ArenaSlots
from simplatform.world import FLOAT_COLUMNS, StateLanes, WorldSnapshot

_F8_ONLY = {np.dtype(np.float64)}
_DTYPE = attrgetter("dtype")
_GATHERED = ("names", "ego", "time", "state", "lane_roads", "collisions", "environment") + FLOAT_COLUMNS[12:]
"""What a block of plain snapshots reads of every snapshot in one pass (``names`` and ``ego``
first: the suite checks them as it observes): each pass over a block's snapshots touches 1,000
objects that left the cache long ago, and costs about as much as the reading itself."""
_GATHER = attrgetter(*_GATHERED)
_FIELDS = {name: itemgetter(k) for k, name in enumerate(_GATHERED)}

_SHARED = ("kinds", "categories", "lane_roads", "collisions", "environment", "signals") + FLOAT_COLUMNS[12:]
"""The fields of an arena snapshot that the engine shares between steps while they are unchanged
(``BlockBuffer.shared``: kept once per change, not per step; ``MetricSuite.observe`` compares
them in this order)."""
_SHARED_GET = attrgetter(*_SHARED)
_SHARED_INDEX = {name: k for k, name in enumerate(_SHARED)}
_FIRST, _SECOND = itemgetter(0), itemgetter(1)
_BOX_QUAD_NAMES = ("length", "width", "bbox_center_x", "bbox_center_y")
_BOX_QUAD_SHARED = itemgetter(*(_SHARED_INDEX[name] for name in _BOX_QUAD_NAMES))
_BOX_QUAD_GATHERED = itemgetter(*(_GATHERED.index(name) for name in _BOX_QUAD_NAMES))
_COLUMN_ROWS = {name: k for k, name in enumerate(FLOAT_COLUMNS[:12])}
"""The per-step columns of a snapshot made by ``from_state_matrix``: views of these rows of its matrix."""


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
"""The most runs of arena slots in a block (beyond, the block keeps the snapshots and copies their matrices)."""


class BlockBuffer:
    """The steps of the next block, kept as they come (``MetricSuite.observe``), in one of two ways.

    **Arena steps** (``slots`` is not None): every step so far is a native-engine snapshot whose
    state matrix is a ``StateArena`` slot (``ArenaSlots.of``) with the block's ``names`` and
    ``ego`` (the same objects).  The matrices stay in the arena: the buffer holds runs of
    consecutive slots — the finished ones in ``runs`` (index, first, stop), the current one
    slots ``first_slot`` to ``next_slot`` - 1 of ``slots``, whose matrices are ``states`` — and
    the block gets them as one view of the arena (``stacked_state``; runs are joined in one
    copy).  Per step it keeps ``times``, ``steps`` and ``visibles``; the ``_SHARED`` fields are
    kept in ``changes`` ((first step, fields), one entry per change, the last one ``shared``).
    The snapshot is not kept: ``rebuild(k)`` makes step k's again from these, equal in every
    field (the same objects, ``lanes`` a new ``StateLanes`` over the same matrix and road ids,
    which ``from_state_matrix``'s contract makes equal to the original's).  ``limit`` is the
    slot at which the block has ``block_steps`` steps.

    **Snapshots** (``slots`` is None): anything else (other backends, ``from_states``, a block
    whose steps stopped following on).  The buffer keeps each snapshot and what the block reads
    of it (``gathered``, ``_GATHERED`` order, read while it is in the cache), and byte-copies its
    state matrix as it comes (``state_bytes``; None when one is not a C-contiguous float64 matrix).
    An arena block turns into this when a step cannot be kept as arena steps (a snapshot of no
    arena, more than ``MAX_RUNS`` runs, other ``names``/``ego`` objects of equal value): its steps
    so far are rebuilt then (``_to_snapshots``), so the block ends where it would have anyway."""

    __slots__ = ("block_steps", "names", "ego", "slots", "states", "first_slot", "next_slot", "limit", "runs",
                 "times", "steps", "visibles", "shared", "changes", "_expanded", "snapshots", "gathered", "state_bytes")

    def __init__(self, block_steps: int = 1 << 62) -> None:
        self.block_steps = block_steps
        self.names: tuple[str, ...] | None = None
        self.ego: str | None = None
        self.slots: ArenaSlots | None = None
        self.states: list | tuple = ()
        self.first_slot = 0
        self.next_slot = 0
        self.limit = 0
        self.runs: list[tuple[ArenaSlots, int, int]] = []
        self.times: list[float] = []
        self.steps: list[int] = []
        self.visibles: list[np.ndarray] = []
        self.shared: tuple = ()
        self.changes: list[tuple[int, tuple]] = []
        self._expanded: list[tuple] | None = None
        self.snapshots: list[WorldSnapshot] = []
        self.gathered: list[tuple] = []
        self.state_bytes: bytearray | None = bytearray()

    @classmethod
    def of_snapshots(cls, snapshots: list[WorldSnapshot]) -> "BlockBuffer":
        """A buffer of the given snapshots as they are (what a ``StepBlock`` of plain snapshots reads)."""
        buffer = cls()
        buffer.snapshots = snapshots
        buffer.gathered = list(map(gather, snapshots))
        buffer.state_bytes = None
        if snapshots:
            buffer.names, buffer.ego = snapshots[0].names, snapshots[0].ego
        return buffer

    def __len__(self) -> int:
        return len(self.times) if self.slots is not None else len(self.snapshots)

    # ------------------------------------------------------------------ taking steps
    def append(self, snapshot: WorldSnapshot) -> None:
        """Add a step (any snapshot over the block's entities: the suite checks them)."""
        state = snapshot.state
        if not len(self):
            self.names, self.ego = snapshot.names, snapshot.ego
            found = ArenaSlots.of(state)
            if found is not None and found[0].names is self.names and found[0].ego is self.ego:
                self.slots, k = found
                self.states = self.slots.states
                self.first_slot = self.next_slot = k
                self.limit = k + self.block_steps
                self.shared = _SHARED_GET(snapshot)
                self.changes = [(0, self.shared)]
        if self.slots is not None:
            if self._take_arena_step(snapshot, state):
                return
            self._to_snapshots()
        self.snapshots.append(snapshot)
        got = gather(snapshot)
        self.gathered.append(got)
        if self.state_bytes is not None:
            try:
                # extend, not +=: ``bytearray += ndarray`` is numpy's broadcasting add (its __radd__ comes
                # first) and fails, which sent every block back to stacking the matrices at its end
                self.state_bytes.extend(state)   # a C-contiguous float64 matrix (from_state_matrix checks the type)
            except (TypeError, BufferError, ValueError):   # None, or not contiguous: the block stacks them itself
                self.state_bytes = None

    def _take_arena_step(self, snapshot: WorldSnapshot, state) -> bool:
        """Keep a step as arena steps (what the suite's fast path does inline, and more); False when it cannot be.

        A run of slots is taken only from an arena whose ``names`` and ``ego`` are the block's (the
        same objects): every slot's snapshot has them (``ArenaSlots``), so the fast path need not
        compare them."""
        if snapshot.names is not self.names or snapshot.ego is not self.ego:
            return False
        k = self.next_slot
        if not (k < len(self.states) and self.states[k] is state):
            found = ArenaSlots.of(state)
            if (found is None or len(self.runs) >= MAX_RUNS or found[0].names is not self.names
                    or found[0].ego is not self.ego):
                return False
            # another run (any slot: runs are joined in their order)
            self.runs.append((self.slots, self.first_slot, self.next_slot))
            self.slots, k = found
            self.states = self.slots.states
            self.first_slot = k
            self.limit = k + self.block_steps - len(self.times)
        shared = _SHARED_GET(snapshot)
        if not all(map(is_, shared, self.shared)):
            self.shared = shared
            self.changes.append((len(self.times), shared))
        self.next_slot = k + 1
        self.times.append(snapshot.time)
        self.steps.append(snapshot.step)
        self.visibles.append(snapshot.visible)
        return True

    def _to_snapshots(self) -> None:
        """Keep the block as snapshots from now on: its arena steps are rebuilt, their matrices copied."""
        rebuilt = [self.rebuild(k) for k in range(len(self.times))]
        self.state_bytes = bytearray()
        for span in self._spans():
            self.state_bytes.extend(span)
        self.slots, self.states, self.runs = None, (), []
        self.times, self.steps, self.visibles, self.changes = [], [], [], []
        self.snapshots = rebuilt
        self.gathered = list(map(gather, rebuilt))

    # ------------------------------------------------------------------ reading the block
    def _spans(self) -> list[np.ndarray]:
        return [slots.span(first, stop) for slots, first, stop in (*self.runs, (self.slots, self.first_slot,
                                                                              self.next_slot))]

    def state_list(self) -> list[np.ndarray]:
        """Each step's state matrix (the arena's slot objects for arena steps)."""
        if self.slots is None:
            return list(map(_FIELDS["state"], self.gathered))
        out: list[np.ndarray] = []
        for slots, first, stop in (*self.runs, (self.slots, self.first_slot, self.next_slot)):
            out += slots.states[first:stop]
        return out

    def _shared_at(self, k: int) -> tuple:
        changes = self.changes
        if len(changes) == 1:
            return changes[0][1]
        return changes[bisect_right(changes, k, key=itemgetter(0)) - 1][1]

    def field(self, name: str) -> list:
        """A snapshot field per step, read without touching the snapshots where the buffer kept it."""
        if self.slots is None:
            got = _FIELDS.get(name)
            return list(map(got, self.gathered) if got is not None else map(attrgetter(name), self.snapshots))
        n = len(self.times)
        if name == "time":
            return list(self.times)
        if name == "state":
            return self.state_list()
        if name in ("names", "ego"):
            return [getattr(self, name)] * n
        if name == "step":
            return list(self.steps)
        if name == "visible":
            return list(self.visibles)
        q = _SHARED_INDEX.get(name)
        if q is None:
            row = _COLUMN_ROWS.get(name)
            if row is not None:   # the snapshot's column is a view of this row of its matrix
                return [state[row] for state in self.state_list()]
            if name == "lanes":
                return [self.lanes_at(k) for k in range(n)]
            return [getattr(self.rebuild(k), name) for k in range(n)]
        changes = self.changes
        if len(changes) == 1:
            return [changes[0][1][q]] * n
        # each change's value repeated for its steps by list repetition, in C (909 steps, hot: ~7 µs
        # with 4 changes, ~270 µs when every step changes, where chaining ``repeat``s took ~10 and ~380);
        # a value that the next change keeps (the same object: another field changed) goes on in one
        # repetition — the usual case, where contacts beginning and ending are the only changes and
        # every other field is one object throughout: one list, as for a block without changes
        out: list = []
        start, value = 0, changes[0][1][q]
        for stop, fields in changes[1:]:
            if fields[q] is not value:
                out += [value] * (stop - start)
                start, value = stop, fields[q]
        if not start:
            return [value] * n
        out += [value] * (n - start)
        return out

    def runs_of(self, name: str) -> list[tuple[int, int, object]] | None:
        """(first step, stop, value) of a ``_SHARED`` field per stretch of an arena block's steps that
        share one object of it (one entry when it never changed): what ``field`` repeats per step,
        for a reader that needs each value once; None for a block of snapshots.

        Changes of the other shared fields do not split a stretch: a change is kept when any of the
        twelve fields is another object (a contact beginning or ending), while the usual field keeps
        its object throughout (in situ, 4 and 8 changes of ``collisions`` left the road ids, the
        environment and the kinds one object each).  So the ego's road ids are one list repetition
        (``EgoViews.ego_lanes``) and coverage looks at one environment (issue #7)."""
        if self.slots is None:
            return None
        q = _SHARED_INDEX[name]
        changes = self.changes
        n = len(self.times)
        start, value = 0, changes[0][1][q]
        if len(changes) == 1:
            return [(0, n, value)]
        out: list[tuple[int, int, object]] = []
        for stop, fields in changes[1:]:
            if fields[q] is not value:
                out.append((start, stop, value))
                start, value = stop, fields[q]
        out.append((start, n, value))
        return out

    def _shared_per_step(self) -> list[tuple]:
        """The ``_SHARED`` fields of each step (one tuple per change, repeated), made once per length."""
        n = len(self.times)
        got = self._expanded
        if got is None or len(got) != n:
            starts = list(map(_FIRST, self.changes))
            # each change's fields repeated for its steps by list repetition (as ``field``; a block may
            # change at every step: 909 changes ~220 µs, where ``map(repeat, …)`` chained took ~290)
            got = []
            for start, stop, fields in zip(starts, (*starts[1:], n), map(_SECOND, self.changes)):
                got += [fields] * (stop - start)
            self._expanded = got
        return got

    def shared_quad(self) -> tuple | None:
        """The (length, width, bbox_center_x, bbox_center_y) that every step of an arena block shares
        (the same four objects at every change: the engine's box columns), or None.  Decided per
        change, not per step (a contact beginning or ending is a change of the shared fields)."""
        if self.slots is None:
            return None
        changes = self.changes
        first = _BOX_QUAD_SHARED(changes[0][1])
        for _, fields in changes[1:]:
            if not all(map(is_, _BOX_QUAD_SHARED(fields), first)):
                return None
        return first

    def box_quads(self) -> list[tuple]:
        """(length, width, bbox_center_x, bbox_center_y) per step: one pass over the block for the four."""
        if self.slots is None:
            return list(map(_BOX_QUAD_GATHERED, self.gathered))
        if len(self.changes) == 1:
            return [_BOX_QUAD_SHARED(self.changes[0][1])] * len(self.times)
        return list(map(_BOX_QUAD_SHARED, self._shared_per_step()))

    def rebuild(self, k: int) -> WorldSnapshot:
        """Arena step k's snapshot again, equal in every field to the one observed (the same objects,
        but ``lanes``: a ``StateLanes`` over the same matrix and road ids)."""
        if self.slots is None:
            return self.snapshots[k]
        return _rebuild(*self._parts(k))

    def last_step(self) -> "Callable[[], WorldSnapshot]":
        """A function giving the last step's snapshot (``rebuild(-1)``) when called, holding only
        what that needs (the step's matrix, not the arena's index): the suite keeps one per
        flush for a V2X metric built mid-run, which seldom asks."""
        if self.slots is None:
            return partial(_FIRST, (self.snapshots[-1],))
        return partial(_rebuild, *self._parts(-1))

    def _parts(self, k: int) -> tuple:
        n = len(self.times)
        if not -n <= k < n:
            raise IndexError(f"step {k} of a block of {n}")
        k %= n
        return (self.times[k], self.steps[k], self.names, self.ego, self._state_at(k), self.visibles[k],
                self._shared_at(k))

    def _state_at(self, k: int) -> np.ndarray:
        for slots, first, stop in (*self.runs, (self.slots, self.first_slot, self.next_slot)):
            if k < stop - first:
                return slots.states[first + k]
            k -= stop - first
        raise IndexError(k)

    def lanes_at(self, k: int):
        """Step k's ``lanes`` (equal to the snapshot's; for arena steps built over the matrix, no snapshot made)."""
        if self.slots is None:
            return self.snapshots[k].lanes
        return StateLanes(self._state_at(k), self._shared_at(k)[_SHARED_INDEX["lane_roads"]])

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
