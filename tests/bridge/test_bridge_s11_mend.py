"""Review fixes of the session-11 rosbridge conformance work: whose latched message goes when a client
leaves, controls without a stamp in lockstep, what fragments cost, the smallest fragment_size, and
call_service's argument and compression checks.  Bare ``websockets`` clients, as in the other s11 tests."""

from __future__ import annotations

import pytest

from simplatform.bridge import InProcessStack, StackSetup, observations
from simplatform.bridge.fragments import FragmentAssembler
from simplatform.bridge.inprocess import check_stamp
from simplatform.bridge.msgs import AckermannDrive, AckermannDriveStamped, Header, Path, Pose, PoseStamped, Point, Time
from simplatform.bridge.protocol import ProtocolError
from simplatform.errors import StackError

from bridge_helpers import wait_until
from bridge_s11_client import Client, client, events, reassemble, strict_json  # noqa: F401 (client: fixture)


# ---------------------------------------------------------------- 1. latched messages and their owner

def _latching_client(server, text: str) -> Client:
    c = Client(server)
    c.send({"op": "advertise", "topic": "/shared", "type": "std_msgs/String", "latch": True})
    c.send({"op": "publish", "topic": "/shared", "msg": {"data": text}})
    c.sync()
    return c


def _late_subscriber_gets(server) -> dict | None:
    late = Client(server)
    late.send({"op": "subscribe", "topic": "/shared", "type": "std_msgs/String"})
    try:  # a latched message comes right after the subscribe is handled
        return late.next_op("publish", timeout=0.5)["msg"]
    except TimeoutError:
        return None
    finally:
        late.close()


def _gone(server, c: Client) -> None:
    before = len(events(server, "disconnected"))
    c.close()
    wait_until(lambda: len(events(server, "disconnected")) > before)


def test_a_client_leaving_keeps_the_latched_message_another_client_published_since(server):
    a = _latching_client(server, "from A")
    b = _latching_client(server, "from B")  # B's message replaces A's as the latched one
    _gone(server, a)
    assert _late_subscriber_gets(server) == {"data": "from B"}
    b.send({"op": "unadvertise", "topic": "/shared"})
    b.sync()
    assert _late_subscriber_gets(server) is None  # its owner withdrew it
    b.close()


def test_the_owner_leaving_drops_its_latched_message(server):
    b = _latching_client(server, "from B")
    a = _latching_client(server, "from A")
    _gone(server, a)
    assert "/shared" not in server.latched and _late_subscriber_gets(server) is None
    b.close()


# ---------------------------------------------------------------- 2. controls without a stamp in lockstep

def test_a_control_with_stamp_0_after_step_0_is_refused_as_carrying_no_stamp():
    stamps = {0: 0, 100_000_000: 1}
    unstamped = AckermannDriveStamped(drive=AckermannDrive(speed=1.0))
    with pytest.raises(StackError) as err:
        check_stamp(unstamped, Time(0, 100_000_000), 1, stamps, source="the stack")
    assert "the control for step 0 (t=0.000 s) while waiting for step 1 (t=0.100 s)" in str(err.value)
    assert "or a control that carries no header.stamp" in str(err.value)
    assert "header.stamp = that step's /clock ({sec: 0, nanosec: 100000000})" in str(err.value)
    # a run whose clock does not start at 0: stamp 0 is no step's clock, and the message says why
    with pytest.raises(StackError, match=r"a control that carries no header.stamp \(stamp 0\) while waiting"):
        check_stamp(unstamped, Time(5, 0), 0, {5_000_000_000: 0}, source="the stack")
    check_stamp(unstamped, Time(0, 0), 0, {0: 0}, source="the stack")  # step 0 at t=0: stamp 0 is its clock


class _NoStampStack:
    """An in-process stack that never writes a header."""

    def setup(self, setup: StackSetup) -> None:
        pass

    def step(self, obs: dict) -> AckermannDriveStamped:
        return AckermannDriveStamped(drive=AckermannDrive(speed=2.0))


def test_an_in_process_stack_without_stamps_gets_the_same_clear_error():
    stack = InProcessStack(_NoStampStack())
    stack.setup(StackSetup(topics=None, dt=0.1))
    stack.step({"/clock": observations.clock(0.0)})
    with pytest.raises(StackError, match="carries no header.stamp"):
        stack.step({"/clock": observations.clock(0.1)})


def test_a_published_control_without_header_keeps_stamp_0_whatever_the_server_time(server, client):
    from simplatform.bridge.msgs import Clock
    server.publish("/clock", Clock(Time(3, 0)))
    wait_until(lambda: server.sim_time_ns == 3_000_000_000)
    client.send({"op": "publish", "topic": "/ego/control", "msg": {"drive": {"speed": 1.0}}})
    client.send({"op": "publish", "topic": "/ego/control", "msg": {"header": {}, "drive": {"speed": 1.0}}})
    got = wait_until(lambda: len(events(server, "message")) == 2 and events(server, "message"))
    assert [e.msg.header.stamp for e in got] == [Time(0, 0), Time(3, 0)]
    assert got[1].msg.header == Header(stamp=Time(3, 0))


# ---------------------------------------------------------------- 3. what incoming fragments cost

def _piece(message_id, num: int, total: int, data: str = "x") -> dict:
    return {"op": "fragment", "id": message_id, "num": num, "total": total, "data": data}


def test_a_message_announcing_more_fragments_than_the_limit_allows_is_refused_naming_its_id():
    assembler = FragmentAssembler(max_chars=1_000_000)
    with pytest.raises(ProtocolError) as err:
        assembler.add(_piece("flood", 0, 10**9), now=0.0)
    assert err.value.op_id == "flood" and "'flood'" in str(err.value) and "1000000000 fragments" in str(err.value)
    assert "flood" not in assembler.open
    assembler.add(_piece("ok", 0, 1_000_000 // 64), now=0.0)  # the largest total accepted


def test_one_character_fragments_are_charged_their_overhead():
    """1,200 one-character pieces: 1,200 characters, but ~90 KB of Python objects; the limit is 64 KB."""
    assembler = FragmentAssembler(max_chars=64_000)
    total = 1_000  # <= 64_000 // 64
    with pytest.raises(ProtocolError, match="exceeds the 64000 byte message limit"):
        for num in range(total):
            assembler.add(_piece("m", num, total), now=0.0)
    assert num < total - 1 and "m" not in assembler.open
    # the same message in 64-character pieces fits and comes back whole
    text = "y" * 6_400
    pieces = [text[i:i + 64] for i in range(0, len(text), 64)]
    out = [assembler.add(_piece("n", k, len(pieces), p), now=0.0) for k, p in enumerate(pieces)]
    assert out[-1] == text


def test_a_flood_of_tiny_fragments_over_the_socket_gets_a_status_error(server, client):
    client.send(_piece("big", 0, 10**9))
    status = client.next_op("status")
    assert status["level"] == "error" and status["id"] == "big" and "announces 1000000000 fragments" in status["msg"]


# ---------------------------------------------------------------- 4. the smallest outgoing fragment_size

def test_a_tiny_fragment_size_is_raised_to_1024_with_a_warning(server, client):
    client.send({"op": "set_level", "level": "warning"})
    client.send({"op": "subscribe", "topic": "/route", "fragment_size": 1, "id": "r"})
    status = client.next_op("status")
    assert status["level"] == "warning" and status["id"] == "r" and "minimum of 1024" in status["msg"]
    wait_until(lambda: server.subscribers("/route"))
    route = Path(poses=tuple(PoseStamped(pose=Pose(position=Point(x=float(i)))) for i in range(100)))
    server.publish("/route", route)
    first = client.next_op("fragment")
    assert len(first["data"]) == 1024
    assert len(strict_json(reassemble(client, first))["msg"]["poses"]) == 100


def test_a_tiny_fragment_size_on_a_service_call_is_raised_too(client):
    client.send({"op": "set_level", "level": "warning"})
    client.send({"op": "call_service", "service": "/rosapi/topics_and_raw_types", "id": "t", "fragment_size": 3})
    assert "minimum of 1024" in client.next_op("status")["msg"]
    first = client.next_op("fragment")
    assert len(first["data"]) == 1024 and strict_json(reassemble(client, first))["id"] == "t"


# ---------------------------------------------------------------- 5. call_service arguments and compression

@pytest.mark.parametrize("args", [{"topic": 5}, [5]])
def test_a_mistyped_service_argument_fails_the_call_in_both_forms(client, args):
    answer = client.call("/rosapi/topic_type", args)
    assert answer["result"] is False and "field 'topic' must be a string, got int" in answer["values"]


def test_a_list_with_more_values_than_request_fields_fails_the_call(client):
    answer = client.call("/rosapi/topic_type", ["/clock", "/extra"])
    assert answer["result"] is False and "1 field(s) (topic), args gives 2 values" in answer["values"]
    answer = client.call("/rosapi/topic_type", "/clock")
    assert answer["result"] is False and "'args' must be an object of fields or a list" in answer["values"]
    assert client.call("/rosapi/topic_type", ["/clock"])["values"] == {"type": "rosgraph_msgs/msg/Clock"}


def test_an_unknown_compression_on_call_service_is_a_warning_and_plain_json(client):
    client.send({"op": "set_level", "level": "warning"})
    client.send({"op": "call_service", "service": "/rosapi/get_time", "id": "z", "compression": "zip"})
    status = client.next_op("status")
    assert status["level"] == "warning" and status["id"] == "z" and "'zip'" in status["msg"]
    answer = client.recv()  # the response itself, as plain JSON
    assert answer["op"] == "service_response" and answer["id"] == "z" and answer["result"] is True
