"""rosbridge's message transformations: ``fragment`` (both ways) and ``png`` (server to client).

ROSBRIDGE_PROTOCOL.md §3.1.1: a large message's JSON text is cut into pieces,
each sent as ``{"op": "fragment", "id", "data", "num", "total"}``; joining the
``data`` of fragments 0..total-1 gives the original text back.  rosbridge_suite
reassembles what clients send (``capabilities/defragmentation.py``: fragments
kept per id, a list dropped after ``fragment_timeout``, 600 s by default) and
cuts what it sends when a client asked for a ``fragment_size``.

§3.1.2: ``png`` carries a JSON frame as the pixels of an 8-bit RGB PNG image,
base64 encoded, as rosbridge's ``internal/pngcompression.py`` makes it: the
text's bytes fill a near-square image (width ``floor(sqrt(n/3))``) row by row,
padded with ``\\n`` (JSON whitespace, so the reader may parse the padding
along); roslibjs's ``decompressPng`` draws the image on a canvas and reads the
RGB bytes back.  The PNG is written here with ``zlib`` (PNG spec, ISO/IEC
15948: IHDR, one IDAT of filter-0 rows, IEND), so no imaging library is needed.
"""

from __future__ import annotations

import base64
import json
import math
import struct
import zlib
from dataclasses import dataclass, field
from typing import Any

from .protocol import ProtocolError

FRAGMENT_TIMEOUT_S = 600.0  # rosbridge's default fragment_timeout
MAX_OPEN_MESSAGES = 64  # fragmented messages one client may have half-sent at once
MIN_FRAGMENT_SIZE = 1024  # smallest fragment_size served: 1-character fragments of 1 MB are a million frames
PIECE_OVERHEAD = 80  # bytes a held fragment costs besides its data (its int key and dict slot: 80 by tracemalloc)
MIN_CHARS_PER_PIECE = 64  # a message may not announce more than max_chars / 64 fragments
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


# ---------------------------------------------------------------- server -> client

def fragment_frames(text: str, size: int, message_id: str | int) -> list[str]:
    """``text`` cut into ``fragment`` frames whose ``data`` holds at most ``size`` characters (the session
    raises a client's ``fragment_size`` to :data:`MIN_FRAGMENT_SIZE` first)."""
    pieces = [text[i:i + size] for i in range(0, len(text), size)]
    return [json.dumps({"op": "fragment", "id": message_id, "data": piece, "num": n, "total": len(pieces)},
                       separators=(",", ":")) for n, piece in enumerate(pieces)]


def png_frame(text: str) -> str:
    """A JSON frame as rosbridge's ``{"op": "png", "data": <base64 PNG>}``."""
    return '{"op":"png","data":"' + png_base64(text) + '"}'


def png_base64(text: str) -> str:
    raw = text.encode("utf-8")
    width = max(1, math.floor(math.sqrt(len(raw) / 3.0)))
    height = max(1, math.ceil(len(raw) / 3.0 / width))
    raw += b"\n" * (width * height * 3 - len(raw))
    row = width * 3
    scanlines = b"".join(b"\x00" + raw[y * row:(y + 1) * row] for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit truecolour, no interlace
    image = (PNG_SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(scanlines, 6))
             + _chunk(b"IEND", b""))
    return base64.b64encode(image).decode("ascii")


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


# ---------------------------------------------------------------- client -> server

@dataclass
class _Partial:
    total: int
    pieces: dict[int, str] = field(default_factory=dict)
    cost: int = 0  # what its pieces are charged: their characters plus PIECE_OVERHEAD each
    touched: float = 0.0


class FragmentAssembler:
    """One client's half-received fragmented messages; :meth:`add` returns a message once whole.

    Limits keep a client from parking memory here: what all open messages
    hold stays within ``max_chars`` (the server's message size limit), each
    piece charged its characters plus :data:`PIECE_OVERHEAD` — a piece's
    Python objects cost ~80 bytes whatever its size, so a million
    one-character fragments hold 70 MiB while their characters are 1 MB —
    and a message announcing more than ``max_chars // 64`` fragments is
    refused at its first one; at most :data:`MAX_OPEN_MESSAGES` ids are open,
    and an id that received nothing for ``timeout_s`` is dropped (rosbridge's
    600 s)."""

    def __init__(self, max_chars: int, timeout_s: float = FRAGMENT_TIMEOUT_S) -> None:
        self.max_chars = max_chars
        self.timeout_s = timeout_s
        self.open: dict[Any, _Partial] = {}

    @property
    def held_cost(self) -> int:
        return sum(p.cost for p in self.open.values())

    def add(self, frame: dict[str, Any], now: float) -> str | None:
        message_id, num, total, data = _fragment_fields(frame)
        self._expire(now)
        max_total = self.max_chars // MIN_CHARS_PER_PIECE
        if total > max_total:  # (an open message of that id keeps its fragments, as with a mismatched total)
            raise ProtocolError(f"fragment {num} of message {message_id!r} announces {total} fragments; at most "
                                f"{max_total} are accepted ({MIN_CHARS_PER_PIECE} characters a fragment on average "
                                f"within the {self.max_chars} byte message limit); fragment dropped",
                                op_id=message_id)
        partial = self.open.get(message_id)
        if partial is None:
            if len(self.open) >= MAX_OPEN_MESSAGES:
                raise ProtocolError(f"fragment of message {message_id!r} refused: {MAX_OPEN_MESSAGES} fragmented "
                                    "messages are already open on this connection", op_id=message_id)
            partial = self.open[message_id] = _Partial(total)
        if total != partial.total:
            raise ProtocolError(f"fragment {num} of message {message_id!r} says total {total}, earlier fragments "
                                f"said {partial.total}; fragment dropped", op_id=message_id)
        if num in partial.pieces:
            raise ProtocolError(f"fragment {num} of message {message_id!r} arrived twice; the repeat is dropped",
                                op_id=message_id)
        cost = len(data) + PIECE_OVERHEAD
        if self.held_cost + cost > self.max_chars:
            del self.open[message_id]
            raise ProtocolError(f"fragmented message {message_id!r} exceeds the {self.max_chars} byte message limit "
                                f"(each fragment counts its data plus {PIECE_OVERHEAD} bytes); its fragments are "
                                "dropped", op_id=message_id)
        partial.pieces[num] = data
        partial.cost += cost
        partial.touched = now
        if len(partial.pieces) < total:
            return None
        del self.open[message_id]
        return "".join(partial.pieces[i] for i in range(total))

    def _expire(self, now: float) -> None:
        for message_id in [k for k, p in self.open.items() if now - p.touched > self.timeout_s]:
            del self.open[message_id]


def _fragment_fields(frame: dict[str, Any]) -> tuple[Any, int, int, str]:
    message_id = frame.get("id")
    if not isinstance(message_id, (str, int)) or isinstance(message_id, bool):
        raise ProtocolError("'fragment' needs an 'id' (string or integer) naming the fragmented message")
    num, total, data = frame.get("num"), frame.get("total"), frame.get("data")
    if not _is_int(total) or total < 1:
        raise ProtocolError(f"'fragment' of message {message_id!r} needs an integer 'total' >= 1, got {total!r}",
                            op_id=message_id)
    if not _is_int(num) or not 0 <= num < total:
        raise ProtocolError(f"'fragment' of message {message_id!r} needs an integer 'num' in 0..{total - 1}, "
                            f"got {num!r}", op_id=message_id)
    if not isinstance(data, str):
        raise ProtocolError(f"'fragment' {num} of message {message_id!r} needs a string 'data'", op_id=message_id)
    return message_id, num, total, data


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
