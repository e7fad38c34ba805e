"""Tuning of the reference stack, one frozen record; every value in SI units.

Defaults are typical of a comfortable baseline ADS; the driver-model values
are those of the IDM and MOBIL papers (Treiber, Hennecke, Helbing, Phys.
Rev. E 62, 2000, Table 1; Kesting, Treiber, Helbing, TRR 1999, 2007).
A stack run in-process takes them from ``StackSetup.parameters``; over
rosbridge, ``simplatform.stacks.ros_client`` reads the same keys as JSON from
``--params`` or ``SIMPLATFORM_STACK_PARAMS``, so both runs agree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from typing import Any, Mapping


@dataclass(frozen=True)
class StackParameters:
    # vehicle (the ego's geometry: the stack is calibrated to its car)
    wheelbase: float = 2.9
    front_length: float = 3.8
    """Rear axle to front bumper."""
    rear_length: float = 1.0
    """Rear axle to rear bumper."""
    width: float = 1.9
    max_steer: float = 0.6
    # speeds
    cruise_speed: float = 50.0 / 3.6
    """Desired speed where the route carries no speed limit."""
    set_speed: float = 0.0
    """The driver's set speed (cruise control), > 0: the desired speed never exceeds it.  The harness
    sets it to the ego's Init speed — the test speed of a Euro NCAP / UN R157 test, where the
    vehicle under test is held at that speed and only the function under test intervenes."""
    lateral_accel: float = 2.5
    """Curve speed: |κ| v² stays below this."""
    # IDM (Treiber 2000) and its limits
    idm_accel: float = 1.5
    idm_decel: float = 2.0
    idm_time_gap: float = 1.5
    idm_min_gap: float = 2.0
    idm_delta: float = 4.0
    max_decel: float = 6.0
    """What the planner may ask for outside AEB."""
    stop_margin: float = 1.0
    """Stop this far before a stop line."""
    # AEB
    aeb_ttc: float = 1.2
    aeb_decel: float = 9.0
    aeb_confirm_cycles: int = 2
    """Consecutive planning cycles with TTC below the threshold before AEB fires (the fixed reaction latency)."""
    # vulnerable road users crossing
    crossing_horizon: float = 2.0
    """Constant-velocity prediction of crossing objects reaches this far (a deliberate limit)."""
    corridor_margin: float = 0.5
    # MOBIL (Kesting 2007)
    politeness: float = 0.3
    change_threshold: float = 0.2
    keep_right_bias: float = 0.3
    safe_decel: float = 4.0
    lane_change_duration: float = 4.0
    lane_change_cooldown: float = 5.0
    lane_change_lookahead: float = 150.0
    # V2X
    warning_speed_factor: float = 0.6
    """On a relevant hazard warning the desired speed drops to this fraction while it is valid."""
    warning_range: float = 300.0
    """A warning concerns the ego when its position is at most this far ahead along the route (see v2x.py)."""
    warning_behind: float = 200.0
    """... or this far behind, for traffic approaching from behind (EVW, BSW)."""
    warning_lateral: float = 12.0
    """... and at most this far beside the route (adjacent lanes and shoulders)."""
    warning_crossing_lateral: float = 80.0
    """... or this far for traffic that crosses the route (ICW, LTA, VRUCW, RLVW)."""
    yield_speed_factor: float = 0.85
    """Desired speed while making way for an emergency vehicle (EVW)."""
    advisory_decel: float = 1.5
    """Braking towards a broadcast speed limit (SLW, IVS)."""
    light_visibility: float = math.inf
    """/traffic_lights are believed up to this distance ahead; SPaT beyond (inf: everywhere, CARLA-like)."""
    glosa_range: float = 300.0
    glosa_min_speed: float = 5.0
    glosa_decel: float = 2.0
    """The strongest braking GLOSA asks for (comfortable: below the 4 m/s² of nuPlan's comfort bound)."""
    # cycle times
    planning_period: float = 0.1
    # control
    lookahead_min: float = 4.0
    lookahead_gain: float = 0.5
    """Pure-pursuit look-ahead = lookahead_min + gain * v (s)."""
    lookahead_max: float = 30.0
    speed_kp: float = 1.0
    speed_ki: float = 0.1
    max_accel: float = 3.0
    speed_horizon: float = 1.0
    """The speed set point is the speed the commanded acceleration reaches after this long (see control.py)."""
    max_jerk: float = 10.0
    lidar_topic: str = ""
    """Lidar variant: the PointCloud2 topic (empty: the first /sensors/*/points)."""

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None) -> "StackParameters":
        """Known keys are taken (cast to the field's type); unknown keys raise ValueError naming them."""
        values = dict(values or {})
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ValueError(f"unknown reference-stack parameter(s) {', '.join(unknown)}; "
                             f"known: {', '.join(sorted(known))}")
        base = cls()
        cast = {k: type(getattr(base, k))(v) for k, v in values.items()}
        return replace(base, **cast)
