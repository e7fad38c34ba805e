"""OpenSCENARIO TransitionDynamics: how a value goes from its start to its target.

ASAM OpenSCENARIO 1.x, §7.4.x "TransitionDynamics" and the DynamicsShape
enumeration: ``step``, ``linear``, ``cubic``, ``sinusoidal`` (and 1.2's
``followingMode`` which only matters for trajectories).  The DynamicsDimension
says what ``value`` measures: ``time`` (duration in s), ``distance`` (length in
m travelled by the actor while the transition runs) or ``rate`` (the slope of
the transition, e.g. m/s² for a speed change; the duration follows from it).

Every shape maps a progress fraction p in [0, 1] to a blend fraction f in
[0, 1]; ``cubic`` is the smoothstep 3p² − 2p³ (zero slope at both ends) and
``sinusoidal`` is (1 − cos πp)/2, as in the standard's figures.  For ``rate``
the peak slope of the shape equals the rate, so a cubic change of Δ at rate r
lasts 1.5·|Δ|/r and a sinusoidal one π/2·|Δ|/r (esmini does the same).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from simplatform.errors import ScenarioError

SHAPES = ("step", "linear", "cubic", "sinusoidal")
DIMENSIONS = ("time", "distance", "rate")

# Peak slope of each shape over p in [0, 1], the factor between "rate" and duration.
_PEAK_SLOPE = {"step": 0.0, "linear": 1.0, "cubic": 1.5, "sinusoidal": math.pi / 2.0}


def shape_fraction(shape: str, p: float) -> float:
    """Blend fraction for progress ``p`` (clamped to [0, 1])."""
    if p >= 1.0:
        return 1.0
    if p <= 0.0:
        return 0.0 if shape != "step" else 1.0
    if shape == "linear":
        return p
    if shape == "cubic":
        return p * p * (3.0 - 2.0 * p)
    if shape == "sinusoidal":
        return 0.5 * (1.0 - math.cos(math.pi * p))
    if shape == "step":
        return 1.0
    raise ScenarioError(f"unknown dynamicsShape {shape!r} (expected one of {', '.join(SHAPES)})")


def shape_slope(shape: str, p: float) -> float:
    """d(fraction)/dp, for the acceleration a transition implies."""
    if p < 0.0 or p >= 1.0 or shape == "step":
        return 0.0
    if shape == "linear":
        return 1.0
    if shape == "cubic":
        return 6.0 * p * (1.0 - p)
    return 0.5 * math.pi * math.sin(math.pi * p)


@dataclass(frozen=True)
class Transition:
    """A running transition of one scalar from ``start`` to ``target``.

    ``extent`` is the transition's length in its progress variable: seconds when
    the dimension is ``time`` or ``rate``, metres when it is ``distance``.
    """

    shape: str
    dimension: str
    start: float
    target: float
    extent: float

    @classmethod
    def create(cls, shape: str, dimension: str, value: float, start: float, target: float) -> "Transition":
        if shape not in SHAPES:
            raise ScenarioError(f"unknown dynamicsShape {shape!r} (expected one of {', '.join(SHAPES)})")
        if dimension not in DIMENSIONS:
            raise ScenarioError(f"unknown dynamicsDimension {dimension!r} (expected one of {', '.join(DIMENSIONS)})")
        delta = target - start
        if shape == "step" or delta == 0.0:
            extent = 0.0
        elif dimension == "rate":
            # the direction of a rate follows from start and target; files written for esmini give
            # braking as a negative rate (e.g. value="-4"), which esmini reads as its magnitude
            if value == 0.0:
                # a zero rate is in the standard's range [0..inf[ (the ALKS templates use it for
                # "keep the speed"); it is met when the target already equals the start up to
                # rounding (40/3.6 vs 60/3.6 - 20/3.6 differ in the last bit), and never otherwise
                if abs(delta) <= 1e-9 * max(1.0, abs(start), abs(target)):
                    return cls(shape, "time", start, target, 0.0)
                raise ScenarioError(
                    f"TransitionDynamics rate must not be 0 where the value has to change (from {start:g} "
                    f"to {target:g}: the transition would never end)")
            extent = _PEAK_SLOPE[shape] * abs(delta) / abs(value)
        else:
            if value < 0.0:
                raise ScenarioError(f"TransitionDynamics {dimension} must be >= 0, got {value}")
            extent = value
        # a rate transition progresses with time
        dim = "time" if dimension == "rate" else dimension
        return cls(shape, dim, start, target, extent)

    def value_at(self, progress: float) -> float:
        """Value after ``progress`` seconds (or metres) of the transition."""
        if self.extent <= 0.0:
            return self.target
        f = shape_fraction(self.shape, progress / self.extent)
        return self.start + (self.target - self.start) * f

    def rate_at(self, progress: float) -> float:
        """d(value)/d(progress) at ``progress``."""
        if self.extent <= 0.0:
            return 0.0
        return (self.target - self.start) * shape_slope(self.shape, progress / self.extent) / self.extent

    def done(self, progress: float) -> bool:
        return progress >= self.extent - 1e-9
