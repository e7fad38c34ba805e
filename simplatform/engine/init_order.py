"""The order in which Init's private actions are started.

The standard gives Init no order: all its actions take effect at t = 0, "the
initialization of the scenario" (ASAM OpenSCENARIO XML 1.3, 7.3.1 Init), so a
TeleportAction may place an entity relative to another one written later in
the file.  ASAM's own SlowPrecedingVehicle.xosc places the Ego 200 m behind A1
(``RelativeLanePosition entityRef="A1"``) before A1's own LanePosition; started
in file order, the Ego was placed relative to an entity not placed yet.

So positions go first (speed and relative actions may refer to other entities'
places), and among them an entity is placed after every entity its position
refers to; otherwise the file's order is kept (a stable topological sort).
Positions that refer to each other in a cycle cannot be resolved at all and
are refused naming the element.
"""

from __future__ import annotations

from typing import Any, Iterable

from simplatform.engine.positions import _error
from simplatform.openscenario.init_order import position_refs


def order_init_privates(privates: Iterable[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """``(entity, PrivateAction)`` pairs in the order to start them: teleports first, each after
    the teleports of the entities its position refers to, then the other actions in file order."""
    privates = list(privates)
    teleports = [(k, pa) for k, pa in enumerate(privates) if pa[1].teleport_action is not None]
    others = [pa for pa in privates if pa[1].teleport_action is None]
    placed_by: dict[str, list[int]] = {}
    for k, (entity, _) in teleports:
        placed_by.setdefault(entity, []).append(k)
    needs = {k: {j for ref in position_refs(a) if ref != e for j in placed_by.get(ref, ())}
             for k, (e, a) in teleports}
    done: set[int] = set()
    ordered: list[tuple[str, Any]] = []
    pending = [k for k, _ in teleports]
    while pending:
        ready = [k for k in pending if needs[k] <= done]
        if not ready:
            k = pending[0]
            entity, action = privates[k]
            others_named = sorted({privates[j][0] for j in pending if j != k})
            raise _error(action.teleport_action.position,
                                f"Init TeleportAction of {entity!r} cannot be resolved: the positions of "
                                f"{', '.join(repr(n) for n in [entity] + others_named)} refer to each other in a cycle")
        k = ready[0]  # the first in file order whose references are placed: stable
        ordered.append(privates[k])
        done.add(k)
        pending.remove(k)
    return ordered + others
