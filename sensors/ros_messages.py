"""Adapters from the sensor outputs to the bridge's ROS 2 message dataclasses.

The models return numpy-backed messages (structured arrays are what numpy
does fast); the bridge (``simplatform.bridge.msgs``) speaks ROS 2 types.
Each function here converts one output, e.g. ``to_point_cloud2(cloud)`` →
``sensor_msgs/PointCloud2`` whose ``data`` is the packed PointXYZIRT bytes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from simplatform.bridge import msgs


def header(stamp: float, frame_id: str) -> "msgs.Header":
    return msgs.Header(stamp=msgs.Time.from_seconds(max(stamp, 0.0)), frame_id=frame_id)


def to_point_cloud2(cloud) -> "msgs.PointCloud2":
    return msgs.PointCloud2.from_array(header(cloud.stamp, cloud.frame_id), cloud.points)


def to_radar_scan(scan) -> "msgs.RadarScan":
    returns = tuple(msgs.RadarReturn(**{k: float(r[k]) for k in scan.returns.dtype.names}) for r in scan.returns)
    return msgs.RadarScan(header=header(scan.stamp, scan.frame_id), returns=returns)


_ENCODINGS = {"rgb": ("rgb8", 3), "depth": ("32FC1", 4), "semantic": ("mono8", 1), "instance": ("16UC1", 2)}


def to_images(frame) -> dict[str, Any]:
    """``{"rgb": Image, "depth": Image, "semantic": Image, "instance": Image, "camera_info": CameraInfo}``."""
    out: dict[str, Any] = {}
    h = header(frame.stamp, frame.frame_id)
    for key, (encoding, bytes_per_pixel) in _ENCODINGS.items():
        image = getattr(frame, key)
        if image is None:
            continue
        data = np.ascontiguousarray(image).astype(image.dtype.newbyteorder("<"), copy=False).tobytes()
        out[key] = msgs.Image(header=h, height=image.shape[0], width=image.shape[1], encoding=encoding,
                              is_bigendian=0, step=image.shape[1] * bytes_per_pixel, data=data)
    i = frame.info
    out["camera_info"] = msgs.CameraInfo(header=h, height=i.height, width=i.width, distortion_model=i.distortion_model,
                                         d=tuple(i.d), k=tuple(i.k), r=tuple(i.r), p=tuple(i.p))
    return out


_DETECTION_FIELDS = ("x", "y", "z", "yaw", "existence", "length", "width", "height")


def to_detection3d_array(objects) -> "msgs.Detection3DArray":
    """One Detection3D per object; the fields are read as columns (``tolist`` gives the Python floats
    ``float(row[field])`` gave, float32 fields widened exactly), not element by element."""
    h = header(objects.stamp, objects.frame_id)
    table = objects.objects
    if len(table) == 0:
        return msgs.Detection3DArray(header=h, detections=())
    dets = []
    columns = [table[name].tolist() for name in _DETECTION_FIELDS]
    for x, y, z, yaw, existence, length, width, height, name, category in zip(*columns, objects.names,
                                                                                 objects.categories):
        pose = msgs.Pose(position=msgs.Point(x, y, z), orientation=msgs.Quaternion.from_euler(0.0, 0.0, yaw))
        hyp = msgs.ObjectHypothesisWithPose(hypothesis=msgs.ObjectHypothesis(class_id=category, score=existence),
                                            pose=msgs.PoseWithCovariance(pose=pose))
        box = msgs.BoundingBox3D(center=pose, size=msgs.Vector3(length, width, height))
        dets.append(msgs.Detection3D(header=h, results=(hyp,), bbox=box, id=name))
    return msgs.Detection3DArray(header=h, detections=tuple(dets))


def to_nav_sat_fix(fix) -> "msgs.NavSatFix":
    return msgs.NavSatFix(header=header(fix.stamp, fix.frame_id),
                          status=msgs.NavSatStatus(status=fix.status, service=fix.service),
                          latitude=fix.latitude, longitude=fix.longitude, altitude=fix.altitude,
                          position_covariance=tuple(fix.position_covariance),
                          position_covariance_type=msgs.NavSatFix.COVARIANCE_TYPE_DIAGONAL_KNOWN)


def to_imu(m) -> "msgs.Imu":
    return msgs.Imu(header=header(m.stamp, m.frame_id), orientation=msgs.Quaternion(*m.orientation),
                    orientation_covariance=tuple(m.orientation_covariance),
                    angular_velocity=msgs.Vector3(*m.angular_velocity),
                    angular_velocity_covariance=tuple(m.angular_velocity_covariance),
                    linear_acceleration=msgs.Vector3(*m.linear_acceleration),
                    linear_acceleration_covariance=tuple(m.linear_acceleration_covariance))


def to_ros(message: Any) -> Any:
    """Dispatch on the output type; V2X messages (no ROS standard type) pass through unchanged."""
    from sensors.camera import CameraFrame
    from sensors.gnss import NavSatFixMessage
    from sensors.imu import ImuMessage
    from sensors.object_list import ObjectList
    from sensors.pointcloud import PointCloud
    from sensors.radar_messages import RadarScan

    for kind, fn in ((PointCloud, to_point_cloud2), (RadarScan, to_radar_scan), (CameraFrame, to_images),
                     (ObjectList, to_detection3d_array), (NavSatFixMessage, to_nav_sat_fix), (ImuMessage, to_imu)):
        if isinstance(message, kind):
            return fn(message)
    return message
