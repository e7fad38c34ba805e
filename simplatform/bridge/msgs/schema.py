"""Parsed message schemas: one place that knows every type's fields, classes and definition text.

The ``.msg`` texts of :mod:`.definitions` are parsed once with the
``rosidl_adapter`` parser that ``mcap_ros2`` vendors (the same parser ROS 2's
build uses), so the codecs walk exactly what ROS 2 would.  Type names are
accepted in both spellings ROS users write, ``sensor_msgs/msg/Image`` and
``sensor_msgs/Image`` (rosbridge accepts both too); the canonical form is the
ROS 2 one with ``/msg/``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields as dataclass_fields
from functools import lru_cache

from mcap_ros2._vendor.rosidl_adapter.parser import parse_message_string

from ...errors import BridgeError
from . import types_arrays, types_core, types_driving, types_sensor, types_tf
from .definitions import MSG_DEFINITIONS

PRIMITIVE_INT = frozenset({"byte", "char", "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64"})
PRIMITIVE_FLOAT = frozenset({"float32", "float64"})
INT_RANGES = {
    "byte": (0, 255), "char": (0, 255), "int8": (-(2**7), 2**7 - 1), "uint8": (0, 2**8 - 1),
    "int16": (-(2**15), 2**15 - 1), "uint16": (0, 2**16 - 1), "int32": (-(2**31), 2**31 - 1),
    "uint32": (0, 2**32 - 1), "int64": (-(2**63), 2**63 - 1), "uint64": (0, 2**64 - 1),
}


class UnknownMessageType(BridgeError):
    """A type name the bridge has no definition for."""


@dataclass(frozen=True)
class FieldSpec:
    """One field of a message: ``base`` is a primitive name or a canonical message type.

    ``array`` is None for a scalar, -1 for an unbounded sequence, n > 0 for a
    fixed array ``T[n]``; ``bound`` is the upper bound of ``T[<=n]`` sequences.
    """

    name: str
    base: str
    primitive: bool
    array: int | None
    bound: int | None = None

    @property
    def is_bytes(self) -> bool:
        """uint8[] / char[]: rosbridge sends these as base64 in JSON and raw bytes in CBOR (§4.6)."""
        return self.primitive and self.array is not None and self.base in ("uint8", "char", "byte")


@dataclass(frozen=True)
class MessageSchema:
    ros_type: str
    fields: tuple[FieldSpec, ...]
    cls: type


def canonical_type(name: str) -> str:
    """``pkg/Type`` or ``pkg/msg/Type`` -> ``pkg/msg/Type``."""
    parts = name.strip().split("/")
    if len(parts) == 2:
        return f"{parts[0]}/msg/{parts[1]}"
    if len(parts) == 3 and parts[1] == "msg":
        return name.strip()
    raise UnknownMessageType(f"{name!r} is not a ROS message type name (expected 'pkg/Type' or 'pkg/msg/Type')")


def short_type(name: str) -> str:
    """``pkg/msg/Type`` -> ``pkg/Type`` (the spelling of ROS 1 and of MCAP 'MSG:' lines)."""
    pkg, _, msg = canonical_type(name).split("/")
    return f"{pkg}/{msg}"


def _message_classes() -> dict[str, type]:
    out: dict[str, type] = {}
    for module in (types_core, types_sensor, types_driving, types_tf, types_arrays):
        for obj in vars(module).values():
            if isinstance(obj, type) and "ROS_TYPE" in vars(obj):
                out[obj.ROS_TYPE] = obj
    return out


MESSAGE_CLASSES: dict[str, type] = _message_classes()


@lru_cache(maxsize=None)
def schema(ros_type: str) -> MessageSchema:
    """The parsed schema of a type; raises :class:`UnknownMessageType` for a type we do not define."""
    name = canonical_type(ros_type)
    text = MSG_DEFINITIONS.get(name)
    if text is None or name not in MESSAGE_CLASSES:
        raise UnknownMessageType(
            f"unknown message type {ros_type!r}; the bridge speaks: {', '.join(sorted(MSG_DEFINITIONS))}"
        )
    pkg, _, msg = name.split("/")
    spec = parse_message_string(pkg, msg, text)
    out = []
    for f in spec.fields:
        t = f.type
        if t.is_primitive_type():
            base, primitive = t.type, True
        else:
            base, primitive = f"{t.pkg_name}/msg/{t.type}", False
        array = None
        bound = None
        if t.is_array:
            if t.is_upper_bound:
                array, bound = -1, t.array_size
            else:
                array = t.array_size if t.array_size else -1
        out.append(FieldSpec(f.name, base, primitive, array, bound))
    return MessageSchema(name, tuple(out), MESSAGE_CLASSES[name])


def message_class(ros_type: str) -> type:
    return schema(ros_type).cls


def type_of(msg: object) -> str:
    """The canonical ROS type of a message instance."""
    try:
        return type(msg).ROS_TYPE  # type: ignore[attr-defined]
    except AttributeError:
        raise UnknownMessageType(f"{type(msg).__name__} is not a bridge message class") from None


def dependencies(ros_type: str) -> list[str]:
    """Every message type ``ros_type`` uses, depth-first, each once, itself excluded."""
    seen: list[str] = []

    def visit(t: str) -> None:
        for f in schema(t).fields:
            if not f.primitive and f.base not in seen:
                seen.append(f.base)
                visit(f.base)

    visit(canonical_type(ros_type))
    return seen


def definition_text(ros_type: str) -> str:
    """The ``.msg`` text of one type, without its dependencies."""
    schema(ros_type)  # validate the name
    return MSG_DEFINITIONS[canonical_type(ros_type)]


def concatenated_definition(ros_type: str) -> str:
    """The full definition with dependencies, as ROS 2 bags and MCAP ``ros2msg`` schemas store it.

    Format (rosbag2 / MCAP spec, "ros2msg" schema encoding): the type's own
    text, then for each dependency a line of 80 ``=``, a ``MSG: pkg/Type`` line
    and that type's text.
    """
    parts = [definition_text(ros_type).rstrip("\n")]
    for dep in dependencies(ros_type):
        parts.append("=" * 80 + "\nMSG: " + short_type(dep) + "\n" + MSG_DEFINITIONS[dep].rstrip("\n"))
    return "\n".join(parts) + "\n"


def check_class_matches_definition(ros_type: str) -> list[str]:
    """Differences between a dataclass and its ``.msg`` definition (empty when they agree)."""
    sch = schema(ros_type)
    declared = [f.name for f in sch.fields]
    actual = [f.name for f in dataclass_fields(sch.cls)]
    return [] if declared == actual else [f"{ros_type}: .msg has {declared}, class has {actual}"]
