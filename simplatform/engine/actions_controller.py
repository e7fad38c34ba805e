"""ControllerAction (OpenSCENARIO 1.3): assign, activate and override an entity's controller.

The engine's controller store (engine.assign_controller / activate_controller /
override_controller_values) does the work; this module reads the action's elements into it.
"""

from __future__ import annotations

from simplatform.engine.actions_longitudinal import _PerActor


class ControllerRunner(_PerActor):
    """AssignController / ActivateController / OverrideControllerValue (§7.x ControllerAction)."""

    domains = ()

    def start(self) -> bool:
        el = self.el
        kind = type(el).__name__
        eng = self.engine
        if kind == "ControllerAction":
            for sub in (el.assign_controller_action, el.activate_controller_action, el.override_controller_value_action):
                if sub is not None:
                    ControllerRunner(eng, self.actor, sub).start()
            return True
        if kind == "AssignControllerAction":
            ctrl = el.controller or getattr(el.catalog_reference, "resolved", None)
            if ctrl is None and el.object_controller is not None:
                oc = el.object_controller
                ctrl = oc.controller or getattr(oc.catalog_reference, "resolved", None)
            lon, lat = el.activate_longitudinal, el.activate_lateral
            if lon is None and lat is None:  # 1.0/1.1: an assigned controller is active
                lon = lat = True
            eng.assign_controller(self.i, ctrl, bool(lon), bool(lat))
            return True
        if kind == "ActivateControllerAction":
            lon, lat = el.longitudinal, el.lateral
            if lon is None and lat is None:
                lon = lat = True
            eng.activate_controller(self.i, bool(lon), bool(lat))
            return True
        if kind == "OverrideControllerValueAction":
            eng.record("OverrideControllerValue", self.actor, _describe(el))
            eng.overrides[self.actor] = el
            eng.override_controller_values(self.i, override_values(el))
            return True
        return True


def override_values(el) -> dict:
    """The active overrides as numbers: pedals in [0, 1], steering wheel in rad, gear as an integer
    (negative reverse, 0 neutral), parking brake and clutch as fractions (OpenSCENARIO 1.2 §7.4.5)."""
    out: dict = {}
    for name in ("throttle", "brake", "clutch", "steering_wheel"):
        v = getattr(el, name, None)
        if v is not None and v.active:
            value = getattr(v, "value", None)
            if value is None:
                for sub in ("brake_percent", "brake_force"):
                    b = getattr(v, sub, None)
                    if b is not None:
                        value = b.value if sub == "brake_percent" else min(b.value / 10000.0, 1.0)
            out[name] = float(value or 0.0)
    pb = el.parking_brake
    if pb is not None and pb.active:
        value = pb.value
        if value is None:
            b = pb.brake_percent or pb.brake_force
            value = (b.value if pb.brake_percent is not None else min(b.value / 10000.0, 1.0)) if b else 1.0
        out["parking_brake"] = float(value)
    g = el.gear
    if g is not None and g.active:
        if g.number is not None:
            out["gear"] = int(g.number)
        elif g.manual_gear is not None:
            out["gear"] = int(g.manual_gear.number)
        elif g.automatic_gear is not None:
            auto = str(g.automatic_gear.gear)
            out["gear"] = {"r": -1, "n": 0, "p": 0, "d": 1}.get(auto.lower()[:1], 1)
    return out


def _describe(el) -> str:
    parts = []
    for name in ("throttle", "brake", "clutch", "parking_brake", "steering_wheel", "gear"):
        v = getattr(el, name, None)
        if v is not None:
            value = _gear_text(v) if name == "gear" else getattr(v, "value", "")
            parts.append(f"{name}={'on' if v.active else 'off'}:{value}")
    return " ".join(parts)


def _gear_text(g) -> str:
    """A gear override's value as written: 1.0/1.1's ``number`` or 1.2's manual number / automatic
    position (the note showed nothing for it: a Gear has no ``value``; esmini's VehiclePropertyTest.xosc)."""
    if getattr(g, "number", None) is not None:
        return f"{g.number:g}"
    if getattr(g, "manual_gear", None) is not None:
        return f"{g.manual_gear.number:g}"
    if getattr(g, "automatic_gear", None) is not None:
        return str(g.automatic_gear.gear)
    return ""
