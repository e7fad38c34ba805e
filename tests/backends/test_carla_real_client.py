"""The real ``carla`` 0.9.16 client: a clear error without a server, and (slow) a run on a live server.

The live test runs when ``CARLA_HOST`` (and optionally ``CARLA_PORT``, default 2000) name a server
that answers; it is skipped otherwise.
"""

from __future__ import annotations

import math
import os
import socket
from types import SimpleNamespace

import pytest

from simplatform.backends.carla.connection import CarlaSettings
from simplatform.backends.carla_backend import CarlaBackend, start_carla
from simplatform.errors import BackendError

carla = pytest.importorskip("carla")


def test_an_unreachable_server_is_a_clear_backend_error():
    # a port bound but not listening refuses connections, and stays ours for the test: a port closed again
    # before the client connects could meanwhile be taken by another process (the other xdist worker's
    # rosbridge server binds port 0 too)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        with pytest.raises(BackendError) as info:
            CarlaBackend(CarlaSettings(host="127.0.0.1", port=port, timeout=1.0))
    msg = str(info.value)
    assert f"127.0.0.1:{port}" in msg and "time-out" in msg
    assert "is the CARLA server running? start it with ./CarlaUE4.sh -RenderOffScreen" in msg


def live_server() -> tuple[str, int] | None:
    host = os.environ.get("CARLA_HOST")
    if not host:
        return None
    port = int(os.environ.get("CARLA_PORT", "2000"))
    try:
        with socket.create_connection((host, port), timeout=2.0):
            return host, port
    except OSError:
        return None


@pytest.mark.slow
@pytest.mark.skipif(live_server() is None, reason="no CARLA server at CARLA_HOST:CARLA_PORT")
def test_a_short_scenario_runs_end_to_end_on_a_live_server(highway):
    from simplatform.control import Control
    from simplatform.engine.run import load_scenario_and_road

    host, port = live_server()
    scenario, road = load_scenario_and_road(highway)
    config = SimpleNamespace(dt=0.05, seed=0, ego=None, custom_handlers={}, carla_host=host, carla_port=port,
                             carla_timeout=60.0)
    engine, backend = start_carla(scenario, road, config)
    world = backend.world
    try:
        engine.initialise()
        backend.load(road, engine.table)
        backend.take_over(engine.ego)
        x0 = float(engine.table.x[0])
        for k in range(60):  # 3 s
            backend.apply(engine.ego, Control(throttle=0.6) if k < 40 else Control(brake=0.3))
            engine.step()
            snap = backend.step(0.05)
            lead = engine.table.index["Lead"]
            j = snap.index("Lead")
            assert math.hypot(snap.x[j] - engine.table.x[lead], snap.y[j] - engine.table.y[lead]) < 5e-3
        ego = engine.snapshot().entity("Ego")
        assert ego.x > x0 + 20.0 and abs(ego.y - (-1.5)) < 1.0 and ego.lane is not None
        assert world.get_settings().synchronous_mode
    finally:
        backend.close()
    assert backend.close_errors == []
    assert not world.get_settings().synchronous_mode
    assert not [a for a in world.get_actors() if a.attributes.get("role_name") in ("hero", "Lead", "Walker")]


@pytest.mark.parametrize("dt,substep,substeps", [(0.01, 0.01, 10), (0.05, 0.01, 10), (0.15, 0.01, 15),
                                                 (0.25, 0.25 / 16, 16)])
def test_synchronous_settings_fit_carlas_substepping_rule(dt, substep, substeps):
    """fixed_delta_seconds <= max_substep_delta_time * max_substeps (CARLA docs, physics substepping)."""
    from simplatform.backends.carla.connection import copy_settings, synchronous_settings

    original = carla.WorldSettings()
    s = synchronous_settings(carla, original, dt, no_rendering=True)
    assert s.synchronous_mode and s.no_rendering_mode and s.fixed_delta_seconds == pytest.approx(dt)
    assert (s.max_substep_delta_time, s.max_substeps) == (pytest.approx(substep), substeps)
    assert s.fixed_delta_seconds <= s.max_substep_delta_time * s.max_substeps + 1e-9
    back = copy_settings(carla, original)
    assert not back.synchronous_mode and not back.no_rendering_mode
