"""Message encodings: rosbridge JSON, rosbridge CBOR, and ROS 2 CDR.

* JSON follows rosbridge_suite (ROSBRIDGE_PROTOCOL.md §4.6): ``uint8[]`` and
  ``char[]`` are base64 strings; on input a base64 string or a list of numbers
  is accepted.
* CBOR follows rosbridge's ``cbor_conversion.py`` (protocol §3.1.3): byte
  arrays are CBOR byte strings and unbounded numeric sequences are packed into
  little-endian typed-array tags (draft-ietf-cbor-array-tags: 85 float32,
  86 float64, ...).
* CDR is produced and read by ``mcap_ros2`` from the ``.msg`` text (the same
  bytes ``rclpy`` puts on the wire and rosbag2 stores); nothing hand-written.

Decoding is strict in the way rosbridge is: a field the type does not have, a
value of the wrong JSON type, an integer out of range or a fixed array of the
wrong length is a :class:`MessageError` naming the field path; a missing field
takes its ROS default (rosbridge fills defaults too).
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import struct
from functools import lru_cache
from typing import Any

import cbor2
import numpy as np
from mcap_ros2._dynamic import generate_dynamic, serialize_dynamic

from ..errors import BridgeError
from .msgs import AckermannDrive, AckermannDriveStamped, Header, Time
from .msgs.schema import INT_RANGES, PRIMITIVE_FLOAT, PRIMITIVE_INT, FieldSpec, concatenated_definition, schema, type_of

# draft-ietf-cbor-array-tags-00 little-endian typed arrays, as rosbridge's cbor_conversion.py uses them.
CBOR_TYPED_ARRAY_TAGS: dict[str, tuple[int, str]] = {
    "uint16": (69, "<u2"), "uint32": (70, "<u4"), "uint64": (71, "<u8"), "int8": (72, "i1"),
    "int16": (77, "<i2"), "int32": (78, "<i4"), "int64": (79, "<i8"), "float32": (85, "<f4"),
    "float64": (86, "<f8"),
}
_TAG_DTYPES = {tag: dtype for tag, dtype in CBOR_TYPED_ARRAY_TAGS.values()} | {64: "u1"}

MODES = ("json", "cbor", "cdr")


class MessageError(BridgeError):
    """A message that does not conform to its ROS type; ``path`` is the offending field."""

    def __init__(self, ros_type: str, path: str, cause: str) -> None:
        self.ros_type, self.path, self.cause = ros_type, path, cause
        super().__init__(f"{ros_type}: field '{path}': {cause}" if path else f"{ros_type}: {cause}")


# ---------------------------------------------------------------- message -> plain data

def to_plain(msg: Any, mode: str = "json") -> dict[str, Any]:
    """A message as nested dicts: ``json`` (base64 bytes), ``cbor`` (bytes, typed arrays) or ``cdr`` input."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    return _to_plain(msg, type_of(msg), mode)


# Field kinds of an encoding plan (one plan per type, built once: the encoder is on the per-step path).
_MESSAGE, _MESSAGES, _BYTES, _ARRAY, _SCALAR = range(5)


@lru_cache(maxsize=None)
def _plan(ros_type: str) -> tuple[tuple[str, int, str, Any], ...]:
    out = []
    for f in schema(ros_type).fields:
        if not f.primitive:
            out.append((f.name, _MESSAGES if f.array is not None else _MESSAGE, f.base, None))
        elif f.is_bytes:
            out.append((f.name, _BYTES, f.base, None))
        elif f.array is not None:
            tag = CBOR_TYPED_ARRAY_TAGS.get(f.base) if f.array == -1 else None
            out.append((f.name, _ARRAY, f.base, (_CASTS.get(f.base, _identity), tag)))
        else:
            out.append((f.name, _SCALAR, f.base, _CASTS.get(f.base, _identity)))
    return tuple(out)


def _to_plain(msg: Any, ros_type: str, mode: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, kind, base, arg in _plan(ros_type):
        value = getattr(msg, name)
        if kind == _SCALAR:
            out[name] = arg(value)
        elif kind == _MESSAGE:
            out[name] = _to_plain(value, base, mode)
        elif kind == _MESSAGES:
            out[name] = [_to_plain(v, base, mode) for v in value]
        elif kind == _BYTES:
            raw = bytes(value)
            out[name] = base64.b64encode(raw).decode("ascii") if mode == "json" else raw
        else:
            cast, tag = arg
            if mode == "cbor" and tag is not None:
                out[name] = cbor2.CBORTag(tag[0], np.asarray(value, dtype=tag[1]).tobytes())
            else:
                out[name] = [cast(v) for v in value]
    return out


def _identity(v: Any) -> Any:
    return v


# Plain Python scalars for the encoders (numpy scalars are not JSON-serialisable).
_CASTS = {name: float for name in PRIMITIVE_FLOAT} | {name: int for name in PRIMITIVE_INT} | {"bool": bool}


def encode_json(msg: Any) -> str:
    return json.dumps(to_plain(msg, "json"), separators=(",", ":"))


# ---------------------------------------------------------------- plain data -> message

def from_plain(ros_type: str, data: Any, *, path: str = "") -> Any:
    """Build and validate a message from JSON- or CBOR-decoded data (see module doc for the rules)."""
    sch = schema(ros_type)
    if not isinstance(data, dict):
        raise MessageError(sch.ros_type, path, f"expected an object, got {type(data).__name__}")
    known = {f.name for f in sch.fields}
    extra = sorted(set(data) - known)
    if extra:
        raise MessageError(sch.ros_type, _join(path, extra[0]),
                           f"the type has no such field (it has: {', '.join(f.name for f in sch.fields)})")
    kwargs = {}
    for f in sch.fields:
        if f.name in data:
            kwargs[f.name] = _field_from_plain(sch.ros_type, f, data[f.name], _join(path, f.name))
    return sch.cls(**kwargs)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _field_from_plain(ros_type: str, f: FieldSpec, value: Any, path: str) -> Any:
    if not f.primitive:
        if f.array is None:
            return from_plain(f.base, value, path=path)
        items = _sequence(ros_type, f, value, path)
        return tuple(from_plain(f.base, v, path=f"{path}[{i}]") for i, v in enumerate(items))
    if f.is_bytes:
        return _bytes(ros_type, f, value, path)
    if f.array is not None:
        if isinstance(value, cbor2.CBORTag):
            dtype = _TAG_DTYPES.get(value.tag)
            if dtype is None or not isinstance(value.value, bytes):
                raise MessageError(ros_type, path, f"unsupported CBOR tag {value.tag}")
            value = np.frombuffer(value.value, dtype=dtype).tolist()
        items = _sequence(ros_type, f, value, path)
        return tuple(_scalar(ros_type, f.base, v, f"{path}[{i}]") for i, v in enumerate(items))
    return _scalar(ros_type, f.base, value, path)


def _sequence(ros_type: str, f: FieldSpec, value: Any, path: str) -> list:
    if not isinstance(value, (list, tuple)):
        raise MessageError(ros_type, path, f"expected an array, got {type(value).__name__}")
    if f.array and f.array > 0 and len(value) != f.array:
        raise MessageError(ros_type, path, f"expected exactly {f.array} elements, got {len(value)}")
    if f.bound is not None and len(value) > f.bound:
        raise MessageError(ros_type, path, f"at most {f.bound} elements allowed, got {len(value)}")
    return list(value)


def _bytes(ros_type: str, f: FieldSpec, value: Any, path: str) -> bytes:
    if isinstance(value, (bytes, bytearray, memoryview)):
        raw = bytes(value)
    elif isinstance(value, str):
        try:
            raw = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise MessageError(ros_type, path, "not a valid base64 string") from None
    elif isinstance(value, cbor2.CBORTag) and value.tag == 64 and isinstance(value.value, bytes):
        raw = value.value
    elif isinstance(value, (list, tuple)):
        if not all(type(v) is int and 0 <= v <= 255 for v in value):
            raise MessageError(ros_type, path, "a byte array must hold integers 0..255")
        raw = bytes(value)
    else:
        raise MessageError(ros_type, path, f"expected bytes, base64 or a list of bytes, got {type(value).__name__}")
    if f.array and f.array > 0 and len(raw) != f.array:
        raise MessageError(ros_type, path, f"expected exactly {f.array} bytes, got {len(raw)}")
    return raw


def _scalar(ros_type: str, base: str, value: Any, path: str) -> Any:
    if base in PRIMITIVE_FLOAT:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise MessageError(ros_type, path, f"expected a number ({base}), got {_describe(value)}")
        return float(value)
    if base in PRIMITIVE_INT:
        if isinstance(value, bool) or not isinstance(value, int):
            raise MessageError(ros_type, path, f"expected an integer ({base}), got {_describe(value)}")
        lo, hi = INT_RANGES[base]
        if not lo <= value <= hi:
            raise MessageError(ros_type, path, f"{value} is out of range for {base} [{lo}, {hi}]")
        return value
    if base == "bool":
        if not isinstance(value, bool):
            raise MessageError(ros_type, path, f"expected true/false, got {_describe(value)}")
        return value
    if base in ("string", "wstring"):
        if not isinstance(value, str):
            raise MessageError(ros_type, path, f"expected a string, got {_describe(value)}")
        return value
    raise MessageError(ros_type, path, f"primitive type {base} is not supported")


def _describe(value: Any) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text[:40]}"


def decode_json(ros_type: str, text: str | bytes) -> Any:
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MessageError(ros_type, "", f"malformed JSON: {exc}") from None
    return from_plain(ros_type, data)


def is_finite_message(msg: Any) -> bool:
    """True when no float in the message is NaN or infinite (a control must not be).

    Every field of every nested message, every element of every sequence: a
    stack's reply is untrusted, so it is walked in full — with each message
    class's field names looked up once (``_FIELD_NAMES``), not per value.
    The usual control, an ``AckermannDriveStamped`` of plain fields, is
    checked flat (``_finite_drive_stamped``) with the same answer."""
    if type(msg) is AckermannDriveStamped:
        flat = _finite_drive_stamped(msg)
        if flat is not None:
            return flat
    return _finite(msg)


def _finite_drive_stamped(msg: AckermannDriveStamped) -> bool | None:
    """``_finite(msg)`` for the shape every stack sends (exact Header, Time, AckermannDrive; int stamp,
    str frame, float set points); None for any other shape, which the general walk then takes."""
    header, drive = msg.header, msg.drive
    if type(header) is not Header or type(drive) is not AckermannDrive or type(header.frame_id) is not str:
        return None
    stamp = header.stamp
    if type(stamp) is not Time or type(stamp.sec) is not int or type(stamp.nanosec) is not int:
        return None
    values = (drive.steering_angle, drive.steering_angle_velocity, drive.speed, drive.acceleration, drive.jerk)
    for v in values:
        if type(v) is not float:
            return None
    return all(map(math.isfinite, values))


def _finite(v: Any) -> bool:
    kind = type(v)
    if kind is float:
        return math.isfinite(v)
    if kind is int or kind is str or kind is bool:
        return True
    if isinstance(v, float):
        return math.isfinite(v)
    if isinstance(v, (tuple, list)):
        return all(map(_finite, v))
    if hasattr(v, "ROS_TYPE"):
        names = _FIELD_NAMES.get(kind)
        if names is None:
            names = _FIELD_NAMES[kind] = tuple(f.name for f in schema(type_of(v)).fields)
        for name in names:  # the scalar leaves inline: most fields of a control are plain floats
            x = getattr(v, name)
            leaf = type(x)
            if leaf is float:
                if not math.isfinite(x):
                    return False
            elif leaf is not int and leaf is not str and leaf is not bool and not _finite(x):
                return False
    return True


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}
"""Each message class's field names, from its schema on first sight."""


# ---------------------------------------------------------------- ROS 2 CDR via mcap_ros2

@lru_cache(maxsize=None)
def _cdr_encoder(ros_type: str):
    canonical = schema(ros_type).ros_type
    return serialize_dynamic(canonical, concatenated_definition(canonical))[canonical]


@lru_cache(maxsize=None)
def _cdr_decoder(ros_type: str):
    canonical = schema(ros_type).ros_type
    return generate_dynamic(canonical, concatenated_definition(canonical))[canonical]


def encode_cdr(msg: Any) -> bytes:
    """ROS 2 CDR (little endian, with the 4-byte encapsulation header), as rclpy serialises."""
    return _cdr_encoder(type_of(msg))(to_plain(msg, "cdr"))


def decode_cdr(ros_type: str, data: bytes) -> Any:
    try:
        decoded = _cdr_decoder(schema(ros_type).ros_type)(data)
    except (struct.error, IndexError, ValueError, EOFError) as exc:
        raise MessageError(schema(ros_type).ros_type, "", f"malformed CDR: {exc}") from None
    return from_plain(ros_type, _namespace_to_plain(decoded))


def _namespace_to_plain(value: Any) -> Any:
    if hasattr(value, "__slots__") and not isinstance(value, (bytes, str)):
        return {name: _namespace_to_plain(getattr(value, name)) for name in value.__slots__}
    if hasattr(value, "__dict__"):
        return {k: _namespace_to_plain(v) for k, v in vars(value).items()}
    if isinstance(value, (list, tuple)):
        return [_namespace_to_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value
