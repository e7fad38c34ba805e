"""The words of a lidar's random draws, drawn ahead per sensor and handed to its sweep (``lidar_draws``).

Why a module of its own: ``lidar_draws`` decodes draws from words; this
keeps, per sensor and process, what lets a sweep have its words ready — a
scratch generator, the words being drawn on a worker beside the cast
(``draw_ahead``), the last sweep's count as the next estimate — and the
decoding of a sweep's normals with more words drawn when they run out
(``decode``, ``normal_end``).  Words drawn ahead are used only from the very
state they were drawn from (``stream_for``), so whatever happened to the
generator in between, the draws are numpy's.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass

import numpy as np

from sensors.lidar_draws import MARK, WordStream, normals, skip_normals, supported


@dataclass
class _Owner:
    """Per sensor (in this process): its scratch generator, the words being drawn ahead for its sweep, and
    how many words its last sweep read (the estimate for the next)."""

    pid: int
    scratch: np.random.PCG64
    pending: Future | None = None
    words: int = 0


_owners: "weakref.WeakKeyDictionary[object, _Owner]" = weakref.WeakKeyDictionary()


def _owner(owner: object) -> _Owner:
    entry = _owners.get(owner)
    if entry is None or entry.pid != os.getpid():          # a forked child draws its own (its copy never ends)
        entry = _owners[owner] = _Owner(os.getpid(), np.random.PCG64(0))
    return entry


def draw_ahead(owner: object, rng: np.random.Generator, submit: Callable[[Callable[[], WordStream]], Future]
               ) -> None:
    """Start drawing the words of ``owner``'s coming draws from ``rng``'s present state, as many as its last
    sweep read (and a margin), with ``submit`` (a worker's): nothing on a first sweep, an unsupported
    generator or while a draw is pending.  Nothing may draw from ``rng`` until ``stream_for`` has taken
    them (it waits for the job, which reads the state where it runs).

    Why: the raw outputs are a fixed cost of a sweep (about 3.5 ns each on
    the reference machine) that depends on nothing the sweep computes, so
    they can be drawn beside the cast rather than after it.
    """
    draw = ahead_job(owner, rng)
    if draw is not None:
        pend(owner, submit(draw))


def ahead_job(owner: object, rng: np.random.Generator) -> Callable[[], WordStream] | None:
    """``draw_ahead``'s job, for a caller that runs it in a job of its own (``pend`` its future then): the
    words from ``rng``'s state when it runs, as many as ``owner``'s last sweep read; None when
    ``draw_ahead`` would draw nothing.  Nothing may draw from ``rng`` between this call and the job's end
    (``stream_for`` waits for it before it reads the state)."""
    entry = _owner(owner)
    if entry.pending is not None or entry.words <= 0 or not supported(rng):
        return None
    words = entry.words

    def draw() -> WordStream:                           # reads the state where it runs: nothing draws from rng
        stream = WordStream(rng.bit_generator.state, entry.scratch)     # until ``stream_for`` has the result
        stream.ensure(words)
        return stream

    return draw


def pend(owner: object, future: Future) -> None:
    """The future of an ``ahead_job`` (its result: the job's stream) is ``owner``'s pending draw."""
    _owner(owner).pending = future


def stream_for(owner: object, rng: np.random.Generator, words: int) -> WordStream:
    """The words ``rng``'s next draws read, at least ``words`` of them: the ones drawn ahead for ``owner``
    (``draw_ahead``) when they start at ``rng``'s present state, else drawn now."""
    entry = _owner(owner)
    state = rng.bit_generator.state
    stream = None
    if entry.pending is not None:
        pending, entry.pending = entry.pending, None
        try:
            ahead = pending.result()
        except Exception:                                   # a failed draw ahead: draw here instead
            ahead = None
        if ahead is not None and ahead.state == state:      # nobody drew from rng in between
            stream = ahead
    if stream is None:
        stream = WordStream(state, entry.scratch)
    stream.ensure(words)
    return stream


def expected_words(owner: object) -> int:
    """How many words ``owner``'s last sweep read, with a margin (0 before its first): what to draw when
    nothing was drawn ahead (the words cost ~0.6 ns each; counting a sweep's returns first costs more)."""
    return _owner(owner).words


def finish(owner: object, rng: np.random.Generator, stream: WordStream, used: int) -> None:
    """Leave ``rng`` after the ``used`` words of ``stream`` its draws read, and remember the count (plus a
    margin) as the next sweep's estimate."""
    stream.commit(rng.bit_generator, used)
    _owner(owner).words = used + used // 32 + 1024


_NO_MARKS = np.zeros(0, np.int64)


def decode(stream: WordStream, start: int, out: np.ndarray, marks: np.ndarray = _NO_MARKS
           ) -> tuple[int, int, int]:
    """``out`` ← the normals decoded from word ``start`` on, drawing more words as they run out; (made, word,
    last): how many the words drawn at the call gave, the word after them (``marks``: as ``normals``, for
    those: ``normal_end`` finds the end of any prefix from them), and the word after all of ``out``."""
    made, w = normals(stream.raw32, stream.first, stream.head, start, out, marks)
    first_made, first_end = made, w
    while made < len(out):
        left = len(out) - made
        stream.ensure(w + left + left // 16 + 256)
        more, w = normals(stream.raw32, stream.first, stream.head, w, out[made:], _NO_MARKS)
        made += more
    return first_made, first_end, w


def normal_end(stream: WordStream, start: int, marks: np.ndarray, made: int, end: int, k: int) -> int:
    """The word after the first ``k`` normals from word ``start``, from ``decode``'s (made, word) and marks:
    a walk from the nearest known first word before normal k (at most MARK normals when k < made)."""
    if k >= made:
        base, w = made, end
    else:
        base = k // MARK * MARK
        w = int(marks[k // MARK]) if len(marks) else start
        base = base if len(marks) else 0
    if k == base:
        return w
    after = skip_normals(stream.raw32, stream.first, stream.head, w, k - base)
    if after < 0:                                       # not drawn yet (k past the words drawn): draw and walk
        stream.ensure(stream.available + 2 * (k - base) + 256)
        after = skip_normals(stream.raw32, stream.first, stream.head, w, k - base)
    return after
