"""``TrafficDriver``: IDM + MOBIL + stopping at signals and yield lines (+ human errors), for N vehicles.

One object drives a whole population: per-vehicle parameters are columns, and
``decide(context)`` returns every vehicle's acceleration demand and lane-change
decision at once.  Each vehicle's :class:`DriverConfig` picks its model:

* ``idm``: car following only (THH 2000);
* ``idm_mobil``: plus MOBIL lane changes (Kesting et al. 2007);
* ``human``: ``idm_mobil`` seen through :class:`~vehicle_models.drivers.human.HumanPerception`.

Stop points (Treiber & Kesting, *Traffic Flow Dynamics*, 2013, §11.3.6, "traffic
lights"): a red/amber stop line, or a yield line when yielding is required, is
a standing virtual leader at the line.  The driver stops for it unless that
would need more than the safe deceleration ``b_safe`` (the amber dilemma: go
on); the IDM's own braking then brings the car to rest ``STOP_MARGIN`` before
the line.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from vehicle_models.drivers.context import DriverDecision, TrafficContext
from vehicle_models.drivers.human import HumanParameters, HumanPerception
from vehicle_models.drivers.idm import IDMArrays, IDMParameters, idm_acceleration
from vehicle_models.drivers.mobil import MOBILArrays, MOBILParameters, mobil_lane_change

MODELS = ("idm", "idm_mobil", "human")
STOP_MARGIN = 1.0
"""m: the front bumper comes to rest this far before a stop line."""


@dataclass(frozen=True)
class DriverConfig:
    """One vehicle's driver: model, parameters and (for ``human``) its seed."""

    model: str = "idm_mobil"
    idm: IDMParameters = field(default_factory=IDMParameters)
    mobil: MOBILParameters = field(default_factory=MOBILParameters)
    human: HumanParameters | None = None
    speed_factor: float = 1.0
    """Desired speed = context desired speed (the speed limit) × this factor ..."""
    fixed_desired_speed: bool = False
    """... unless True: then ``idm.desired_speed`` is used whatever the road says."""
    seed: int = 0

    def __post_init__(self) -> None:
        if self.model not in MODELS:
            raise ValueError(f"unknown driver model {self.model!r}; expected one of {MODELS}")


class TrafficDriver:
    """Vectorised driver population; ``dt`` is the decision step (the engine step)."""

    def __init__(self, configs: list[DriverConfig], dt: float, seed: int | None = None) -> None:
        self.configs = list(configs)
        self.dt = dt
        n = len(configs)
        self.idm = IDMArrays([c.idm for c in configs])
        self.mobil = MOBILArrays([c.mobil for c in configs])
        self.lane_changing = np.array([c.model in ("idm_mobil", "human") for c in configs])
        self.speed_factor = np.array([c.speed_factor for c in configs])
        self.fixed_speed = np.array([c.fixed_desired_speed for c in configs])
        humans = [c.human if c.model == "human" else None for c in configs]
        self.perception = None
        if any(h is not None for h in humans):
            base = seed if seed is not None else next(c.seed for c in configs if c.model == "human")
            self.perception = HumanPerception(humans, dt, np.random.default_rng(base))
        self.since_change = np.full(n, np.inf)

    def desired_speed(self, ctx: TrafficContext) -> np.ndarray:
        return np.where(self.fixed_speed, self.idm.desired_speed, ctx.desired_speed * self.speed_factor)

    def decide(self, context: TrafficContext) -> DriverDecision:
        """Acceleration demand (m/s²) and lane change (-1, 0, +1) for every vehicle."""
        road = TrafficContext(**{**context.__dict__, "desired_speed": self.desired_speed(context)})
        ctx = self.perception.perceive(road) if self.perception is not None else road
        v, v0 = ctx.speed, ctx.desired_speed
        accel = idm_acceleration(self.idm, v, v0, ctx.leader_gap, ctx.leader_speed)
        stop = np.minimum(ctx.stop_distance, np.where(ctx.yield_required, ctx.yield_distance, np.inf))
        has_stop = np.isfinite(stop)
        can_stop = v * v <= 2.0 * self.mobil.safe_deceleration * np.maximum(stop, 1e-3)
        stopping = has_stop & can_stop
        if stopping.any():
            virtual_gap = np.maximum(stop + self.idm.min_gap - STOP_MARGIN, 1e-2)
            a_stop = idm_acceleration(self.idm, v, v0, np.where(stopping, virtual_gap, np.inf), 0.0 * v)
            accel = np.where(stopping, np.minimum(accel, a_stop), accel)
        self.since_change += self.dt
        change = np.zeros(len(v), dtype=int)
        may_change = self.lane_changing & (self.since_change >= self.mobil.min_interval) & ~stopping
        if may_change.any():
            own_now = idm_acceleration(self.idm, v, v0, ctx.leader_gap, ctx.leader_speed)
            change = np.where(may_change, mobil_lane_change(self.idm, self.mobil, ctx, own_now), 0)
            self.since_change[change != 0] = 0.0
        return DriverDecision(acceleration=accel, lane_change=change)
