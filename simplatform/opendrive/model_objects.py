"""Object markings, object borders and object references of the OpenDRIVE data model.

Sources: ASAM OpenDRIVE 1.7/1.8, objects chapter: ``<markings>`` (paint that
belongs to an object: crosswalk stripes, stop lines, parking-space outlines),
``<borders>`` (a strip of given width along an object's outline: the kerb of a
traffic island, a concrete edge) and ``<objectReference>`` (an object of one
road that also matters on another road, e.g. a crosswalk spanning a junction).
Markings and borders name outline corners by ``<cornerReference id>``; the ids
are the ``id`` attributes of ``<cornerRoad>``/``<cornerLocal>``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the reference's target; a runtime import would be circular
    from simplatform.opendrive.model_features import LaneValidity, RoadObject

MARKING_SIDES = ("left", "right", "front", "rear")
BORDER_TYPES = ("concrete", "curb", "paint")


@dataclass(frozen=True)
class ObjectMarking:
    """<marking>: painted dashes of ``line_length`` with gaps of ``space_length`` (0: one
    solid line), ``width`` wide, from ``start_offset`` after the first point to
    ``stop_offset`` before the last one; either along the outline corners ``corner_ids``
    (in order) or along one ``side`` of the object's bounding box.  ``z_offset`` is the
    paint's height above the road (None: the lane markings' default)."""

    color: str
    line_length: float
    space_length: float
    start_offset: float = 0.0
    stop_offset: float = 0.0
    width: float | None = None
    weight: str | None = None
    z_offset: float | None = None
    side: str | None = None
    corner_ids: tuple[str, ...] = ()
    line: int | None = None


@dataclass(frozen=True)
class ObjectBorder:
    """<border>: a strip ``width`` wide along the outline ``outline_id`` (all of it when
    ``use_complete_outline``, else the corners ``corner_ids`` in order); ``type`` is
    "curb" (raised), "concrete" (flat) or "paint"."""

    width: float
    type: str
    outline_id: str | None = None
    use_complete_outline: bool = True
    corner_ids: tuple[str, ...] = ()
    line: int | None = None


@dataclass(frozen=True)
class ObjectReference:
    """<objectReference>: the object ``id`` (defined on another road, or this one) also
    applies on road ``road_id`` at (s, t).  ``object`` is the referenced record, filled in
    once the whole file is read; the object itself is placed and meshed once, from its
    own road."""

    id: str
    road_id: str
    s: float
    t: float
    z_offset: float = 0.0
    valid_length: float = 0.0
    orientation: str = "none"
    validity: tuple["LaneValidity", ...] = ()
    line: int | None = None
    object: "RoadObject | None" = None
