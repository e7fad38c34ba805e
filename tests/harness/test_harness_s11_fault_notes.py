"""A stack that fails before the first step still gets the engine's records in its result.

The result of such a run is the engine's state where it stood, built like every other run's
(``engine.run.scenario_result``); it used to be rebuilt from the storyboard log alone, which
dropped the engine's records — here the Init's controller assignment and activation on the ego.
(The system-under-test note itself is written at the first step, once the runner has handed the
ego to the stack, so a run that never steps has none.)
"""

from __future__ import annotations

from alks_like_files import alks_like
from simplatform.bridge import StackConfig
from simplatform.harness import TestConfig, run_test
from simplatform.results import Verdict


def test_a_stack_failing_in_setup_keeps_the_engine_records_of_init(tmp_path):
    stack = StackConfig(stack_class="stack_s11_setup_fault:SetupFaultStack")
    result = run_test(alks_like(tmp_path), TestConfig(stack=stack, out_dir=tmp_path / "out"))
    assert result.verdict is Verdict.ERROR and result.end_reason == "stack_error"
    assert "cannot load the planner's map" in result.error
    assert result.steps == 0 and result.sim_time == 0.0
    kinds = [(e.kind, e.entities, e.detail) for e in result.events]
    assert ("AssignControllerAction", ("Ego",), "ALKSController") in kinds
    assert ("ActivateControllerAction", ("Ego",), "longitudinal=on lateral=on") in kinds
