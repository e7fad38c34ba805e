"""Session 6: a two-thread sweep's set-up before the cast in one worker job (the ray buffer, then the
random words) while this thread finds the actor pairs and their slab tests from the pattern rows."""

from __future__ import annotations

import numpy as np
import pytest

from sensors.lidar_kernels import ray_buffer
from sensors.lidar_sweep_boxes import pattern_slab_hits, slab_hits, slab_hits_pattern


def _pattern_rays(seed: int, n: int = 5000):
    """Homogeneous pattern rows, a pose matrix and the ray buffer they make (``ray_buffer``)."""
    rng = np.random.default_rng(seed)
    d = rng.normal(size=(n, 3)).astype(np.float32)
    d[100:200, 2] = 0.0                                             # level rays: parallel to the height slabs
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    homogeneous = np.ones((n, 4), np.float32)
    homogeneous[:, :3] = d
    angle = rng.uniform(-np.pi, np.pi)
    c, s = np.cos(angle), np.sin(angle)
    m = np.zeros((4, 6), np.float32)
    m[:3, 3:] = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]]).T
    m[3, :3] = rng.uniform(-5, 5, 3) + [0, 0, 1.5]
    buf = np.empty((n, 6), np.float32)
    ray_buffer(homogeneous, m, buf)
    return homogeneous, m, buf


def _boxes(seed: int):
    from sensors.actor_boxes import actor_boxes
    from sensors_testworld import entity, snapshot

    rng = np.random.default_rng(seed)
    cars = [entity(f"c{k}", x=float(x), y=float(y), heading=float(h)) for k, (x, y, h) in
            enumerate(zip(rng.uniform(-20, 20, 6), rng.uniform(-8, 8, 6), rng.choice([0.0, 0.5, np.pi / 2], 6)))]
    snap = snapshot(entity("ego", ego=True), *cars)
    return actor_boxes(snap, np.arange(1, len(snap)))


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_slab_tests_from_pattern_rows_are_those_from_the_ray_buffer(seed):
    """Each pair's ray made from its pattern row (the buffer's fused multiply-adds) gives the slab tests of
    the buffer's ray, bit for bit: t and face code of every pair."""
    homogeneous, m, buf = _pattern_rays(seed)
    boxes = _boxes(seed)
    rng = np.random.default_rng(seed + 10)
    n = len(buf)
    per_box = [np.sort(rng.permutation(n)[:rng.integers(0, 900)]) for _ in range(len(boxes))]
    ray = np.concatenate(per_box).astype(np.int64)
    offsets = np.concatenate([[0], np.cumsum([len(p) for p in per_box])]).astype(np.int64)
    args = (np.ascontiguousarray(boxes.rotation, dtype=np.float64), np.ascontiguousarray(boxes.centre, dtype=np.float64),
            np.ascontiguousarray(boxes.half, dtype=np.float64))
    want_t, want_code = np.empty(len(ray), np.float32), np.empty(len(ray), np.int8)
    slab_hits(buf, ray, offsets, *args, want_t, want_code)
    got_t, got_code = pattern_slab_hits(boxes, homogeneous, m, ray, offsets)
    assert np.isfinite(want_t).sum() > 10                          # some pairs hit
    assert got_t.tobytes() == want_t.tobytes()
    assert got_code.tobytes() == want_code.tobytes()
    t2, c2 = np.empty(len(ray), np.float32), np.empty(len(ray), np.int8)
    slab_hits_pattern(homogeneous, m, ray, offsets, *args, t2, c2)
    assert t2.tobytes() == want_t.tobytes() and c2.tobytes() == want_code.tobytes()


def test_no_pairs_give_empty_slab_tests():
    homogeneous, m, _ = _pattern_rays(0, 10)
    t, code = pattern_slab_hits(_boxes(0), homogeneous, m, np.zeros(0, np.int64), np.zeros(7, np.int64))
    assert len(t) == 0 and len(code) == 0


def test_buffer_then_draws_fills_the_buffer_then_leaves_the_words_pending():
    """The job fills the buffer (its future done when it is) and then draws the words the next sweep's
    ``stream_for`` takes; on a first sweep (no estimate) it only fills the buffer."""
    from sensors.lidar_draw_ahead import expected_words, finish, stream_for
    from sensors.lidar_sweep_passes import buffer_then_draws

    class Sensor:
        rng = np.random.default_rng(4)

    sensor = Sensor()
    ref = np.random.default_rng(4)
    filled = []
    buffer_then_draws(sensor, lambda: filled.append(1)).result()
    assert filled == [1]
    stream = stream_for(sensor, sensor.rng, 500)
    finish(sensor, sensor.rng, stream, 500)
    ref.random(500, dtype=np.float32)
    assert expected_words(sensor) > 500
    buffer_then_draws(sensor, lambda: filled.append(2)).result()
    stream = stream_for(sensor, sensor.rng, 10)                     # the words drawn ahead, from this state
    assert stream.state == ref.bit_generator.state and stream.available >= expected_words(sensor)
    assert filled == [1, 2]


def test_a_failed_buffer_reaches_the_sweep_and_the_words_are_drawn_again():
    from sensors.lidar_draw_ahead import finish, stream_for
    from sensors.lidar_sweep_passes import buffer_then_draws

    class Sensor:
        rng = np.random.default_rng(9)

    sensor = Sensor()
    ref = np.random.default_rng(9)
    finish(sensor, sensor.rng, stream_for(sensor, sensor.rng, 100), 100)
    ref.random(100, dtype=np.float32)
    with pytest.raises(ZeroDivisionError):
        buffer_then_draws(sensor, lambda: 1 / 0).result()
    stream = stream_for(sensor, sensor.rng, 50)                     # the failed job's words: drawn here instead
    words = stream.raw32[:50].copy()
    finish(sensor, sensor.rng, stream, 50)
    ref_words = np.random.PCG64()
    ref_words.state = ref.bit_generator.state
    assert words.tobytes() == ref_words.random_raw(25).view(np.uint32).tobytes()


@pytest.mark.parametrize("preset", ["HDL-32E", "VLP-16"])
def test_two_thread_sweeps_give_the_one_thread_clouds(preset, monkeypatch):
    """The same clouds (points, labels) and generator state with the worker job and without, over
    consecutive sweeps (the second and third use words drawn ahead)."""
    import sensors.lidar as lidar_module
    from sensors.base import SensorConfig
    from sensors.frames import MountPose
    from sensors.scene import SensorScene, static_world_for
    from sensors_testworld import entity, room, snapshot

    snap = snapshot(entity("ego", ego=True), entity("car", x=6.0, y=1.0, heading=0.3, bbox=(4.0, 2.0, 1.6, 0.0, 0.0, 0.8)),
                    entity("van", x=-5.0, y=-2.0, heading=2.0, bbox=(5.0, 2.2, 2.4, 0.0, 0.0, 1.2)))
    static = static_world_for(room(12.0))
    out = []
    for split in (False, True):
        monkeypatch.setattr(lidar_module, "two_threads", lambda rays, split=split: split)
        sensor = lidar_module.Lidar(SensorConfig(name="top", type="lidar", preset=preset, mount=MountPose(z=1.2),
                                                 seed=3, parameters={"labels": True, "dropout_probability": 0.03}))
        clouds = [sensor.sense(snap, SensorScene(static, snap)) for _ in range(3)]
        out.append((clouds, sensor.rng.bit_generator.state))
    (a, sa), (b, sb) = out
    assert sa == sb
    assert any((c.labels["actor"] >= 0).sum() > 100 for c in a)     # the boxes are hit
    for x, y in zip(a, b):
        assert x.points.tobytes() == y.points.tobytes() and x.labels.tobytes() == y.labels.tobytes()


def test_words_drawn_ahead_from_the_state_where_the_job_runs():
    """The job reads the generator's state when it runs (on the worker): words it draws after someone else
    drew are still the ones from the state ``stream_for`` finds, and the draws stay numpy's."""
    from concurrent.futures import Future

    from sensors.lidar_draw_ahead import draw_ahead, finish, stream_for

    class Sensor:
        """An owner of a word stream (stands in for a Lidar: hashable and weakly referenceable)."""

    owner = Sensor()
    rng = np.random.default_rng(17)
    ref = np.random.default_rng(17)
    finish(owner, rng, stream_for(owner, rng, 64), 64)
    ref.random(64, dtype=np.float32)
    jobs = []

    def later(fn):                                           # runs when the test says, not at submission
        f = Future()
        jobs.append((fn, f))
        return f

    draw_ahead(owner, rng, later)
    assert rng.random() == ref.random()                      # a draw before the job runs
    fn, f = jobs.pop()
    f.set_result(fn())
    stream = stream_for(owner, rng, 200)
    assert stream is f.result()                               # the job's words start at the present state
    words = stream.raw32[:200].copy()
    finish(owner, rng, stream, 200)
    ref_words = np.random.PCG64()
    ref_words.state = dict(ref.bit_generator.state)
    want = ref_words.random_raw(100).view(np.uint32) if not ref.bit_generator.state["has_uint32"] else None
    if want is not None:
        assert words.tobytes() == want.tobytes()
    assert rng.random(5).tobytes() == (ref.random(200, dtype=np.float32), ref.random(5))[1].tobytes()
