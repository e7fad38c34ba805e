"""``static_cast.collect_part`` (numpy copies + ``_materials`` for large parts) equals the one-pass ``_collect``."""

from __future__ import annotations

import numpy as np
import pytest

from sensors.scene_region import INVALID_ID
from sensors.static_cast import COPY_MIN_ROWS, _collect, collect_part


@pytest.mark.parametrize("m", [5, COPY_MIN_ROWS - 1, COPY_MIN_ROWS, 3 * COPY_MIN_ROWS + 7])
def test_collect_part_is_collect(m):
    rng = np.random.default_rng(m)
    table = np.concatenate([rng.integers(0, 9, 300).astype(np.int32), np.array([-1], np.int32)])
    n, s = m + 100, 37
    ids = rng.integers(0, 320, m).astype(np.uint32)              # ids past the table's end clip to −1
    ids[::7] = INVALID_ID
    tp = rng.standard_normal(m).astype(np.float32)
    tp[::5] = np.inf
    tp[3::11] = np.nan
    npart = rng.standard_normal((m, 3)).astype(np.float32)
    out = []
    for fn in (collect_part, _collect):
        t, normal, material = np.full(n, 7, np.float32), np.full((n, 3), 7, np.float32), np.full(n, 7, np.int32)
        fn(tp, npart, ids, table, t, normal, material, s)
        out.append((t.tobytes(), normal.tobytes(), material.tobytes()))
    assert out[0] == out[1]
