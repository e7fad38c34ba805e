"""Session 6, in situ (issue #7): an arena block's ego columns come out of one gather of the ego's
state rows (``EgoViews._ego_rows``) instead of one cold strided pass per column, and a shared field
that changed within a block is repeated per step by list repetition (``BlockBuffer.field``).  Both
are checked bit for bit (and object for object) against the per-column gathers and the
``chain``/``repeat`` expansion they replace, on the session's arena streams whose shared fields
change mid-block (``test_metrics_s6_block_changes._stream``)."""

from __future__ import annotations

import importlib.util
from itertools import chain, repeat
from pathlib import Path

import numpy as np
import pytest

from metrics.block_buffer import _SHARED
from simplatform.world import FLOAT_COLUMNS, STATE_INDEX

_SPEC = importlib.util.spec_from_file_location("_s6_block_changes",
                                               Path(__file__).with_name("test_metrics_s6_block_changes.py"))
changes = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(changes)

ROWS = FLOAT_COLUMNS[:12] + ("lane_s", "lane_t", "lane_id")


def _bits(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


@pytest.mark.parametrize("case", changes.CASES)
@pytest.mark.parametrize("seed", [3, 4])
@pytest.mark.parametrize("steps", [1, 2, 80])
def test_ego_columns_equal_the_per_column_gathers(case: dict, seed: int, steps: int) -> None:
    snaps = list(changes._stream(steps, seed, **{k: v for k, v in case.items()
                                                  if not (isinstance(v, int) and v >= steps)}))
    _, arena, plain = changes._blocks(snaps)
    e = arena.ego_index
    for name in ROWS:
        got = arena.ego_col(name)
        # what ego_col made before: one strided gather of the column per name
        want = np.ascontiguousarray(arena.state[:, STATE_INDEX[name], e])
        assert _bits(got, want), name
        assert _bits(got, plain.ego_col(name)), name
        assert got.flags.c_contiguous and got.flags.writeable
        assert got is arena.ego_col(name)   # made once per block
    for name in ("x", "speed", "yaw_rate"):   # the per-step snapshots' own values
        assert _bits(arena.ego_col(name), np.array([getattr(s, name)[e] for s in snaps]))


@pytest.mark.parametrize("case", changes.CASES)
def test_ego_lanes_from_the_gathered_rows(case: dict) -> None:
    snaps = list(changes._stream(80, 5, **case))
    _, arena, plain = changes._blocks(snaps)
    known, roads, lane, s, t = arena.ego_lanes
    for got, want in zip((known, lane, s, t), (plain.ego_lanes[0], *plain.ego_lanes[2:])):
        assert _bits(got, want)
    assert list(roads) == list(plain.ego_lanes[1])
    if known.all():
        rows = arena._ego_rows
        # the road view writes located steps into s and t: they must not be the rows themselves
        assert not np.shares_memory(s, rows) and not np.shares_memory(t, rows)
        s[:] = -1.0
        assert _bits(arena.ego_col("lane_s"), np.ascontiguousarray(arena.state[:, STATE_INDEX["lane_s"],
                                                                               arena.ego_index]))


@pytest.mark.parametrize("case", changes.CASES)
@pytest.mark.parametrize("seed", [1, 6])
def test_field_repeats_each_change_as_the_chained_repeats(case: dict, seed: int) -> None:
    snaps = list(changes._stream(80, seed, **case))
    buffer, _, _ = changes._blocks(snaps)
    for name in _SHARED:
        got = buffer.field(name)
        want = list(chain.from_iterable(repeat(value, stop - start) for start, stop, value in buffer.runs_of(name)))
        assert len(got) == len(want) == len(snaps)
        assert all(a is b for a, b in zip(got, want)), name
        assert all(a is getattr(s, name) for a, s in zip(got, snaps)), name
    per_step = buffer._shared_per_step()
    assert len(per_step) == len(snaps)
    for k, snap in enumerate(snaps):
        assert all(a is getattr(snap, name) for a, name in zip(per_step[k], _SHARED))
