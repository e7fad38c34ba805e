"""Base of the typed OpenSCENARIO model: element and enum bases, field declarations.

Why declarative fields: every model class says, per field, which XML attribute
or child element it comes from and of which OpenSCENARIO type.  One generic
binder (``simplatform.openscenario.binder``) then reads any element into its
class, resolving parameters and expressions on the way, so the 287 element
types of the standard need no 287 hand-written readers (commonroad-io's
split: a data model, readers at the edge).
"""

from __future__ import annotations

import enum
from dataclasses import MISSING, dataclass, field, fields
from typing import Any, ClassVar, Iterator

from simplatform.errors import SourceLocation

# XSD type name -> model class or enum; filled as the model modules import.
REGISTRY: dict[str, type] = {}

_NO_SOURCE = SourceLocation()


class OscEnum(str, enum.Enum):
    """An OpenSCENARIO enumeration; each member's value is the standard's literal."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        REGISTRY[cls.__name__] = cls

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, kw_only=True)
class OscElement:
    """One OpenSCENARIO element, bound and fully resolved.

    ``source`` is where the element was written (file, line, tag) so that the
    engine can report a runtime problem at its origin.  Choice types (the XSD
    ``xsd:choice`` of alternatives such as ``Position`` or ``PrivateAction``)
    carry one non-``None`` field; ``choice`` returns it.
    """

    _xsd_type: ClassVar[str] = ""
    _choice: ClassVar[bool] = False
    source: SourceLocation = field(default=_NO_SOURCE, compare=False, repr=False)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        xsd = cls.__dict__.get("_xsd_type")
        if xsd:
            REGISTRY[xsd] = cls

    @property
    def choice(self) -> "OscElement | None":
        """The one alternative given in a choice element (``None`` if none)."""
        for f in fields(self):
            if f.metadata.get("kind") == "elem":
                value = getattr(self, f.name)
                if value is not None:
                    return value
        return None

    def children(self) -> Iterator["OscElement"]:
        """Direct child elements, in declaration order (tuples flattened)."""
        for f in fields(self):
            kind = f.metadata.get("kind")
            if kind == "elem":
                value = getattr(self, f.name)
                if value is not None:
                    yield value
            elif kind == "elems":
                yield from getattr(self, f.name)

    def walk(self) -> Iterator["OscElement"]:
        """This element and all below it, depth first (catalog entries included)."""
        yield self
        for child in self.children():
            yield from child.walk()
        resolved = getattr(self, "resolved", None)
        if isinstance(resolved, OscElement):
            yield from resolved.walk()


def attr(xml: str, osc_type: str, *, required: bool = False, deprecated: bool = False) -> Any:
    """An XML attribute of OpenSCENARIO type ``osc_type`` (``double``, ``int``, an enum name...)."""
    meta = {"kind": "attr", "xml": xml, "type": osc_type, "required": required, "deprecated": deprecated}
    return field(metadata=meta) if required else field(default=None, metadata=meta)


def elem(xml: str, xsd_type: str, *, required: bool = False, deprecated: bool = False) -> Any:
    """A child element that may occur at most once."""
    meta = {"kind": "elem", "xml": xml, "type": xsd_type, "required": required, "deprecated": deprecated}
    return field(metadata=meta) if required else field(default=None, metadata=meta)


def elems(xml: str, xsd_type: str, *, min_occurs: int = 0, deprecated: bool = False) -> Any:
    """A child element that may repeat; bound as a tuple in document order."""
    meta = {"kind": "elems", "xml": xml, "type": xsd_type, "min": min_occurs, "required": min_occurs > 0,
            "deprecated": deprecated}
    return field(default=(), metadata=meta)


def text() -> Any:
    """The element's text content (``CustomCommandAction``, ``License``, ``CustomContent``)."""
    return field(default="", metadata={"kind": "text", "required": False})


def is_required(f) -> bool:
    return bool(f.metadata.get("required")) and f.default is MISSING
