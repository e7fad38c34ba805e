"""A block tells shared columns from per-step ones by identity only, whatever the values."""

from __future__ import annotations

import numpy as np

from metrics.block import _all_same, stack_rows


def test_shared_rows_are_told_by_identity_not_by_value():
    a = np.array([1.0, -0.0, np.nan])
    assert _all_same([a] * 50)
    equal = [a] * 25 + [np.array([1.0, 0.0, 7.0])] + [a] * 24
    assert not _all_same(equal)
    copies = [a] * 25 + [a.copy()] + [a] * 24   # same bits, another array: stacked, not repeated
    assert not _all_same(copies)
    assert stack_rows(copies).tobytes() == np.repeat(a[None], 50, axis=0).tobytes()


def test_one_and_no_entity_rows():
    one, zero = np.array([-0.0]), np.zeros(0)
    assert _all_same([one] * 10) and not _all_same([one] * 5 + [np.array([0.0])] + [one] * 4)
    assert _all_same([zero] * 10) and not _all_same([zero] * 5 + [np.zeros(0)] + [zero] * 4)


def test_rows_of_other_types_are_not_shared():
    a = np.arange(4.0)
    assert not _all_same([a] * 5 + [list(a)] + [a] * 4)
    assert not _all_same([a] * 5 + [a.astype(np.float32)] + [a] * 4)
