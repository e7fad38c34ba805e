"""``static_boxes.neutralize`` with words (the mask read eight rows at a time) equals its byte scan:
the same rows replaced, in the same order, the same saved rays; and ``prove_box_first`` pads its mask."""

from __future__ import annotations

import numpy as np
import pytest

import sensors.static_boxes as static_boxes
from sensors.static_boxes import NO_WORDS, neutralize, restore


@pytest.mark.parametrize("density", [0.0, 0.001, 0.05, 0.5, 1.0])
@pytest.mark.parametrize("n, start, stop", [(1, 0, 1), (13, 0, 13), (1000, 3, 997), (4099, 8, 4096), (777, 5, 6),
                                            (64, 64, 64)])
def test_the_word_scan_is_the_byte_scan(density, n, start, stop):
    rng = np.random.default_rng(n + int(density * 1000))
    rays = rng.standard_normal((n, 6)).astype(np.float32)
    mask = np.zeros((n + 7) // 8 * 8, np.bool_)
    mask[:n] = rng.random(n) < density
    mask[n:] = True                                  # padding is never read as a row (words past stop excluded)
    skip = mask[:n]
    out = []
    for words in (NO_WORDS, mask.view(np.uint64)):
        r = rays.copy()
        saved, taken = np.zeros((n, 6), np.float32), np.full(n, -1, np.int64)
        k = neutralize(r, skip, start, stop, np.float32(50.0), saved, taken, words)
        out.append((k, r.tobytes(), saved[:k].tobytes(), taken[:k].tobytes()))
        restore(r, taken, k, saved)
        assert r.tobytes() == rays.tobytes()
    assert out[0] == out[1]
    assert out[0][0] == int(skip[start:stop].sum())


def test_box_first_pads_its_mask(monkeypatch):
    """The mask ``prove_box_first`` hands over covers whole words and ``skip`` is its prefix."""
    grid = static_boxes.HeightGrid.build(np.array([[-50, -50, 0], [50, -50, 0], [0, 50, 0]], np.float32),
                                         np.array([[0, 1, 2]], np.uint32))
    n = 1003
    rays = np.zeros((n, 6), np.float32)
    rays[:, 2] = 1.5
    rays[:, 3] = 1.0                                 # level rays over a flat triangle: a box 5 m ahead is first
    found = static_boxes.prove_box_first(grid, rays, np.array([0.0, 0.0, 1.5]), 0.0, 100.0, 0, n,
                                         (np.arange(n, dtype=np.int64), np.full(n, 5.0, np.float32)))
    assert found is not None and found.count == n
    assert found.words is not None and found.words.nbytes == (n + 7) // 8 * 8
    assert np.shares_memory(found.words, found.skip) and len(found.skip) == n
