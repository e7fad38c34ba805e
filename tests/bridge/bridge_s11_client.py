"""A third-party rosbridge client for the session-11 conformance tests: raw JSON/CBOR frames over the
``websockets`` library, as a client written from ROSBRIDGE_PROTOCOL.md would send them, nothing of ours."""

from __future__ import annotations

import base64
import io
import json

import cbor2
import pytest
from PIL import Image
from websockets.sync.client import connect

from simplatform.bridge import RosbridgeServer


def strict_json(text: str):
    """A JSON parser as strict as JavaScript's JSON.parse, Go's encoding/json or serde_json: no NaN/Infinity."""
    def refuse(word):
        raise ValueError(f"{word} is not JSON")
    return json.loads(text, parse_constant=refuse)


class Client:
    """A third-party rosbridge client: raw frames over the ``websockets`` library, nothing of ours."""

    def __init__(self, server: RosbridgeServer) -> None:
        self.ws = connect(server.url, max_size=None).__enter__()  # a long-lived connection, closed in close()

    def send(self, frame) -> None:
        self.ws.send(frame if isinstance(frame, (str, bytes)) else json.dumps(frame))

    def recv_raw(self, timeout: float = 2.0):
        return self.ws.recv(timeout=timeout)

    def recv(self, timeout: float = 2.0) -> dict:
        data = self.recv_raw(timeout)
        return cbor2.loads(data) if isinstance(data, bytes) else strict_json(data)

    def next_op(self, op: str, timeout: float = 2.0) -> dict:
        while True:
            frame = self.recv(timeout)
            if frame["op"] == op:
                return frame

    def call(self, service: str, args=None, **extra) -> dict:
        frame = {"op": "call_service", "service": service, "id": f"call:{service}", **extra}
        if args is not None:
            frame["args"] = args
        self.send(frame)
        return self.next_op("service_response")

    def sync(self) -> None:
        """Round trip: everything sent before has been handled by the server."""
        assert self.call("/rosapi/get_time")["result"] is True

    def close(self) -> None:
        self.ws.close()


@pytest.fixture
def client(server):
    c = Client(server)
    yield c
    c.close()


def events(server, kind: str) -> list:
    return [e for e in list(server.events.queue) if e.kind == kind]


def reassemble(client: Client, first: dict | None = None) -> str:
    """Join rosbridge ``fragment`` frames (§3.1.1) back into the original text."""
    frame = first or client.next_op("fragment")
    pieces = {frame["num"]: frame["data"]}
    while len(pieces) < frame["total"]:
        more = client.next_op("fragment")
        assert more["id"] == frame["id"] and more["total"] == frame["total"]
        pieces[more["num"]] = more["data"]
    return "".join(pieces[i] for i in range(frame["total"]))


def unpng(data: str) -> str:
    """What roslibjs's decompressPng does: the RGB bytes of the base64 PNG, as text (padding is JSON whitespace)."""
    image = Image.open(io.BytesIO(base64.b64decode(data)))
    assert image.mode == "RGB"
    return image.tobytes().decode("ascii")
