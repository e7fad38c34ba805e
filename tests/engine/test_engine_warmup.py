"""``python -m simplatform.warmup`` (run by setup.sh) plays its warm-up scenario through the batch engine."""

from __future__ import annotations

from simplatform.warmup import warm_engine_and_recording


def test_the_engine_warm_up_scenario_plays():
    assert warm_engine_and_recording() > 0.0
