"""The ROS 2 ``.msg`` definition text of every message type the bridge speaks.

Why text: the definitions are the single source of truth for field names,
types and array bounds.  The JSON/CBOR codec walks them, the CDR codec hands
them to ``mcap_ros2`` (which parses ``.msg`` text with the vendored
``rosidl_adapter`` parser), and an MCAP recorder stores them as the channel
schema (MCAP ``ros2msg`` encoding, concatenated dependencies).  A test checks
that every dataclass in :mod:`simplatform.bridge.msgs` has exactly these fields.

Sources (field order and types as shipped in ROS 2 Humble):
builtin_interfaces, std_msgs, rosgraph_msgs, geometry_msgs, nav_msgs,
sensor_msgs (common_interfaces), radar_msgs (ros-perception/radar_msgs),
ackermann_msgs (ros-drivers/ackermann_msgs), carla_msgs (carla-simulator/ros-bridge,
ROS 2 branch), vision_msgs 4.x (ros-perception/vision_msgs), tf2_msgs (ros2/geometry2).
Comments are left out; constants are kept because they are part of the type.
"""

from __future__ import annotations

MSG_DEFINITIONS: dict[str, str] = {
    "builtin_interfaces/msg/Time": """\
int32 sec
uint32 nanosec
""",
    "builtin_interfaces/msg/Duration": """\
int32 sec
uint32 nanosec
""",
    "std_msgs/msg/Header": """\
builtin_interfaces/Time stamp
string frame_id
""",
    "std_msgs/msg/String": """\
string data
""",
    "std_msgs/msg/MultiArrayDimension": """\
string label
uint32 size
uint32 stride
""",
    "std_msgs/msg/MultiArrayLayout": """\
MultiArrayDimension[] dim
uint32 data_offset
""",
    "std_msgs/msg/Float32MultiArray": """\
MultiArrayLayout  layout
float32[]         data
""",
    "rosgraph_msgs/msg/Clock": """\
builtin_interfaces/Time clock
""",
    "geometry_msgs/msg/Point": """\
float64 x
float64 y
float64 z
""",
    "geometry_msgs/msg/Quaternion": """\
float64 x 0
float64 y 0
float64 z 0
float64 w 1
""",
    "geometry_msgs/msg/Vector3": """\
float64 x
float64 y
float64 z
""",
    "geometry_msgs/msg/Pose": """\
Point position
Quaternion orientation
""",
    "geometry_msgs/msg/PoseWithCovariance": """\
Pose pose
float64[36] covariance
""",
    "geometry_msgs/msg/PoseStamped": """\
std_msgs/Header header
Pose pose
""",
    "geometry_msgs/msg/Twist": """\
Vector3 linear
Vector3 angular
""",
    "geometry_msgs/msg/TwistWithCovariance": """\
Twist twist
float64[36] covariance
""",
    "geometry_msgs/msg/Accel": """\
Vector3 linear
Vector3 angular
""",
    "geometry_msgs/msg/Transform": """\
Vector3 translation
Quaternion rotation
""",
    "geometry_msgs/msg/TransformStamped": """\
std_msgs/Header header
string child_frame_id
Transform transform
""",
    "tf2_msgs/msg/TFMessage": """\
geometry_msgs/TransformStamped[] transforms
""",
    "nav_msgs/msg/Odometry": """\
std_msgs/Header header
string child_frame_id
geometry_msgs/PoseWithCovariance pose
geometry_msgs/TwistWithCovariance twist
""",
    "nav_msgs/msg/Path": """\
std_msgs/Header header
geometry_msgs/PoseStamped[] poses
""",
    "sensor_msgs/msg/PointField": """\
uint8 INT8    = 1
uint8 UINT8   = 2
uint8 INT16   = 3
uint8 UINT16  = 4
uint8 INT32   = 5
uint8 UINT32  = 6
uint8 FLOAT32 = 7
uint8 FLOAT64 = 8
string name
uint32 offset
uint8  datatype
uint32 count
""",
    "sensor_msgs/msg/PointCloud2": """\
std_msgs/Header header
uint32 height
uint32 width
PointField[] fields
bool    is_bigendian
uint32  point_step
uint32  row_step
uint8[] data
bool is_dense
""",
    "sensor_msgs/msg/Image": """\
std_msgs/Header header
uint32 height
uint32 width
string encoding
uint8 is_bigendian
uint32 step
uint8[] data
""",
    "sensor_msgs/msg/RegionOfInterest": """\
uint32 x_offset
uint32 y_offset
uint32 height
uint32 width
bool do_rectify
""",
    "sensor_msgs/msg/CameraInfo": """\
std_msgs/Header header
uint32 height
uint32 width
string distortion_model
float64[] d
float64[9]  k
float64[9]  r
float64[12] p
uint32 binning_x
uint32 binning_y
RegionOfInterest roi
""",
    "sensor_msgs/msg/Imu": """\
std_msgs/Header header
geometry_msgs/Quaternion orientation
float64[9] orientation_covariance
geometry_msgs/Vector3 angular_velocity
float64[9] angular_velocity_covariance
geometry_msgs/Vector3 linear_acceleration
float64[9] linear_acceleration_covariance
""",
    "sensor_msgs/msg/NavSatStatus": """\
int8 STATUS_NO_FIX =  -1
int8 STATUS_FIX =      0
int8 STATUS_SBAS_FIX = 1
int8 STATUS_GBAS_FIX = 2
int8 status
uint16 SERVICE_GPS =     1
uint16 SERVICE_GLONASS = 2
uint16 SERVICE_COMPASS = 4
uint16 SERVICE_GALILEO = 8
uint16 service
""",
    "sensor_msgs/msg/NavSatFix": """\
std_msgs/Header header
NavSatStatus status
float64 latitude
float64 longitude
float64 altitude
float64[9] position_covariance
uint8 COVARIANCE_TYPE_UNKNOWN = 0
uint8 COVARIANCE_TYPE_APPROXIMATED = 1
uint8 COVARIANCE_TYPE_DIAGONAL_KNOWN = 2
uint8 COVARIANCE_TYPE_KNOWN = 3
uint8 position_covariance_type
""",
    "radar_msgs/msg/RadarReturn": """\
float32 range
float32 azimuth
float32 elevation
float32 doppler_velocity
float32 amplitude
""",
    "radar_msgs/msg/RadarScan": """\
std_msgs/Header header
radar_msgs/RadarReturn[] returns
""",
    "ackermann_msgs/msg/AckermannDrive": """\
float32 steering_angle
float32 steering_angle_velocity
float32 speed
float32 acceleration
float32 jerk
""",
    "ackermann_msgs/msg/AckermannDriveStamped": """\
std_msgs/Header header
AckermannDrive drive
""",
    "carla_msgs/msg/CarlaEgoVehicleControl": """\
std_msgs/Header header
float32 throttle
float32 steer
float32 brake
bool hand_brake
bool reverse
int32 gear
bool manual_gear_shift
""",
    "carla_msgs/msg/CarlaEgoVehicleStatus": """\
std_msgs/Header header
float32 velocity
geometry_msgs/Accel acceleration
geometry_msgs/Quaternion orientation
CarlaEgoVehicleControl control
""",
    "carla_msgs/msg/CarlaTrafficLightStatus": """\
uint32 id
uint8 RED=0
uint8 YELLOW=1
uint8 GREEN=2
uint8 OFF=3
uint8 UNKNOWN=4
uint8 state
""",
    "carla_msgs/msg/CarlaTrafficLightStatusList": """\
CarlaTrafficLightStatus[] traffic_lights
""",
    "vision_msgs/msg/ObjectHypothesis": """\
string class_id
float64 score
""",
    "vision_msgs/msg/ObjectHypothesisWithPose": """\
ObjectHypothesis hypothesis
geometry_msgs/PoseWithCovariance pose
""",
    "vision_msgs/msg/BoundingBox3D": """\
geometry_msgs/Pose center
geometry_msgs/Vector3 size
""",
    "vision_msgs/msg/Detection3D": """\
std_msgs/Header header
ObjectHypothesisWithPose[] results
BoundingBox3D bbox
string id
""",
    "vision_msgs/msg/Detection3DArray": """\
std_msgs/Header header
Detection3D[] detections
""",
}
