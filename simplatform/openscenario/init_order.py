"""Init's ``Private`` blocks in the order their positions allow (stable topological order).

The standard gives Init no order: its actions all take effect at t = 0, "the initialization of the
scenario" (ASAM OpenSCENARIO XML 1.3, 7.3.1 Init), so a TeleportAction may place an entity relative
to another one written later in the file.  ASAM's own SlowPrecedingVehicle.xosc places the Ego 200 m
behind A1 (``RelativeLanePosition entityRef="A1"``) in a ``Private`` written before A1's; an engine
that starts Init in file order places the Ego relative to an entity that is not placed yet.

``load_document`` hands the engine the ``Private`` blocks reordered so that each comes after the
blocks whose entities its teleport positions refer to, the file's order kept otherwise; blocks that
refer to each other in a cycle are left in file order (the engine then reports the unplaced
reference at its element).  The engine starts teleports first, stably, so this order is the one
they are placed in (``simplatform.engine.init_order`` does the same at action level).
"""

from __future__ import annotations

import dataclasses
from dataclasses import fields, is_dataclass
from typing import Any

from simplatform.openscenario.model.base import OscElement


def _refs(node: Any, out: set[str]) -> None:
    """Every ``entity_ref`` below ``node`` (a position's own and its nested ones')."""
    if isinstance(node, (tuple, list)):
        for x in node:
            _refs(x, out)
        return
    if not is_dataclass(node):
        return
    for f in fields(node):
        v = getattr(node, f.name)
        if f.name == "entity_ref" and isinstance(v, str):
            out.add(v)
        elif isinstance(v, (OscElement, tuple, list)):
            _refs(v, out)


def position_refs(action: Any) -> set[str]:
    """Entities a private action's TeleportAction position refers to (empty for other actions)."""
    tp = getattr(action, "teleport_action", None)
    out: set[str] = set()
    if tp is not None:
        _refs(tp.position, out)
    return out


def _private_refs(private: Any) -> set[str]:
    out: set[str] = set()
    for action in private.private_actions:
        out |= position_refs(action)
    out.discard(private.entity_ref)
    return out


def ordered_privates(privates: tuple) -> tuple:
    """``privates`` in a stable topological order of their teleports' references (file order on a cycle)."""
    entities = {p.entity_ref for p in privates}
    pending = list(range(len(privates)))
    placed: set[str] = set()
    out: list = []
    while pending:
        ready = next((k for k in pending if _private_refs(privates[k]) & entities <= placed), None)
        if ready is None:  # a cycle: the rest as written
            out.extend(privates[k] for k in pending)
            break
        out.append(privates[ready])
        pending.remove(ready)
        # an entity counts as placed once all its blocks are in
        if all(privates[k].entity_ref != privates[ready].entity_ref for k in pending):
            placed.add(privates[ready].entity_ref)
    return tuple(out)


def with_ordered_init(document: Any) -> Any:
    """``document`` with its Init ``Private`` blocks in ``ordered_privates`` order (itself if unchanged)."""
    sb = getattr(document, "storyboard", None)
    init = getattr(sb, "init", None) if sb is not None else None
    actions = getattr(init, "actions", None) if init is not None else None
    privates = getattr(actions, "privates", None) if actions is not None else None
    if not privates:
        return document
    order = ordered_privates(tuple(privates))
    if all(a is b for a, b in zip(order, privates)):
        return document
    actions = dataclasses.replace(actions, privates=order)
    init = dataclasses.replace(init, actions=actions)
    sb = dataclasses.replace(sb, init=init)
    return dataclasses.replace(document, storyboard=sb)
