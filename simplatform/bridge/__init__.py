"""The bridge to the stack under test: ROS 2 topics and messages, transports, lockstep.

Engine-facing API (see :mod:`.stack` for the step protocol)::

    from simplatform.bridge import StackConfig, StackSetup, TopicRegistry, open_stack, observations

    registry = TopicRegistry.from_rig(rig_sensors, ground_truth_objects=True)
    session = open_stack(StackConfig(transport="rosbridge", command=["./my_stack"]), registry, log_dir=run_dir)
    session.setup(StackSetup(topics=registry, dt=0.01, route=observations.route_path(waypoints)))
    command = session.step({"/clock": observations.clock(t), "/ego/odometry": observations.ego_odometry(snap)})
    session.close()

Modules: ``msgs`` (ROS 2 message dataclasses and ``.msg`` text), ``codec``
(JSON / CBOR / CDR), ``topics`` (registry), ``server`` (rosbridge v2 over
WebSocket), ``lockstep`` (the stack over the socket), ``inprocess`` (a Python
stack class), ``launch`` (the stack process), ``client`` (run a Python stack
class over rosbridge with roslibpy), ``observations`` (messages from a
WorldSnapshot), ``controls`` (control messages -> engine commands).
"""

from . import observations
from .codec import MessageError, decode_cdr, decode_json, encode_cdr, encode_json, from_plain, to_plain
from .controls import from_engine_command, to_engine_command
from .inprocess import InProcessStack, load_stack
from .launch import StackProcess
from .lockstep import BridgeStack
from .server import RosbridgeServer
from .session import BridgeEvent
from .stack import Stack, StackConfig, StackSession, StackSetup, open_stack
from .topics import Direction, TopicRegistry, TopicSpec

__all__ = [
    "BridgeEvent", "BridgeStack", "Direction", "InProcessStack", "MessageError", "RosbridgeServer",
    "Stack", "StackConfig", "StackProcess", "StackSession", "StackSetup", "TopicRegistry", "TopicSpec",
    "decode_cdr", "decode_json", "encode_cdr", "encode_json", "from_engine_command", "from_plain",
    "load_stack", "observations", "open_stack", "to_engine_command", "to_plain",
]
