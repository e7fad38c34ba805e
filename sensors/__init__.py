"""Sensor models over an open3d ray-casting scene: lidar, radar, camera, object list, GNSS, IMU, V2X.

Typical use, once per step::

    from sensors import SensorScene, static_world_for, load_rig, build_rig
    rig = load_rig("launch/rigs/sedan.yaml").with_seed(run_seed, scenario_id)
    sensors = build_rig(rig, geo_reference)
    static = static_world_for(road_mesh)             # built once per map, cached
    scene = SensorScene(static, snapshot)            # actors of this step
    outputs = {name: s.sense(snapshot, scene) for name, s in sensors.items()
               if is_due(s.config, snapshot.step, dt)}

Frames are ISO 8855 / REP-103 (x forward, y left, z up) with mounts relative
to the ego's rear-axle centre; randomness comes only from each sensor's
generator, ``default_rng([seed, crc32(scenario_id), crc32(sensor name)])``.
"""

from sensors.base import Sensor, SensorConfig, is_due, period_steps, sensor_rng
from sensors.frames import MountPose, Transform
from sensors.rig import RigConfig, build_rig, build_sensor, load_rig, parse_rig
from sensors.scene import ActorMesh, RayHits, SensorScene, SimpleMesh, StaticWorld, static_world_for

__all__ = [
    "ActorMesh", "MountPose", "RayHits", "RigConfig", "Sensor", "SensorConfig", "SensorScene", "SimpleMesh",
    "StaticWorld", "Transform", "build_rig", "build_sensor", "is_due", "load_rig", "parse_rig", "period_steps",
    "render_rig", "sensor_rng", "static_world_for",
]


def render_rig(*args, **kwargs):
    """See ``sensors.render.render_rig`` (imported lazily: it pulls in every model)."""
    from sensors.render import render_rig as _render

    return _render(*args, **kwargs)
