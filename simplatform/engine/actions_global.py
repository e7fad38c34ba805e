"""GlobalAction and UserDefinedAction (OpenSCENARIO 1.3): the actions that belong to no entity.

They change the engine's stores: parameters, variables, environment, traffic signals, entity
activity, traffic sources and sinks, monitors, user commands.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from simplatform.engine.action_errors import action_error


class GlobalRunner:
    """One global or user-defined action; instant except a traffic-signal phase that runs on."""

    def __init__(self, engine, el) -> None:
        self.engine = engine
        self.el = el

    def start(self, engine, actors) -> bool:
        from simplatform.engine.build import located

        with located(self.el):
            return self._start()

    def _start(self) -> bool:
        el = self.el
        kind = type(el).__name__
        eng = self.engine
        if kind in ("ParameterAction", "VariableAction"):
            what, store, name = (("parameter", eng.parameters, el.parameter_ref) if kind == "ParameterAction"
                                 else ("variable", eng.variables, el.variable_ref))
            if name not in store:
                raise action_error(el, f"unknown {what} {name!r}")
            store[name] = assigned_value(el, what, name, store[name], declared_type(eng.scenario, what, name))
        elif kind == "EnvironmentAction":
            env = el.environment or getattr(el.catalog_reference, "resolved", None)
            eng.set_environment(env)
        elif kind == "EntityAction":
            i = eng.entity_index(el.entity_ref, el)
            if el.add_entity_action is not None:
                if bool(eng.table.active[i]) and el.entity_ref not in eng.unplaced:
                    # already in the scenario: there is nothing to add, and esmini ignores it too ("Failed
                    # to activate obj Car1. Already active", its Unittest add_delete_entity.xosc); it was
                    # taken as a teleport and put Car1 back 38 m
                    eng.record("AddEntityAction", el.entity_ref,
                               f"not applied: {el.entity_ref!r} is already in the scenario")
                    return True
                eng.unplaced.discard(el.entity_ref)
                eng.table.set_active(i, True)
                eng.controller.place(i, eng.positions.resolve(el.add_entity_action.position, el.entity_ref))
            else:
                eng.table.set_active(i, False)
        elif kind == "InfrastructureAction":
            sig = el.traffic_signal_action
            if sig.traffic_signal_state_action is not None:
                a = sig.traffic_signal_state_action
                eng.signals[a.name] = a.state
            else:
                a = sig.traffic_signal_controller_action
                eng.set_signal_phase(a.traffic_signal_controller_ref, a.phase, el)
        elif kind == "UserDefinedAction":
            cmd = el.custom_command_action
            eng.custom_command(cmd.type, cmd.content)
        elif kind == "TrafficAction":
            eng.traffic_action(el)
        elif kind == "SetMonitorAction":
            eng.monitors[el.monitor_ref] = bool(el.value)
        else:
            raise action_error(el, f"{kind} is not supported")
        return True

    def step(self, engine, dt) -> bool:
        return True

    def stop(self, engine) -> None:
        pass


# The types a ModifyAction's AddValue / MultiplyByValue act on (OpenSCENARIO 1.3 class reference,
# ParameterModifyAction / VariableModifyAction: the rules add or multiply numbers).
NUMERIC_TYPES = frozenset({"double", "int", "integer", "unsignedInt", "unsignedShort"})


def declared_type(scenario, kind: str, name: str) -> str | None:
    """The declared type (``double``, ``string``, ...) of the global parameter or variable ``name``
    (``kind`` "parameter" or "variable"), None when the document does not declare it."""
    decls = getattr(getattr(scenario, "document", None), f"{kind}_declarations", None)
    for d in getattr(decls, f"{kind}_declarations", None) or ():
        if d.name == name:
            t = getattr(d, f"{kind}_type", None)
            return None if t is None else str(getattr(t, "value", t))
    return None


def _type_of(value) -> str:
    """The OpenSCENARIO type of a value the engine holds (the loader converted declarations)."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "double"
    if isinstance(value, datetime):
        return "dateTime"
    return "string"


def assigned_value(el, what: str, name: str, current, type_name: str | None):
    """The value a Parameter/VariableAction gives ``name`` (``what`` "parameter" or "variable").

    OpenSCENARIO 1.3, ParameterSetAction / VariableSetAction: the value is written as a string
    and takes the declared type of the parameter or variable, so the stored value is converted
    to it (a double stays a float, a boolean a bool, ...), as the loader converts declarations.
    ParameterModifyAction / VariableModifyAction: AddValue and MultiplyByValue apply to numbers;
    the result keeps the declared type (an integer type holds integral results only).  A value
    that does not fit is a located error (file, line, element), never a bare ValueError: the
    loader refuses such files, this is the engine's own guard for scenarios it did not check."""
    from simplatform.errors import ParameterError
    from simplatform.openscenario.values import convert

    type_name = type_name or _type_of(current)
    if el.set_action is not None:
        value = el.set_action.value
        try:
            return convert(value, type_name)
        except ParameterError as exc:
            raise action_error(el.set_action, f"SetAction value {value!r} is not a {type_name}, the type of "
                                              f"{what} {name!r} ({exc.cause})") from None
    modify = el.modify_action
    if type_name not in NUMERIC_TYPES or isinstance(current, bool) or not isinstance(current, (int, float)):
        raise action_error(modify, f"ModifyAction adds to or multiplies numbers; {what} {name!r} is a "
                                   f"{type_name} (value {current!r})")
    rule = modify.rule
    result = current + rule.add_value.value if rule.add_value is not None else current * rule.multiply_by_value.value
    if type_name == "double":
        return float(result)
    try:
        return convert(float(result), type_name)
    except ParameterError as exc:
        raise action_error(modify, f"ModifyAction gives {what} {name!r} of type {type_name} the value {result!r} "
                                   f"({exc.cause})") from None


def storyboard_added_entities(storyboard: Any) -> set[str]:
    """Entities a GlobalAction/EntityAction/AddEntityAction of the stories adds (the storyboard's own
    maneuvers and those its ManeuverGroups take from catalogs)."""
    out: set[str] = set()
    for story in storyboard.stories:
        for act in story.acts:
            for mg in act.maneuver_groups:
                maneuvers = list(mg.maneuvers) + [getattr(r, "resolved", None) for r in mg.catalog_references]
                for m in maneuvers:
                    for ev in getattr(m, "events", ()) or ():
                        for a in ev.actions:
                            ea = a.global_action.entity_action if a.global_action is not None else None
                            if ea is not None and ea.add_entity_action is not None:
                                out.add(ea.entity_ref)
    return out
