"""sensor_msgs and radar_msgs as frozen dataclasses (ROS 2 field names, order, defaults).

Byte payloads (``PointCloud2.data``, ``Image.data``) are ``bytes``: they travel
as base64 in rosbridge JSON, as a CBOR byte string, and as a CDR octet
sequence without a Python loop per element.  :meth:`PointCloud2.from_xyzi`
and :meth:`PointCloud2.to_array` pack and unpack points with numpy structured
dtypes, the layout ``sensor_msgs_py.point_cloud2`` produces.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from .types_core import Header, Quaternion, Vector3

_ZERO9: tuple[float, ...] = (0.0,) * 9


@dataclass(frozen=True)
class PointField:
    """sensor_msgs/PointField: one named channel of a point, at a byte offset."""

    ROS_TYPE: ClassVar[str] = "sensor_msgs/msg/PointField"
    INT8: ClassVar[int] = 1
    UINT8: ClassVar[int] = 2
    INT16: ClassVar[int] = 3
    UINT16: ClassVar[int] = 4
    INT32: ClassVar[int] = 5
    UINT32: ClassVar[int] = 6
    FLOAT32: ClassVar[int] = 7
    FLOAT64: ClassVar[int] = 8
    name: str = ""
    offset: int = 0
    datatype: int = 0
    count: int = 0


# PointField datatype -> numpy little-endian dtype (sensor_msgs_py.point_cloud2 uses the same table).
POINT_FIELD_DTYPES: dict[int, str] = {
    PointField.INT8: "i1", PointField.UINT8: "u1", PointField.INT16: "<i2",
    PointField.UINT16: "<u2", PointField.INT32: "<i4", PointField.UINT32: "<u4",
    PointField.FLOAT32: "<f4", PointField.FLOAT64: "<f8",
}


_DTYPE_TO_DATATYPE: dict[np.dtype, int] = {np.dtype(v): k for k, v in POINT_FIELD_DTYPES.items()}
_FIELDS_OF: dict[np.dtype, tuple["PointField", ...]] = {}
"""The PointFields of each record dtype packed so far: a sensor packs the same dtype every sweep."""


def _point_fields(dtype: np.dtype) -> tuple["PointField", ...]:
    """PointFields (name, offset, datatype, count) of a structured record dtype; ValueError when a field
    has no PointField datatype."""
    fields = _FIELDS_OF.get(dtype)
    if fields is not None:
        return fields
    if dtype.names is None:
        raise ValueError("points must be a numpy structured array (named fields)")
    out = []
    for name in dtype.names:
        sub, offset = dtype.fields[name][:2]
        base = sub.base.newbyteorder("<") if sub.base.byteorder == ">" else sub.base
        datatype = _DTYPE_TO_DATATYPE.get(np.dtype(base))
        if datatype is None:
            raise ValueError(f"point field {name!r} has dtype {sub} which PointField cannot express")
        count = int(np.prod(sub.shape)) if sub.shape else 1
        out.append(PointField(name=name, offset=int(offset), datatype=datatype, count=count))
    fields = tuple(out)
    if len(_FIELDS_OF) < 64:
        _FIELDS_OF[dtype] = fields
    return fields


def _native_little(points: np.ndarray) -> bool:
    """Whether ``points.tobytes()`` already is the little-endian packing: C-contiguous and no field
    stored big-endian (``astype(newbyteorder("<"))`` would then return the array itself)."""
    if not points.flags.c_contiguous:
        return False
    little = _LITTLE_DTYPES.get(points.dtype)
    if little is None:
        little = points.dtype.newbyteorder("<") == points.dtype
        if len(_LITTLE_DTYPES) < 64:
            _LITTLE_DTYPES[points.dtype] = little
    return little


_LITTLE_DTYPES: dict[np.dtype, bool] = {}


@dataclass(frozen=True)
class PointCloud2:
    """sensor_msgs/PointCloud2: ``height`` rows of ``width`` points of ``point_step`` bytes."""

    ROS_TYPE: ClassVar[str] = "sensor_msgs/msg/PointCloud2"
    header: Header = field(default_factory=Header)
    height: int = 0
    width: int = 0
    fields: tuple[PointField, ...] = ()
    is_bigendian: bool = False
    point_step: int = 0
    row_step: int = 0
    data: bytes = b""
    is_dense: bool = False

    @classmethod
    def from_array(cls, header: Header, points: np.ndarray, *, height: int = 1, is_dense: bool = True) -> "PointCloud2":
        """Pack a numpy structured array (one record per point) into a cloud.

        ``height`` > 1 makes an organised cloud (a lidar's channels as rows),
        which needs ``len(points)`` divisible by ``height``.
        """
        fields = _point_fields(points.dtype)
        n = len(points)
        if height < 1 or n % height:
            raise ValueError(f"{n} points cannot form {height} rows")
        width = n // height
        little = points if _native_little(points) else np.ascontiguousarray(
            points.astype(points.dtype.newbyteorder("<"), copy=False))
        return cls(
            header=header, height=height, width=width, fields=fields, is_bigendian=False,
            point_step=points.dtype.itemsize, row_step=points.dtype.itemsize * width,
            data=little.tobytes(), is_dense=is_dense,
        )

    @classmethod
    def from_xyzi(cls, header: Header, xyz: np.ndarray, intensity: np.ndarray | None = None,
                  *, height: int = 1) -> "PointCloud2":
        """The common lidar layout: float32 x, y, z, intensity (16 bytes per point)."""
        n = len(xyz)
        rec = np.empty(n, dtype=[("x", "<f4"), ("y", "<f4"), ("z", "<f4"), ("intensity", "<f4")])
        rec["x"], rec["y"], rec["z"] = xyz[:, 0], xyz[:, 1], xyz[:, 2]
        rec["intensity"] = 0.0 if intensity is None else intensity
        return cls.from_array(header, rec, height=height)

    def numpy_dtype(self) -> np.dtype:
        """The structured dtype of one point, from ``fields``, ``point_step`` and endianness."""
        order = ">" if self.is_bigendian else "<"
        names, formats, offsets = [], [], []
        for f in self.fields:
            base = np.dtype(POINT_FIELD_DTYPES[f.datatype]).newbyteorder(order)
            names.append(f.name)
            formats.append((base, (f.count,)) if f.count > 1 else base)
            offsets.append(f.offset)
        return np.dtype({"names": names, "formats": formats, "offsets": offsets, "itemsize": self.point_step})

    def to_array(self) -> np.ndarray:
        """The points as a structured array, shape (height * width,)."""
        return np.frombuffer(self.data, dtype=self.numpy_dtype(), count=self.height * self.width)


@dataclass(frozen=True)
class Image:
    """sensor_msgs/Image; ``encoding`` names the pixel layout (``rgb8``, ``32FC1``, ...)."""

    ROS_TYPE: ClassVar[str] = "sensor_msgs/msg/Image"
    header: Header = field(default_factory=Header)
    height: int = 0
    width: int = 0
    encoding: str = ""
    is_bigendian: int = 0
    step: int = 0
    data: bytes = b""


@dataclass(frozen=True)
class RegionOfInterest:
    ROS_TYPE: ClassVar[str] = "sensor_msgs/msg/RegionOfInterest"
    x_offset: int = 0
    y_offset: int = 0
    height: int = 0
    width: int = 0
    do_rectify: bool = False


@dataclass(frozen=True)
class CameraInfo:
    """sensor_msgs/CameraInfo: intrinsics ``k`` (3x3), rectification ``r``, projection ``p`` (3x4)."""

    ROS_TYPE: ClassVar[str] = "sensor_msgs/msg/CameraInfo"
    header: Header = field(default_factory=Header)
    height: int = 0
    width: int = 0
    distortion_model: str = ""
    d: tuple[float, ...] = ()
    k: tuple[float, ...] = _ZERO9
    r: tuple[float, ...] = _ZERO9
    p: tuple[float, ...] = (0.0,) * 12
    binning_x: int = 0
    binning_y: int = 0
    roi: RegionOfInterest = field(default_factory=RegionOfInterest)


@dataclass(frozen=True)
class Imu:
    """sensor_msgs/Imu; a covariance whose first element is -1 means "not provided" (REP-145)."""

    ROS_TYPE: ClassVar[str] = "sensor_msgs/msg/Imu"
    header: Header = field(default_factory=Header)
    orientation: Quaternion = field(default_factory=Quaternion)
    orientation_covariance: tuple[float, ...] = _ZERO9
    angular_velocity: Vector3 = field(default_factory=Vector3)
    angular_velocity_covariance: tuple[float, ...] = _ZERO9
    linear_acceleration: Vector3 = field(default_factory=Vector3)
    linear_acceleration_covariance: tuple[float, ...] = _ZERO9


@dataclass(frozen=True)
class NavSatStatus:
    ROS_TYPE: ClassVar[str] = "sensor_msgs/msg/NavSatStatus"
    STATUS_NO_FIX: ClassVar[int] = -1
    STATUS_FIX: ClassVar[int] = 0
    STATUS_SBAS_FIX: ClassVar[int] = 1
    STATUS_GBAS_FIX: ClassVar[int] = 2
    SERVICE_GPS: ClassVar[int] = 1
    SERVICE_GLONASS: ClassVar[int] = 2
    SERVICE_COMPASS: ClassVar[int] = 4
    SERVICE_GALILEO: ClassVar[int] = 8
    status: int = 0
    service: int = 0


@dataclass(frozen=True)
class NavSatFix:
    """sensor_msgs/NavSatFix: WGS-84 latitude/longitude (degrees, as the message defines) and altitude."""

    ROS_TYPE: ClassVar[str] = "sensor_msgs/msg/NavSatFix"
    COVARIANCE_TYPE_UNKNOWN: ClassVar[int] = 0
    COVARIANCE_TYPE_APPROXIMATED: ClassVar[int] = 1
    COVARIANCE_TYPE_DIAGONAL_KNOWN: ClassVar[int] = 2
    COVARIANCE_TYPE_KNOWN: ClassVar[int] = 3
    header: Header = field(default_factory=Header)
    status: NavSatStatus = field(default_factory=NavSatStatus)
    latitude: float = 0.0
    longitude: float = 0.0
    altitude: float = 0.0
    position_covariance: tuple[float, ...] = _ZERO9
    position_covariance_type: int = 0


@dataclass(frozen=True)
class RadarReturn:
    """radar_msgs/RadarReturn: one detection in polar coordinates (m, rad, m/s, dB-ish amplitude)."""

    ROS_TYPE: ClassVar[str] = "radar_msgs/msg/RadarReturn"
    range: float = 0.0
    azimuth: float = 0.0
    elevation: float = 0.0
    doppler_velocity: float = 0.0
    amplitude: float = 0.0


@dataclass(frozen=True)
class RadarScan:
    ROS_TYPE: ClassVar[str] = "radar_msgs/msg/RadarScan"
    header: Header = field(default_factory=Header)
    returns: tuple[RadarReturn, ...] = ()
