"""Session 4 sweep speed-ups, each checked bit for bit against the numpy code it replaces."""

from __future__ import annotations

import numpy as np
import pytest

from sensors.pointcloud import POINT_DTYPE
from sensors.scene_region import INVALID_ID, Region
from sensors.static_cast import _collect, _materials, end_runs
from simplatform.bridge.msgs import Header
from simplatform.bridge.msgs.types_sensor import POINT_FIELD_DTYPES, PointCloud2, PointField


def _end_runs_reference(values, threshold, below):
    n = len(values)
    test = (lambda v: v <= threshold) if below else (lambda v: v > threshold)
    head = 0
    while head < n and test(values[head]):
        head += 1
    if head == n:
        return n, n
    tail = 0
    while tail < n and test(values[n - 1 - tail]):
        tail += 1
    return head, tail


@pytest.mark.parametrize("below", [True, False])
def test_end_runs_matches_the_value_by_value_scan(below):
    rng = np.random.default_rng(3)
    for n in (0, 1, 5, 63, 64, 65, 127, 128, 129, 300, 1000):
        for head, tail in ((0, 0), (n, 0), (n // 2, n // 3), (64, 1), (1, 64), (n - 1, 0), (0, n - 1)):
            if head + tail > n or head < 0 or tail < 0:
                continue
            inside = -1.0 if below else 1.0
            values = np.full(n, -inside, np.float32)
            values[:head] = inside
            values[n - tail:] = inside if tail else values[n - tail:]
            if n > 2:                                          # a NaN is in no run
                values[rng.integers(0, n)] = np.nan if rng.random() < 0.3 else values[0]
            assert end_runs(values, np.float32(0.0), below) == _end_runs_reference(values, np.float32(0.0), below)


def test_collect_is_the_copies_and_a_clipped_take():
    rng = np.random.default_rng(4)
    table = np.concatenate([rng.integers(0, 9, 50).astype(np.int32), np.array([-1], np.int32)])
    n, s, m = 300, 40, 200
    ids = rng.integers(0, 60, m).astype(np.uint32)
    ids[::7] = INVALID_ID
    tp = rng.standard_normal(m).astype(np.float32)
    tp[::5] = np.inf
    npart = rng.standard_normal((m, 3)).astype(np.float32)
    t, normal, material = np.zeros(n, np.float32), np.zeros((n, 3), np.float32), np.zeros(n, np.int32)
    _collect(tp, npart, ids, table, t, normal, material, s)
    ref_t, ref_n, ref_m = np.zeros(n, np.float32), np.zeros((n, 3), np.float32), np.zeros(n, np.int32)
    ref_t[s:s + m] = tp
    ref_n[s:s + m] = npart
    np.take(table, ids, mode="clip", out=ref_m[s:s + m])
    assert t.tobytes() == ref_t.tobytes() and normal.tobytes() == ref_n.tobytes()
    assert np.array_equal(material, ref_m)
    out = np.empty(m, np.int32)
    _materials(ids, table, out)
    assert np.array_equal(out, np.take(table, ids, mode="clip"))



def test_region_covers_measures_as_linalg_norm():
    rng = np.random.default_rng(5)
    region = Region(None, np.zeros(1, np.int32), np.array([12.5, -3.25, 0.75]), 100.0, 0)
    for _ in range(20000):
        centre = region.centre + rng.standard_normal(3) * rng.uniform(0, 150)
        reach = float(rng.uniform(0, 100))
        assert region.covers(centre, reach) == (float(np.linalg.norm(centre - region.centre)) + reach <= region.radius)
    # on the boundary: the norm exactly as numpy gives it
    centre = region.centre + np.array([30.1, 40.3, 7.7])
    reach = region.radius - float(np.linalg.norm(centre - region.centre))
    assert region.covers(centre, reach)
    for _ in range(6):
        reach = float(np.nextafter(reach, np.inf))
        assert region.covers(centre, reach) == (float(np.linalg.norm(centre - region.centre)) + reach <= region.radius)


def _from_array_reference(header, points, height=1, is_dense=True):
    """The packing as it was before the fields were cached (session 3)."""
    dtype_to_datatype = {np.dtype(v): k for k, v in POINT_FIELD_DTYPES.items()}
    fields = []
    for name in points.dtype.names:
        sub, offset = points.dtype.fields[name][:2]
        base = sub.base.newbyteorder("<") if sub.base.byteorder == ">" else sub.base
        datatype = dtype_to_datatype[np.dtype(base)]
        count = int(np.prod(sub.shape)) if sub.shape else 1
        fields.append(PointField(name=name, offset=int(offset), datatype=datatype, count=count))
    width = len(points) // height
    little = np.ascontiguousarray(points.astype(points.dtype.newbyteorder("<"), copy=False))
    return PointCloud2(header=header, height=height, width=width, fields=tuple(fields), is_bigendian=False,
                       point_step=points.dtype.itemsize, row_step=points.dtype.itemsize * width,
                       data=little.tobytes(), is_dense=is_dense)


def test_point_cloud2_packing_is_unchanged():
    rng = np.random.default_rng(6)
    pts = np.empty(37, POINT_DTYPE)
    for name in POINT_DTYPE.names:
        pts[name] = rng.uniform(0, 100, 37)
    big = np.dtype([("x", ">f4"), ("v", ">f8", (2,)), ("ring", ">u2"), ("k", "u1")])
    other = np.empty(36, big)
    for name in big.names:
        other[name] = rng.uniform(0, 50, other[name].shape)
    h = Header(frame_id="lidar")
    for points, height in ((pts, 1), (pts, 1), (pts[::2], 1), (other, 1), (other, 3), (other[::-1], 2)):
        got = PointCloud2.from_array(h, points, height=height)
        assert got == _from_array_reference(h, points, height)
        assert type(got.data) is bytes
    with pytest.raises(ValueError, match="structured"):
        PointCloud2.from_array(h, np.zeros(3))
    with pytest.raises(ValueError, match="cannot express"):
        PointCloud2.from_array(h, np.zeros(3, [("x", "<c8")]))
    with pytest.raises(ValueError, match="rows"):
        PointCloud2.from_array(h, pts, height=4)


def test_warm_up_compiles_the_session_4_kernels():
    from sensors import static_cast
    from sensors.warmup import warm_up

    warm_up()
    assert all(k.signatures for k in (static_cast._collect, static_cast._materials, static_cast.end_runs))
