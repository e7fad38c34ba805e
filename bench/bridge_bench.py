"""Bridge benchmark: lockstep round trips per second and point-cloud throughput, real clients on loopback.

    .venv/bin/python bench/bridge_bench.py [--steps 3000] [--clouds 30]

1. Lockstep: the platform's RosbridgeServer steps a stack that runs in its own
   process as an unmodified ``roslibpy`` client (``simplatform.bridge.client``
   around :class:`EchoStack`): publish ``/clock`` (+ ``/ego/odometry``), wait
   for the stamped ``/ego/control``.  Target: >= 500 steps/s.
2. Point clouds: a 64-channel lidar revolution (64 x 1800 points, 16 B each,
   1.84 MB) published to a subscriber process that decodes every cloud into
   numpy and acknowledges it; MB/s of PointCloud2 payload, for a roslibpy
   client (JSON, base64 data) and a CBOR client (``compression: cbor``,
   raw ``websockets``), with at most 2 clouds in flight.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from simplatform.bridge import (  # noqa: E402
    RosbridgeServer, StackConfig, StackSetup, TopicRegistry, TopicSpec, observations, open_stack,
)
from simplatform.bridge.msgs import (  # noqa: E402
    AckermannDrive, AckermannDriveStamped, Header, Odometry, PointCloud2, Time,
)
from simplatform.bridge.topics import Direction  # noqa: E402

CLOUD_POINTS = 64 * 1800


class EchoStack:
    """The smallest honest stack: answers each clock with a control stamped for it."""

    def setup(self, setup) -> None:
        pass

    def step(self, obs):
        return AckermannDriveStamped(header=Header(stamp=obs["/clock"].clock), drive=AckermannDrive(speed=1.0))


def bench_lockstep(steps: int, with_odometry: bool) -> float:
    registry = TopicRegistry.from_rig([])
    config = StackConfig(transport="rosbridge", step_timeout=5.0, connect_timeout=30.0,
                         command=[sys.executable, "-m", "simplatform.bridge.client", "bridge_bench:EchoStack"],
                         env={"PYTHONPATH": os.pathsep.join([str(REPO / "bench"), str(REPO)])})
    log_dir = tempfile.TemporaryDirectory(prefix="simplatform_bridge_bench_")  # the stack's log, gone after
    session = open_stack(config, registry, log_dir=Path(log_dir.name))
    try:
        session.setup(StackSetup(topics=registry, dt=0.01))
        for k in range(50):  # warm-up
            session.step({"/clock": observations.clock(k * 0.01)})
        odom = Odometry()
        started = time.perf_counter()
        for k in range(50, 50 + steps):
            obs = {"/clock": observations.clock(k * 0.01)}
            if with_odometry:
                obs["/ego/odometry"] = odom
            session.step(obs)
        return steps / (time.perf_counter() - started)
    finally:
        session.close()
        log_dir.cleanup()


def cloud(i: int) -> PointCloud2:
    rng = np.random.default_rng(i)
    xyz = rng.uniform(-80, 80, size=(CLOUD_POINTS, 3)).astype("f4")
    return PointCloud2.from_xyzi(Header(stamp=Time.from_seconds(i * 0.1), frame_id="lidar"), xyz,
                                 rng.uniform(0, 1, CLOUD_POINTS), height=64)


def bench_clouds(count: int, compression: str) -> float:
    import subprocess

    registry = TopicRegistry.from_rig([{"name": "top", "type": "lidar", "rate": 10}])
    registry.add(TopicSpec("/bench/ack", "std_msgs/msg/String", Direction.FROM_STACK))
    clouds = [cloud(i) for i in range(4)]
    with RosbridgeServer(registry, max_messages_per_second=100_000) as server:
        proc = subprocess.Popen([sys.executable, __file__, "--cloud-client", server.url, compression])
        try:
            _wait(server, lambda e: e.kind == "subscribed" and e.topic == "/sensors/top/points", 30)
            payload = 0
            started = time.perf_counter()
            in_flight = 0
            sent = acked = 0
            while acked < count:
                while in_flight < 2 and sent < count:
                    server.publish("/sensors/top/points", clouds[sent % 4])
                    payload += len(clouds[sent % 4].data)
                    sent += 1
                    in_flight += 1
                _wait(server, lambda e: e.kind == "message" and e.topic == "/bench/ack", 30)
                acked += 1
                in_flight -= 1
            return payload / (time.perf_counter() - started) / 1e6
        finally:
            proc.terminate()
            proc.wait(5)


def _wait(server: RosbridgeServer, predicate, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        event = server.events.get(timeout=max(0.0, deadline - time.monotonic()))
        if predicate(event):
            return


def cloud_client(url: str, compression: str) -> None:
    """Subscriber process: decode every cloud to an (N, 3) array, then acknowledge it."""
    def points(msg: dict, data: bytes) -> np.ndarray:
        dtype = np.dtype({"names": [f["name"] for f in msg["fields"]], "formats": ["<f4"] * len(msg["fields"]),
                          "offsets": [f["offset"] for f in msg["fields"]], "itemsize": msg["point_step"]})
        pts = np.frombuffer(data, dtype=dtype)
        return np.stack([pts["x"], pts["y"], pts["z"]], axis=1)

    if compression == "none":
        import roslibpy
        from urllib.parse import urlparse
        u = urlparse(url)
        ros = roslibpy.Ros(host=u.hostname, port=u.port)
        ros.run(timeout=10)
        ack = roslibpy.Topic(ros, "/bench/ack", "std_msgs/String")
        ack.advertise()

        def on_cloud(msg):
            xyz = points(msg, base64.b64decode(msg["data"]))
            ack.publish(roslibpy.Message({"data": str(len(xyz))}))

        roslibpy.Topic(ros, "/sensors/top/points", "sensor_msgs/PointCloud2").subscribe(on_cloud)
        time.sleep(3600)
    import cbor2
    from websockets.sync.client import connect
    with connect(url, max_size=None) as ws:
        ws.send(json.dumps({"op": "advertise", "topic": "/bench/ack", "type": "std_msgs/String"}))
        ws.send(json.dumps({"op": "subscribe", "topic": "/sensors/top/points", "compression": "cbor"}))
        for frame in ws:
            msg = cbor2.loads(frame)["msg"]
            xyz = points(msg, msg["data"])
            ws.send(json.dumps({"op": "publish", "topic": "/bench/ack", "msg": {"data": str(len(xyz))}}))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--clouds", type=int, default=30)
    parser.add_argument("--cloud-client", nargs=2, metavar=("URL", "COMPRESSION"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.cloud_client:
        cloud_client(*args.cloud_client)
        return 0
    print(f"lockstep, /clock only            : {bench_lockstep(args.steps, False):8.0f} steps/s (roslibpy client)")
    print(f"lockstep, /clock + /ego/odometry : {bench_lockstep(args.steps, True):8.0f} steps/s (roslibpy client)")
    mb = len(cloud(0).data) / 1e6
    print(f"point clouds, JSON/base64        : {bench_clouds(args.clouds, 'none'):8.1f} MB/s "
          f"(roslibpy client, {CLOUD_POINTS} points = {mb:.2f} MB per cloud)")
    print(f"point clouds, CBOR               : {bench_clouds(args.clouds, 'cbor'):8.1f} MB/s (websockets client)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
