"""The rosapi services clients expect next to a rosbridge server, and how a ``call_service`` reaches them.

roslibpy and roslibjs call these for their introspection helpers
(``get_topics`` → ``/rosapi/topics``, ``get_topic_type``, ``get_time``,
``get_services``, ``get_nodes``, ``get_params`` → ``/rosapi/get_param_names``,
``Param.get`` → ``/rosapi/get_param``, ``getMessageDetails`` →
``/rosapi/message_details``); Foxglove's rosbridge connection reads
``/rosapi/topics_and_raw_types`` for full message definitions and the node
graph.  Names, request fields and response fields follow the ROS 2
``rosapi_msgs/srv`` definitions (rosbridge_suite ``rosapi_node``).

The graph a client sees: node ``/simplatform`` publishes the platform's topics
and subscribes to the control topics; ``/rosbridge_websocket`` publishes what
clients advertise and subscribes to what they subscribe to (as rosbridge's own
node would); ``/rosapi`` provides these services.  Parameters are read-only:
``/simplatform:use_sim_time`` is ``true``.

Arguments (rosbridge ``internal/services.py``): ``args`` may be an object of
request fields or a list matched to the request fields in order; a field the
request does not have, or a value of the wrong type, fails the call with
``result: false`` and the reason in ``values``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from .msgs import MESSAGE_CLASSES
from .msgs.schema import UnknownMessageType, canonical_type, concatenated_definition
from .msgs.typedefs import typedefs
from .topics import Direction

if TYPE_CHECKING:
    from .server import RosbridgeServer

ServiceHandler = Callable[[dict[str, Any]], dict[str, Any]]
SIM_NODE, BRIDGE_NODE, ROSAPI_NODE = "/simplatform", "/rosbridge_websocket", "/rosapi"
PARAMS = {f"{SIM_NODE}:use_sim_time": True}
ROS_VERSION, ROS_DISTRO = 2, "humble"


class ServiceFailure(Exception):
    """A call the service answers with ``result: false``; the text goes to ``values``."""


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    handler: ServiceHandler
    request: tuple[str, ...] = ()
    srv_type: str = ""

    def request_from(self, args: Any) -> dict[str, Any]:
        """``args`` as request fields: an object by name or a list in field order (None: no fields); both
        forms are checked alike, so ``[5]`` fails as ``{"topic": 5}`` does instead of reading as ``""``."""
        name = self.srv_type or self.name
        if args is None:
            return {}
        if isinstance(args, list):
            if len(args) > len(self.request):
                have = ", ".join(self.request) or "no fields"
                raise ServiceFailure(f"{name} request has {len(self.request)} field(s) ({have}), "
                                     f"args gives {len(args)} values")
            args = dict(zip(self.request, args))
        if not isinstance(args, dict):
            raise ServiceFailure(f"{name} request 'args' must be an object of fields or a list in field order, "
                                 f"got {type(args).__name__}")
        for key, value in args.items():
            if key not in self.request:
                have = ", ".join(self.request) or "no fields"
                raise ServiceFailure(f"{name} request does not have a field {key!r} "
                                     f"(it has: {have})")
            if not isinstance(value, str):
                raise ServiceFailure(f"{name} request field {key!r} must be a string, "
                                     f"got {type(value).__name__}")
        return args

    def call(self, args: Any) -> dict[str, Any]:
        return self.handler(self.request_from(args))


def register_rosapi(server: "RosbridgeServer") -> None:
    graph = _Graph(server)

    def topics(_: dict) -> dict:
        items = sorted(server.topics().items())
        return {"topics": [t for t, _ in items], "types": [ty for _, ty in items]}

    def topics_for_type(args: dict) -> dict:
        wanted = _canonical_or_none(args.get("type", ""))
        return {"topics": sorted(t for t, ty in server.topics().items() if ty == wanted)}

    def topics_and_raw_types(_: dict) -> dict:
        items = sorted(server.topics().items())
        return {"topics": [t for t, _ in items], "types": [ty for _, ty in items],
                "typedefs_full_text": [concatenated_definition(ty) for _, ty in items]}

    def message_details(args: dict) -> dict:
        try:
            return {"typedefs": typedefs(args.get("type", ""))}
        except UnknownMessageType as exc:
            raise ServiceFailure(str(exc)) from None

    def get_time(_: dict) -> dict:
        sec, nanosec = divmod(server.sim_time_ns, 1_000_000_000)
        # ROS 2 rosapi answers builtin_interfaces/Time (sec, nanosec); roslibpy's get_time still reads
        # the ROS 1 names (secs, nsecs), so both are sent.
        return {"time": {"sec": sec, "nanosec": nanosec, "secs": sec, "nsecs": nanosec}}

    def get_param(args: dict) -> dict:
        name = _param_name(args.get("name", ""))
        if name in PARAMS:
            return {"value": json.dumps(PARAMS[name]), "successful": True, "reason": ""}
        default = args.get("default_value", "")
        try:  # rosapi params.get_param: the default is JSON if it parses, else taken as a string
            default = json.loads(default) if default else ""
        except ValueError:
            pass
        return {"value": json.dumps(default), "successful": False,
                "reason": f"no parameter {args.get('name', '')!r}; the simulation has: {', '.join(PARAMS)}"}

    def read_only(args: dict) -> dict:
        raise ServiceFailure(f"parameter {args.get('name', '')!r}: the simulation's parameters are read-only")

    def services_for_type(args: dict) -> dict:
        return {"services": sorted(s.name for s in server.services.values() if s.srv_type == args.get("type"))}

    def service_type(args: dict) -> dict:
        spec = server.services.get(args.get("service", ""))
        return {"type": spec.srv_type if spec is not None else ""}

    def interfaces(_: dict) -> dict:
        srv = {s.srv_type for s in server.services.values() if s.srv_type}
        return {"interfaces": sorted(MESSAGE_CLASSES) + sorted(srv)}

    table: list[tuple[str, ServiceHandler, tuple[str, ...]]] = [
        ("topics", topics, ()),
        ("topics_for_type", topics_for_type, ("type",)),
        ("topics_and_raw_types", topics_and_raw_types, ()),
        ("topic_type", lambda a: {"type": server.topic_type(a.get("topic", "")) or ""}, ("topic",)),
        ("publishers", lambda a: {"publishers": graph.publishers(a.get("topic", ""))}, ("topic",)),
        ("subscribers", lambda a: {"subscribers": graph.subscribers(a.get("topic", ""))}, ("topic",)),
        ("services", lambda _: {"services": sorted(server.services)}, ()),
        ("services_for_type", services_for_type, ("type",)),
        ("service_type", service_type, ("service",)),
        ("service_providers", lambda a: {"providers": graph.providers(a.get("service", ""))}, ("service",)),
        ("service_node", lambda a: {"node": "".join(graph.providers(a.get("service", "")))}, ("service",)),
        ("nodes", lambda _: {"nodes": [ROSAPI_NODE, BRIDGE_NODE, SIM_NODE]}, ()),
        ("node_details", lambda a: graph.node_details(a.get("node", "")), ("node",)),
        ("action_servers", lambda _: {"action_servers": []}, ()),
        ("action_type", lambda _: {"type": ""}, ("action",)),
        ("interfaces", interfaces, ()),
        ("message_details", message_details, ("type",)),
        ("get_param_names", lambda _: {"names": sorted(PARAMS)}, ()),
        ("get_param", get_param, ("name", "default_value")),
        ("has_param", lambda a: {"exists": _param_name(a.get("name", "")) in PARAMS}, ("name",)),
        ("set_param", read_only, ("name", "value")),
        ("delete_param", read_only, ("node_name", "name")),
        ("get_time", get_time, ()),
        ("get_ros_version", lambda _: {"version": ROS_VERSION, "distro": ROS_DISTRO}, ()),
    ]
    for name, handler, request in table:
        srv_type = "rosapi_msgs/srv/" + "".join(part.capitalize() for part in name.split("_"))
        server.register_service("/rosapi/" + name, handler, request=request, srv_type=_SRV_NAMES.get(name, srv_type))


# Where the service type is not the CamelCase of the service name (rosapi_node's create_service calls).
_SRV_NAMES = {"action_servers": "rosapi_msgs/srv/GetActionServers", "get_ros_version": "rosapi_msgs/srv/GetROSVersion"}


class _Graph:
    """Which node publishes, subscribes and serves what (see module doc)."""

    def __init__(self, server: "RosbridgeServer") -> None:
        self.server = server

    def publishers(self, topic: str) -> list[str]:
        spec = self.server.registry.get(topic)
        nodes = [SIM_NODE] if spec is not None and spec.direction is Direction.TO_STACK else []
        advertised, _ = self.server.client_topics()
        return nodes + ([BRIDGE_NODE] if topic in advertised else [])

    def subscribers(self, topic: str) -> list[str]:
        spec = self.server.registry.get(topic)
        nodes = [SIM_NODE] if spec is not None and spec.direction is Direction.FROM_STACK else []
        _, subscribed = self.server.client_topics()
        return nodes + ([BRIDGE_NODE] if topic in subscribed else [])

    def providers(self, service: str) -> list[str]:
        return [ROSAPI_NODE] if service in self.server.services else []

    def node_details(self, node: str) -> dict[str, list[str]]:
        advertised, subscribed = self.server.client_topics()
        if node == SIM_NODE:
            registry = self.server.registry
            return {"subscribing": sorted(t.name for t in registry.from_stack()),
                    "publishing": sorted(t.name for t in registry.to_stack()), "services": []}
        if node == BRIDGE_NODE:
            return {"subscribing": sorted(subscribed), "publishing": sorted(advertised), "services": []}
        if node == ROSAPI_NODE:
            return {"subscribing": [], "publishing": [], "services": sorted(self.server.services)}
        return {"subscribing": [], "publishing": [], "services": []}


def _canonical_or_none(name: str) -> str | None:
    try:
        return canonical_type(name)
    except UnknownMessageType:
        return None


def _param_name(name: str) -> str:
    """rosapi's ``node:param``, the node made absolute as ``get_absolute_node_name`` does."""
    return name if name.startswith("/") else "/" + name
