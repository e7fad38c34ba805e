"""rosbridge v2 frames: parsing what clients send, building what the server sends.

Pure functions, no I/O, so each rule of the protocol is testable alone.
References: RobotWebTools/rosbridge_suite ``ROSBRIDGE_PROTOCOL.md`` (§1 envelope,
§3.1.2 PNG, §3.1.3 CBOR, §3.1.4 CBOR-RAW, §3.2 operations; §3.1.1 fragments in
:mod:`.fragments`) and the ``status`` /
``set_level`` / ``auth`` operations of protocol v2.0 (levels ``info`` <
``warning`` < ``error`` < ``none``; rosauth's MAC fields).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

import cbor2

from .codec import dumps_plain_json, encode_cdr, to_plain
from .msgs.schema import type_of

LEVELS = ("info", "warning", "error", "none")
DEFAULT_LEVEL = "error"  # rosbridge's default: only errors are reported unless a client asks for more
COMPRESSIONS = ("none", "png", "cbor", "cbor-raw")  # rosbridge's order: of a client's several subscriptions
# to one topic, the later in this tuple wins (subscribe.py update_params: cbor-raw over cbor over png over none)


class ProtocolError(Exception):
    """A frame the server cannot act on; answered with a ``status`` error, never a crash."""

    def __init__(self, message: str, *, op_id: Any = None, level: str = "error") -> None:
        super().__init__(message)
        self.op_id = op_id
        self.level = level


def parse_frame(data: str | bytes) -> dict[str, Any]:
    """Text frames are JSON, binary frames CBOR (rosbridge accepts both); the result has a string ``op``."""
    try:
        obj = json.loads(data) if isinstance(data, str) else cbor2.loads(data)
    except (ValueError, cbor2.CBORDecodeError, UnicodeDecodeError, RecursionError) as exc:
        kind = "JSON" if isinstance(data, str) else "CBOR"
        raise ProtocolError(f"malformed {kind} frame: {exc}") from None
    if not isinstance(obj, dict):
        raise ProtocolError(f"a rosbridge message must be an object, got {type(obj).__name__}")
    op = obj.get("op")
    if not isinstance(op, str):
        raise ProtocolError("a rosbridge message needs a string field 'op'", op_id=_safe_id(obj))
    return obj


def _safe_id(obj: dict) -> Any:
    op_id = obj.get("id")
    return op_id if isinstance(op_id, (str, int)) and not isinstance(op_id, bool) else None


def require(frame: dict, key: str, kind: type | tuple[type, ...] = str, *, optional: bool = False) -> Any:
    """A field of an operation, type-checked; missing or mistyped fields are protocol errors."""
    if key not in frame or frame[key] is None:
        if optional:
            return None
        raise ProtocolError(f"'{frame['op']}' needs a field '{key}'", op_id=_safe_id(frame))
    value = frame[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and bool not in _tuple(kind)):
        want = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        raise ProtocolError(f"'{frame['op']}' field '{key}' must be {want}, got {type(value).__name__}",
                            op_id=_safe_id(frame))
    return value


def _tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def op_id(frame: dict) -> Any:
    return _safe_id(frame)


def status(level: str, msg: str, op_id: Any = None) -> dict[str, Any]:
    out: dict[str, Any] = {"op": "status", "level": level, "msg": msg}
    if op_id is not None:
        out["id"] = op_id
    return out


def level_reported(level: str, client_level: str) -> bool:
    """A status of ``level`` reaches a client that asked for ``client_level`` and above."""
    return LEVELS.index(level) >= LEVELS.index(client_level) and level != "none"


def dumps_json(frame: dict[str, Any]) -> str:
    """A frame as compact JSON; NaN and infinities become ``null`` (see ``codec.dumps_plain_json``)."""
    return dumps_plain_json(frame)


@dataclass
class PublishFrames:
    """One published message, encoded lazily once per compression and shared by all subscribers."""

    topic: str
    msg: Any
    stamp_ns: int = 0
    _json: str | None = None
    _cbor: bytes | None = None
    _raw: bytes | None = None
    _png: str | None = None

    def frame(self, compression: str) -> str | bytes:
        if compression == "cbor":
            if self._cbor is None:
                self._cbor = cbor2.dumps({"op": "publish", "topic": self.topic, "msg": to_plain(self.msg, "cbor")})
            return self._cbor
        if compression == "cbor-raw":
            if self._raw is None:
                sec, nsec = divmod(self.stamp_ns, 1_000_000_000)
                self._raw = cbor2.dumps({"op": "publish", "topic": self.topic,
                                         "msg": {"secs": sec, "nsecs": nsec, "bytes": encode_cdr(self.msg)}})
            return self._raw
        if compression == "png":
            if self._png is None:
                from .fragments import png_frame  # here: fragments imports this module's ProtocolError
                self._png = png_frame(self.frame("none"))
            return self._png
        if self._json is None:
            body = dumps_plain_json(to_plain(self.msg, "json"))
            self._json = '{"op":"publish","topic":' + json.dumps(self.topic) + ',"msg":' + body + "}"
        return self._json

    @property
    def ros_type(self) -> str:
        return type_of(self.msg)


def rosauth_mac(secret: str, client: str, dest: str, rand: str, t: Any, level: str, end: Any) -> str:
    """rosauth's MAC: SHA-512 hex of secret + client + dest + rand + t + level + end (ros_mac_authentication)."""
    return hashlib.sha512(f"{secret}{client}{dest}{rand}{t}{level}{end}".encode()).hexdigest()


def check_auth(frame: dict, token: str) -> bool:
    """Accept the bare token in ``mac`` (simple clients) or a rosauth MAC computed with the token as secret."""
    mac = frame.get("mac")
    if not isinstance(mac, str):
        return False
    if hmac.compare_digest(mac.encode(), token.encode()):
        return True
    expected = rosauth_mac(token, *(str(frame.get(k, "")) for k in ("client", "dest", "rand", "t", "level", "end")))
    return hmac.compare_digest(mac.encode(), expected.encode())
