"""rosbridge v2 conformance of call_service and the rosapi services, as clients written elsewhere call them
(roslibjs, roslibpy, Foxglove, scripts from ROSBRIDGE_PROTOCOL.md §3.2.8-9 and rosapi_msgs/srv)."""

from __future__ import annotations

import json

from bridge_s11_client import client, reassemble, strict_json, unpng  # noqa: F401 (client is a fixture)


def test_call_service_args_may_be_a_list_in_request_field_order(client):
    answer = client.call("/rosapi/topic_type", ["/sensors/top/points"])
    assert answer["result"] is True and answer["values"]["type"] == "sensor_msgs/msg/PointCloud2"
    answer = client.call("/rosapi/get_param", ["/simplatform:no_such", '"fallback"'])
    assert answer["values"]["value"] == '"fallback"' and answer["values"]["successful"] is False
    answer = client.call("/rosapi/get_param", {"name": "/simplatform:no_such", "default_value": "not json"})
    assert json.loads(answer["values"]["value"]) == "not json"


def test_a_request_field_the_service_does_not_have_fails_the_call(client):
    answer = client.call("/rosapi/topic_type", {"topik": "/clock"})
    assert answer["result"] is False and "does not have a field 'topik'" in answer["values"]
    answer = client.call("/rosapi/topic_type", {"topic": 5})
    assert answer["result"] is False and "must be a string" in answer["values"]


def test_an_unknown_service_answers_result_false_with_the_reason_and_the_id(client):
    answer = client.call("/navigation/replan")
    assert answer == {"op": "service_response", "service": "/navigation/replan", "id": "call:/navigation/replan",
                      "values": "Service /navigation/replan does not exist", "result": False}
    client.send({"op": "call_service", "service": "/rosapi/get_time", "id": "next"})
    assert client.recv()["id"] == "next"  # no status frame besides: the response says it all, as in rosbridge


def test_a_legacy_service_name_with_hash_carries_the_call_id(client):
    client.send({"op": "call_service", "service": "/rosapi/get_time#42"})
    answer = client.next_op("service_response")
    assert answer["id"] == "42" and answer["service"] == "/rosapi/get_time" and answer["result"] is True


def test_a_service_response_is_fragmented_and_png_compressed_when_asked(client):
    client.send({"op": "call_service", "service": "/rosapi/topics_and_raw_types", "id": "frag", "fragment_size": 1024})
    first = client.next_op("fragment")
    assert first["total"] > 1 and len(first["data"]) == 1024
    whole = strict_json(reassemble(client, first))
    assert whole["op"] == "service_response" and whole["id"] == "frag" and "/clock" in whole["values"]["topics"]
    client.send({"op": "call_service", "service": "/rosapi/get_ros_version", "id": "p", "compression": "png"})
    inner = strict_json(unpng(client.next_op("png")["data"]))
    assert inner["id"] == "p" and inner["values"] == {"version": 2, "distro": "humble"}


def test_the_node_graph_shows_the_simulator_the_bridge_and_rosapi(server, client):
    client.send({"op": "subscribe", "topic": "/clock", "id": "c"})
    client.send({"op": "advertise", "topic": "/stack/debug", "type": "std_msgs/String"})
    assert client.call("/rosapi/nodes")["values"]["nodes"] == ["/rosapi", "/rosbridge_websocket", "/simplatform"]
    sim = client.call("/rosapi/node_details", {"node": "/simplatform"})["values"]
    assert "/clock" in sim["publishing"] and "/ego/control" in sim["subscribing"] and sim["services"] == []
    bridge = client.call("/rosapi/node_details", ["/rosbridge_websocket"])["values"]
    assert bridge == {"subscribing": ["/clock"], "publishing": ["/stack/debug"], "services": []}
    assert client.call("/rosapi/subscribers", {"topic": "/ego/control"})["values"]["subscribers"] == ["/simplatform"]
    assert client.call("/rosapi/publishers", {"topic": "/clock"})["values"]["publishers"] == ["/simplatform"]


def test_services_answer_their_types_and_providers(client):
    assert client.call("/rosapi/service_type", {"service": "/rosapi/topics"})["values"]["type"] == \
        "rosapi_msgs/srv/Topics"
    assert client.call("/rosapi/services_for_type", {"type": "rosapi_msgs/srv/GetTime"})["values"]["services"] == \
        ["/rosapi/get_time"]
    assert client.call("/rosapi/service_providers", ["/rosapi/nodes"])["values"]["providers"] == ["/rosapi"]
    assert client.call("/rosapi/service_node", ["/rosapi/nodes"])["values"]["node"] == "/rosapi"
    interfaces = client.call("/rosapi/interfaces")["values"]["interfaces"]
    assert "nav_msgs/msg/Odometry" in interfaces and "rosapi_msgs/srv/Topics" in interfaces


def test_parameters_are_readable_and_refuse_writes(client):
    assert client.call("/rosapi/get_param_names")["values"]["names"] == ["/simplatform:use_sim_time"]
    got = client.call("/rosapi/get_param", {"name": "/simplatform:use_sim_time"})["values"]
    assert json.loads(got["value"]) is True and got["successful"] is True
    assert client.call("/rosapi/has_param", {"name": "simplatform:use_sim_time"})["values"] == {"exists": True}
    answer = client.call("/rosapi/set_param", {"name": "/simplatform:use_sim_time", "value": "false"})
    assert answer["result"] is False and "read-only" in answer["values"]


def test_message_details_give_rosapi_typedefs_for_a_type_and_its_parts(client):
    typedefs = client.call("/rosapi/message_details", {"type": "nav_msgs/msg/Odometry"})["values"]["typedefs"]
    by_type = {t["type"]: t for t in typedefs}
    assert typedefs[0]["type"] == "nav_msgs/Odometry" and "builtin_interfaces/Time" in by_type
    cov = by_type["geometry_msgs/PoseWithCovariance"]
    assert cov["fieldnames"] == ["pose", "covariance"] and cov["fieldtypes"] == ["geometry_msgs/Pose", "double"]
    assert cov["fieldarraylen"] == [-1, 36] and cov["examples"] == ["{}", "[]"]
    assert by_type["geometry_msgs/Quaternion"]["examples"] == ["0.0", "0.0", "0.0", "1.0"]
    answer = client.call("/rosapi/message_details", {"type": "nope_msgs/Nope"})
    assert answer["result"] is False and "unknown message type" in answer["values"]


def test_roslibpy_reads_the_graph_parameters_and_typedefs(server, ros):
    assert ros.get_nodes() == ["/rosapi", "/rosbridge_websocket", "/simplatform"]
    assert "/clock" in ros.get_node_details("/simplatform")["publishing"]
    assert ros.get_params() == ["/simplatform:use_sim_time"]
    assert ros.get_param("/simplatform:use_sim_time") is True
    assert ros.get_service_type("/rosapi/get_time") == "rosapi_msgs/srv/GetTime"
    details = ros.get_message_details("geometry_msgs/Point")
    assert details["typedefs"][0]["fieldnames"] == ["x", "y", "z"]
