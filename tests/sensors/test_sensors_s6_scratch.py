"""The static cast's compact ray buffer: kept per thread for sweep-sized casts, never pinned for huge ones."""

from __future__ import annotations

import threading

import sensors.static_cast as static_cast


def test_sweep_sized_buffers_are_reused_and_huge_ones_are_not_kept() -> None:
    result = {}

    def run() -> None:                                    # a fresh thread: its own, empty scratch
        small, rows = static_cast._scratch(140_000)
        again, _ = static_cast._scratch(100_000)
        result["reused"] = again is small and len(rows) >= 140_000
        huge, huge_rows = static_cast._scratch(static_cast.SCRATCH_KEEP_ROWS + 1)
        result["huge_fits"] = len(huge) == len(huge_rows) == static_cast.SCRATCH_KEEP_ROWS + 1
        result["kept"] = len(static_cast._SCRATCH.rays)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    assert result["reused"] and result["huge_fits"]
    assert result["kept"] <= static_cast.SCRATCH_KEEP_ROWS
