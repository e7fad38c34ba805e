"""Actions on how an entity is seen, not where it goes: VisibilityAction, and those only recorded.

VisibilityAction (OpenSCENARIO 1.3) sets whether sensors, graphics and traffic see the
entity.  LightStateAction, AnimationAction, AppearanceAction and RandomRouteAction move nothing in
this engine: they are written to the event record so a run shows they happened.
"""

from __future__ import annotations

from simplatform.engine.actions_longitudinal import _PerActor


class VisibilityRunner(_PerActor):
    domains = ()

    def start(self) -> bool:
        el = self.el
        self.engine.table.visible[self.i] = bool(el.sensors)
        self.engine.visibility[self.actor] = {"graphics": el.graphics, "traffic": el.traffic, "sensors": el.sensors}
        return True


class RecordRunner(_PerActor):
    """AppearanceAction (light state, animation) and RandomRouteAction: recorded, they move nothing."""

    domains = ()

    def start(self) -> bool:
        self.engine.record(type(self.el).__name__, self.actor, "")
        return True
