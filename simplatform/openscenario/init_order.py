"""The order in which Init places its entities: after the entities their positions refer to.

The standard gives Init no order: its actions all take effect at t = 0, "the initialization of the
scenario" (ASAM OpenSCENARIO XML 1.3, 7.3.1 Init), so a TeleportAction may place an entity relative
to another one written later in the file.  ASAM's own SlowPrecedingVehicle.xosc places the Ego 200 m
behind A1 (``RelativeLanePosition entityRef="A1"``) in a ``Private`` written before A1's; an engine
that starts Init in file order places the Ego relative to an entity that is not placed yet.

One rule, :func:`stable_reference_order`, used twice:

- the loader (``with_ordered_init``) hands on the document with its ``Private`` blocks in that order,
  so every reader of the model sees referenced entities first; blocks that refer to each other in a
  cycle stay as written there (loading a file is not the place to refuse it: the engine does, at
  the element);
- the engine (``order_init_privates``) starts Init's private actions in that order, teleports first
  (speed and relative actions may refer to other entities' places), and refuses a cycle, which no
  order can place, naming the teleport's position.

Why here and not in the engine: the order is a property of the document alone -- which position
names which entity -- with no world state, so it belongs to the model's layer, which the engine
consumes (DESIGN.md: ``simplatform/openscenario`` knows the storyboard and its actions; the engine
depends on it, never the other way round).
"""

from __future__ import annotations

import dataclasses
from dataclasses import fields, is_dataclass
from typing import Any, Iterable, Sequence

from simplatform.errors import ScenarioError
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


def stable_reference_order(items: Sequence[tuple[str, set[str]]]) -> tuple[list[int], list[int]]:
    """``items`` are ``(entity, entities its position refers to)``; returns ``(order, cycle)``.

    ``order`` holds the indices of the items in a stable topological order: each item after every
    item of the entities it refers to (its own entity's excepted, and entities with no item
    ignored), otherwise the given order -- at each turn the first item whose references are all
    placed.  ``cycle`` holds, in the given order, the items left when none is ready (empty when all
    could be placed): they refer to each other, directly or through others, in a cycle."""
    placed_by: dict[str, list[int]] = {}
    for k, (entity, _) in enumerate(items):
        placed_by.setdefault(entity, []).append(k)
    needs = [{j for ref in refs if ref != entity for j in placed_by.get(ref, ())} for entity, refs in items]
    done: set[int] = set()
    order: list[int] = []
    pending = list(range(len(items)))
    while pending:
        k = next((k for k in pending if needs[k] <= done), None)
        if k is None:
            return order, pending
        order.append(k)
        done.add(k)
        pending.remove(k)
    return order, []


def _located(el: Any, cause: str) -> ScenarioError:
    src = getattr(el, "source", None)
    if src is not None and (src.file or src.line):
        return ScenarioError(cause, file=src.file, line=src.line, element=src.element)
    return ScenarioError(cause, element=type(el).__name__)


def order_init_privates(privates: Iterable[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """``(entity, PrivateAction)`` pairs in the order to start them: teleports first, each after
    the teleports of the entities its position refers to, then the other actions as given.

    Raises ScenarioError at the first teleport of a cycle (teleports that refer to each other)."""
    privates = list(privates)
    teleports = [pa for pa in privates if pa[1].teleport_action is not None]
    others = [pa for pa in privates if pa[1].teleport_action is None]
    order, cycle = stable_reference_order([(entity, position_refs(action)) for entity, action in teleports])
    if cycle:
        entity, action = teleports[cycle[0]]
        others_named = sorted({teleports[j][0] for j in cycle[1:]})
        raise _located(action.teleport_action.position,
                       f"Init TeleportAction of {entity!r} cannot be resolved: the positions of "
                       f"{', '.join(repr(n) for n in [entity] + others_named)} refer to each other in a cycle")
    return [teleports[k] for k in order] + others


def add_entity_of(global_action: Any) -> tuple[str, Any] | None:
    """``(entity, AddEntityAction)`` when ``global_action`` (a GlobalAction's choice) adds an entity."""
    add = getattr(global_action, "add_entity_action", None)
    if add is None or getattr(global_action, "entity_ref", None) is None:
        return None
    return global_action.entity_ref, add


def order_init_placements(adds: Sequence[tuple[str, Any, Any]], privates: Iterable[tuple[str, Any]]) -> list[Any]:
    """Init's placing actions in the order to start them: ``adds`` are ``(entity, AddEntityAction,
    the GlobalAction's choice)`` of Init's global EntityActions, ``privates`` its ``(entity,
    PrivateAction)`` pairs.  Returns ``("global", choice)`` and ``("private", (entity, action))``
    items: the adds and the teleports each after the placements of the entities their positions
    refer to, then the other private actions as given (``order_init_privates``).

    An AddEntityAction places its entity as a TeleportAction does, so the same rule orders both:
    CARLA ScenarioRunner's InitAddEntityAction.xosc adds adversary2 120 m ahead of the hero, whose
    TeleportAction is written after it (before session 11 Init ran global actions first and stopped
    with "entity 'hero' is not on a road").  Raises ScenarioError at the first placement of a cycle."""
    privates = list(privates)
    teleports = [pa for pa in privates if pa[1].teleport_action is not None]
    others = [pa for pa in privates if pa[1].teleport_action is None]
    items: list[tuple[str, Any]] = [("global", choice) for _, _, choice in adds] + [("private", pa) for pa in teleports]
    refs: list[tuple[str, set[str]]] = []
    for entity, add, _ in adds:
        out: set[str] = set()
        _refs(add.position, out)
        refs.append((entity, out))
    refs += [(entity, position_refs(action)) for entity, action in teleports]
    order, cycle = stable_reference_order(refs)
    if cycle:
        kind, payload = items[cycle[0]]
        entity = refs[cycle[0]][0]
        position = (adds[cycle[0]][1].position if kind == "global" else payload[1].teleport_action.position)
        others_named = sorted({refs[j][0] for j in cycle[1:]})
        what = "AddEntityAction" if kind == "global" else "TeleportAction"
        raise _located(position, f"Init {what} of {entity!r} cannot be resolved: the positions of "
                       f"{', '.join(repr(n) for n in [entity] + others_named)} refer to each other in a cycle")
    return [items[k] for k in order] + [("private", pa) for pa in others]


def ordered_privates(privates: tuple) -> tuple:
    """Init's ``Private`` blocks in :func:`stable_reference_order` of their teleports' references
    (those caught in a cycle as written, after the others)."""
    refs = []
    for p in privates:
        out: set[str] = set()
        for action in p.private_actions:
            out |= position_refs(action)
        refs.append((p.entity_ref, out))
    order, cycle = stable_reference_order(refs)
    return tuple(privates[k] for k in order + cycle)


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
