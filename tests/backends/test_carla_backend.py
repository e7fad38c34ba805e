"""The CARLA backend against a fake server (tests/backends/fake_carla.py): what reaches CARLA, what comes back."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from simplatform.backends.carla_backend import CarlaBackend, start_carla
from simplatform.backends.carla.connection import CarlaSettings
from simplatform.control import AckermannCommand, Control
from simplatform.engine.run import load_scenario_and_road
from simplatform.errors import BackendError, ScenarioError

DT = 0.05


def config(**kw):
    base = dict(dt=DT, seed=0, ego=None, custom_handlers={}, carla_host="127.0.0.1", carla_port=2000,
                carla_timeout=2.0)
    base.update(kw)
    return SimpleNamespace(**base)


@pytest.fixture
def run(fake_carla, highway):
    """(engine, backend, fake server) for the highway scenario, loaded and spawned; closed afterwards."""
    scenario, road = load_scenario_and_road(highway)
    engine, backend = start_carla(scenario, road, config())
    engine.initialise()
    backend.load(road, engine.table)
    yield engine, backend, fake_carla.SERVERS[("127.0.0.1", 2000)]
    backend.close()


def actor_of(backend, engine, name):
    return backend.registry.actors[engine.table.index[name]].actor


def reference_pose(backend, engine, name):
    """Our reference point from the fake actor's CARLA transform, converted independently of the backend."""
    sa = backend.registry.actors[engine.table.index[name]]
    tf = sa.actor.get_transform()
    h = -math.radians(tf.rotation.yaw)
    ox, oy, oz = sa.offset
    x = tf.location.x - (math.cos(h) * ox - math.sin(h) * oy)
    y = -tf.location.y - (math.sin(h) * ox + math.cos(h) * oy)
    return x, y, tf.location.z - oz, h


# ------------------------------------------------------------------ connecting
def test_no_server_is_a_backend_error_naming_the_address(fake_carla):
    with pytest.raises(BackendError, match=r"127\.0\.0\.1:2999.*CarlaUE4\.sh -RenderOffScreen"):
        CarlaBackend(CarlaSettings(port=2999))


def test_a_server_of_another_release_is_refused(fake_carla):
    fake_carla.serve("127.0.0.1", 2001, version="0.9.15")
    with pytest.raises(BackendError, match=r"runs 0\.9\.15 but the client is 0\.9\.16.*carla==0\.9\.15"):
        CarlaBackend(CarlaSettings(port=2001))


# ------------------------------------------------------------------ world and settings
def test_an_xodr_road_becomes_a_generated_world_in_synchronous_mode(run):
    engine, backend, server = run
    world = server.world
    assert server.worlds_loaded == ["OpenDriveMap"]
    assert "<OpenDRIVE" in world.map.to_opendrive()
    p = world.generation_parameters
    assert (p.vertex_distance, p.max_road_length, p.wall_height, p.additional_width) == (2.0, 500.0, 0.0, 0.6)
    assert p.smooth_junctions and p.enable_mesh_visibility
    assert world.settings.synchronous_mode and world.settings.fixed_delta_seconds == DT
    assert world.settings.fixed_delta_seconds <= world.settings.max_substep_delta_time * world.settings.max_substeps


def test_close_restores_the_settings_and_destroys_every_actor(run):
    engine, backend, server = run
    world = server.world
    assert len(world.actors) == 5  # four entities and the ego's collision sensor
    backend.close()
    backend.close()  # twice is harmless
    assert world.actors == {}
    assert not world.settings.synchronous_mode and world.settings.fixed_delta_seconds is None
    assert backend.close_errors == []


def test_settings_are_restored_when_a_tick_fails(fake_carla, highway):
    scenario, road = load_scenario_and_road(highway)
    engine, backend = start_carla(scenario, road, config())
    world = fake_carla.SERVERS[("127.0.0.1", 2000)].world
    world.fail_tick_at = 5
    with pytest.raises(BackendError, match="did not tick"):
        try:  # what run_scenario does
            engine.initialise()
            backend.load(road, engine.table)
            for _ in range(10):
                engine.step()
        finally:
            backend.close()
    assert world.applied[0].synchronous_mode and not world.settings.synchronous_mode
    assert world.actors == {}


def test_a_town_is_loaded_and_its_opendrive_becomes_the_road(fake_carla, highway, tmp_path):
    server = fake_carla.SERVERS[("127.0.0.1", 2000)]
    server.town_xodr = (highway.parent / "straight.xodr").read_text()
    scenario, _ = load_scenario_and_road(highway)
    town = SimpleNamespace(road_network_name="Town04", road_network_path=None, path=highway)
    with CarlaBackend(CarlaSettings()) as backend:
        road = backend.prepare_world(town, None, DT)
        assert server.worlds_loaded == ["/Game/Carla/Maps/Town04"]
        assert road is not None and len(list(road.roads)) == 1


def test_a_town_the_server_lacks_is_a_scenario_error_listing_its_maps(fake_carla, highway):
    town = SimpleNamespace(road_network_name="Town99", road_network_path=None, path=highway)
    with CarlaBackend(CarlaSettings()) as backend:
        with pytest.raises(ScenarioError, match="Town99.*Town01, Town04"):
            backend.prepare_world(town, None, DT)


# ------------------------------------------------------------------ entities
def test_entities_are_spawned_with_their_blueprints_and_roles(run):
    engine, backend, server = run
    got = {engine.table.names[i]: (sa.blueprint_id, sa.actor.attributes.get("role_name"), sa.actor.physics)
           for i, sa in backend.registry.actors.items()}
    assert got == {"Ego": ("vehicle.tesla.model3", "hero", False),
                   "Lead": ("vehicle.lincoln.mkz_2017", "Lead", False),
                   "Walker": ("walker.pedestrian.0001", "Walker", False),
                   "Barrier": ("static.prop.streetbarrier", "Barrier", False)}


def test_a_spawn_that_collides_is_retried_higher_then_fails_clearly(fake_carla, highway):
    scenario, road = load_scenario_and_road(highway)
    engine, backend = start_carla(scenario, road, config())
    world = fake_carla.SERVERS[("127.0.0.1", 2000)].world
    world.spawn_blocked = lambda bp, tf: bp == "static.prop.streetbarrier" and tf.location.z < 0.1
    try:
        engine.initialise()
        backend.load(road, engine.table)
        assert actor_of(backend, engine, "Barrier") is not None
    finally:
        backend.close()
    engine, backend = start_carla(scenario, road, config())
    fake_carla.SERVERS[("127.0.0.1", 2000)].world.spawn_blocked = lambda bp, tf: bp.startswith("walker.")
    with pytest.raises(BackendError, match=r"could not spawn 'Walker' \(walker\.pedestrian\.0001\).*0\.2 m higher"):
        try:
            engine.initialise()
            backend.load(road, engine.table)
        finally:
            backend.close()


def test_default_controller_entities_end_at_the_poses_the_engine_gives(run):
    engine, backend, server = run
    for _ in range(60):  # 3 s: the lead changes lane between 1 s and 3 s
        engine.step()
        for name in ("Ego", "Lead", "Walker"):
            i = engine.table.index[name]
            x, y, z, h = reference_pose(backend, engine, name)
            t = engine.table
            assert (x, y, z) == pytest.approx((t.x[i], t.y[i], t.z[i]), abs=1e-9)
            assert h == pytest.approx(t.heading[i], abs=1e-9)
    lead = actor_of(backend, engine, "Lead")
    i = engine.table.index["Lead"]
    assert lead.velocity.x == pytest.approx(15.0 * math.cos(engine.table.heading[i]))
    assert lead.velocity.y == pytest.approx(-15.0 * math.sin(engine.table.heading[i]))
    assert engine.table.lane_id[i] == -2 and engine.table.x[i] == pytest.approx(90 + 15 * 3.0, abs=0.5)


def test_a_standing_prop_is_placed_once(run):
    engine, backend, server = run
    barrier = actor_of(backend, engine, "Barrier")
    for _ in range(10):
        engine.step()
    assert barrier.transforms_set == 1


# ------------------------------------------------------------------ the driven ego
def test_left_steer_turns_left(run):
    engine, backend, server = run
    backend.apply("Ego", Control(throttle=0.3, steer=0.5))
    assert actor_of(backend, engine, "Ego").physics
    h0 = float(engine.table.heading[0])
    for _ in range(10):
        engine.step()
    assert actor_of(backend, engine, "Ego").control.steer == pytest.approx(-0.5)  # CARLA: right-positive
    ego = engine.snapshot().entity("Ego")
    assert ego.heading > h0 + 0.2 and ego.y > -1.5 and ego.yaw_rate > 0


def test_an_ackermann_command_reaches_carla_with_carlas_sign(run):
    engine, backend, server = run
    backend.apply("Ego", AckermannCommand(speed=10.0, steering_angle=-0.05, acceleration=2.0))
    for _ in range(40):
        engine.step()
    c = actor_of(backend, engine, "Ego").control
    assert (c.speed, c.steer, c.acceleration) == pytest.approx((10.0, 0.05, 2.0))
    ego = engine.snapshot().entity("Ego")
    assert ego.speed == pytest.approx(16.0, abs=0.01)  # 20 m/s braking at 2 m/s² for 2 s
    assert ego.heading < 0 and ego.yaw_rate < 0   # right turn


def test_a_taken_over_ego_holds_its_speed_until_commanded(run):
    engine, backend, server = run
    backend.take_over("Ego")
    x0 = float(engine.table.x[0])
    for _ in range(20):
        engine.step()
    t = engine.table
    assert t.speed[0] == pytest.approx(20.0) and t.x[0] == pytest.approx(x0 + 20.0, abs=1e-6)
    assert t.lane_id[0] == -1 and t.lane_s[0] == pytest.approx(t.x[0], abs=1e-6)


def test_only_vehicles_can_be_driven(run):
    from simplatform.errors import ConfigError

    engine, backend, server = run
    with pytest.raises(ConfigError, match="'Walker' is a pedestrian"):
        backend.take_over("Walker")


# ------------------------------------------------------------------ what comes back
def test_the_snapshot_carries_carlas_boxes_and_sensor_collisions(run):
    engine, backend, server = run
    world = server.world
    lead_id = actor_of(backend, engine, "Lead").id
    world.collisions = [(world.frame + 3, lead_id), (world.frame + 3, 9999), (world.frame + 4, lead_id)]
    snaps = []
    for _ in range(4):
        engine.step()
        snaps.append(backend.step(DT))
    snap = snaps[2]
    assert ("Ego", "Lead") in snap.collisions
    assert snap.entity("Ego").bbox.length == pytest.approx(4.8) and snap.entity("Ego").bbox.height == 1.5
    assert snaps[-1].entity("Ego").x == pytest.approx(engine.table.x[0], abs=1e-9)
    assert snaps[1].collisions == () and snaps[3].collisions == (("Ego", "Lead"),)
    kinds = [(r.kind, r.entity, r.detail) for r in engine.records if r.kind == "CarlaCollision"]
    assert kinds == [("CarlaCollision", "Ego", "Lead"), ("CarlaCollision", "Ego", "carla:static.building")]
    assert [e.impulse for e in backend.collision_events] == pytest.approx([500.0, 500.0, 500.0])


def test_carla_lights_are_reported_and_scenario_lights_imposed(fake_carla, highway):
    scenario, road = load_scenario_and_road(highway)
    engine, backend = start_carla(scenario, road, config())
    world = fake_carla.SERVERS[("127.0.0.1", 2000)].world
    S = fake_carla.TrafficLightState
    own = world.add_traffic_light("11", S.Green, cycle=4)
    set_by_scenario = world.add_traffic_light("12", S.Green, cycle=3)
    try:
        engine.initialise()
        backend.load(road, engine.table)
        engine.step()
        assert engine.signals["11"] == "green" and engine.signals["12"] == "green"
        engine.signals["12"] = "on;off;off"  # what a TrafficSignalStateAction writes
        seen = []
        for _ in range(12):
            engine.step()
            seen.append(engine.signals["11"])
            assert set_by_scenario.state == S.Red and engine.signals["12"] == "on;off;off"
        assert {"green", "red"} <= set(seen) and own.state in (S.Green, S.Red)
    finally:
        backend.close()


def test_removed_entities_lose_their_actor(run):
    engine, backend, server = run
    walker = actor_of(backend, engine, "Walker")
    engine.table.set_active(engine.table.index["Walker"], False)
    engine.step()
    assert not walker.alive and engine.table.index["Walker"] not in backend.registry.actors
    assert "Walker" not in backend.step(DT).names


def test_a_scenario_teleport_of_the_driven_ego_moves_its_carla_actor(run):
    engine, backend, server = run
    backend.take_over("Ego")
    for _ in range(5):
        engine.step()
    t = engine.table
    t.x[0] += 100.0  # what a TeleportAction on the ego writes
    engine.step()
    x, y, z, h = reference_pose(backend, engine, "Ego")
    assert x == pytest.approx(t.x[0], abs=1e-6) and t.x[0] > 150.0
