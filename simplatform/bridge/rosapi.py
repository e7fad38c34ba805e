"""The rosapi services clients expect next to a rosbridge server.

roslibpy's ``Ros.get_topics()`` calls ``/rosapi/topics`` (``rosapi/Topics``),
``get_topic_type`` calls ``/rosapi/topic_type``, ``get_time`` ``/rosapi/get_time``
and ``get_services`` ``/rosapi/services``.  Response fields follow the ROS 2
rosapi ``.srv`` definitions (``topics``/``types``, ``type``, ``time``,
``services``); Foxglove reads ``/rosapi/topics_and_raw_types`` for message
definitions.  ``get_time`` answers the simulation time of the last ``/clock``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .msgs.schema import UnknownMessageType, canonical_type, concatenated_definition

if TYPE_CHECKING:
    from .server import RosbridgeServer


def register_rosapi(server: "RosbridgeServer") -> None:
    def topics(_: dict[str, Any]) -> dict[str, Any]:
        items = sorted(server.topics().items())
        return {"topics": [t for t, _ in items], "types": [ty for _, ty in items]}

    def topic_type(args: dict[str, Any]) -> dict[str, Any]:
        return {"type": server.topic_type(str(args.get("topic", ""))) or ""}

    def topics_for_type(args: dict[str, Any]) -> dict[str, Any]:
        try:
            wanted = canonical_type(str(args.get("type", "")))
        except UnknownMessageType:
            return {"topics": []}
        return {"topics": sorted(t for t, ty in server.topics().items() if ty == wanted)}

    def get_time(_: dict[str, Any]) -> dict[str, Any]:
        sec, nanosec = divmod(server.sim_time_ns, 1_000_000_000)
        # ROS 2 rosapi answers builtin_interfaces/Time (sec, nanosec); roslibpy's get_time still reads
        # the ROS 1 names (secs, nsecs), so both are sent.
        return {"time": {"sec": sec, "nanosec": nanosec, "secs": sec, "nsecs": nanosec}}

    def topics_and_raw_types(_: dict[str, Any]) -> dict[str, Any]:
        # Foxglove's rosbridge connection reads message definitions from here (rosapi's
        # TopicsAndRawTypes: the full concatenated .msg text per topic, as in bags).
        items = sorted(server.topics().items())
        return {"topics": [t for t, _ in items], "types": [ty for _, ty in items],
                "typedefs_full_text": [concatenated_definition(ty) for _, ty in items]}

    def services(_: dict[str, Any]) -> dict[str, Any]:
        return {"services": sorted(server.services)}

    server.register_service("/rosapi/topics", topics)
    server.register_service("/rosapi/topic_type", topic_type)
    server.register_service("/rosapi/topics_for_type", topics_for_type)
    server.register_service("/rosapi/get_time", get_time)
    server.register_service("/rosapi/topics_and_raw_types", topics_and_raw_types)
    server.register_service("/rosapi/services", services)
