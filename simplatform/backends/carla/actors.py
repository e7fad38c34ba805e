"""The CARLA actors that stand for the engine's entities: spawn, place, destroy.

One actor per active entity row (rows the engine adds for spawned traffic get
theirs on the next step; rows it deactivates lose theirs).  Entities the
backend does not drive are kinematic, as in ScenarioRunner's OpenSCENARIO
default controller: physics off, placed each step with a transform and given
the velocity the engine moved them at (``set_target_velocity``), so other
actors' physics and CARLA's sensors see them move.  All placements of a step
go to the server as one ``apply_batch_sync`` (one round trip, errors
reported per command).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from simplatform.backends.carla.blueprints import choose_blueprint
from simplatform.backends.carla.frames import origin_offset, pose_to_carla, reference_to_origin, vector_to_carla
from simplatform.errors import BackendError
from simplatform.world import EntityKind

SPAWN_RETRY_LIFT = 0.2
"""m: a spawn that collides is tried once more this much higher (ScenarioRunner's CarlaDataProvider lift)."""


@dataclass
class SpawnedActor:
    actor: object
    blueprint_id: str
    offset: np.ndarray
    """CARLA actor origin in our entity frame (ISO 8855, from the reference point), shape (3,)."""
    extent: np.ndarray
    """CARLA bounding-box half sizes (x, y, z)."""


def make_transform(carla, x, y, z, heading, pitch, roll):
    """A ``carla.Transform`` for an actor origin given in our frame (m, rad)."""
    cx, cy, cz, r, p, yaw = pose_to_carla(float(x), float(y), float(z), float(heading), float(pitch), float(roll))
    return carla.Transform(carla.Location(x=float(cx), y=float(cy), z=float(cz)),
                           carla.Rotation(pitch=float(p), yaw=float(yaw), roll=float(r)))


def make_vector(carla, vx, vy, vz=0.0):
    cx, cy, cz = vector_to_carla(float(vx), float(vy), float(vz))
    return carla.Vector3D(x=float(cx), y=float(cy), z=float(cz))


def _guess_offset(table, i: int) -> np.ndarray:
    """The origin offset before the actor exists (its box is only known after spawning):
    vehicles and props have their origin at the bottom centre, walkers at the body centre."""
    c = np.array([table.bbox_center_x[i], table.bbox_center_y[i], table.bbox_center_z[i]])
    if table.kinds[i] is EntityKind.PEDESTRIAN:
        return c
    return np.array([c[0], c[1], c[2] - table.height[i] / 2])


@dataclass
class ActorRegistry:
    carla: object
    client: object
    world: object
    rng: np.random.Generator
    scenario_file: str | None = None
    actors: dict[int, SpawnedActor] = field(default_factory=dict)
    absent: set[int] = field(default_factory=set)
    """Entity rows with no body in CARLA (road markings, areas)."""
    _library: object = None
    _library_ids: list[str] | None = None

    def library(self):
        if self._library is None:
            self._library = self.world.get_blueprint_library()
        return self._library

    def library_ids(self) -> list[str]:
        if self._library_ids is None:
            self._library_ids = [bp.id for bp in self.library()]
        return self._library_ids

    def by_actor_id(self) -> dict[int, int]:
        return {sa.actor.id: i for i, sa in self.actors.items()}

    # ------------------------------------------------------------ spawning
    def spawn(self, table, i: int, body, role_name: str, physics: bool) -> SpawnedActor | None:
        """Spawn entity ``i`` at its table pose; None for an entity with no body in CARLA."""
        name = table.names[i]
        choice = choose_blueprint(self.library_ids(), name, table.kinds[i], table.categories[i], body, self.rng,
                                  self.scenario_file)
        if choice.blueprint_id is None:
            self.absent.add(i)
            return None
        bp = self.library().find(choice.blueprint_id)
        if bp.has_attribute("role_name"):
            bp.set_attribute("role_name", role_name)
        if bp.has_attribute("is_invincible"):
            bp.set_attribute("is_invincible", "false")
        guess = _guess_offset(table, i)
        origin = reference_to_origin(table.x[i], table.y[i], table.z[i], table.heading[i], table.pitch[i],
                                     table.roll[i], guess)[0]
        actor = None
        for lift in (0.0, SPAWN_RETRY_LIFT):
            tf = make_transform(self.carla, origin[0], origin[1], origin[2] + lift, table.heading[i],
                                table.pitch[i], table.roll[i])
            actor = self.world.try_spawn_actor(bp, tf)
            if actor is not None:
                break
        if actor is None:
            raise BackendError(f"CARLA could not spawn {name!r} ({choice.blueprint_id}) at x={table.x[i]:.2f} "
                               f"y={table.y[i]:.2f} z={table.z[i]:.2f} (also {SPAWN_RETRY_LIFT} m higher): "
                               "the spot collides with another actor or the map's geometry")
        bb = actor.bounding_box
        loc = np.array([bb.location.x, bb.location.y, bb.location.z])
        ext = np.array([bb.extent.x, bb.extent.y, bb.extent.z])
        offset = origin_offset(np.array([[table.bbox_center_x[i], table.bbox_center_y[i], table.bbox_center_z[i]]]),
                               np.array([table.height[i]]), loc, ext)[0]
        spawned = SpawnedActor(actor, choice.blueprint_id, offset, ext)
        self.actors[i] = spawned
        actor.set_simulate_physics(bool(physics))
        return spawned

    # ------------------------------------------------------------ placing
    def placement_commands(self, table, rows: list[int]) -> list:
        """``ApplyTransform`` + ``ApplyTargetVelocity`` for kinematic rows, vectorised over the rows."""
        if not rows:
            return []
        idx = np.array(rows)
        offsets = np.stack([self.actors[i].offset for i in rows])
        origins = reference_to_origin(table.x[idx], table.y[idx], table.z[idx], table.heading[idx],
                                      table.pitch[idx], table.roll[idx], offsets)
        cx, cy, cz, r, p, yaw = pose_to_carla(origins[:, 0], origins[:, 1], origins[:, 2], table.heading[idx],
                                              table.pitch[idx], table.roll[idx])
        vx, vy, _ = vector_to_carla(table.vx[idx], table.vy[idx], 0.0)
        C, cmd = self.carla, self.carla.command
        out = []
        for k, i in enumerate(rows):
            aid = self.actors[i].actor.id
            tf = C.Transform(C.Location(x=float(cx[k]), y=float(cy[k]), z=float(cz[k])),
                             C.Rotation(pitch=float(p[k]), yaw=float(yaw[k]), roll=float(r[k])))
            out.append(cmd.ApplyTransform(aid, tf))
            out.append(cmd.ApplyTargetVelocity(aid, C.Vector3D(x=float(vx[k]), y=float(vy[k]), z=0.0)))
        return out

    def apply(self, commands: list, what: str) -> None:
        """Send a batch in one round trip; a failed command is a ``BackendError`` naming it."""
        if not commands:
            return
        try:
            responses = self.client.apply_batch_sync(commands, False)
        except RuntimeError as exc:
            raise BackendError(f"CARLA did not accept the {what}: {exc}") from None
        errors = [r.error for r in responses if getattr(r, "error", "")]
        if errors:
            raise BackendError(f"CARLA rejected {len(errors)} of the {what} commands: {errors[0]}")

    # ------------------------------------------------------------ removing
    def destroy(self, i: int) -> None:
        sa = self.actors.pop(i, None)
        if sa is not None:
            try:
                sa.actor.destroy()
            except RuntimeError:
                pass

    def destroy_all(self, extra_ids: list[int] = (), tick: bool = True) -> list[str]:
        """Destroy every actor (one batch); returns the errors met, for the close report."""
        ids = [sa.actor.id for sa in self.actors.values()] + list(extra_ids)
        self.actors.clear()
        if not ids:
            return []
        try:
            responses = self.client.apply_batch_sync([self.carla.command.DestroyActor(a) for a in ids], tick)
        except RuntimeError as exc:
            return [str(exc)]
        return [r.error for r in responses if getattr(r, "error", "")]
