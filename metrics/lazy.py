"""A lock-free ``functools.cached_property`` for the metrics' per-block views.

Why its own module: the block (``metrics.block``) and the ego's road view (``metrics.road_block``)
each compute a few dozen quantities once per block of up to 1,000 steps, and Python 3.11's
``cached_property`` takes an ``RLock`` on every first read (~1 µs each; issue #7: the fixed cost a
block pays).  A block and its views are evaluated by one thread (the suite's).
"""

from __future__ import annotations


class lazy:  # noqa: N801  (named as the decorator it replaces)
    """``functools.cached_property`` without its lock: computed on first read and stored in the
    instance's ``__dict__`` under the same name, which later reads find first (a non-data
    descriptor), so ``"name" in obj.__dict__`` still tells whether it was computed."""

    def __init__(self, fn) -> None:
        self.fn = fn
        self.name = fn.__name__
        self.__doc__ = fn.__doc__

    def __set_name__(self, owner, name: str) -> None:
        self.name = name

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        value = obj.__dict__[self.name] = self.fn(obj)
        return value
