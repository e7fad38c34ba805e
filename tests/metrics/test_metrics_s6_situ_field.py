"""Session 6, in situ (issue #7): a shared field that changed within an arena block is repeated per
step by list repetition (``BlockBuffer.field``, ``_shared_per_step``), checked object for object
against the ``chain``/``repeat`` expansion it replaces and the snapshots' own fields, on the
session's arena streams whose shared fields change mid-block
(``test_metrics_s6_block_changes._stream``)."""

from __future__ import annotations

import importlib.util
from itertools import chain, repeat
from pathlib import Path

import pytest

from metrics.block_buffer import _SHARED

_SPEC = importlib.util.spec_from_file_location("_s6_block_changes",
                                               Path(__file__).with_name("test_metrics_s6_block_changes.py"))
changes = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(changes)


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
