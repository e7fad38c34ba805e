"""Init's order is one rule: the loader orders the document's Private blocks with it and the engine
starts Init's actions with it (simplatform.openscenario.init_order).  Given entities whose Init
positions refer to each other, both put the referenced entity first; a cycle is left as written by
the loader and refused by the engine, naming the element."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from engine_esmini_cases import OTHER_STOPS, two_car_scenario  # noqa: E402

import simplatform.engine.init_order as engine_init_order  # noqa: E402
from simplatform.errors import ScenarioError  # noqa: E402
from simplatform.openscenario import init_order  # noqa: E402
from simplatform.openscenario import load_scenario  # noqa: E402


def _scenario(tmp: Path, other_position: str) -> Path:
    """Ego placed 50 m behind Other and given a speed, written first; Other placed by ``other_position``."""
    ego = ('<Private entityRef="Ego"><PrivateAction><TeleportAction><Position><RelativeLanePosition entityRef="Other" '
           'dLane="0" ds="-50"/></Position></TeleportAction></PrivateAction><PrivateAction><LongitudinalAction>'
           '<SpeedAction><SpeedActionDynamics dynamicsShape="step" dynamicsDimension="time" value="0"/>'
           '<SpeedActionTarget><AbsoluteTargetSpeed value="5"/></SpeedActionTarget></SpeedAction>'
           '</LongitudinalAction></PrivateAction></Private>')
    other = (f'<Private entityRef="Other"><PrivateAction><TeleportAction><Position>{other_position}</Position>'
             '</TeleportAction></PrivateAction></Private>')
    return two_car_scenario(tmp, ego + other, OTHER_STOPS, lanes=1, duration=1.0)


def _as_written(path: Path) -> list[tuple[str, object]]:
    """Init's (entity, PrivateAction) pairs in the file's order (the loader's order undone)."""
    sc = load_scenario(path)
    pairs = [(p.entity_ref, a) for p in sc.storyboard.init.actions.privates for a in p.private_actions]
    return sorted(pairs, key=lambda pa: pa[0] != "Ego")


def test_the_engine_starts_init_with_the_loader_s_rule():
    assert engine_init_order.order_init_privates is init_order.order_init_privates


def test_a_chain_of_references_is_placed_from_its_end_and_the_file_order_kept_otherwise():
    items = [("Ego", {"A1"}), ("Free", set()), ("A1", {"B"}), ("B", set()), ("Ego", {"Ego"})]
    order, cycle = init_order.stable_reference_order(items)
    # Free and B have no references and come first, in file order; A1 after B; Ego's two after A1
    assert order == [1, 3, 2, 0, 4] and cycle == []


def test_references_to_entities_with_no_position_and_to_oneself_order_nothing():
    order, cycle = init_order.stable_reference_order([("Ego", {"Ghost", "Ego"}), ("A1", set())])
    assert order == [0, 1] and cycle == []


def test_a_cycle_is_returned_in_file_order_after_what_could_be_placed():
    items = [("A", {"B"}), ("C", set()), ("B", {"A"}), ("D", {"C"})]
    assert init_order.stable_reference_order(items) == ([1, 3], [0, 2])


def test_loader_and_engine_put_the_referenced_entity_first(tmp_path):
    path = _scenario(tmp_path, '<LanePosition roadId="0" laneId="-1" s="200"/>')
    blocks = [p.entity_ref for p in load_scenario(path).storyboard.init.actions.privates]
    started = init_order.order_init_privates(_as_written(path))
    assert blocks == ["Other", "Ego"]
    assert [(e, a.teleport_action is not None) for e, a in started] == [("Other", True), ("Ego", True), ("Ego", False)]


def test_a_cycle_loads_as_written_and_the_engine_refuses_it_at_the_teleport(tmp_path):
    path = _scenario(tmp_path, '<RelativeLanePosition entityRef="Ego" dLane="0" ds="50"/>')
    assert [p.entity_ref for p in load_scenario(path).storyboard.init.actions.privates] == ["Ego", "Other"]
    with pytest.raises(ScenarioError, match=r"Init TeleportAction of 'Ego' cannot be resolved: the positions of "
                                            r"'Ego', 'Other' refer to each other in a cycle") as err:
        init_order.order_init_privates(_as_written(path))
    assert err.value.location.file == str(path) and err.value.location.element == "Position"
