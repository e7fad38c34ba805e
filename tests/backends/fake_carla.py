"""A stand-in for the ``carla`` 0.9.16 client: the subset the CARLA backend uses, with toy physics.

It keeps CARLA's conventions, so the backend's conversions are tested
against them: a left-handed frame (x forward, y right), degrees, yaw
clockwise seen from above, positive steer turning right (yaw increases),
synchronous ticks of ``fixed_delta_seconds``, actor transforms at the
blueprint's origin with the bounding box at ``bounding_box.location``.
Physics is a kinematic bicycle (wheelbase 2.9 m, 0.6 rad at full steer);
actors with physics off stay where ``set_transform`` put them and report
the velocity ``set_target_velocity`` gave.

A test starts a server with :func:`serve` (host, port → :class:`Server`); a
``Client`` pointed anywhere else times out like the real one.
"""

from __future__ import annotations

import copy
import fnmatch
import math
from types import SimpleNamespace

SERVERS: dict[tuple[str, int], "Server"] = {}
WHEELBASE = 2.9
MAX_STEER = 0.6


class _Attrs:
    _fields: tuple[str, ...] = ()

    def __init__(self, *args, **kw):
        for name, value in zip(self._fields, args):
            setattr(self, name, value)
        for name in self._fields[len(args):]:
            setattr(self, name, kw.pop(name, 0.0))
        if kw:
            raise TypeError(f"unexpected {sorted(kw)}")

    def __repr__(self):
        return f"{type(self).__name__}({', '.join(f'{f}={getattr(self, f)!r}' for f in self._fields)})"


class Location(_Attrs):
    _fields = ("x", "y", "z")


class Vector3D(Location):
    pass


class Rotation(_Attrs):
    _fields = ("pitch", "yaw", "roll")


class Transform:
    def __init__(self, location=None, rotation=None):
        self.location = location if location is not None else Location()
        self.rotation = rotation if rotation is not None else Rotation()


class BoundingBox:
    def __init__(self, location, extent):
        self.location, self.extent = location, extent


class VehicleControl(_Attrs):
    _fields = ("throttle", "steer", "brake", "hand_brake", "reverse")


class VehicleAckermannControl(_Attrs):
    _fields = ("steer", "steer_speed", "speed", "acceleration", "jerk")


class OpendriveGenerationParameters:
    def __init__(self, **kw):
        self.__dict__.update(kw)


class WorldSettings:
    def __init__(self, synchronous_mode=False, no_rendering_mode=False, fixed_delta_seconds=None):
        self.synchronous_mode = synchronous_mode
        self.no_rendering_mode = no_rendering_mode
        self.fixed_delta_seconds = fixed_delta_seconds
        self.substepping = True
        self.max_substep_delta_time = 0.01
        self.max_substeps = 10


class TrafficLightState:
    Red, Yellow, Green, Off, Unknown = range(5)


# ---------------------------------------------------------------- batch commands
class _Command:
    def __init__(self, actor_id, *args):
        self.actor_id, self.args = actor_id, args


class ApplyTransform(_Command):
    def run(self, a):
        a.set_transform(self.args[0])


class ApplyTargetVelocity(_Command):
    def run(self, a):
        a.set_target_velocity(self.args[0])


class ApplyVehicleControl(_Command):
    def run(self, a):
        a.apply_control(self.args[0])


class ApplyVehicleAckermannControl(_Command):
    def run(self, a):
        a.apply_ackermann_control(self.args[0])


class SetSimulatePhysics(_Command):
    def run(self, a):
        a.set_simulate_physics(self.args[0])


class DestroyActor(_Command):
    def run(self, a):
        a.destroy()


command = SimpleNamespace(ApplyTransform=ApplyTransform, ApplyTargetVelocity=ApplyTargetVelocity,
                          ApplyVehicleControl=ApplyVehicleControl,
                          ApplyVehicleAckermannControl=ApplyVehicleAckermannControl,
                          SetSimulatePhysics=SetSimulatePhysics, DestroyActor=DestroyActor)


# ---------------------------------------------------------------- blueprints and actors
BOXES = {  # blueprint → (bounding_box.location, extent), CARLA-like numbers
    "vehicle.tesla.model3": ((0.0, 0.0, 0.75), (2.4, 1.05, 0.75)),
    "vehicle.carlamotors.carlacola": ((0.2, 0.0, 1.3), (2.6, 1.3, 1.3)),
    "walker.pedestrian.0001": ((0.0, 0.0, 0.0), (0.19, 0.19, 0.93)),
    "static.prop.streetbarrier": ((0.0, 0.0, 0.5), (0.6, 0.2, 0.5)),
    "sensor.other.collision": ((0.0, 0.0, 0.0), (0.0, 0.0, 0.0)),
}
LIBRARY = tuple(BOXES) + ("vehicle.mercedes.sprinter", "vehicle.mitsubishi.fusorosa", "vehicle.yamaha.yzf",
                          "vehicle.diamondback.century", "vehicle.lincoln.mkz_2017", "static.prop.box01")


class ActorBlueprint:
    def __init__(self, bp_id):
        self.id = bp_id
        self.attributes = {"role_name": ""} if not bp_id.startswith("sensor.") else {}
        if bp_id.startswith("walker."):
            self.attributes["is_invincible"] = "true"

    def has_attribute(self, name):
        return name in self.attributes

    def set_attribute(self, name, value):
        self.attributes[name] = value


class BlueprintLibrary(list):
    def find(self, bp_id):
        for bp in self:
            if bp.id == bp_id:
                return copy.deepcopy(bp)
        raise IndexError(f"blueprint {bp_id!r} not found")

    def filter(self, pattern):
        return [bp for bp in self if fnmatch.fnmatchcase(bp.id, pattern)]


class Actor:
    def __init__(self, world, actor_id, bp, transform):
        self.world, self.id, self.type_id = world, actor_id, bp.id
        self.attributes = dict(bp.attributes)
        loc, ext = BOXES.get(bp.id, ((0.0, 0.0, 0.5), (0.5, 0.5, 0.5)))
        self.bounding_box = BoundingBox(Location(*loc), Vector3D(*ext))
        self.transform = copy.deepcopy(transform)
        self.velocity, self.acceleration, self.angular_velocity = Vector3D(), Vector3D(), Vector3D()
        self.physics = True
        self.control = None
        self.alive = True
        self.transforms_set = 0

    def set_transform(self, tf):
        self.transform = copy.deepcopy(tf)
        self.transforms_set += 1

    def get_transform(self):
        return copy.deepcopy(self.transform)

    def set_target_velocity(self, v):
        self.velocity = copy.deepcopy(v)

    def set_simulate_physics(self, on):
        self.physics = bool(on)

    def apply_control(self, c):
        self.control = c

    def apply_ackermann_control(self, c):
        self.control = c

    def destroy(self):
        self.alive = False
        self.world.actors.pop(self.id, None)
        return True

    # toy physics: a kinematic bicycle in CARLA's frame (steer > 0 turns right: yaw grows)
    def advance(self, dt):
        if not self.physics or self.control is None or not self.type_id.startswith("vehicle."):
            return
        yaw = math.radians(self.transform.rotation.yaw)
        v = self.velocity.x * math.cos(yaw) + self.velocity.y * math.sin(yaw)
        c = self.control
        if isinstance(c, VehicleControl):
            drive = -1.0 if c.reverse else 1.0
            acc = 4.0 * c.throttle * drive - 8.0 * c.brake * (1.0 if v > 0 else -1.0 if v < 0 else 0.0)
            delta = c.steer * MAX_STEER
        else:
            limit = c.acceleration or 3.0
            acc = max(-limit, min(limit, (c.speed - v) / dt))
            delta = max(-MAX_STEER, min(MAX_STEER, c.steer))
        v_new = v + acc * dt
        if c is not None and isinstance(c, VehicleControl) and v * v_new < 0:
            v_new = 0.0
        yaw_rate = v_new / WHEELBASE * math.tan(delta)
        yaw += yaw_rate * dt
        t = self.transform
        t.location.x += v_new * math.cos(yaw) * dt
        t.location.y += v_new * math.sin(yaw) * dt
        t.rotation.yaw = math.degrees(yaw)
        self.acceleration = Vector3D(acc * math.cos(yaw), acc * math.sin(yaw), 0.0)
        self.velocity = Vector3D(v_new * math.cos(yaw), v_new * math.sin(yaw), 0.0)
        self.angular_velocity = Vector3D(0.0, 0.0, math.degrees(yaw_rate))


class Sensor(Actor):
    def __init__(self, *a, parent=None):
        super().__init__(*a)
        self.parent, self.callback = parent, None

    def listen(self, cb):
        self.callback = cb

    def stop(self):
        self.callback = None


class TrafficLight(Actor):
    def __init__(self, world, actor_id, odr_id, state=TrafficLightState.Green, cycle=None):
        super().__init__(world, actor_id, ActorBlueprint("traffic.traffic_light"), Transform())
        self.odr_id, self.state, self.cycle = odr_id, state, cycle
        self.physics = False

    def get_opendrive_id(self):
        return self.odr_id

    def get_state(self):
        return self.state

    def set_state(self, s):
        self.state = s


class ActorSnapshot:
    def __init__(self, a):
        self.id = a.id
        self._t, self._v = copy.deepcopy(a.transform), copy.deepcopy(a.velocity)
        self._a, self._w = copy.deepcopy(a.acceleration), copy.deepcopy(a.angular_velocity)

    def get_transform(self):
        return self._t

    def get_velocity(self):
        return self._v

    def get_acceleration(self):
        return self._a

    def get_angular_velocity(self):
        return self._w


class WorldSnapshot:
    def __init__(self, frame, actors):
        self.frame = frame
        self._by_id = {a.id: ActorSnapshot(a) for a in actors}

    def find(self, actor_id):
        return self._by_id.get(actor_id)


class ActorList(list):
    def filter(self, pattern):
        return ActorList(a for a in self if fnmatch.fnmatchcase(a.type_id, pattern))


class Map:
    def __init__(self, name, xodr):
        self.name, self._xodr = name, xodr

    def to_opendrive(self):
        return self._xodr


class World:
    def __init__(self, server, map_name, xodr=""):
        self.server, self.map = server, Map(map_name, xodr)
        self.settings = WorldSettings()
        self.applied: list[WorldSettings] = []
        self.actors: dict[int, Actor] = {}
        self.frame = 0
        self.fail_tick_at: int | None = None
        self.spawn_blocked = lambda bp_id, tf: False
        self.collisions: list[tuple[int, int]] = []  # (frame, other actor id) to report on the ego's sensor

    def get_settings(self):
        return copy.deepcopy(self.settings)

    def apply_settings(self, s):
        self.settings = copy.deepcopy(s)
        self.applied.append(copy.deepcopy(s))
        return self.frame

    def get_blueprint_library(self):
        return BlueprintLibrary(ActorBlueprint(i) for i in LIBRARY)

    def get_map(self):
        return self.map

    def _new_id(self):
        self.server.next_id += 1
        return self.server.next_id

    def _colliding(self, bp, tf):
        if self.spawn_blocked(bp.id, tf):
            return True
        for a in self.actors.values():
            if isinstance(a, (Sensor, TrafficLight)):
                continue
            d = a.transform.location
            if math.hypot(d.x - tf.location.x, d.y - tf.location.y) < 1.0 and abs(d.z - tf.location.z) < 0.1:
                return True
        return False

    def try_spawn_actor(self, bp, tf, attach_to=None):
        if self._colliding(bp, tf):
            return None
        return self.spawn_actor(bp, tf, attach_to)

    def spawn_actor(self, bp, tf, attach_to=None):
        aid = self._new_id()
        a = Sensor(self, aid, bp, tf, parent=attach_to) if bp.id.startswith("sensor.") else Actor(self, aid, bp, tf)
        self.actors[aid] = a
        return a

    def add_traffic_light(self, odr_id, state=TrafficLightState.Green, cycle=None):
        tl = TrafficLight(self, self._new_id(), odr_id, state, cycle)
        self.actors[tl.id] = tl
        return tl

    def get_actors(self):
        return ActorList(self.actors.values())

    def get_actor(self, aid):
        return self.actors.get(aid)

    def tick(self):
        if self.fail_tick_at is not None and self.frame + 1 >= self.fail_tick_at:
            raise RuntimeError("time-out of 10000ms while waiting for the simulator")
        dt = self.settings.fixed_delta_seconds or 0.05
        for a in list(self.actors.values()):
            a.advance(dt)
            if isinstance(a, TrafficLight) and a.cycle and self.frame % a.cycle == a.cycle - 1:
                a.state = TrafficLightState.Red if a.state == TrafficLightState.Green else TrafficLightState.Green
        self.frame += 1
        for frame, other in [c for c in self.collisions if c[0] == self.frame]:
            for s in [a for a in self.actors.values() if isinstance(a, Sensor) and a.callback]:
                o = self.actors.get(other) or SimpleNamespace(id=0, type_id="static.building")
                s.callback(SimpleNamespace(frame=frame, actor=s.parent, other_actor=o,
                                           normal_impulse=Vector3D(300.0, 400.0, 0.0)))
        return self.frame

    def get_snapshot(self):
        return WorldSnapshot(self.frame, list(self.actors.values()))


class Response:
    def __init__(self, actor_id, error=""):
        self.actor_id, self.error = actor_id, error

    def has_error(self):
        return bool(self.error)


class Server:
    def __init__(self, version="0.9.16", maps=("/Game/Carla/Maps/Town01", "/Game/Carla/Maps/Town04")):
        self.version, self.maps, self.next_id = version, list(maps), 100
        self.world = World(self, "Town10HD_Opt")
        self.worlds_loaded: list[str] = []
        self.town_xodr = ""
        self.batches = 0


def serve(host="127.0.0.1", port=2000, **kw) -> Server:
    server = Server(**kw)
    SERVERS[(host, int(port))] = server
    return server


class Client:
    def __init__(self, host, port, worker_threads=0):
        self.host, self.port, self.timeout = host, int(port), 5.0

    @property
    def _server(self):
        s = SERVERS.get((self.host, self.port))
        if s is None:
            raise RuntimeError(f"time-out of {int(self.timeout * 1000)}ms while waiting for the simulator, "
                               f"make sure the simulator is ready and connected to {self.host}:{self.port}")
        return s

    def set_timeout(self, seconds):
        self.timeout = seconds

    def get_client_version(self):
        return "0.9.16"

    def get_server_version(self):
        return self._server.version

    def get_world(self):
        return self._server.world

    def get_available_maps(self):
        return list(self._server.maps)

    def load_world(self, name):
        s = self._server
        s.world = World(s, name, s.town_xodr)
        s.worlds_loaded.append(name)
        return s.world

    def generate_opendrive_world(self, xodr, params):
        s = self._server
        s.world = World(s, "OpenDriveMap", xodr)
        s.world.generation_parameters = params
        s.worlds_loaded.append("OpenDriveMap")
        return s.world

    def apply_batch_sync(self, commands, do_tick=False):
        s = self._server
        s.batches += 1
        out = []
        for c in commands:
            a = s.world.actors.get(c.actor_id)
            if a is None:
                out.append(Response(c.actor_id, f"actor {c.actor_id} not found"))
                continue
            c.run(a)
            out.append(Response(c.actor_id))
        if do_tick:
            s.world.tick()
        return out
