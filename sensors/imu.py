"""IMU: specific force and angular rate in the sensor frame, with MEMS noise and bias walk.

Kinematics: the ego reference point's acceleration (snapshot ``ax, ay``, world
frame) moved to the mount by the rigid-body terms ω̇×r + ω×(ω×r), gravity
removed the way an accelerometer sees it, f = Rᵀ(a + g·ẑ), and the body rate
ω = Rᵀ(0, 0, yaw rate) plus roll/pitch rates differenced between calls.
Noise (IEEE Std 952-1997 Annex C; the discrete form of the Kalibr "IMU Noise
Model"): white noise σ_d = σ_c/√Δt from the noise densities, and biases that
random-walk b_k = b_{k−1} + σ_bc·√Δt·N(0, 1).  Default densities are of a
Bosch BMI088-class MEMS IMU (accel 175 µg/√Hz, gyro 0.014 °/s/√Hz).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sensors.base import SensorConfig, TypedParameters
from sensors.frames import ego_index, euler_from_matrix, quaternion_from_matrix, sensor_transform
from sensors.latency import DelayLine
from simplatform.world import WorldSnapshot

GRAVITY = 9.80665

_DEFAULTS = {
    "accelerometer_noise_density": 1.7e-3, "gyroscope_noise_density": 2.4e-4,
    "accelerometer_bias_random_walk": 4.0e-4, "gyroscope_bias_random_walk": 2.0e-5,
    "orientation_noise_rad": 0.0, "latency_s": 0.0, "frame_id": None,
}


@dataclass(frozen=True)
class ImuMessage:
    stamp: float
    frame_id: str
    orientation: tuple[float, float, float, float]
    """(x, y, z, w) of the sensor frame in the world (ENU) frame."""
    angular_velocity: tuple[float, float, float]
    linear_acceleration: tuple[float, float, float]
    orientation_covariance: tuple[float, ...]
    angular_velocity_covariance: tuple[float, ...]
    linear_acceleration_covariance: tuple[float, ...]


def _diag(v: float) -> tuple[float, ...]:
    return (v, 0.0, 0.0, 0.0, v, 0.0, 0.0, 0.0, v)


class Imu:
    def __init__(self, config: SensorConfig) -> None:
        self.config = config
        p = TypedParameters(config, _DEFAULTS)
        self.acc_density = p.float("accelerometer_noise_density", minimum=0.0)
        self.gyro_density = p.float("gyroscope_noise_density", minimum=0.0)
        self.acc_walk = p.float("accelerometer_bias_random_walk", minimum=0.0)
        self.gyro_walk = p.float("gyroscope_bias_random_walk", minimum=0.0)
        self.sigma_orientation = p.float("orientation_noise_rad", minimum=0.0)
        self.delay: DelayLine[ImuMessage] = DelayLine(p.float("latency_s", minimum=0.0))
        self.frame_id = str(p.raw("frame_id") or config.name)
        self.rng = config.rng()
        self.acc_bias = np.zeros(3)
        self.gyro_bias = np.zeros(3)
        self._last: tuple[float, float, float, float] | None = None   # time, roll, pitch, yaw rate

    def sense(self, snapshot: WorldSnapshot, scene=None) -> ImuMessage | None:
        i = ego_index(snapshot)
        to_world = sensor_transform(snapshot, self.config.mount)
        r = to_world.rotation
        dt = 1.0 / self.config.rate_hz
        yaw_rate = float(snapshot.yaw_rate[i]) if i is not None else 0.0
        roll = float(snapshot.roll[i]) if i is not None else 0.0
        pitch = float(snapshot.pitch[i]) if i is not None else 0.0
        roll_rate = pitch_rate = yaw_acc = 0.0
        if self._last is not None and snapshot.time > self._last[0]:
            h = snapshot.time - self._last[0]
            roll_rate, pitch_rate = (roll - self._last[1]) / h, (pitch - self._last[2]) / h
            yaw_acc = (yaw_rate - self._last[3]) / h
        self._last = (snapshot.time, roll, pitch, yaw_rate)
        omega_w = np.array([0.0, 0.0, yaw_rate])
        acc_ref = np.array([snapshot.ax[i], snapshot.ay[i], 0.0]) if i is not None else np.zeros(3)
        lever = to_world.translation - (np.array([snapshot.x[i], snapshot.y[i], snapshot.z[i]]) if i is not None else 0.0)
        # ω̇×r + ω×(ω×r) for ω = (0, 0, yaw rate), in closed form (np.cross costs ~20 µs a call)
        rx, ry = float(lever[0]), float(lever[1])
        acc = (acc_ref + np.array([-(yaw_acc * ry), yaw_acc * rx, 0.0])
               + np.array([-(yaw_rate * (yaw_rate * rx)), yaw_rate * -(yaw_rate * ry), 0.0]))
        specific_force = r.T @ (acc + np.array([0.0, 0.0, GRAVITY]))
        # body rates: yaw rate about the world z seen in the sensor frame, roll/pitch rates from differences
        omega_body = r.T @ omega_w + np.array([roll_rate, pitch_rate, 0.0])
        self.acc_bias += self.acc_walk * math.sqrt(dt) * self.rng.standard_normal(3)
        self.gyro_bias += self.gyro_walk * math.sqrt(dt) * self.rng.standard_normal(3)
        sigma_a = self.acc_density / math.sqrt(dt)
        sigma_g = self.gyro_density / math.sqrt(dt)
        f = specific_force + self.acc_bias + sigma_a * self.rng.standard_normal(3)
        w = omega_body + self.gyro_bias + sigma_g * self.rng.standard_normal(3)
        rr, pp, yy = euler_from_matrix(r)
        if self.sigma_orientation > 0:
            from sensors.frames import rotation_matrix
            rr, pp, yy = np.array([rr, pp, yy]) + self.sigma_orientation * self.rng.standard_normal(3)
            q = quaternion_from_matrix(rotation_matrix(rr, pp, yy))
        else:
            q = quaternion_from_matrix(r)
        msg = ImuMessage(snapshot.time, self.frame_id, q, tuple(float(x) for x in w), tuple(float(x) for x in f),
                         _diag(self.sigma_orientation ** 2), _diag(sigma_g ** 2), _diag(sigma_a ** 2))
        self.delay.push(snapshot.time, msg)
        return self.delay.latest(snapshot.time)
