"""Fixtures for the bridge tests: a rosbridge server and an unmodified roslibpy client."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import roslibpy

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bridge_helpers, bridge_toy_stack

from bridge_helpers import LIDAR64  # noqa: E402

from simplatform.bridge import RosbridgeServer, TopicRegistry  # noqa: E402


@pytest.fixture
def registry() -> TopicRegistry:
    return TopicRegistry.from_rig([LIDAR64], ground_truth_objects=True)


@pytest.fixture
def server(registry):
    srv = RosbridgeServer(registry).start()
    yield srv
    srv.stop()


@pytest.fixture
def ros(server):
    """roslibpy (asyncio transport, so each test gets a fresh connection) connected to ``server``."""
    client = roslibpy.Ros(host="127.0.0.1", port=server.port, transport="asyncio")
    client.run(timeout=30)  # generous: a loaded CI machine may stall the connect
    yield client
    client.close()
