"""Per-step state matrices as the slots of one preallocated block: the native engine's zero-copy hand-over.

Why its own module: ``simplatform.world`` holds the data types every package shares; the arena is
how the native engine lays out the state matrices of its snapshots
(``WorldSnapshot.from_state_matrix``) so that an observer gathering many steps — the metrics'
blocks of up to 1,000 steps — reads them as one view instead of copying each (issue #7).
"""

from __future__ import annotations

import weakref

import numpy as np

from simplatform.world import STATE_ROWS

STATE_ARENA_STEPS = 1000
"""The most slots of a :class:`StateArena` (as ``metrics.suite.BLOCK_STEPS``: a metric block is
then one arena's slots)."""
STATE_ARENA_ENTITY_STEPS = 20_000
"""The most entity-slots of an arena (as ``metrics.suite.BLOCK_ENTITY_STEPS``): 2.4 MB of state
matrices however many entities (20 actors: 1,000 slots; 2,000 actors: 10)."""

_ARENAS: "weakref.WeakValueDictionary[int, ArenaSlots]" = weakref.WeakValueDictionary()
"""The index of every arena that its writer or an observer still holds, by its block's ``id``."""


def state_arena_slots(entities: int) -> int:
    """How many steps an arena over ``entities`` entities holds."""
    return max(1, min(STATE_ARENA_STEPS, STATE_ARENA_ENTITY_STEPS // max(1, entities)))


class ArenaSlots:
    """The index of a :class:`StateArena`: ``states[k]`` is the state matrix handed over in slot
    ``k``; every snapshot whose ``state`` is one of them has ``names`` and ``ego`` (the writer's
    word).

    Its writer holds it while filling the arena, and an observer while it reads the arena's
    slots (``metrics.block_buffer.BlockBuffer``); ``of`` finds it only as long as one of them
    does (an observer that lags a whole arena behind its writer copies instead)."""

    __slots__ = ("block", "states", "names", "ego", "capacity", "__weakref__")

    def __init__(self, block: np.ndarray, names: tuple[str, ...], ego: str | None) -> None:
        self.block = block
        self.states: list[np.ndarray] = []
        self.names = names
        self.ego = ego
        self.capacity = len(block)

    @staticmethod
    def of(state: np.ndarray | None) -> tuple["ArenaSlots", int] | None:
        """The index and slot of a snapshot's state matrix, or None when it is no held arena's slot.

        Meant for once per metric block, not per step: the usual slot is the last one handed
        over; any other is found from its address (``__array_interface__``, ~1 µs) and checked
        by identity, as ``states[k] is state`` checks each following step."""
        base = getattr(state, "base", None)
        slots = _ARENAS.get(id(base)) if base is not None else None
        if slots is None or slots.block is not base or not slots.states:
            return None
        states = slots.states
        if states[-1] is state:
            return slots, len(states) - 1
        size = state.nbytes
        if not size:
            return None
        k, rest = divmod(state.__array_interface__["data"][0] - base.__array_interface__["data"][0], size)
        return (slots, k) if not rest and 0 <= k < len(states) and states[k] is state else None

    def span(self, start: int, stop: int) -> np.ndarray:
        """Slots ``start`` to ``stop`` - 1 as one read-only (stop - start, ``STATE_ROWS``, N) view."""
        view = self.block[start:stop]
        view.flags.writeable = False
        return view


class StateArena:
    """Consecutive steps' state matrices as the slots of one (slots, ``STATE_ROWS``, N) float64 block.

    Why: an observer that gathers many steps (the metrics evaluate blocks of up to 1,000
    snapshots) then reads them as one view of the block instead of copying every step's
    matrix (issue #7).  The writer (the native engine's ``EntityTable.snapshot``) takes the
    slots in order and fills each before its snapshot leaves; a slot is never written again,
    so snapshots stay immutable, and a full arena or another entity set takes a new one.  A
    snapshot's matrix keeps the whole block alive (at most ~2.4 MB: ``state_arena_slots``).

    Usage::

        state = arena.write(columns)   # np.concatenate(columns) into the next slot, (STATE_ROWS, N)
        snapshot = WorldSnapshot.from_state_matrix(..., state, ...)
    """

    __slots__ = ("rows", "slots", "entities")

    def __init__(self, names: tuple[str, ...], ego: str | None, capacity: int | None = None) -> None:
        n = len(names)
        capacity = state_arena_slots(n) if capacity is None else capacity
        block = np.empty((capacity, len(STATE_ROWS), n))
        self.entities = n
        self.rows = block.reshape(capacity, len(STATE_ROWS) * n)
        self.slots = ArenaSlots(block, names, ego)
        _ARENAS[id(block)] = self.slots

    @property
    def full(self) -> bool:
        return len(self.slots.states) >= self.slots.capacity

    def write(self, columns) -> np.ndarray:
        """The next slot, filled with ``np.concatenate(columns)`` (the same values, cast as
        concatenate casts), handed over as a (``STATE_ROWS``, N) matrix."""
        states = self.slots.states
        row = self.rows[len(states)]
        np.concatenate(columns, out=row)
        state = row.reshape(len(STATE_ROWS), self.entities)
        states.append(state)
        return state

    def take(self) -> np.ndarray:
        """The next slot as a (``STATE_ROWS``, N) matrix, handed over now: fill it before its snapshot leaves."""
        states = self.slots.states
        state = self.rows[len(states)].reshape(len(STATE_ROWS), self.entities)
        states.append(state)
        return state
