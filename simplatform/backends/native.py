"""The native backend: the engine's own world, with externally driven vehicles on vehicle dynamics.

The default controller (in the engine) moves scripted entities; entities
under driver-model controllers are moved by :mod:`model_traffic`; this
backend moves the entities handed to it (``take_over``: the ego under a
stack, or any actor a command is ``apply``-ed to) with a
:class:`vehicle_models.VehicleFleet` (:mod:`driven`: dynamic single track by
default, kinematic on request).  All of them move inside ``engine.step()`` —
after the storyboard has acted and before kinematics and collisions are
derived — so every consumer of the step's snapshot sees one consistent
world.  ``step(dt)`` therefore only returns the world: call ``engine.step()``
(or let ``run_scenario`` do it) to advance time.
"""

from __future__ import annotations

from typing import Any

from simplatform.backends.driven import DrivenVehicles
from simplatform.control import AckermannCommand, Control
from simplatform.world import WorldSnapshot


class NativeBackend:
    def __init__(self, engine, seed: int = 0, vehicle_model: str = "dynamic") -> None:
        from simplatform.backends.model_traffic import ModelTraffic

        self.engine = engine
        # entities under driver-model controllers: moved by their own fleet inside engine.step
        self.traffic = ModelTraffic(engine, seed=seed)
        engine.model_traffic = self.traffic
        self.vehicles = DrivenVehicles(engine, vehicle_model)
        engine.driven = self.vehicles

    @property
    def driven(self) -> set[int]:
        return set(self.vehicles.members)

    def load(self, road, entities) -> None:  # the engine already holds road and entities
        return None

    def take_over(self, actor: str | None) -> None:
        """From now on ``actor`` moves by vehicle dynamics under the commands given to ``apply``."""
        if actor is None:
            return
        i = self.engine.entity_index(actor)
        self.engine.controller.motions[i].mode = "external"
        self.vehicles.add(i)

    def apply(self, actor: str, command: AckermannCommand | Control | Any) -> None:
        i = self.engine.entity_index(actor)
        if i not in self.vehicles:
            self.take_over(actor)
        self.vehicles.command(i, command)

    def step(self, dt: float) -> WorldSnapshot:
        """The world after the engine's last step (the engine moved every entity already)."""
        return self.engine.snapshot()

    def close(self) -> None:
        self.vehicles.commands.clear()
