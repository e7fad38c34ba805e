"""rosapi ``TypeDef`` descriptions of the message types, for ``/rosapi/message_details``.

roslibjs's ``Ros.getMessageDetails`` / ``decodeTypeDefs`` and roslibpy's
``get_message_details`` read these to build message templates.  The shape is
rosapi's ``rosapi_msgs/msg/TypeDef`` as its ROS 2 ``objectutils`` fills it:
``type`` as ``pkg/Type``; per field its name, its type (ROS 2 IDL names for
primitives — ``double``, ``float``, ``boolean``, ``octet`` — and ``pkg/Type``
for messages), ``fieldarraylen`` (-1 scalar, 0 sequence, n for ``T[n]``) and an
example (the default for a primitive, ``[]`` for an array, ``{}`` for a
message); constants by name and value.  The list holds the type first, then
every type it uses, depth first, each once (rosapi's ``get_typedef_recursive``).
"""

from __future__ import annotations

from dataclasses import MISSING, fields as dataclass_fields
from functools import lru_cache
from typing import Any

from mcap_ros2._vendor.rosidl_adapter.parser import parse_message_string

from .definitions import MSG_DEFINITIONS
from .schema import canonical_type, schema, short_type

# .msg primitive names -> the names rosidl's Python classes report (what rosapi on ROS 2 answers).
IDL_NAMES = {"float64": "double", "float32": "float", "bool": "boolean", "byte": "octet", "char": "uint8"}


def typedefs(ros_type: str) -> list[dict[str, Any]]:
    """The TypeDef of ``ros_type`` and of every type it uses; raises ``UnknownMessageType``."""
    out: list[dict[str, Any]] = []
    seen: set[str] = set()

    def visit(name: str) -> None:
        if name in seen:
            return
        seen.add(name)
        out.append(typedef(name))
        for f in schema(name).fields:
            if not f.primitive:
                visit(f.base)

    visit(canonical_type(ros_type))
    return out


@lru_cache(maxsize=None)
def typedef(ros_type: str) -> dict[str, Any]:
    sch = schema(ros_type)
    defaults = {f.name: f.default for f in dataclass_fields(sch.cls)}
    names, types, lengths, examples = [], [], [], []
    for f in sch.fields:
        names.append(f.name)
        types.append(IDL_NAMES.get(f.base, f.base) if f.primitive else short_type(f.base))
        lengths.append(-1 if f.array is None else (0 if f.array == -1 else f.array))
        if f.array is not None:
            examples.append("[]")
        elif not f.primitive:
            examples.append("{}")
        else:
            examples.append(_example(defaults.get(f.name, MISSING), f.base))
    pkg, _, msg = sch.ros_type.split("/")
    constants = parse_message_string(pkg, msg, MSG_DEFINITIONS[sch.ros_type]).constants
    return {"type": short_type(sch.ros_type), "fieldnames": names, "fieldtypes": types, "fieldarraylen": lengths,
            "examples": examples, "constnames": [c.name for c in constants],
            "constvalues": [str(c.value) for c in constants]}


def _example(default: Any, base: str) -> str:
    """``str`` of the field's default as a Python rosidl class holds it (rosapi's examples are ``str(value)``)."""
    if default is MISSING:
        default = "" if base in ("string", "wstring") else 0
    if base in ("float32", "float64"):
        return str(float(default))
    if base == "bool":
        return str(bool(default))
    return str(default)
