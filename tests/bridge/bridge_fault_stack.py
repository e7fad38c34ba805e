"""A stack process that misbehaves on purpose, one way per mode (argv[1]); roslibpy is its client.

Modes: crash, hang, garbage, wrong_step, disconnect, bad_control, exit_early, silent.
Each answers step 0 correctly (except garbage, exit_early, silent) so the fault happens mid-run.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from urllib.parse import urlparse

import roslibpy

mode = sys.argv[1]
print(f"fault stack starting in mode {mode}", flush=True)
if mode == "exit_early":
    print("fatal: cannot load planner config /etc/planner.yaml", flush=True)
    sys.exit(2)
if mode == "silent":
    time.sleep(60)

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
state = {"step": 0, "first_stamp": None}


def on_clock(msg):
    k = state["step"]
    state["step"] += 1
    stamp = msg["clock"]
    if k == 0:
        state["first_stamp"] = stamp
    if mode == "garbage":
        ros.factory.on_ready(lambda proto: proto.send_message(b"{this is not json"))
        return
    if k == 0:
        control.publish(roslibpy.Message({"header": {"stamp": stamp}, "drive": {"speed": 5.0}}))
        return
    if mode == "crash":
        print("planner: segmentation fault (simulated)", flush=True)
        os._exit(3)
    if mode == "hang":
        return
    if mode == "wrong_step":
        control.publish(roslibpy.Message({"header": {"stamp": state["first_stamp"]}, "drive": {"speed": 5.0}}))
    if mode == "bad_control":
        control.publish(roslibpy.Message({"header": {"stamp": stamp}, "drive": {"speed": "fast"}}))
    if mode == "disconnect":
        threading.Thread(target=ros.close).start()


clock = roslibpy.Topic(ros, "/clock", "rosgraph_msgs/Clock")
clock.subscribe(on_clock)
time.sleep(60)
