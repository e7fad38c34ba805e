"""The run loop freezes the heap set-up made and hands it back at the end (``simplatform.engine.heap``)."""

from __future__ import annotations

import gc
import sys
from pathlib import Path

import pytest

from simplatform.engine.heap import frozen_setup_heap
from simplatform.engine.run import RunConfig, ScenarioSpec, run_scenario

sys.path.insert(0, str(Path(__file__).parent))
from engine_scenario_files import cut_in  # noqa: E402


def test_the_loop_runs_frozen_and_the_heap_is_handed_back(tmp_path):
    before = gc.get_freeze_count()
    seen: list[int] = []
    result = run_scenario(ScenarioSpec(cut_in(tmp_path)),
                          RunConfig(dt=0.05, max_time=1.0, on_step=lambda engine: seen.append(gc.get_freeze_count())))
    assert result.steps == len(seen) > 0
    assert min(seen) > 0                      # every step ran with set-up's objects frozen
    assert gc.get_freeze_count() == before    # and the end of the run handed them back


def test_a_fault_in_the_loop_unfreezes_too(tmp_path):
    def boom(engine):
        raise RuntimeError("observer fault")

    with pytest.raises(RuntimeError, match="observer fault"):
        run_scenario(ScenarioSpec(cut_in(tmp_path)), RunConfig(dt=0.05, max_time=1.0, on_step=boom))
    assert gc.get_freeze_count() == 0


def test_nested_runs_freeze_once_and_unfreeze_at_the_outermost():
    with frozen_setup_heap():
        outer = gc.get_freeze_count()
        assert outer > 0
        with frozen_setup_heap():
            assert gc.get_freeze_count() >= outer
        assert gc.get_freeze_count() > 0          # the inner end leaves the outer run's heap frozen
    assert gc.get_freeze_count() == 0


def test_the_same_run_gives_the_same_log_frozen_or_not(tmp_path, monkeypatch):
    """Collection timing changes nothing: the CSV log of a run with the freeze disabled is byte-identical."""
    spec = ScenarioSpec(cut_in(tmp_path))
    run_scenario(spec, RunConfig(dt=0.05, max_time=3.0, out_dir=tmp_path / "frozen"))
    import simplatform.engine.heap as heap

    monkeypatch.setattr(heap.gc, "freeze", lambda: None)
    monkeypatch.setattr(heap.gc, "unfreeze", lambda: None)
    run_scenario(spec, RunConfig(dt=0.05, max_time=3.0, out_dir=tmp_path / "plain"))
    frozen = sorted((tmp_path / "frozen").glob("*.csv"))
    assert frozen and [p.read_bytes() for p in frozen] == [
        (tmp_path / "plain" / p.name).read_bytes() for p in frozen]
