"""rosbridge v2 conformance, op by op, as clients written elsewhere speak it (roslibjs, Foxglove, C++/Go/Rust
clients, scripts written from ROSBRIDGE_PROTOCOL.md): each test is a bare ``websockets`` client sending the
raw JSON or CBOR frames such a client sends, and checks what rosbridge_suite would answer."""

from __future__ import annotations

import base64
import json
import math
import threading

import cbor2
import pytest

from simplatform.bridge import RosbridgeServer
from simplatform.bridge.msgs import Clock, Odometry, Path, Pose, PoseStamped, PoseWithCovariance, Point, Time

from bridge_helpers import wait_until
from bridge_s11_client import Client, client, events, reassemble, strict_json, unpng  # noqa: F401 (client: fixture)


# ---------------------------------------------------------------- message field conventions

def test_nan_and_infinity_reach_json_clients_as_null_not_as_bare_words(server, client):
    client.send({"op": "subscribe", "topic": "/ego/odometry", "id": "odo"})
    wait_until(lambda: server.subscribers("/ego/odometry"))
    pose = PoseWithCovariance(pose=Pose(position=Point(x=math.nan, y=math.inf, z=1.5)))
    server.publish("/ego/odometry", Odometry(pose=pose))
    frame = client.recv()  # strict_json: a bare NaN would fail here, as JSON.parse does in roslibjs
    assert frame["msg"]["pose"]["pose"]["position"] == {"x": None, "y": None, "z": 1.5}


def test_a_ros1_style_stamp_with_secs_and_nsecs_is_read_as_sec_and_nanosec(server, client):
    client.send({"op": "publish", "topic": "/ego/control",
                 "msg": {"header": {"stamp": {"secs": 12, "nsecs": 500}}, "drive": {"speed": 3.0}}})
    event = wait_until(lambda: events(server, "message"))[0]
    assert event.msg.header.stamp == Time(12, 500) and event.msg.drive.speed == 3.0


def test_a_header_without_stamp_is_stamped_with_the_simulation_time_a_header_left_out_is_not(server, client):
    """rosbridge's message_conversion stamps the headers a message holds (no stamp, or "now"); a header
    left out keeps stamp 0, so when a control arrives decides nothing about the step it answers."""
    server.publish("/clock", Clock(Time(7, 250)))
    wait_until(lambda: server.sim_time_ns == 7_000_000_250)
    client.send({"op": "publish", "topic": "/ego/control", "msg": {"drive": {"speed": 1.0}}})
    client.send({"op": "publish", "topic": "/ego/control", "msg": {"header": {"frame_id": "base_link"}}})
    client.send({"op": "publish", "topic": "/ego/control", "msg": {"header": {"stamp": "now"}}})
    got = wait_until(lambda: len(events(server, "message")) == 3 and events(server, "message"))
    assert [e.msg.header.stamp for e in got] == [Time(0, 0), Time(7, 250), Time(7, 250)]
    assert got[1].msg.header.frame_id == "base_link"


def test_type_names_with_and_without_msg_are_the_same_type(server, client):
    client.send({"op": "subscribe", "topic": "/clock", "type": "rosgraph_msgs/Clock", "id": "a"})
    client.send({"op": "subscribe", "topic": "/clock", "type": "rosgraph_msgs/msg/Clock", "id": "b"})
    wait_until(lambda: server.subscribers("/clock"))
    server.publish("/clock", Clock(Time(1, 2)))
    assert client.next_op("publish")["msg"] == {"clock": {"sec": 1, "nanosec": 2}}


# ---------------------------------------------------------------- advertise / publish

def test_publish_with_a_type_needs_no_advertise_and_msg_may_be_left_out(server, client):
    viewer = Client(server)
    viewer.send({"op": "subscribe", "topic": "/stack/state", "type": "std_msgs/String"})
    wait_until(lambda: server.subscribers("/stack/state"))
    client.send({"op": "publish", "topic": "/stack/hello", "type": "std_msgs/msg/String", "msg": {"data": "hi"}})
    client.send({"op": "publish", "topic": "/stack/state", "type": "std_msgs/String"})
    assert viewer.next_op("publish") == {"op": "publish", "topic": "/stack/state", "msg": {"data": ""}}
    assert client.call("/rosapi/topic_type", {"topic": "/stack/hello"})["values"]["type"] == "std_msgs/msg/String"
    viewer.close()


def test_a_latched_advertisement_gives_its_last_message_to_a_late_subscriber(server, client):
    client.send({"op": "advertise", "topic": "/stack/mode", "type": "std_msgs/String", "latch": True, "id": "m"})
    client.send({"op": "publish", "topic": "/stack/mode", "msg": {"data": "cruise"}})
    client.send({"op": "publish", "topic": "/stack/mode", "msg": {"data": "follow"}})
    client.sync()
    late = Client(server)
    late.send({"op": "subscribe", "topic": "/stack/mode"})
    assert late.next_op("publish")["msg"] == {"data": "follow"}
    late.close()
    client.close()  # the publisher goes: its latched message goes with it
    wait_until(lambda: "/stack/mode" not in server.latched)


def test_unadvertising_one_id_keeps_the_other_advertisement(server, client):
    client.send({"op": "advertise", "topic": "/stack/plan", "type": "nav_msgs/Path", "id": "planner"})
    client.send({"op": "advertise", "topic": "/stack/plan", "type": "nav_msgs/Path", "id": "viz"})
    client.send({"op": "unadvertise", "topic": "/stack/plan", "id": "planner"})
    assert client.call("/rosapi/publishers", {"topic": "/stack/plan"})["values"]["publishers"] == \
        ["/rosbridge_websocket"]
    client.send({"op": "unadvertise", "topic": "/stack/plan", "id": "viz"})
    assert client.call("/rosapi/publishers", {"topic": "/stack/plan"})["values"]["publishers"] == []


@pytest.mark.parametrize("frame, words", [
    ({"op": "advertise", "topic": "/x", "type": "std_msgs/String", "latch": "yes"}, "'latch' must be bool"),
    ({"op": "publish", "topic": "/x", "type": "std_msgs/String", "queue_size": "ten"}, "'queue_size' must be int"),
    ({"op": "publish", "topic": "/never/advertised", "msg": {}}, "advertise it or give its 'type'"),
])
def test_mistyped_advertise_and_publish_fields_get_a_status_error_with_the_id(client, frame, words):
    client.send({**frame, "id": "op-7"})
    status = client.next_op("status")
    assert status["level"] == "error" and words in status["msg"] and status["id"] == "op-7"


# ---------------------------------------------------------------- subscribe

def test_the_strongest_compression_of_a_clients_subscriptions_wins(server, client):
    client.send({"op": "subscribe", "topic": "/clock", "id": "cbor-part", "compression": "cbor"})
    client.send({"op": "subscribe", "topic": "/clock", "id": "json-part", "compression": "none"})
    wait_until(lambda: server.subscribers("/clock"))
    server.publish("/clock", Clock(Time(3, 0)))
    data = client.recv_raw()
    assert isinstance(data, bytes) and cbor2.loads(data)["msg"]["clock"]["sec"] == 3
    client.send({"op": "unsubscribe", "topic": "/clock", "id": "cbor-part"})
    client.sync()
    server.publish("/clock", Clock(Time(4, 0)))
    assert strict_json(client.recv_raw())["msg"]["clock"]["sec"] == 4


def test_png_compression_sends_the_json_frame_as_the_pixels_of_a_png(server, client):
    client.send({"op": "subscribe", "topic": "/route", "compression": "png"})
    wait_until(lambda: server.subscribers("/route"))
    route = Path(poses=tuple(PoseStamped(pose=Pose(position=Point(x=float(i)))) for i in range(5)))
    server.publish("/route", route)
    frame = client.next_op("png")
    assert set(frame) == {"op", "data"}
    inner = strict_json(unpng(frame["data"]))
    assert inner["op"] == "publish" and inner["topic"] == "/route"
    assert [p["pose"]["position"]["x"] for p in inner["msg"]["poses"]] == [0.0, 1.0, 2.0, 3.0, 4.0]


def test_an_unknown_compression_is_a_warning_and_the_topic_comes_as_plain_json(server, client):
    client.send({"op": "set_level", "level": "warning"})
    client.send({"op": "subscribe", "topic": "/clock", "compression": "zstd", "id": "z"})
    status = client.next_op("status")
    assert status["level"] == "warning" and "'zstd'" in status["msg"] and status["id"] == "z"
    wait_until(lambda: server.subscribers("/clock"))
    server.publish("/clock", Clock(Time(5, 0)))
    assert client.next_op("publish")["msg"]["clock"]["sec"] == 5


def test_fragment_size_cuts_a_large_message_into_fragments_that_join_back(server, client):
    client.send({"op": "subscribe", "topic": "/route", "fragment_size": 2000, "id": "r"})
    wait_until(lambda: server.subscribers("/route"))
    route = Path(poses=tuple(PoseStamped(pose=Pose(position=Point(x=float(i)))) for i in range(50)))
    server.publish("/route", route)
    first = client.next_op("fragment")
    assert first["total"] > 1 and len(first["data"]) == 2000
    whole = strict_json(reassemble(client, first))
    assert whole["op"] == "publish" and len(whole["msg"]["poses"]) == 50
    server.publish("/clock", Clock(Time(1, 0)))  # a small message is not cut (subscribed or not: nothing arrives)
    client.send({"op": "subscribe", "topic": "/clock", "fragment_size": 10_000})
    wait_until(lambda: server.subscribers("/clock"))
    server.publish("/clock", Clock(Time(2, 0)))
    assert client.next_op("publish")["msg"]["clock"]["sec"] == 2


def test_unset_fields_as_typed_clients_send_them_count_as_absent(server, client):
    """A Go/Rust/C++ struct serialises every field: "" and 0 for those its user left unset."""
    client.send({"op": "subscribe", "id": "", "topic": "/clock", "type": "", "compression": "",
                 "throttle_rate": 0, "queue_length": 0, "fragment_size": 0})
    wait_until(lambda: server.subscribers("/clock"))
    server.publish("/clock", Clock(Time(6, 0)))
    assert client.next_op("publish")["msg"]["clock"]["sec"] == 6
    client.send({"op": "subscribe", "topic": "/clock", "fragment_size": -1, "id": "neg"})
    assert "fragment_size must be >= 0" in client.next_op("status")["msg"]


# ---------------------------------------------------------------- fragments from clients

def _fragments(text: str, size: int, message_id: str) -> list[dict]:
    pieces = [text[i:i + size] for i in range(0, len(text), size)]
    return [{"op": "fragment", "id": message_id, "data": p, "num": n, "total": len(pieces)}
            for n, p in enumerate(pieces)]


def test_a_fragmented_publish_is_reassembled_whatever_the_order_of_its_fragments(server, client):
    control = {"op": "publish", "topic": "/ego/control",
               "msg": {"header": {"stamp": {"sec": 2, "nanosec": 0}}, "drive": {"speed": 4.5}}}
    parts = _fragments(json.dumps(control), 25, "ctl-1")
    assert len(parts) > 3
    for part in reversed(parts):
        client.send(part)
    event = wait_until(lambda: events(server, "message"))[0]
    assert event.msg.drive.speed == 4.5 and event.msg.header.stamp == Time(2, 0)


def test_a_fragmented_service_call_is_answered(client):
    call = json.dumps({"op": "call_service", "service": "/rosapi/topic_type", "id": "frag-call",
                       "args": {"topic": "/clock"}})
    for part in _fragments(call, 16, "call-1"):
        client.send(part)
    answer = client.next_op("service_response")
    assert answer["id"] == "frag-call" and answer["values"] == {"type": "rosgraph_msgs/msg/Clock"}


@pytest.mark.parametrize("frame, words", [
    ({"op": "fragment", "data": "{", "num": 0, "total": 2}, "needs an 'id'"),
    ({"op": "fragment", "id": "f", "data": "{", "num": 2, "total": 2}, "'num' in 0..1"),
    ({"op": "fragment", "id": "f", "data": 5, "num": 0, "total": 2}, "string 'data'"),
    ({"op": "fragment", "id": "f", "data": "{", "num": 0}, "integer 'total'"),
])
def test_an_invalid_fragment_gets_a_status_error_saying_what_is_wrong(client, frame, words):
    client.send(frame)
    status = client.next_op("status")
    assert status["level"] == "error" and words in status["msg"]


def test_fragments_that_disagree_on_the_total_or_repeat_are_refused(client):
    client.send({"op": "fragment", "id": "m", "data": "{", "num": 0, "total": 3})
    client.send({"op": "fragment", "id": "m", "data": "}", "num": 1, "total": 2})
    assert "says total 2, earlier fragments said 3" in client.next_op("status")["msg"]
    client.send({"op": "fragment", "id": "m", "data": "{", "num": 0, "total": 3})
    assert "arrived twice" in client.next_op("status")["msg"]


def test_a_fragmented_message_over_the_size_limit_is_dropped(registry):
    with RosbridgeServer(registry, max_message_bytes=1000) as small:
        c = Client(small)
        c.send({"op": "fragment", "id": "big", "data": "x" * 600, "num": 0, "total": 3})
        c.send({"op": "fragment", "id": "big", "data": "x" * 600, "num": 1, "total": 3})
        status = c.next_op("status")
        assert "exceeds the 1000 byte message limit" in status["msg"] and status["id"] == "big"
        c.close()


def test_a_reassembled_frame_that_is_not_json_gets_a_status_error(client):
    client.send({"op": "fragment", "id": 9, "data": "{not", "num": 0, "total": 2})
    client.send({"op": "fragment", "id": 9, "data": " json", "num": 1, "total": 2})
    assert "malformed JSON" in client.next_op("status")["msg"]


# ---------------------------------------------------------------- ops and status

def test_an_unknown_op_gets_a_status_error_naming_it_and_the_ops_there_are(client):
    client.send({"op": "teleport", "id": 17})
    status = client.next_op("status")
    assert status["id"] == 17 and "unknown op 'teleport'" in status["msg"] and "call_service" in status["msg"]


def test_a_png_frame_from_a_client_is_refused_as_a_server_only_op(client):
    client.send({"op": "png", "data": "AAAA", "id": "p"})
    status = client.next_op("status")
    assert status["id"] == "p" and "sent by servers only" in status["msg"]


def test_uint8_arrays_travel_as_base64_in_json_and_as_bytes_in_cbor(server, client):
    topic = "/stack/raw"
    cbor_client = Client(server)
    client.send({"op": "subscribe", "topic": topic, "type": "sensor_msgs/Image"})
    cbor_client.send({"op": "subscribe", "topic": topic, "type": "sensor_msgs/Image", "compression": "cbor"})
    wait_until(lambda: len(server.subscribers(topic)) == 2)
    publisher = Client(server)
    publisher.send({"op": "publish", "topic": topic, "msg": {"height": 1, "width": 3, "data": [0, 128, 255]}})
    assert client.next_op("publish")["msg"]["data"] == base64.b64encode(bytes([0, 128, 255])).decode()
    assert cbor2.loads(cbor_client.recv_raw())["msg"]["data"] == bytes([0, 128, 255])
    publisher.close()
    cbor_client.close()


def test_a_stack_that_leaves_the_header_out_gets_a_clear_lockstep_error(server):
    """rosbridge leaves a header that is left out at stamp 0; lockstep then says the control carries no
    header.stamp (it used to be stamped with whatever time the server had when the frame arrived)."""
    from simplatform.bridge import BridgeStack, StackSetup, observations
    from simplatform.errors import StackError

    def script_stack() -> None:
        c = Client(server)
        c.send({"op": "subscribe", "topic": "/clock"})
        try:
            for _ in range(3):
                sec = c.next_op("publish", timeout=5)["msg"]["clock"]["sec"]
                c.send({"op": "publish", "topic": "/ego/control", "msg": {"drive": {"speed": float(sec + 1)}}})
        except Exception:  # the server goes when the run ends with the error
            pass
        c.close()

    thread = threading.Thread(target=script_stack, daemon=True)
    thread.start()
    stack = BridgeStack(server, step_timeout=5.0, connect_timeout=5.0)
    try:
        stack.setup(StackSetup(topics=server.registry, dt=1.0))
        assert stack.step({"/clock": observations.clock(0)}).speed == 1.0  # step 0's clock is 0: stamp 0 fits
        with pytest.raises(StackError) as err:
            stack.step({"/clock": observations.clock(1)})
    finally:
        stack.close()
    thread.join(5)
    message = str(err.value)
    assert "carries no header.stamp" in message and "waiting for step 1 (t=1.000 s)" in message
    assert "header.stamp = that step's /clock ({sec: 1, nanosec: 0})" in message
