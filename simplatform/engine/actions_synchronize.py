"""SynchronizeAction (OpenSCENARIO 1.3, a PrivateAction): arrive at a place when the master arrives at its own.

The actor's speed is set each step so that it reaches its TargetPosition when the master reaches
TargetPositionMaster, ending at FinalSpeed if given (average-speed rule: with a linear final ramp
v = 2·d/T − v_final), bounded by the actor's Performance.
"""

from __future__ import annotations

import math

from simplatform.engine.actions_longitudinal import _PerActor


class SynchronizeRunner(_PerActor):
    def start(self) -> bool:
        self.master = self.engine.entity_index(self.el.master_entity_ref, self.el)
        self.target = self.engine.positions.resolve(self.el.target_position, self.actor)
        self.target_m = self.engine.positions.resolve(self.el.target_position_master, self.el.master_entity_ref)
        fs = self.el.final_speed
        self.final = None
        if fs is not None and fs.absolute_speed is not None:
            self.final = float(fs.absolute_speed.value)
        elif fs is not None and fs.relative_speed_to_master is not None:
            self.rel = fs.relative_speed_to_master
            self.final = "relative"
        return False

    def _final(self) -> float | None:
        if self.final == "relative":
            vm = float(self.engine.table.speed[self.master])
            r = self.rel
            return vm * r.value if str(r.speed_target_value_type) == "factor" else vm + r.value
        return self.final

    def step(self, dt: float) -> bool:
        t = self.engine.table
        dm = math.hypot(self.target_m.x - t.x[self.master], self.target_m.y - t.y[self.master])
        da = math.hypot(self.target.x - t.x[self.i], self.target.y - t.y[self.i])
        vm = float(t.speed[self.master])
        tol_m = self.el.target_tolerance_master if self.el.target_tolerance_master is not None else 1.0
        final = self._final()
        if dm <= max(tol_m, vm * dt):
            if final is not None:
                t.speed[self.i] = final
            return True
        if vm <= 1e-6:
            return False
        time_left = dm / vm
        v = 2 * da / time_left - final if final is not None else da / time_left
        v = min(max(v, 0.0), float(t.max_speed[self.i]))
        v0 = float(t.speed[self.i])
        dv = max(-t.max_deceleration[self.i] * dt, min(t.max_acceleration[self.i] * dt, v - v0))
        t.speed[self.i] = v0 + dv
        return False
