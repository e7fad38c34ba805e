"""GlobalAction and UserDefinedAction (OpenSCENARIO 1.3): the actions that belong to no entity.

They change the engine's stores: parameters, variables, environment, traffic signals, entity
activity, traffic sources and sinks, monitors, user commands.
"""

from __future__ import annotations

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
        if kind == "ParameterAction":
            name = el.parameter_ref
            if name not in eng.parameters:
                raise action_error(el, f"unknown parameter {name!r}")
            eng.parameters[name] = _modify(eng.parameters[name], el.set_action, el.modify_action)
        elif kind == "VariableAction":
            name = el.variable_ref
            if name not in eng.variables:
                raise action_error(el, f"unknown variable {name!r}")
            eng.variables[name] = _modify(eng.variables[name], el.set_action, el.modify_action)
        elif kind == "EnvironmentAction":
            env = el.environment or getattr(el.catalog_reference, "resolved", None)
            eng.set_environment(env)
        elif kind == "EntityAction":
            i = eng.entity_index(el.entity_ref, el)
            if el.add_entity_action is not None:
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


def _modify(current, set_action, modify_action):
    """SetAction keeps the declared type of the parameter/variable (OpenSCENARIO 1.2 §7.5.2)."""
    if set_action is not None:
        value = set_action.value
        if isinstance(current, bool):
            return str(value).strip().lower() == "true"
        if isinstance(current, int):
            return int(float(value))
        if isinstance(current, float):
            return float(value)
        return value
    rule = modify_action.rule
    x = float(current)
    if rule.add_value is not None:
        return x + rule.add_value.value
    return x * rule.multiply_by_value.value
