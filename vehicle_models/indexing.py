"""Per-vehicle index and value arguments, normalised for the compiled latch kernels.

The ``apply_*`` methods of a fleet take numpy-style indices (an int, a slice,
an int array, a boolean mask) and values that broadcast against them.  The
compiled kernels take an int64 index array and one float (or bool) column per
value, of length 1 (broadcast) or the index's length.
"""

from __future__ import annotations

import numpy as np


def as_indices(index, n: int) -> np.ndarray:
    """The vehicles selected by ``index`` as an int64 array (negative indices kept; kernels wrap them)."""
    if isinstance(index, slice):
        return np.arange(n)[index]
    idx = np.asarray(index)
    if idx.dtype == bool:
        if idx.shape != (n,):
            raise IndexError(f"boolean index of shape {idx.shape} does not match {n} vehicles")
        return np.flatnonzero(idx)
    if idx.dtype != np.int64 or idx.ndim != 1 or not idx.flags.writeable:
        idx = idx.astype(np.int64).reshape(-1)
    return idx


def as_column(value, count: int, dtype=float) -> np.ndarray:
    """``value`` as a 1-D array of length 1 or ``count`` (numpy broadcasting against ``count`` vehicles)."""
    column = np.asarray(value, dtype=dtype)
    if column.ndim != 1:
        column = column.reshape(-1)
    if column.shape[0] not in (1, count):
        raise ValueError(f"could not broadcast {column.shape[0]} values to {count} vehicles")
    if not column.flags.writeable:  # the kernels are compiled for writable arrays
        column = column.copy()
    return column
