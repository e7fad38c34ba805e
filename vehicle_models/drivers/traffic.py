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

The per-vehicle decision is one compiled loop (:func:`_decide`); human
perception errors (random, seeded) are applied before it with numpy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from vehicle_models.drivers.context import DriverDecision, TrafficContext
from vehicle_models.drivers.human import HumanParameters, HumanPerception
from vehicle_models.drivers.idm import MIN_GAP, IDMArrays, IDMParameters, idm_scalar
from vehicle_models.drivers.mobil import MIN_INTERVAL, SAFE_DECELERATION, MOBILArrays, MOBILParameters, mobil_scalar
from vehicle_models.jit import kernel

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
        self._any_fixed_speed = bool(self.fixed_speed.any())
        humans = [c.human if c.model == "human" else None for c in configs]
        self.perception = None
        if any(h is not None for h in humans):
            base = seed if seed is not None else next(c.seed for c in configs if c.model == "human")
            self.perception = HumanPerception(humans, dt, np.random.default_rng(base))
        self.since_change = np.full(n, np.inf)

    def desired_speed(self, ctx: TrafficContext) -> np.ndarray:
        if not self._any_fixed_speed:  # the same values as the np.where below, one array operation fewer
            return np.asarray(ctx.desired_speed * self.speed_factor, dtype=float)
        return np.where(self.fixed_speed, self.idm.desired_speed, ctx.desired_speed * self.speed_factor)

    def decide(self, context: TrafficContext) -> DriverDecision:
        """Acceleration demand (m/s²) and lane change (-1, 0, +1) for every vehicle."""
        desired = self.desired_speed(context)
        if self.perception is not None:
            road = TrafficContext(**{**context.__dict__, "desired_speed": desired})
            context = self.perception.perceive(road)
            desired = context.desired_speed
        c = context.kernel_arrays()
        n = len(c[0])
        accel = np.empty(n)
        change = np.empty(n, dtype=np.int64)
        if desired.shape != (n,) or desired.dtype != np.float64:
            desired = np.array(np.broadcast_to(np.asarray(desired, dtype=float), (n,)))
        _decide(self.idm.values, self.mobil.values, self.lane_changing, self.since_change, float(self.dt),
                desired, *c[:1], *c[2:], accel, change)
        return DriverDecision(acceleration=accel, lane_change=change)


@kernel
def _decide(idm, m, lane_changing, since_change, dt, v0, v, length, lg, ls, fg, fs, la, llg, lls, lfg, lfs, ra,
            rlg, rls, rfg, rfs, stop_distance, yield_distance, yield_required, accel, change):
    """IDM (+ a virtual standing leader at a stop line) and MOBIL for each driver."""
    for i in range(v.shape[0]):
        own_now = idm_scalar(i, idm, v[i], v0[i], lg[i], ls[i])
        a = own_now
        stop = min(stop_distance[i], yield_distance[i] if yield_required[i] else np.inf)
        stopping = math.isfinite(stop) and v[i] * v[i] <= 2.0 * m[SAFE_DECELERATION, i] * max(stop, 1e-3)
        if stopping:
            virtual_gap = max(stop + idm[MIN_GAP, i] - STOP_MARGIN, 1e-2)
            a = min(a, idm_scalar(i, idm, v[i], v0[i], virtual_gap, 0.0 * v[i]))
        accel[i] = a
        since_change[i] += dt
        change[i] = 0
        if lane_changing[i] and since_change[i] >= m[MIN_INTERVAL, i] and not stopping:
            change[i] = mobil_scalar(i, idm, m, v[i], v0[i], length[i], own_now, lg[i], ls[i], fg[i], fs[i],
                                     la[i], llg[i], lls[i], lfg[i], lfs[i], ra[i], rlg[i], rls[i], rfg[i], rfs[i])
            if change[i] != 0:
                since_change[i] = 0.0
