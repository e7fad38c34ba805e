"""Review (session 7): the box-first proof (``sensors/static_boxes.py``) switched off must give the same
clouds as switched on — a reference that needs no base tree.  ``static_cast.prove_box_first`` is replaced by
one that proves nothing (every ray cast as in e23f302), and the sweep is made again.

* Ordinary sweeps (one thread, motion distortion, labels) among 14 cars on a deck with piers: the same bits.
* An origin ball of radius ~10²⁹⁹ m (a motion-distorted head on an ego at 10³⁰⁰ m/s, or a yaw rate of
  10³⁰⁰ rad/s: ``Lidar._distort``'s ball): ``height_profile`` sizes its profile by ρ_w = r + ζ, which c022d38
  did not bound (it clipped the range only), so the sweep raises ``ValueError: Maximum allowed dimension
  exceeded`` (seen at 10¹⁰⁰ and 10³⁰⁰ m/s or rad/s; at 10⁸–10²⁰ this sweep attempts no proof); e23f302 and
  the proof switched off give the cloud (was a strict xfail; fixed: ``height_profile`` gives no profile, and
  ``prove_box_first`` proves nothing, where it would need more than ``MAX_PROFILE_BINS`` bins).  Absurd inputs, but the class of the
  non-finite / huge poses session 6's review covered: an exception where there was a cloud.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

import s6jobs
import s6worlds
import s7driver


def _sweeps(ego: list, params: dict, proof: bool, sweeps: int = 2) -> list[str]:
    import sensors.lidar as lidar_module
    import sensors.static_cast as static_cast
    from sensors.base import SensorConfig
    from sensors.frames import MountPose
    from sensors.lidar import Lidar
    from sensors.ros_messages import to_point_cloud2
    from sensors.scene import SensorScene, StaticWorld

    world = StaticWorld(s6jobs._as_parts(s6worlds.synthetic("deck", 6)))
    rng = np.random.default_rng(4)
    cars = [{"p": [float(rng.uniform(3, 30)), float(rng.uniform(-6, 6)), 0.0, float(rng.uniform(-3, 3)), 0, 0],
             "bb": [4.6, 1.9, 1.5, 0, 0, 0.75], "ped": False} for _ in range(14)]
    lidar = Lidar(SensorConfig(name="l", type="lidar", preset="HDL-64E", seed=2, mount=MountPose(1.3, 0, 1.9, 0, 0, 0),
                               parameters=dict(params)))
    real_cores, real_prove = lidar_module.cores, static_cast.prove_box_first
    lidar_module.cores = lambda: 1
    if not proof:
        static_cast.prove_box_first = lambda *a, **k: None
    try:
        out = []
        for j in range(sweeps):
            snap = s7driver.snapshot({"t": 0.1 * j, "ego": ego, "actors": cars})
            cloud = lidar.sense(snap, SensorScene(world, snap))
            h = hashlib.sha256(bytes(to_point_cloud2(cloud).data))
            for name in ("labels", "actor_ids"):
                value = getattr(cloud, name, None)
                if isinstance(value, np.ndarray):
                    h.update(value.tobytes())
            out.append(h.hexdigest()[:16] + f" {len(cloud.points)}")
        return out
    finally:
        lidar_module.cores, static_cast.prove_box_first = real_cores, real_prove


@pytest.mark.parametrize("params", [{"labels": True}, {"motion_distortion": True, "labels": True},
                                    {"motion_distortion": True, "max_range_m": 2000.0}])
def test_proof_off_gives_the_same_clouds(params: dict) -> None:
    ego = [20.0, 0.0, 0.0, 0.3, 0.0, 0.0, 25.0, 0.0, 1.5]
    on = _sweeps(ego, params, True)
    assert on == _sweeps(ego, params, False)
    assert all(int(s.split()[1]) > 1000 for s in on)


# was a strict xfail (ValueError from height_profile); fixed: a profile longer than MAX_PROFILE_BINS proves nothing
@pytest.mark.parametrize("speed, yaw_rate", [(1e300, 0.0), (0.0, 1e300)])
def test_huge_origin_ball_gives_the_cloud_of_the_cast_without_proof(speed: float, yaw_rate: float) -> None:
    ego = [20.0, 0.0, 0.0, 0.0, 0.0, 0.0, speed, 0.0, yaw_rate]
    params = {"motion_distortion": True, "labels": True}
    assert _sweeps(ego, params, True, 1) == _sweeps(ego, params, False, 1)
