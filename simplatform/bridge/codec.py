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
takes its ROS default (rosbridge fills defaults too).  As rosbridge's
``message_conversion``, a ``builtin_interfaces/Time`` or ``Duration`` is read
from ``{sec, nanosec}`` or the ROS 1 names ``{secs, nsecs}`` and always written
as ``{sec, nanosec}``; NaN and ±infinity are written to JSON as ``null``.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import struct
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import cbor2
import numpy as np
from mcap_ros2._dynamic import generate_dynamic, serialize_dynamic

from ..errors import BridgeError
from .finite import _finite, is_finite_message  # noqa: F401 (re-exported: controls, tests)
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
    return dumps_plain_json(to_plain(msg, "json"))


def dumps_plain_json(plain: Any) -> str:
    """Compact JSON with every NaN and ±infinity written as ``null``, as rosbridge does.

    JSON has no NaN (RFC 8259 §6): Python would write the bare word ``NaN``,
    which ``JSON.parse`` (roslibjs), Go's and Rust's decoders refuse, losing the
    whole frame.  rosbridge's ``message_conversion`` maps non-finite floats to
    ``None``.  The strict dump costs nothing for a finite message; only a
    message holding such a value is walked a second time."""
    try:
        return json.dumps(plain, separators=(",", ":"), allow_nan=False)
    except ValueError:
        return json.dumps(_null_non_finite(plain), separators=(",", ":"), allow_nan=False)


def _null_non_finite(value: Any) -> Any:
    if type(value) is float:
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _null_non_finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_null_non_finite(v) for v in value]
    return value


# ---------------------------------------------------------------- plain data -> message

@dataclass(frozen=True)
class DecodeOptions:
    """How lenient a decoding is, beyond the strict rules of the module doc.

    ``now``: the server's clock (rosbridge's publish rules, ROSBRIDGE_PROTOCOL.md
    §3.2.3, as its ``message_conversion`` does them): a ``std_msgs/Header``
    given without ``stamp`` gets this time, and a ``builtin_interfaces/Time``
    given as the string ``"now"`` is this time; a header left out of the
    message is not stamped (stamp 0).  ``nan_from_null``: JSON ``null`` in a float field reads as NaN, the
    inverse of :func:`dumps_plain_json` (rosbridge itself refuses ``null`` from
    clients, so the server does not set it)."""

    now: Any = None
    nan_from_null: bool = False


STRICT = DecodeOptions()
_TIME_TYPES = frozenset({"builtin_interfaces/msg/Time", "builtin_interfaces/msg/Duration"})
_HEADER = "std_msgs/msg/Header"
# ROS 2 names first, then the ROS 1 names (secs, nsecs) that roslibjs-era clients still send;
# rosbridge's _to_time_inst reads the same pairs in the same order.
_TIME_KEYS = (("sec", "secs"), ("nanosec", "nsecs"))


def from_plain(ros_type: str, data: Any, *, path: str = "", now: Any = None, nan_from_null: bool = False,
               options: DecodeOptions | None = None) -> Any:
    """Build and validate a message from JSON- or CBOR-decoded data (see module doc for the rules)."""
    opts = options or (STRICT if now is None and not nan_from_null else DecodeOptions(now, nan_from_null))
    return _message(schema(ros_type), data, path, opts)


def _message(sch: Any, data: Any, path: str, opts: DecodeOptions) -> Any:
    if sch.ros_type in _TIME_TYPES:
        return _time(sch, data, path, opts)
    if not isinstance(data, dict):
        raise MessageError(sch.ros_type, path, f"expected an object, got {type(data).__name__}")
    known = _field_names(sch.ros_type)
    if not known.issuperset(data):
        extra = sorted(set(data) - known)
        raise MessageError(sch.ros_type, _join(path, extra[0]),
                           f"the type has no such field (it has: {', '.join(f.name for f in sch.fields)})")
    kwargs = {f.name: _field_from_plain(sch.ros_type, f, data[f.name], _join(path, f.name), opts)
              for f in sch.fields if f.name in data}
    if sch.ros_type == _HEADER and "stamp" not in data and opts.now is not None:
        # A header given without a stamp is stamped now; one left out keeps stamp 0, as rosbridge's
        # message_conversion stamps only the headers the message holds.  (``now`` is read last: the
        # server's is a property, built on demand.)
        kwargs["stamp"] = opts.now
    return sch.cls(**kwargs)


@lru_cache(maxsize=None)
def _field_names(ros_type: str) -> frozenset[str]:
    return frozenset(f.name for f in schema(ros_type).fields)


def _time(sch: Any, data: Any, path: str, opts: DecodeOptions) -> Any:
    """builtin_interfaces Time/Duration: ``{sec, nanosec}``, ``{secs, nsecs}`` or (Time) ``"now"``."""
    if data == "now" and sch.ros_type == "builtin_interfaces/msg/Time":
        if opts.now is None:
            raise MessageError(sch.ros_type, path, "'now' is only understood by the server, which knows the time")
        return opts.now
    if not isinstance(data, dict):
        raise MessageError(sch.ros_type, path, f"expected an object, got {type(data).__name__}")
    extra = sorted(set(data) - {"sec", "secs", "nanosec", "nsecs"})
    if extra:
        raise MessageError(sch.ros_type, _join(path, extra[0]),
                           "the type has no such field (it has: sec, nanosec; ROS 1 names secs, nsecs are read too)")
    values = []
    for (ros2, ros1), base in zip(_TIME_KEYS, ("int32", "uint32")):
        key = ros2 if ros2 in data else ros1
        values.append(_scalar(sch.ros_type, base, data[key], _join(path, key), opts) if key in data else 0)
    return sch.cls(*values)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _field_from_plain(ros_type: str, f: FieldSpec, value: Any, path: str, opts: DecodeOptions = STRICT) -> Any:
    if not f.primitive:
        sub = schema(f.base)
        if f.array is None:
            return _message(sub, value, path, opts)
        items = _sequence(ros_type, f, value, path)
        return tuple(_message(sub, v, f"{path}[{i}]", opts) for i, v in enumerate(items))
    if f.is_bytes:
        return _bytes(ros_type, f, value, path)
    if f.array is not None:
        if isinstance(value, cbor2.CBORTag):
            dtype = _TAG_DTYPES.get(value.tag)
            if dtype is None or not isinstance(value.value, bytes):
                raise MessageError(ros_type, path, f"unsupported CBOR tag {value.tag}")
            value = np.frombuffer(value.value, dtype=dtype).tolist()
        items = _sequence(ros_type, f, value, path)
        return tuple(_scalar(ros_type, f.base, v, f"{path}[{i}]", opts) for i, v in enumerate(items))
    return _scalar(ros_type, f.base, value, path, opts)


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


def _scalar(ros_type: str, base: str, value: Any, path: str, opts: DecodeOptions = STRICT) -> Any:
    if base in PRIMITIVE_FLOAT:
        if value is None and opts.nan_from_null:
            return math.nan
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
    """The inverse of :func:`encode_json`: ``null`` in a float field is NaN again."""
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MessageError(ros_type, "", f"malformed JSON: {exc}") from None
    return from_plain(ros_type, data, nan_from_null=True)


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
