"""esmini's trailer extension, read into the OpenSCENARIO 1.3 ``Trailer`` model.

Before OpenSCENARIO 1.3 defined trailers (``Vehicle/Trailer`` holding either a
``Trailer`` scenario object or a ``TrailerRef`` entity reference), esmini added
its own: ``<Trailer>`` holding an ``<EntityRef>``, an inline ``<Vehicle>`` or a
``<CatalogReference>``.  esmini's own ``VehicleCatalog.xosc`` (a 1.1 file) gives
every car a ``<Trailer><EntityRef entityRef="$TrailerRef"/></Trailer>`` whose
parameter defaults to the empty string, meaning "no trailer"; without reading
that form no esmini scenario that uses the catalog would load.

The mapping: a non-empty ``EntityRef`` is 1.3's ``TrailerRef``; an inline
``Vehicle`` or a non-empty ``CatalogReference`` is 1.3's ``Trailer`` scenario
object (named after the vehicle or the catalog entry); empty references are no
trailer at all, so the element binds to ``None``.
"""

from __future__ import annotations

from typing import Any

from simplatform.errors import ParameterError
from simplatform.openscenario.binder import BindContext, bind, local_name, location
from simplatform.openscenario.model.base import REGISTRY
from simplatform.openscenario.values import Scope, resolve

ESMINI_TRAILER_CHILDREN = frozenset({"EntityRef", "Vehicle", "CatalogReference"})


def is_esmini_trailer(node: Any) -> bool:
    """True when a ``<Trailer>`` uses esmini's children rather than 1.3's."""
    tags = {local_name(c) for c in node if isinstance(c.tag, str)}
    return bool(tags) and tags <= ESMINI_TRAILER_CHILDREN


def _text(child: Any, attribute: str, scope: Scope, ctx: BindContext) -> str | None:
    """The attribute's resolved text ('' when absent); None (error reported) when it does not resolve."""
    raw = child.get(attribute)
    if raw is None:
        return ""
    try:
        return str(resolve(raw, "string", scope))
    except ParameterError as exc:
        ctx.error(child, f"attribute '{attribute}': {exc.cause}", ParameterError)
        return None


def bind_esmini_trailer(node: Any, scope: Scope, ctx: BindContext) -> Any:
    """The 1.3 ``Trailer`` an esmini-style ``<Trailer>`` stands for, or None for no trailer."""
    ref = obj = None
    for child in (c for c in node if isinstance(c.tag, str)):
        tag = local_name(child)
        if tag == "EntityRef":
            if _text(child, "entityRef", scope, ctx):
                ref = bind(child, REGISTRY["EntityRef"], scope, ctx)
        elif tag == "CatalogReference":
            entry = _text(child, "entryName", scope, ctx)
            if entry:
                reference = bind(child, REGISTRY["CatalogReference"], scope, ctx, parent_cls=REGISTRY["ScenarioObject"])
                obj = REGISTRY["ScenarioObject"](name=entry, catalog_reference=reference, source=location(child, ctx))
        else:  # Vehicle
            vehicle = bind(child, REGISTRY["Vehicle"], scope, ctx)
            obj = REGISTRY["ScenarioObject"](name=vehicle.name or "trailer", vehicle=vehicle,
                                             source=location(child, ctx))
    if ref is not None and obj is not None:
        ctx.error(node, "esmini-style <Trailer> names both an entity (EntityRef) and a trailer definition "
                  "(Vehicle or CatalogReference); give one")
        return None
    if ref is None and obj is None:
        return None
    return REGISTRY["Trailer"](trailer=obj, trailer_ref=ref, source=location(node, ctx))
