"""The native backend: the engine's own world, with model-driven actors on a kinematic single track.

The default controller (in the engine) moves scripted entities; this backend
moves the entities handed to it (``take_over``: the ego under a stack, or an
entity whose assigned controller is active) with the kinematic single-track
model (Rajamani, "Vehicle Dynamics and Control", §2.2, reference point at
the rear axle: ẋ = v cos ψ, ẏ = v sin ψ, ψ̇ = v tan δ / L), driven by
``AckermannCommand`` targets (speed reached at the commanded or the
vehicle's maximum acceleration) or by ``Control`` pedals/steer.
"""

from __future__ import annotations

import math

from simplatform.control import AckermannCommand, Control
from simplatform.world import WorldSnapshot

MAX_STEER = 0.6  # rad, when the vehicle's Axles say nothing else


class NativeBackend:
    def __init__(self, engine, seed: int = 0) -> None:
        from simplatform.backends.model_traffic import ModelTraffic

        self.engine = engine
        self.commands: dict[int, AckermannCommand | Control] = {}
        self.driven: set[int] = set()
        # entities under driver-model controllers: moved by the vehicle fleet inside engine.step
        self.traffic = ModelTraffic(engine, seed=seed)
        engine.model_traffic = self.traffic

    def load(self, road, entities) -> None:  # the engine already holds road and entities
        return None

    def take_over(self, actor: str | None) -> None:
        if actor is None:
            return
        i = self.engine.entity_index(actor)
        self.driven.add(i)
        self.engine.controller.motions[i].mode = "external"

    def apply(self, actor: str, command: AckermannCommand | Control) -> None:
        i = self.engine.entity_index(actor)
        if i not in self.driven:
            self.take_over(actor)
        self.commands[i] = command

    def step(self, dt: float) -> WorldSnapshot | None:
        eng = self.engine
        t = eng.table
        for i in self.driven:
            cmd = self.commands.get(i)
            v = float(t.speed[i])
            if isinstance(cmd, AckermannCommand):
                a_max = cmd.acceleration if cmd.acceleration > 0 else float(
                    t.max_acceleration[i] if cmd.speed >= v else t.max_deceleration[i])
                dv = max(-a_max * dt, min(a_max * dt, cmd.speed - v))
                delta = cmd.steering_angle
            elif isinstance(cmd, Control):
                acc = cmd.throttle * float(t.max_acceleration[i]) - cmd.brake * float(t.max_deceleration[i])
                dv = acc * dt
                if cmd.hand_brake:
                    dv = -v
                delta = cmd.steer * MAX_STEER
            else:
                dv, delta = 0.0, 0.0
            v_new = v + dv
            if v > 0 >= v_new or v < 0 <= v_new:
                v_new = 0.0 if not (isinstance(cmd, Control) and cmd.reverse) else v_new
            h = float(t.heading[i])
            L = float(t.wheelbase[i])
            v_mid = 0.5 * (v + v_new)
            yaw_rate = v_mid * math.tan(delta) / L
            h_mid = h + 0.5 * yaw_rate * dt
            t.x[i] += v_mid * math.cos(h_mid) * dt
            t.y[i] += v_mid * math.sin(h_mid) * dt
            t.heading[i] = (h + yaw_rate * dt + math.pi) % (2 * math.pi) - math.pi
            t.speed[i] = v_new
            t.vx[i] = v_new * math.cos(t.heading[i])
            t.vy[i] = v_new * math.sin(t.heading[i])
            a = dv / dt
            t.ax[i] = a * math.cos(h) - v_new * yaw_rate * math.sin(h)
            t.ay[i] = a * math.sin(h) + v_new * yaw_rate * math.cos(h)
            t.yaw_rate[i] = yaw_rate
            t.wheel_angle[i] = delta
            t.odometer[i] += abs(v_mid) * dt
            if eng.road is not None and eng.road.net is not None:
                eng.controller.relocate(i)
        return None

    def close(self) -> None:
        self.commands.clear()
