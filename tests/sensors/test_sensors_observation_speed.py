"""The fast paths of the observations the reference stack reads: same numbers as the slow ones."""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation

from sensors.base import SensorConfig
from sensors.frames import MountPose, quaternion_from_matrix, rotation_matrix, sensor_transform
from sensors.object_list import ObjectListSensor
from sensors.scene import SensorScene, static_world_for

from sensors_testworld import entity, snapshot


def test_closed_form_quaternion_is_scipys_bit_for_bit():
    rng = np.random.default_rng(7)
    angles = [rng.uniform(-np.pi, np.pi, 3) * scale for scale in (1.0, 1e-3, 1e-8) for _ in range(300)]
    angles += [np.array([np.pi, 0.0, 0.0]), np.array([0.0, np.pi / 2, 0.0]), np.array([0.0, 0.0, np.pi])]
    for a in angles:
        r = rotation_matrix(*a)
        assert quaternion_from_matrix(r) == tuple(Rotation.from_matrix(r).as_quat())


def test_occlusion_of_a_subset_equals_the_full_cast():
    ego = entity("ego", ego=True)
    front = entity("front", x=20.0, bbox=(4.5, 2.0, 3.0, 0.0, 0.0, 1.5), category="truck")
    hidden = entity("hidden", x=45.0, bbox=(4.5, 1.8, 1.4, 0.0, 0.0, 0.7))
    half = entity("half", x=40.0, y=2.0)
    side = entity("side", x=10.0, y=30.0)
    snap = snapshot(ego, front, hidden, half, side)
    scene = SensorScene(static_world_for(None), snap)
    sensor = ObjectListSensor(SensorConfig(name="o", type="objects", mount=MountPose(z=1.5), rate_hz=10.0,
                                           parameters={"ideal": True, "horizontal_fov_deg": 60.0}))
    to_world = sensor_transform(snap, sensor.config.mount)
    idx, full = sensor.visible_fraction(snap, scene, to_world)
    assert 0.0 < full[list(idx).index(snap.index("half"))] < 1.0     # the case is not trivial
    assert full[list(idx).index(snap.index("hidden"))] == 0.0
    pick = np.array([snap.index("half"), snap.index("hidden")])
    sub_idx, sub = sensor.visible_fraction(snap, scene, to_world, pick)
    assert list(sub_idx) == list(pick)
    assert np.array_equal(sub, full[[list(idx).index(i) for i in pick]])
    out = sensor.sense(snap, scene)
    assert set(out.names) == {"front", "half"}                       # side: outside the FoV, hidden: occluded
