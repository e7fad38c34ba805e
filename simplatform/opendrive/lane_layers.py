"""OpenDRIVE 1.9 lane layers: which <lanes> of a road the model reads.

ASAM OpenDRIVE 1.9 §11.2: every road has one permanent lane layer (``<lanes
layer="permanent">``, the default when @layer is absent) and may have one
temporary layer on top of it (roadworks lanes that change the driving rules,
not the surface).
"""

from __future__ import annotations

from simplatform.opendrive.xml_input import Attributes


def permanent_lanes(attrs: Attributes, road, road_id: str, problems: list[str]):
    """The <lanes> that describe the road surface.

    OpenDRIVE 1.9 §11.2 lane layers: a road has one ``layer="permanent"`` <lanes> (the
    default when @layer is absent) and may have one ``layer="temporary"`` <lanes> on top
    of it (roadworks lanes that change the driving rules, not the surface).  The model
    holds the permanent layer; a temporary one is reported in ``problems`` and left out
    (esmini's roadworks_permanent_temporary_layers.xodr was refused as a road without
    exactly one <lanes>)."""
    nodes = list(road.iterchildren("lanes"))
    if not nodes:
        raise attrs.error(road, f"road {road_id} needs exactly one <lanes>")
    layers = [(n.get("layer") or "permanent").strip() for n in nodes]
    permanent = [n for n, layer in zip(nodes, layers) if layer == "permanent"]
    if len(permanent) != 1:
        raise attrs.error(nodes[-1] if permanent else road,
                          f"road {road_id} needs exactly one permanent <lanes> layer, has {len(permanent)}"
                          + ("" if len(nodes) == 1 else f" (layers: {', '.join(layers)})"))
    for node, layer in zip(nodes, layers):
        if node is not permanent[0]:
            problems.append(f"{attrs.source}:{node.sourceline}: road {road_id}: the {layer!r} lane layer "
                            "(OpenDRIVE 1.9) is not modelled; the permanent lanes are used")
    return permanent[0]
