"""The garbage collector's policy for a run: the heap built by set-up is frozen while the loop runs.

Why: a run's loop makes few reference cycles, but the metrics hold up to
1,000 steps of snapshots (``metrics.suite.BLOCK_STEPS``, ~26 tracked objects
each) until they evaluate a block.  Those survive into the oldest generation
and, every ~2,000 steps, trigger CPython's full collection, which walks every
tracked object of the process: the parsed scenario, the road network, the
sensor scenes, the stack — 110–150 ms each time, 55–70 µs per step of a
20-actor cut-in in the harness, more than the engine step itself.
``gc.freeze()`` after set-up moves what set-up made into the permanent
generation, which collections skip; ``gc.unfreeze()`` at the end of the run
hands it back, so garbage among it is collected as before.  Collection
timing changes no result: nothing in the loop depends on when a cycle is
freed (no ``__del__`` with effects).

Nested runs (a tool that plays a scenario inside another's run) freeze once,
at the outermost level.
"""

from __future__ import annotations

import gc
import threading
from contextlib import contextmanager
from typing import Iterator

_depth = 0
_lock = threading.Lock()


@contextmanager
def frozen_setup_heap() -> Iterator[None]:
    """Freeze the heap set-up made for the duration of the block (the run's loop)."""
    global _depth
    with _lock:
        _depth += 1
        if _depth == 1:
            gc.freeze()
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                gc.unfreeze()
