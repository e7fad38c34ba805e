"""The rosbridge v2 server: real clients connect, bad input gets status errors, never a crash."""

from __future__ import annotations

import base64
import json
import time

import cbor2
import numpy as np
import pytest
import roslibpy
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from simplatform.bridge import RosbridgeServer, TopicRegistry, codec
from simplatform.bridge import session as session_module
from simplatform.bridge import subscription as subscription_module
from simplatform.bridge.msgs import Clock, Header, Path, PointCloud2, PoseStamped, Time

from bridge_helpers import wait_until


RECV_TIMEOUT_S = 30.0
"""How long a read waits for a frame that must come: only a broken server takes it (a loaded CI machine can
stall a thread for a second or more, so no test decides anything by a short read timeout)."""


class Raw:
    """A bare WebSocket client, to send what no library would."""

    def __init__(self, server: RosbridgeServer) -> None:
        self.ws = connect(server.url, max_size=None).__enter__()

    def send(self, frame) -> None:
        self.ws.send(frame if isinstance(frame, (str, bytes)) else json.dumps(frame))

    def recv(self, timeout: float = RECV_TIMEOUT_S):
        data = self.ws.recv(timeout=timeout)
        return cbor2.loads(data) if isinstance(data, bytes) else json.loads(data)

    def status(self, timeout: float = RECV_TIMEOUT_S) -> dict:
        while True:
            frame = self.recv(timeout)
            if frame["op"] == "status":
                return frame


class SteppedClock:
    """A ``time`` module stand-in for a server module: ``monotonic()`` returns ``now`` and then moves it on by
    ``step`` (0: the clock stands still until the test moves ``now``), so rates and throttles are exact."""

    def __init__(self, step: float, now: float = 1000.0) -> None:
        self.step = step
        self.now = now

    def monotonic(self) -> float:
        now = self.now
        self.now += self.step
        return now


def frames_before_sync(raw: Raw) -> list[dict]:
    """Every frame the server sends ``raw`` before it answers a service call sent now.

    The server handles a client's frames in order and sends its answers in order, and what was published
    before this call went onto the server's loop before the call's frame was even sent: so what arrives
    before the answer is everything the server will send for those publishes."""
    raw.send({"op": "call_service", "service": "/rosapi/topics", "id": "sync"})
    before = []
    while True:
        frame = raw.recv()
        if frame.get("op") == "service_response" and frame.get("id") == "sync":
            return before
        before.append(frame)


@pytest.fixture
def raw(server):
    client = Raw(server)
    yield client
    client.ws.close()


def lidar64_cloud(step: int) -> tuple[PointCloud2, np.ndarray]:
    """One revolution of a 64-channel lidar, 1024 columns: an organised cloud of 64 rows."""
    rng = np.random.default_rng(step)
    xyz = rng.uniform(-50, 50, size=(64 * 1024, 3)).astype("f4")
    header = Header(stamp=Time.from_seconds(step * 0.1), frame_id="top")
    return PointCloud2.from_xyzi(header, xyz, rng.uniform(0, 1, 64 * 1024), height=64), xyz


def test_roslibpy_subscribes_to_a_64_channel_lidar_at_10_hz_and_decodes_the_points(server, ros):
    received = []
    topic = roslibpy.Topic(ros, "/sensors/top/points", "sensor_msgs/PointCloud2")
    topic.subscribe(received.append)
    wait_until(lambda: server.subscribers("/sensors/top/points"))
    sent = []
    for step in range(5):
        msg, xyz = lidar64_cloud(step)
        sent.append(xyz)
        server.publish("/sensors/top/points", msg)
        time.sleep(0.1)  # 10 Hz
    wait_until(lambda: len(received) == 5)
    for got, xyz in zip(received, sent):
        assert (got["height"], got["width"], got["point_step"]) == (64, 1024, 16)
        # What a roslibpy user writes: base64 data + PointField offsets -> numpy.
        dtype = np.dtype({"names": [f["name"] for f in got["fields"]], "formats": ["<f4"] * 4,
                          "offsets": [f["offset"] for f in got["fields"]], "itemsize": got["point_step"]})
        pts = np.frombuffer(base64.b64decode(got["data"]), dtype=dtype)
        np.testing.assert_array_equal(np.stack([pts["x"], pts["y"], pts["z"]], axis=1), xyz)


def test_roslibpy_lists_topics_and_reads_the_simulation_time_through_rosapi(server, ros):
    assert "/sensors/top/points" in ros.get_topics()
    assert ros.get_topic_type("/ego/control") == "ackermann_msgs/msg/AckermannDriveStamped"
    server.publish("/clock", Clock(Time(42, 5)))
    wait_until(lambda: server.sim_time_ns == 42_000_000_005)
    now = ros.get_time()
    assert (now.secs, now.nsecs) == (42, 5)


def test_cbor_subscribers_get_raw_bytes_and_cbor_raw_subscribers_get_ros2_cdr(server, raw):
    raw.send({"op": "subscribe", "topic": "/sensors/top/points", "compression": "cbor", "id": "a"})
    other = Raw(server)
    other.send({"op": "subscribe", "topic": "/sensors/top/points", "compression": "cbor-raw"})
    wait_until(lambda: len(server.subscribers("/sensors/top/points")) == 2)
    msg, _ = lidar64_cloud(1)
    server.publish("/sensors/top/points", msg)
    frame = raw.recv()
    assert isinstance(frame["msg"]["data"], bytes) and frame["msg"]["data"] == msg.data
    assert codec.from_plain("sensor_msgs/PointCloud2", frame["msg"]) == msg
    raw_frame = other.recv()
    assert codec.decode_cdr("sensor_msgs/PointCloud2", raw_frame["msg"]["bytes"]) == msg
    other.ws.close()


@pytest.mark.parametrize("frame, words", [
    ("{not json", "malformed JSON"),
    (b"\xff\xfe\x00", "malformed CBOR"),
    ("[1, 2]", "must be an object"),
    ({"no": "op"}, "needs a string field 'op'"),
    ({"op": "launch_missiles", "id": "x"}, "unknown op 'launch_missiles'"),
    ({"op": "advertise_service", "service": "/a", "type": "std_srvs/Trigger"}, "not supported"),
    ({"op": "subscribe", "topic": "/nowhere"}, "unknown topic and no type"),
    ({"op": "subscribe", "topic": "/clock", "type": "std_msgs/String"}, "has type rosgraph_msgs/msg/Clock"),
    ({"op": "advertise", "topic": "/x", "type": "nope_msgs/Nope"}, "unknown message type"),
    ({"op": "publish", "topic": "/clock", "msg": {}}, "published by the platform"),
    ({"op": "publish", "topic": "/ego/control", "msg": {"drive": {"speed": "x"}}}, "drive.speed"),
    ({"op": "subscribe", "topic": 5}, "must be str"),
])
def test_bad_frames_get_a_status_error_and_the_connection_goes_on(server, raw, frame, words):
    raw.send(frame)
    status = raw.status()
    assert status["level"] == "error" and words in status["msg"]
    raw.send({"op": "call_service", "service": "/rosapi/topics", "id": "after"})
    answer = raw.recv()
    assert answer["op"] == "service_response" and answer["result"] is True and answer["id"] == "after"


def test_an_unusable_control_is_reported_to_the_engine_as_an_invalid_message(server, raw):
    raw.send({"op": "publish", "topic": "/ego/control", "msg": {"drive": {"speed": None}}})
    raw.status()
    event = wait_until(lambda: next((e for e in list(server.events.queue) if e.kind == "invalid_message"), None))
    assert event.topic == "/ego/control" and "drive.speed" in event.detail


def test_the_server_binds_loopback_by_default(server):
    assert server.host == "127.0.0.1" and server.url.startswith("ws://127.0.0.1:")


def test_token_authentication_refuses_everything_before_auth_and_closes_after_three_failures(registry):
    with RosbridgeServer(registry, token="s3cret") as srv:
        c = Raw(srv)
        c.send({"op": "subscribe", "topic": "/clock"})
        assert "not authenticated" in c.status()["msg"]
        c.send({"op": "auth", "mac": "s3cret"})
        c.send({"op": "set_level", "level": "info"})
        c.send({"op": "subscribe", "topic": "/clock"})
        wait_until(lambda: srv.subscribers("/clock"))
        bad = Raw(srv)
        for _ in range(3):
            bad.send({"op": "auth", "mac": "guess"})
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                bad.recv()
        assert closed.value.rcvd.code == 1008
        c.ws.close()


def test_roslibpy_authenticates_with_a_rosauth_mac(registry):
    from simplatform.bridge.protocol import rosauth_mac
    with RosbridgeServer(registry, token="k") as srv:
        ros = roslibpy.Ros(host="127.0.0.1", port=srv.port, transport="asyncio")
        ros.run(timeout=30)
        # The auth op as roslibpy's Ros.authenticate writes it, sent once connected. Not authenticate() itself:
        # it sends on the *next* connection-ready event, and the asyncio transport connects in Ros(): a loaded
        # machine that connects before authenticate() is called never authenticates (and a call after run()
        # can overtake the auth op). Sent here, from this thread, it goes out before the calls below.
        ros.send_on_ready(roslibpy.Message({"op": "auth", "mac": rosauth_mac("k", "c", "d", "r", 1, "user", 2),
                                            "client": "c", "dest": "d", "rand": "r", "t": 1, "level": "user",
                                            "end": 2}))
        assert "/clock" in ros.get_topics()
        ros.close()


def test_messages_over_the_rate_limit_are_dropped_with_a_status_error(registry, monkeypatch):
    # The token bucket's clock stands still unless the test moves it: how many frames pass does not depend
    # on how fast a loaded machine hands them to the server (a real clock refilled 20 tokens/s meanwhile).
    clock = SteppedClock(step=0.0)
    monkeypatch.setattr(session_module, "time", clock)
    with RosbridgeServer(registry, max_messages_per_second=20) as srv:
        c = Raw(srv)
        for i in range(21):                                  # 20 tokens, then one frame too many
            c.send({"op": "publish", "topic": "/ego/control", "msg": {"header": {"stamp": {"sec": i}}}})
        assert "rate limit of 20 messages/s" in c.status()["msg"]   # answers the 21st: all 21 handled
        clock.now += 0.25                                    # a quarter of a second later: 5 tokens back
        for i in range(21, 31):
            c.send({"op": "publish", "topic": "/ego/control", "msg": {"header": {"stamp": {"sec": i}}}})
        c.ws.close()                                         # the server handles every frame before the close
        wait_until(lambda: any(e.kind == "disconnected" for e in list(srv.events.queue)))
        stamps = [e.msg.header.stamp.sec for e in list(srv.events.queue) if e.kind == "message"]
        assert stamps == [*range(20), *range(21, 26)]


def test_a_frame_over_the_size_limit_closes_that_connection_with_1009(registry):
    with RosbridgeServer(registry, max_message_bytes=1000) as srv:
        c = Raw(srv)
        c.send({"op": "publish", "topic": "/x", "msg": {"data": "a" * 5000}})
        with pytest.raises(ConnectionClosed):
            c.recv()
        event = wait_until(lambda: next((e for e in list(srv.events.queue) if e.kind == "disconnected"), None))
        assert "1009" in event.detail and "1000 byte limit" in event.detail
        assert Raw(srv).ws.protocol.state.name == "OPEN"  # the server goes on


def test_throttle_rate_limits_what_a_subscriber_receives(server, raw, monkeypatch):
    # Each message reaches the subscription 1/64 s after the one before, by the subscription's clock (not by
    # sleeps, which a loaded machine stretches): with 100 ms between sends, messages 0, 7 and 14 of 20 pass.
    monkeypatch.setattr(subscription_module, "time", SteppedClock(step=1 / 64))
    raw.send({"op": "subscribe", "topic": "/clock", "throttle_rate": 100})
    wait_until(lambda: server.subscribers("/clock"))
    server.publish_many([("/clock", Clock(Time(i, 0))) for i in range(20)])
    assert [f["msg"]["clock"]["sec"] for f in frames_before_sync(raw)] == [0, 7, 14]


def test_queue_length_keeps_the_newest_messages_and_sends_them_at_the_throttle_rate(server, raw, monkeypatch):
    decided = []                                             # the subscription's send time of each /clock frame

    def recording(session, frame):
        if isinstance(frame, str) and '"/clock"' in frame:
            decided.append(session.subscriptions["/clock"]._last_sent)
        real_send(session, frame)

    real_send = session_module.ClientSession.send
    monkeypatch.setattr(session_module.ClientSession, "send", recording)
    raw.send({"op": "subscribe", "topic": "/clock", "throttle_rate": 50, "queue_length": 2})
    wait_until(lambda: server.subscribers("/clock"))
    published = time.monotonic()
    server.publish_many([("/clock", Clock(Time(i, 0))) for i in range(10)])  # one burst
    first = raw.recv()["msg"]["clock"]["sec"]
    second = raw.recv()["msg"]["clock"]["sec"]
    assert (first, second) == (8, 9)
    # the second is sent a throttle period after the first (on the server's clock), so it cannot arrive
    # sooner than that after the burst, however late this thread reads either
    assert time.monotonic() - published >= 0.05
    assert len(decided) == 2 and decided[1] - decided[0] >= 0.05 - 1e-6
    assert frames_before_sync(raw) == []                     # nothing after them


def test_a_latched_route_reaches_a_late_subscriber(server, raw):
    route = Path(poses=(PoseStamped(),) * 2)
    server.publish("/route", route)
    raw.send({"op": "subscribe", "topic": "/route"})
    assert codec.from_plain("nav_msgs/Path", raw.recv()["msg"]) == route


def test_client_topics_are_relayed_to_other_subscribers(server, raw):
    viewer = Raw(server)
    viewer.send({"op": "subscribe", "topic": "/stack/debug", "type": "std_msgs/String"})
    wait_until(lambda: server.subscribers("/stack/debug"))
    raw.send({"op": "advertise", "topic": "/stack/debug", "type": "std_msgs/msg/String"})
    raw.send({"op": "publish", "topic": "/stack/debug", "msg": {"data": "planning"}})
    assert viewer.recv()["msg"] == {"data": "planning"}
    viewer.ws.close()


def test_cbor_frames_from_clients_are_accepted_like_json(server, raw):
    raw.send(cbor2.dumps({"op": "publish", "topic": "/ego/control",
                          "msg": {"header": {"stamp": {"sec": 1, "nanosec": 0}}, "drive": {"speed": 2.5}}}))
    event = wait_until(lambda: next((e for e in list(server.events.queue) if e.kind == "message"), None))
    assert event.msg.drive.speed == 2.5 and event.msg.header.stamp == Time(1, 0)


def test_unsubscribing_one_id_keeps_the_other_subscription(server, raw):
    raw.send({"op": "subscribe", "topic": "/clock", "id": "a"})
    raw.send({"op": "subscribe", "topic": "/clock", "id": "b"})
    raw.send({"op": "unsubscribe", "topic": "/clock", "id": "a"})
    raw.send({"op": "call_service", "service": "/rosapi/services", "id": "sync"})
    assert "/rosapi/topics" in raw.recv()["values"]["services"]
    server.publish("/clock", Clock(Time(1, 0)))
    assert raw.recv()["msg"]["clock"]["sec"] == 1  # once, although subscribed twice before
    raw.send({"op": "unsubscribe", "topic": "/clock", "id": "b"})
    wait_until(lambda: not server.subscribers("/clock"))


def test_foxglove_gets_full_message_definitions_from_rosapi(server, raw):
    raw.send({"op": "call_service", "service": "/rosapi/topics_and_raw_types", "id": 1})
    values = raw.recv()["values"]
    i = values["topics"].index("/sensors/top/points")
    assert values["types"][i] == "sensor_msgs/msg/PointCloud2"
    assert "MSG: sensor_msgs/PointField" in values["typedefs_full_text"][i]
