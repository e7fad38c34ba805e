"""A stack process that misbehaves on purpose after a few good steps; the mode is argv[1].

crash: exits with code 3 mid-run; hang: stops answering; garbage: sends frames that are
not rosbridge JSON instead of controls; wrong_step: answers with the first step's stamp;
disconnect: closes its WebSocket.  Good steps brake gently, stamped with their clock.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from urllib.parse import urlparse

import roslibpy

FAULT_STEP = 5
mode = sys.argv[1]
url = urlparse(os.environ["SIMPLATFORM_BRIDGE_URL"])
ros = roslibpy.Ros(host=url.hostname, port=url.port)
ros.run(timeout=60)  # generous: the platform decides how long it waits (connect_timeout)
# The auth op sent once connected, from this thread, so it goes out before everything below. Not
# Ros.authenticate(): it sends on roslibpy's connection-ready event, and a call made once run() returns can
# overtake it (ready() publishes the connection before it runs the listeners): refused, 'not authenticated'.
ros.send_on_ready(roslibpy.Message({"op": "auth", "mac": os.environ.get("SIMPLATFORM_BRIDGE_TOKEN", ""), "client": "",
                                    "dest": "", "rand": "", "t": 0, "level": "", "end": 0}))
control = roslibpy.Topic(ros, "/ego/control", "ackermann_msgs/AckermannDriveStamped")
control.advertise()
state = {"step": 0, "first": None}


def on_clock(msg):
    k = state["step"]
    state["step"] += 1
    stamp = msg["clock"]
    state["first"] = state["first"] or stamp
    if k < FAULT_STEP:
        control.publish(roslibpy.Message({"header": {"stamp": stamp}, "drive": {"speed": 5.0, "acceleration": 1.0}}))
        return
    if mode == "crash":
        print("planner: segmentation fault (simulated)", flush=True)
        os._exit(3)
    if mode == "garbage":
        ros.factory.on_ready(lambda proto: proto.send_message(b"{this is not json"))
    if mode == "wrong_step":
        control.publish(roslibpy.Message({"header": {"stamp": state["first"]}, "drive": {"speed": 5.0}}))
    if mode == "disconnect" and k == FAULT_STEP:
        threading.Thread(target=ros.close).start()
    # hang: no answer


roslibpy.Topic(ros, "/clock", "rosgraph_msgs/Clock").subscribe(on_clock)
time.sleep(120)
