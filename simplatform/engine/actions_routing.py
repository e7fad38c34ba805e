"""RoutingAction (OpenSCENARIO 1.3): AssignRouteAction and AcquirePositionAction (its third,
FollowTrajectoryAction, is actions_trajectory.py).

Both hand the engine's route store (routes.py) a route; AcquirePositionAction ends when the
actor is within a step's travel (at least 1 m) of the position.
"""

from __future__ import annotations

import math

from simplatform.engine.action_errors import action_error
from simplatform.engine.actions_longitudinal import _PerActor


class AssignRouteRunner(_PerActor):
    domains = ("routing",)

    def start(self) -> bool:
        el = self.el
        route = el.route or getattr(el.catalog_reference, "resolved", None)
        if route is None:
            raise action_error(el, "AssignRouteAction without a route")
        self.engine.routes.assign(self.i, route, self.actor)
        return True


class AcquirePositionRunner(_PerActor):
    domains = ("routing",)

    def start(self) -> bool:
        self.target = self.engine.positions.resolve(self.el.position, self.actor)
        self.engine.routes.acquire(self.i, self.target)
        return False

    def step(self, dt: float) -> bool:
        t = self.engine.table
        return math.hypot(self.target.x - t.x[self.i], self.target.y - t.y[self.i]) < max(1.0, abs(t.speed[self.i]) * dt)
