"""Human-driver perception: reaction delay, estimation noise, speed-keeping error.

After the Human Driver Model of Treiber, Kesting & Helbing, "Delays,
inaccuracies and anticipation in microscopic traffic models", Physica A 360,
71-88 (2006), §2-3:

* reaction time ``T'``: the driver acts on the situation ``T'`` seconds ago —
  here a ring buffer of past :class:`TrafficContext` rows, read per vehicle at
  its own delay (rounded to whole steps);
* estimation errors as Wiener-like processes with correlation time ``tau``
  (HDM eq. 10-12, discretised as Ornstein-Uhlenbeck with unit variance):
  ``s_est = s exp(V_s w_s)`` and ``dv_est = dv - s r_c w_l`` (the error of the
  approach rate grows with distance, as an inverse TTC error ``r_c``);
* a speed-keeping error: the desired speed wanders by a relative ``sigma_v``
  with its own correlation time (drivers do not hold a speed exactly;
  Treiber & Kesting, *Traffic Flow Dynamics*, 2013, §12.4 "acceleration noise").

HDM's temporal and spatial anticipation are not modelled.  All randomness
comes from the ``numpy.random.Generator`` given (seeded per run).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vehicle_models.drivers.context import TrafficContext


@dataclass(frozen=True)
class HumanParameters:
    """Defaults: the *normal* style of :mod:`vehicle_models.drivers.styles` (sources there)."""

    reaction_time: float = 1.0
    gap_noise: float = 0.1
    """V_s: relative standard deviation of the gap estimate (HDM 2006)."""
    approach_noise: float = 0.01
    """r_c (1/s): standard deviation of the inverse-TTC estimate (HDM 2006)."""
    noise_correlation_time: float = 20.0
    """tau~ (s) of the estimation errors (HDM 2006)."""
    speed_error: float = 0.03
    """sigma_v: relative standard deviation of the held speed about the desired one."""
    speed_error_time: float = 10.0


class HumanPerception:
    """Delays and disturbs what N drivers perceive; vehicles with ``None`` see the truth."""

    def __init__(self, params: list[HumanParameters | None], dt: float,
                 rng: np.random.Generator) -> None:
        self.dt = dt
        self.rng = rng
        n = len(params)
        self.enabled = np.array([p is not None for p in params])
        hp = [p or HumanParameters(0.0, 0.0, 0.0, 1.0, 0.0, 1.0) for p in params]
        self.delay_steps = np.array([int(round(p.reaction_time / dt)) for p in hp])
        self.gap_noise = np.array([p.gap_noise for p in hp]) * self.enabled
        self.approach_noise = np.array([p.approach_noise for p in hp]) * self.enabled
        self.noise_tau = np.array([p.noise_correlation_time for p in hp])
        self.speed_error = np.array([p.speed_error for p in hp]) * self.enabled
        self.speed_tau = np.array([p.speed_error_time for p in hp])
        self.capacity = int(self.delay_steps.max()) + 1
        self.buffer: np.ndarray | None = None
        self.count = 0
        self.head = -1
        self.w_gap = rng.standard_normal(n)
        self.w_approach = rng.standard_normal(n)
        self.w_speed = rng.standard_normal(n)
        self._cols = np.arange(n)

    def _ou(self, w: np.ndarray, tau: np.ndarray) -> np.ndarray:
        """Exact OU update with unit stationary variance."""
        decay = np.exp(-self.dt / tau)
        return decay * w + np.sqrt(1.0 - decay**2) * self.rng.standard_normal(len(w))

    def perceive(self, ctx: TrafficContext) -> TrafficContext:
        """Store this step's context and return what each driver perceives now."""
        rows = ctx.to_array()
        if self.buffer is None:
            self.buffer = np.repeat(rows[None], self.capacity, axis=0)
        self.head = (self.head + 1) % self.capacity
        self.buffer[self.head] = rows
        self.count += 1
        # Before the buffer has filled, the oldest stored context stands in for older ones.
        lag = np.minimum(self.delay_steps, self.count - 1)
        delayed = self.buffer[(self.head - lag) % self.capacity, :, self._cols].T
        seen = TrafficContext.from_array(delayed)
        self.w_gap = self._ou(self.w_gap, self.noise_tau)
        self.w_approach = self._ou(self.w_approach, self.noise_tau)
        self.w_speed = self._ou(self.w_speed, self.speed_tau)
        gap = seen.leader_gap
        finite = np.isfinite(gap)
        known = np.where(finite, gap, 0.0)  # no leader (inf): nothing to misjudge
        seen.leader_gap = np.where(finite, known * np.exp(self.gap_noise * self.w_gap), gap)
        seen.leader_speed = np.where(
            finite, seen.leader_speed + known * self.approach_noise * self.w_approach, seen.leader_speed)
        seen.desired_speed = ctx.desired_speed * (1.0 + self.speed_error * self.w_speed)
        return seen
