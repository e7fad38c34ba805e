"""Adversarial differential tests of the session-4 lidar sweep: whole clouds with every fast path on are
the clouds with each one off, on hostile poses and scenes.

Each case is drawn from a seeded ``numpy.random.Generator`` (a failure names its seed): a head mounted
level, upside down (roll = pi), pointing straight up or down (pitch = +-pi/2) or tilted; an ego on a
slope (pitched and rolled); rays grazing the ground (a level head whose lowest ring is at the ground's
height); actors touching or containing the sensor; scenes far from the origin.  The knobs turned off:

* the per-ring world d_z bounds of the static cast's run scans (``Lidar._ring_bounds`` -> None);
* the near crop's minimum ray count (``static_cast.NEAR_MIN_RAYS``: 0 and never);
* the two-thread sweep (``lidar.two_threads``: forced on and off);
* the vector slab pass of the actor boxes (``actor_boxes.VECTOR_PAIRS``: always and never).
"""

from __future__ import annotations

import math

import numpy as np
import open3d as o3d
import pytest
from sensors_testworld import plane

import sensors.actor_boxes as actor_boxes
import sensors.lidar as lidar_module
import sensors.static_cast as static_cast
from sensors.base import SensorConfig
from sensors.frames import MountPose
from sensors.lidar import Lidar
from sensors.scene import SensorScene, SimpleMesh, static_world_for
from simplatform.world import BoundingBox, EntityKind, EntityState, WorldSnapshot

_WORLDS: dict = {}


def _ramp(offset: np.ndarray, slope: float) -> SimpleMesh:
    """A 200 m ramp rising along +x by ``slope`` (rad), beside the plane."""
    box = o3d.geometry.TriangleMesh.create_box(200.0, 40.0, 0.05)
    box.translate([0.0, -20.0, -0.05])
    box.rotate(o3d.geometry.get_rotation_matrix_from_xyz((0.0, -slope, 0.0)), center=(0, 0, 0))
    box.translate(offset + np.array([5.0, 0.0, 0.0]))
    return SimpleMesh.single(box, "asphalt")


def _world(offset: tuple[float, float], slope: float):
    key = (offset, slope)
    if key not in _WORLDS:
        o = np.array([offset[0], offset[1], 0.0])
        ground = plane(300.0)
        ground.mesh.translate(o)
        wall = o3d.geometry.TriangleMesh.create_box(1.0, 60.0, 8.0)
        wall.translate(o + np.array([-30.0, -30.0, 0.0]))
        _WORLDS[key] = static_world_for([ground, _ramp(o, slope), SimpleMesh.single(wall, "wall")])
    return _WORLDS[key]


def _state(name, x, y, z=0.0, heading=0.0, pitch=0.0, roll=0.0, speed=0.0, ego=False, box=(4.5, 1.8, 1.5),
           centre=(1.4, 0.0, 0.75), yaw_rate=0.0) -> EntityState:
    return EntityState(name=name, kind=EntityKind.VEHICLE, category="car", x=x, y=y, z=z, heading=heading,
                       pitch=pitch, roll=roll, speed=speed, vx=speed * math.cos(heading), vy=speed * math.sin(heading),
                       ax=0.0, ay=0.0, yaw_rate=yaw_rate, bbox=BoundingBox(*box, *centre), lane=None, is_ego=ego)


MOUNTS = {
    "level": MountPose(x=1.2, z=1.9),
    "upside_down": MountPose(x=1.2, z=1.9, roll=math.pi),
    "up": MountPose(z=2.0, pitch=-math.pi / 2),
    "down": MountPose(z=2.0, pitch=math.pi / 2),
    "tilted": MountPose(x=0.5, y=0.3, z=1.7, roll=0.3, pitch=0.25, yaw=2.0),
    "grazing": MountPose(z=0.0),        # the head at the ground's height: its level ring grazes the plane
}
MAY_BE_EMPTY = (MOUNTS["up"], MOUNTS["grazing"])
"""Mounts whose clouds may be empty: pointing at the sky, or the head on the ground's surface (every
ray's first hit is that surface at t = 0, inside min_range; so it was before session 4 too)."""


def make_case(seed: int, preset: str | None = None):
    """(lidar config, snapshot, static world) of one hostile case."""
    rng = np.random.default_rng(seed)
    preset = preset or str(rng.choice(["VLP-16", "HDL-32E", "Livox-Mid40"]))
    mount = MOUNTS[str(rng.choice(list(MOUNTS)))]
    offset = (float(rng.choice([0.0, 1e6, -2.5e5])), float(rng.choice([0.0, 3e5])))
    slope = float(rng.choice([0.0, 0.08, 0.2]))
    world = _world(offset, slope)
    ox, oy = offset
    # the ego on the ramp (pitched) or on the plane, maybe rolled, heading anywhere including +-pi
    on_ramp = rng.random() < 0.5
    x = ox + (float(rng.uniform(10, 60)) if on_ramp else float(rng.uniform(-10, 0)))
    pitch = -slope if on_ramp else float(rng.choice([0.0, 0.05, -0.05]))
    z = math.tan(slope) * (x - ox - 5.0) if on_ramp else 0.0
    heading = float(rng.choice([0.0, math.pi, -math.pi, rng.uniform(-math.pi, math.pi)]))
    ego = _state("ego", x, oy + float(rng.uniform(-3, 3)), z, heading, pitch, float(rng.choice([0.0, 0.04, -0.1])),
                 speed=float(rng.choice([0.0, 15.0, -3.0])), ego=True, yaw_rate=float(rng.choice([0.0, 0.3])))
    others = []
    for k in range(int(rng.integers(0, 14))):
        r, a = float(rng.uniform(3, 60)), float(rng.uniform(-math.pi, math.pi))
        others.append(_state(f"c{k}", ego.x + r * math.cos(a), ego.y + r * math.sin(a), z,
                             float(rng.uniform(-math.pi, math.pi))))
    if rng.random() < 0.15:   # a box around the sensor (a trailer over it: every return inside min_range)
        others.append(_state("around", ego.x + 1.2, ego.y, z, heading, box=(6.0, 3.0, 4.0), centre=(0.0, 0.0, 1.0)))
    if rng.random() < 0.5:   # a box touching the head's position
        others.append(_state("touch", ego.x + 1.2 + 2.25 * math.cos(heading), ego.y + 2.25 * math.sin(heading), z,
                             heading, box=(4.5, 1.8, 1.5), centre=(0.0, 0.0, 1.9)))
    snap = WorldSnapshot.from_states(float(rng.choice([0.0, 0.1, 0.35])), 0, [ego] + others)
    params = {"motion_distortion": bool(rng.random() < 0.25), "labels": bool(rng.random() < 0.7),
              "dropout_probability": float(rng.choice([0.0, 0.0, 0.1]))}
    config = SensorConfig(name="l", type="lidar", preset=preset, mount=mount, parameters=params)
    return config, snap, world


def cloud_bytes(config, snap, world) -> dict[str, bytes]:
    """Every field of the cloud as bytes (NaN and -0.0 told apart)."""
    cloud = Lidar(config).sense(snap, SensorScene(world, snap))
    out = {"width": str(cloud.width).encode()}
    for name, value in vars(cloud).items():
        if isinstance(value, np.ndarray):
            out[name] = value.tobytes() + str(value.dtype).encode() + str(value.shape).encode()
        elif isinstance(value, dict):
            out[name] = b"".join(k.encode() + np.asarray(v).tobytes() for k, v in sorted(value.items()))
        else:
            out[name] = repr(value).encode()
    return out


KNOBS = {
    "no_ring_bounds": lambda m: m.setattr(Lidar, "_ring_bounds", lambda self, *a: None),
    "near_always": lambda m: m.setattr(static_cast, "NEAR_MIN_RAYS", 0),
    "near_never": lambda m: m.setattr(static_cast, "NEAR_MIN_RAYS", 1 << 40),
    "two_threads": lambda m: m.setattr(lidar_module, "two_threads", lambda rays: True),
    "one_thread": lambda m: m.setattr(lidar_module, "two_threads", lambda rays: False),
    "vector_slabs_always": lambda m: m.setattr(actor_boxes, "VECTOR_PAIRS", 0),
    "vector_slabs_never": lambda m: m.setattr(actor_boxes, "VECTOR_PAIRS", 1 << 40),
}


def _check(seed: int, monkeypatch, preset: str | None = None) -> None:
    config, snap, world = make_case(seed, preset)
    want = cloud_bytes(config, snap, world)
    assert int(want["width"]) > 0 or "around" in snap.names or config.mount in MAY_BE_EMPTY, f"seed {seed}: empty"
    for name, turn in KNOBS.items():
        with monkeypatch.context() as m:
            turn(m)
            got = cloud_bytes(config, snap, world)
        bad = [k for k in want if got.get(k) != want[k]]
        assert not bad, f"seed {seed} ({config.preset}, {config.mount}): {name} changes {bad}"


@pytest.mark.parametrize("seed", range(8))
def test_clouds_do_not_depend_on_the_fast_paths(seed, monkeypatch):
    _check(seed, monkeypatch)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(100, 124))
def test_clouds_do_not_depend_on_the_fast_paths_sweep(seed, monkeypatch):
    _check(seed, monkeypatch, "HDL-64E" if seed % 4 == 0 else None)
