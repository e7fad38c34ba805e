"""Reach a CARLA server, load the scenario's world, and hold it in synchronous mode.

CARLA's client and server must be the same release (the RPC layer has no
version negotiation; a mismatch fails in odd places later), so the versions
are compared up front, as ScenarioRunner does.  Synchronous mode with
``fixed_delta_seconds = dt`` makes the server advance exactly one engine step
per ``world.tick()`` ("Synchronous mode", CARLA docs adv_synchrony_timestep):
the only way a run is repeatable.  A server left in synchronous mode without a
client freezes, so the settings found on arrival are put back on ``restore``,
whatever happened in between.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import PurePosixPath

from simplatform.errors import BackendError, ScenarioError

START_HINT = "is the CARLA server running? start it with ./CarlaUE4.sh -RenderOffScreen"

MAX_SUBSTEPS = 16
"""CARLA's upper bound for ``max_substeps`` (physics substepping)."""


@dataclass(frozen=True)
class CarlaSettings:
    """How to reach the server and how to run it."""

    host: str = "127.0.0.1"
    port: int = 2000
    timeout: float = 10.0
    """Seconds the client waits for any one answer (``Client.set_timeout``)."""
    load_timeout: float = 120.0
    """Seconds allowed for loading a town or generating an OpenDRIVE world."""
    no_rendering: bool = False
    """``WorldSettings.no_rendering_mode``: skip rendering (nothing of ours renders on CARLA)."""
    check_version: bool = True

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


def opendrive_parameters(carla):
    """The mesh parameters for an .xodr world: no walls (scenarios drive off the road on purpose),
    0.6 m of extra width at the road edges, junctions smoothed, the mesh visible."""
    return carla.OpendriveGenerationParameters(vertex_distance=2.0, max_road_length=500.0, wall_height=0.0,
                                               additional_width=0.6, smooth_junctions=True,
                                               enable_mesh_visibility=True)


def connect(carla, settings: CarlaSettings):
    """A ``carla.Client`` that answered and runs our release; ``BackendError`` naming host:port otherwise."""
    try:
        client = carla.Client(settings.host, int(settings.port))
        client.set_timeout(float(settings.timeout))
        server = client.get_server_version()
    except RuntimeError as exc:
        raise BackendError(f"cannot reach the CARLA server at {settings.address}: {exc}. {START_HINT}") from None
    client_version = client.get_client_version()
    if settings.check_version and _release(server) != _release(client_version):
        raise BackendError(f"the CARLA server at {settings.address} runs {server} but the client is "
                           f"{client_version}: install the matching client (pip install carla=={_release(server)}) "
                           "or start the matching server")
    return client


def _release(version: str) -> str:
    """'0.9.16', '0.9.16-dirty', '0.9.16-12-gabc' → '0.9.16'."""
    return str(version).split("-")[0].strip()


def load_world(carla, client, settings: CarlaSettings, *, town: str | None = None, xodr_text: str | None = None,
               scenario_file: str | None = None):
    """Load the named town, or generate a world from OpenDRIVE text; returns the new ``carla.World``."""
    client.set_timeout(float(settings.load_timeout))
    try:
        if town is not None:
            maps = list(client.get_available_maps())
            full = _match_town(town, maps)
            if full is None:
                names = ", ".join(sorted(PurePosixPath(m).name for m in maps))
                raise ScenarioError(f"the road network names the map {town!r}, which the CARLA server at "
                                    f"{settings.address} does not have (it has: {names})",
                                    file=scenario_file, element="LogicFile")
            world = client.load_world(full)
        elif xodr_text is not None:
            world = client.generate_opendrive_world(xodr_text, opendrive_parameters(carla))
        else:
            world = client.get_world()
    except RuntimeError as exc:
        raise BackendError(f"the CARLA server at {settings.address} failed to load the world: {exc}") from None
    finally:
        client.set_timeout(float(settings.timeout))
    return world


def _match_town(town: str, maps: list[str]) -> str | None:
    want = PurePosixPath(town).name.lower()
    for m in maps:
        if m.lower() == town.lower() or PurePosixPath(m).name.lower() == want:
            return m
    return None


def synchronous_settings(carla, original, dt: float, no_rendering: bool):
    """A copy of ``original`` with synchronous mode and a fixed step ``dt``.

    CARLA requires ``fixed_delta_seconds <= max_substep_delta_time * max_substeps``
    (docs adv_synchrony_timestep, "Physics substepping"): keep the 10 ms physics
    substep CARLA recommends while it fits in 16 substeps, else spread ``dt`` over 16.
    """
    s = carla.WorldSettings()
    for name in ("substepping", "max_culling_distance", "deterministic_ragdolls", "tile_stream_distance",
                 "actor_active_distance", "spectator_as_ego"):
        if hasattr(original, name):
            setattr(s, name, getattr(original, name))
    s.synchronous_mode = True
    s.fixed_delta_seconds = float(dt)
    s.no_rendering_mode = bool(no_rendering) or bool(getattr(original, "no_rendering_mode", False))
    substeps = max(1, math.ceil(dt / 0.01 - 1e-9))
    if substeps <= MAX_SUBSTEPS:
        s.max_substep_delta_time, s.max_substeps = 0.01, max(substeps, int(getattr(original, "max_substeps", 10)))
    else:
        s.max_substep_delta_time, s.max_substeps = dt / MAX_SUBSTEPS, MAX_SUBSTEPS
    return s


def copy_settings(carla, settings):
    """A detached copy of a ``carla.WorldSettings`` (what ``restore`` puts back)."""
    s = carla.WorldSettings()
    for name in ("synchronous_mode", "no_rendering_mode", "fixed_delta_seconds", "substepping",
                 "max_substep_delta_time", "max_substeps", "max_culling_distance", "deterministic_ragdolls",
                 "tile_stream_distance", "actor_active_distance", "spectator_as_ego"):
        if hasattr(settings, name):
            setattr(s, name, getattr(settings, name))
    return s
