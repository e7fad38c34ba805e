"""A block of consecutive steps as (steps × entities) arrays: the unit the metrics evaluate.

Why blocks: evaluated one step at a time, the metrics of a 20-actor scene
spend almost all their time entering numpy calls on 20-element arrays.  The
suite buffers snapshots and hands the metrics blocks of up to
``metrics.suite.BLOCK_STEPS`` steps over the same entities (same names, same
ego), so each array operation or compiled kernel runs once per block; metrics
with state over time (episodes, onsets, the Leaderboard's collision rules)
walk the per-step results in plain Python only where something happens.

Every quantity is computed on first use and shared by the metrics of the
block, as ``StepFrame`` does for one step; ``frames()`` gives the per-step
view for metrics written against ``Metric.observe``.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass
from itertools import repeat
from operator import is_not
from typing import Sequence

import numpy as np

from metrics.centre_kernel import corners_from_rows, state_geometry
from metrics.contact_sweep import block_contacts_boxes
from metrics.ego_pass import ego_pass
from metrics.block_buffer import _BOX_QUAD_NAMES, BlockBuffer, BlockSnapshots, _all_same, stack_rows  # noqa: F401
from metrics.block_ego import EgoViews
from metrics.context import ScenarioContext
from metrics.frame import NEAR_RANGE, StepFrame
from metrics.lazy import lazy
from simplatform.world import STATE_INDEX, WorldSnapshot

CLOSEST_APPROACH_HORIZON = 5.0   # s, predicted miss distance horizon of the 2-D TTC


@dataclass(frozen=True)
class BlockNeighbours:
    """The ego against every entity, per step (``metrics.ego_pass``), the ego's own column neutral.

    ``distance`` (T, N) is the box distance (exact within max(nearest centre
    distance, ``NEAR_RANGE``), the disc bound beyond), ``ttc_path`` (T, N) the
    path TTC along the ego heading (``metrics.safety``) — made only for a context
    without a route: with one, ``metrics.safety`` takes the path TTC along the
    route (``metrics.route_ttc``) and reads neither ``ttc_path`` nor its row of
    ``nearest``/``minima``, so ``ttc_path`` is (T, 0) and that row 0 and inf
    (``ego_pass``'s ``path_ttc``); ``nearest`` (4, T) and
    ``minima`` (4, T) the ``np.argmin`` position and value of each step's row
    of distance, path TTC, 2-D disc TTC and predicted miss distance, in that
    order (``ROW_DISTANCE`` …); ``lead`` (T,) the nearest in-path entity (−1
    when none), ``lead_gap`` its bumper gap along the ego heading (inf) and
    ``lead_closing`` the closing speed (0).
    """

    distance: np.ndarray
    ttc_path: np.ndarray
    nearest: np.ndarray
    minima: np.ndarray
    lead: np.ndarray
    lead_gap: np.ndarray
    lead_closing: np.ndarray


ROW_DISTANCE, ROW_TTC_PATH, ROW_TTC_2D, ROW_MISS = range(4)
"""Rows of ``BlockNeighbours.nearest`` and ``minima``."""


def _quads_shared(quads: list[tuple]) -> bool:
    """Whether every step's (length, width, bbox_center_x, bbox_center_y) are the first step's four
    array objects.  ``list.count`` compares tuples item by item, identity first, in C; an item
    that is another array compares elementwise, which for two or more values has no one truth
    value and raises (then the columns are checked one by one).  One-value arrays would compare
    by value (0.0 == −0.0), so those are checked one by one too."""
    first = quads[0]
    if any(not isinstance(a, np.ndarray) or a.size < 2 for a in first):
        return False
    try:
        return quads.count(first) == len(quads)
    except ValueError:
        return False


class StepBlock(EgoViews):
    """Consecutive snapshots over the same entities; ``previous_time`` is the time of the step before.

    ``snapshots`` is a sequence of the steps' snapshots.  In the suite's blocks of native-engine
    steps it is a ``BlockSnapshots``: the suite kept columns, not snapshots (issue #7), and
    ``snapshots[k]`` is rebuilt on first read, equal in every field to the one observed.  Read
    per-step fields with ``each`` and lanes with ``lanes_at``, which need no snapshot; a metric
    that reads a few steps' snapshots (a contact's, the last one) pays ~6 µs for each."""

    def __init__(self, snapshots: Sequence[WorldSnapshot] | None, context: ScenarioContext,
                 previous_time: float | None = None, *, gathered: "BlockBuffer | None" = None) -> None:
        """``snapshots`` the block's steps; or None with ``gathered`` the ``BlockBuffer`` that kept them
        (what the suite hands over: an arena block's ``snapshots`` are then rebuilt on read,
        ``BlockSnapshots``).  A buffer given beside snapshots is read where it kept them all."""
        if snapshots is None:
            buffer = gathered
            self.snapshots = BlockSnapshots(buffer) if buffer.slots is not None else buffer.snapshots
        else:
            self.snapshots = list(snapshots)
            buffer = gathered if gathered is not None and len(gathered) == len(self.snapshots) else None
            if buffer is None:
                buffer = BlockBuffer.of_snapshots(self.snapshots)
        self._buffer = buffer
        self.context = context
        if buffer.slots is not None:
            kinds, categories = buffer.changes[0][1][:2]
        else:
            kinds, categories = buffer.snapshots[0].kinds, buffer.snapshots[0].categories
        names = buffer.names
        self.names = names
        self.kinds = kinds
        self.categories = categories
        self.size = len(buffer)
        self.entities = len(names)
        ego = context.ego or buffer.ego
        self.ego: str | None = ego
        self.ego_index: int | None = names.index(ego) if ego is not None and ego in names else None
        self.previous_time = previous_time
        self._cols: dict[str, np.ndarray] = {}
        self._ego_cols: dict[str, np.ndarray] = {}
        self._shared: dict[str, np.ndarray] = {}   # columns that every snapshot shares as one array
        self._ego_regions: dict[int, tuple] = {}   # id(region) → (region, ``ego_inside``)
        if buffer.slots is not None:
            # an arena block's matrices are its slots (never None): listed only if a fallback asks
            # (``_states``), not per block — a list of ~1,000 slot arrays touches each array object,
            # long out of the cache, once to list it and once to free it (issue #7)
            self._has_states = True
        else:
            states = buffer.state_list()
            self._has_states = all(map(is_not, states, repeat(None)))
            self._states = states if self._has_states else None

    @classmethod
    def of_frame(cls, frame: StepFrame) -> "StepBlock":
        """A one-step block (for ``Metric.observe`` on a block metric)."""
        previous = frame.previous.time if frame.previous is not None else (frame.time - frame.dt if frame.dt else None)
        return cls([frame.snapshot], frame.context, previous)

    # ------------------------------------------------------------- columns
    def each(self, name: str) -> list:
        """A snapshot attribute per step (``collisions``, ``environment``, … any field), read in
        the block's one pass over its snapshots where it is one of those."""
        return self._buffer.field(name)

    def runs_of(self, name: str) -> list[tuple[int, int, object]] | None:
        """(first step, stop, value) of a field that an arena block's buffer keeps once per change
        (``BlockBuffer.runs_of``: ``collisions``, ``kinds`` …), for a reader that needs each value
        once; None for a block of snapshots (read ``each`` then)."""
        return self._buffer.runs_of(name)

    def lanes_at(self, k: int):
        """Step k's ``lanes`` (``snapshots[k].lanes``, without rebuilding an arena step's snapshot)."""
        return self._buffer.lanes_at(k)

    @lazy
    def times(self) -> np.ndarray:
        buffer = self._buffer
        # an arena block's own list of floats as float64 through ``array('d', …)`` (each converted as
        # ``float()`` does, as np.fromiter(…, float) did, in a C loop: 909 steps ~18 µs where fromiter
        # took ~26–36 and np.array first walks the list for its shape and type), its buffer viewed,
        # not copied: a writable C-contiguous float64 array as before
        got = array("d", buffer.times if buffer.slots is not None else buffer.field("time"))
        if len(got) != self.size:
            raise ValueError(f"a block of {self.size} steps has {len(got)} times")
        return np.frombuffer(got, dtype=np.float64) if self.size else np.zeros(0)

    @lazy
    def dt(self) -> np.ndarray:
        """Step lengths; 0 for a first step with no step before it (as ``StepFrame.dt``)."""
        before = self.times[0] if self.previous_time is None else self.previous_time
        return np.diff(self.times, prepend=before)

    @lazy
    def _states(self) -> list[np.ndarray] | None:
        """Each step's state matrix (an arena block's slots), or None when some snapshot came without
        one; set in ``__init__`` for a block of snapshots, listed on first read for an arena block."""
        return self._buffer.state_list()

    @lazy
    def state(self) -> np.ndarray | None:
        """The snapshots' state matrices stacked to (T, ``STATE_ROWS``, N) in one copy, when every
        snapshot of the block came with one (``WorldSnapshot.from_state_matrix``: the native
        engine); None otherwise, and the columns are gathered one by one."""
        if not self._has_states:
            return None
        buffer = self._buffer
        first = buffer._state_at(0) if buffer.slots is not None else self._states[0]
        shape = (self.size, *first.shape)
        stacked = buffer.stacked_state(shape)
        if stacked is not None:
            return stacked
        return stack_rows(self._states).reshape(shape)

    def col(self, name: str) -> np.ndarray:
        """A snapshot column stacked over the block, shape (T, N).

        A column that every snapshot shares as one array (the native engine's box
        columns change only when entities are added) is repeated, not gathered; a
        per-step column comes out of the stacked state matrices when there are."""
        out = self._cols.get(name)
        if out is None:
            k = STATE_INDEX.get(name)
            if k is not None and self._has_states:
                out = np.ascontiguousarray(self.state[:, k, :])
                self._cols[name] = out
                return out
            if name in _BOX_QUAD_NAMES:   # from the block's box rows (one pass over the block for the four)
                rows = self.box_rows[name]
                out = rows if rows.shape[0] == self.size else np.repeat(rows, self.size, axis=0)
                self._cols[name] = out
                return out
            rows = self._buffer.field(name)
            first = rows[0]
            if _all_same(rows):
                self._shared[name] = first
                out = np.repeat(first.reshape(1, -1), self.size, axis=0)
            else:
                out = stack_rows(rows)
            self._cols[name] = out
        return out

    # ------------------------------------------------------------ geometry
    @lazy
    def kin(self) -> tuple[np.ndarray, int, int, int, int, int]:
        """The block's x, y, heading, vx and vy for the compiled passes: a read-only C-contiguous
        (T, rows, N) array and the rows of the five in it.  With state matrices this is the stacked
        state itself (``STATE_ROWS``; the kernels read its rows in place, no column copy); otherwise
        the five gathered columns stacked."""
        state = self.state
        if state is not None:
            rows = tuple(STATE_INDEX[name] for name in ("x", "y", "heading", "vx", "vy"))
        else:
            state = np.stack([self.col(name) for name in ("x", "y", "heading", "vx", "vy")], axis=1)
            rows = (0, 1, 2, 3, 4)
        # one argument type for the kernels whoever made the array (a copy, or a view of the engine's)
        view = np.ascontiguousarray(state, dtype=np.float64).view()
        view.flags.writeable = False
        return (view, *rows)

    @lazy
    def box_rows(self) -> dict[str, np.ndarray]:
        """``length``, ``width``, ``bbox_center_x``, ``bbox_center_y``: each (1, N) when every
        snapshot shares one array of it (the native engine's box columns), else (T, N); float64,
        C-contiguous and writable (the kernels' one argument type).  The compiled passes index row
        0 of a (1, N) array at every step, so the block never repeats a shared column T times."""
        names = _BOX_QUAD_NAMES
        out: dict[str, np.ndarray] = {}
        quad = self._buffer.shared_quad()   # an arena block's, decided per change of its shared fields
        if quad is not None:   # what the per-step checks below conclude for four objects every step shares
            for name, row in zip(names, quad):
                self._shared[name] = row
                out[name] = np.array(row, dtype=np.float64).reshape(1, -1)   # a copy: writable
            return out
        got = self._buffer.box_quads()   # one pass over the block for the four
        if _quads_shared(got):
            for name, row in zip(names, got[0]):
                self._shared[name] = row
                out[name] = np.array(row, dtype=np.float64).reshape(1, -1)   # a copy: writable
            return out
        for q, name in enumerate(names):
            rows = [quad[q] for quad in got]
            if _all_same(rows):
                self._shared[name] = rows[0]
                out[name] = np.array(rows[0], dtype=np.float64).reshape(1, -1)
            else:
                stacked = np.ascontiguousarray(stack_rows(rows), dtype=np.float64)
                out[name] = stacked if stacked.flags.writeable else stacked.copy()
        return out

    @lazy
    def _geometry(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Box centres and heading cosines/sines (T, N) each, in one compiled pass over the state
        (``centre_kernel.state_geometry``)."""
        kin, rx, ry, rh, _, _ = self.kin
        box = self.box_rows
        return state_geometry(kin, kin.view(np.int64), rx, ry, rh, box["bbox_center_x"], box["bbox_center_y"])

    @property
    def cos_sin(self) -> tuple[np.ndarray, np.ndarray]:
        """``np.cos``, ``np.sin`` of every heading (T, N) each."""
        return self._geometry[2], self._geometry[3]

    @property
    def centers(self) -> tuple[np.ndarray, np.ndarray]:
        """World x, y of every box centre (T, N) each, as ``WorldSnapshot.bbox_centers``."""
        return self._geometry[0], self._geometry[1]

    @lazy
    def radius_rows(self) -> np.ndarray:
        """Half box diagonal, the bounding disc of broad phases and the 2-D TTC: (1, N) when the
        length and width rows are shared by every step (as the engine's are), else (T, N)."""
        box = self.box_rows
        length, width = box["length"], box["width"]
        if length.shape[0] != width.shape[0]:
            length, width = np.broadcast_arrays(length, width)
        return 0.5 * np.hypot(length, width)

    @lazy
    def radius(self) -> np.ndarray:
        """Half box diagonal (T, N) (``radius_rows`` for every step)."""
        rows = self.radius_rows
        return rows if rows.shape[0] == self.size else np.repeat(rows, self.size, axis=0)

    @lazy
    def radius_max(self) -> float:
        """The largest bounding-disc radius of the block."""
        return float(self.radius_rows.max(initial=0.0))

    @lazy
    def corners(self) -> np.ndarray:
        """World box corners (T, N, 4, 2) (``kernels.block_corners``, from the box rows)."""
        cx, cy = self.centers
        c, s = self.cos_sin
        box = self.box_rows
        return corners_from_rows(cx, cy, c, s, box["length"], box["width"])

    @lazy
    def contacts(self) -> np.ndarray:
        """(step, i, j), i < j, of every pair of boxes in contact (compiled SAT on the pairs that a
        sweep along x leaves, corners computed for those pairs only: ``metrics.contact_sweep``, the
        all-pairs ``kernels.block_contacts``'s answer)."""
        cx, cy = self.centers
        c, s = self.cos_sin
        box = self.box_rows
        return block_contacts_boxes(cx, cy, self.radius_rows, c, s, box["length"], box["width"])

    @lazy
    def neighbours(self) -> BlockNeighbours:
        """Ego-relative geometry and surrogate safety against every other entity, reduced per step
        (compiled: ``metrics.ego_pass``)."""
        cx, cy = self.centers
        c, s = self.cos_sin
        kin, _, _, _, rvx, rvy = self.kin
        box = self.box_rows
        dist, ttc, nearest, minima, lead, lead_gap, lead_closing = ego_pass(
            self.ego_index, cx, cy, kin, rvx, rvy, c, s, box["length"], box["width"], self.radius_rows,
            NEAR_RANGE, CLOSEST_APPROACH_HORIZON, self.context.route is None)
        return BlockNeighbours(dist, ttc, nearest, minima, lead, lead_gap, lead_closing)

    # ------------------------------------------------------------ per step
    def frames(self) -> list[StepFrame]:
        """The per-step view (shared by every metric that observes frames)."""
        if "_frames" not in self.__dict__:
            frames = []
            for snap, dt in zip(self.snapshots, self.dt.tolist()):
                frame = StepFrame(snap, None, self.context)
                frame.dt = dt
                frames.append(frame)
            self.__dict__["_frames"] = frames
        return self.__dict__["_frames"]
