"""Fog backscatter returns of a lidar sweep: the fog itself as a soft target (Hahner et al. 2021).

Why: in fog a real lidar reports spurious points close to the sensor — the
light scattered back by the droplets right in front of the receiver can be
stronger than the attenuated echo of the hard target behind them, and the
receiver reports the stronger peak.  Perception stacks must cope with them.

Model (M. Hahner, C. Sakaridis, D. Dai, L. Van Gool, "Fog Simulation on Real
LiDAR Point Clouds for 3D Object Detection in Adverse Weather", ICCV 2021,
eqs. 2–12; the linear system model of Rasshofer, Spies and Spies, "Influences
of weather phenomena on automotive laser radar systems", Adv. Radio Sci. 9,
2011).  The received power is the transmitted pulse convolved with the
impulse response of the scene,

    P_R(R) = C_A ∫₀^{2R/c} P_T(t) H(R − ct/2) dt,   P_T(t) = P₀ sin²(πt / 2τ_H)  (0 ≤ t ≤ 2τ_H)

with τ_H the half-power pulse width and H(r) = ξ(r)/r² · T²(r) · β(r), T(r) = e^(−αr):

- hard target at R₀ (β(r) = β₀ δ(r − R₀), β₀ = ρ·cos θ / π for a Lambertian
  surface): its peak is P_hard = C_A P₀ β₀ e^(−2αR₀) / R₀² — the range
  equation the sweep already applies (``lidar_sweep_passes``: echo·e^(−2αR)/R²,
  in units of π / (C_A P₀));
- fog, a soft target of constant backscattering coefficient β in front of the
  hard target (r < R₀): substituting r = R − ct/2,

      P_soft(R) = C_A P₀ β ∫_{R−cτ_H}^{min(R, R₀)} sin²(π(R − r) / cτ_H) ξ(r) e^(−2αr) / r² dr

  (the factor c/2 of dt is C_A's, C_A = c·η·A_R / 2), in the same units
  π·β·∫…dr;
- ξ, the crossover of the transmitter's beam into the receiver's field of
  view, rises linearly from 0 at R₁ to 1 at R₂ (paper eqs. 10–12); from the
  biaxial geometry of the paper's reference sensor (aperture offset 0.1 m,
  aperture radii 1 cm, beam 2°, receiver field 3.5°) R₁ = 1.67 m, R₂ = 7.63 m;
- α is the lidar's own extinction (``environment.Weather.lidar_extinction``:
  Koschmieder/Kim fog plus rain, the same α the hard-target attenuation uses);
  β = 0.046 / V with V the fog's visual range (Rasshofer et al. 2011, the
  paper's default, i.e. β = 0.0154·α for α = −ln 0.05 / V; the sweep's own α
  for V < 500 m is 3.912 / V, so β/α = 0.0118 sr⁻¹ there).

Per ray: the fog's peak over R (P_fog, at R_peak) against the hard target's
peak.  A receiver calibrated so that a hard target reads R₀ reads a peak at
R as R − cτ_H/2 (the hard echo sin²(π(R − R₀)/cτ_H) peaks at R₀ + cτ_H/2), so
the fog return's range is R_fog = R_peak − cτ_H/2, and only peaks read at
or beyond the sensor's minimum range count.  The ray reports the fog when
P_fog ≥ the detection threshold and P_fog > the hard target's attenuated
peak (also where the ray hits nothing, or nothing within range).  Its range
then gets a random offset d·B, B ~ Beta(2, 20) from the sensor's generator
(``fog_range_spread_m`` = d; the fog's inhomogeneity, as LiDAR_fog_sim's
additive noise variant does it), and its echo is P_fog·R², so the record's
intensity follows the fog's power as a hard return's follows its own.

P_soft depends on R₀ only while the hard target cuts the fog inside the
window of the peak: for R₀ ≥ R_peak the peak is that of the unbounded fog.
``FogTable`` holds the peak for R₀ on a grid (``STEP_M``) below R_peak and
the unbounded one, computed once per (α, β, pulse, overlap, ranges); a sweep
looks each ray up (vectorised numpy, no loop over rays).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

SPEED_OF_LIGHT = 299_792_458.0
STEP_M = 0.01
"""Grid step of the fog's range integral and of the table of R₀ (m)."""
RASSHOFER_BETA = 0.046
"""β·V (sr⁻¹): the fog's backscattering coefficient times its visual range (Rasshofer et al. 2011)."""
FOG_MATERIAL = -1
"""The material index a fog return carries through the returns pass (no surface: ``lidar.Lidar`` labels it)."""
SEMANTIC_FOG = 29
"""Semantic tag of a fog return in the labels: the first value past CARLA's tags (0–28, ``SemanticTag``),
which have no fog class."""
BETA_A, BETA_B = 2.0, 20.0
"""Shape of the Beta distribution of a fog return's range offset (LiDAR_fog_sim's additive variant)."""


@dataclass(frozen=True)
class FogOptics:
    """A lidar's parameters for the fog's backscatter (``fog_*`` keys of its parameters)."""

    enabled: bool = True
    pulse_half_width_s: float = 20e-9
    overlap_start_m: float = 1.67
    overlap_full_m: float = 7.63
    range_spread_m: float = 10.0


@dataclass(frozen=True)
class FogTable:
    """The fog's peak power (``lidar_sweep_passes`` units: π/(C_A P₀)) and reported range against R₀.

    ``power[k]``, ``at[k]``: for R₀ in [start + k·step, start + (k+1)·step)
    (the fog cut at the grid point below R₀); R₀ below ``start``: no fog in
    view; R₀ at or beyond ``start + len(power)·step``: ``far_power`` at ``far_at``.
    """

    start: float
    step: float
    power: np.ndarray
    at: np.ndarray
    far_power: float
    far_at: float

    def lookup(self, r0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(peak power, reported range) for each hard-target range (inf: none), as float64 arrays."""
        k = np.floor((r0.astype(np.float64) - self.start) / self.step)
        n = len(self.power)
        inside = (k >= 0) & (k < n)
        ki = np.where(inside, k, 0).astype(np.intp)
        power = np.where(inside, self.power[ki] if n else 0.0, np.where(k >= n, self.far_power, 0.0))
        at = np.where(inside, self.at[ki] if n else 0.0, self.far_at)
        return power, at


def fog_beta(visual_range_m: float) -> float:
    """β (1/(m·sr)) of fog of visual range V (m): 0.046 / V; 0 without fog."""
    if not math.isfinite(visual_range_m) or visual_range_m <= 0:
        return 0.0
    return RASSHOFER_BETA / visual_range_m


def backscatter_table(alpha: float, beta: float, optics: FogOptics, min_range: float, max_range: float,
                      step: float = STEP_M) -> FogTable:
    """The fog's peak against R₀ (``FogTable``) for extinction α (1/m) and backscatter β (1/(m·sr)).

    The integral is a Riemann sum on a grid of ``step``: f(r) = ξ(r)·e^(−2αr)/r²
    convolved with the pulse's sin² window of length cτ_H gives the unbounded
    fog's P(R); for R₀ on the grid below its peak, the cumulative sums of the
    window's terms over r ≤ R₀ give the cut fog's P(R; R₀).  Peaks are taken
    over the R whose reported range R − cτ_H/2 lies in [min_range, max_range].
    """
    width = SPEED_OF_LIGHT * optics.pulse_half_width_s           # cτ_H: the pulse's length in R
    r1, r2 = optics.overlap_start_m, max(optics.overlap_full_m, optics.overlap_start_m)
    span = max(r2, min_range + width / 2) + 3.0 * width + 1.0
    r = np.arange(int(math.ceil(span / step)) + 1) * step
    if r2 > r1:
        xi = np.clip((r - r1) / (r2 - r1), 0.0, 1.0)
    else:
        xi = (r >= r1).astype(np.float64)
    f = np.where(r > 0, xi * np.exp(-2.0 * alpha * r) / np.maximum(r, step) ** 2, 0.0)
    m = int(round(width / step))
    window = np.sin(np.pi * np.arange(m + 1) * step / width) ** 2 if m > 0 else np.ones(1)
    scale = math.pi * beta * step
    reported = r - width / 2                                      # what the receiver reads for a peak at R
    valid = (reported >= min_range) & (reported <= max_range)
    unbounded = scale * np.convolve(f, window)[:len(r)]
    unbounded = np.where(valid, unbounded, 0.0)
    j = int(np.argmax(unbounded))
    far_power, far_at = float(unbounded[j]), float(reported[j])
    # R₀ = r[k] for k < j: P(r[i]; R₀) = scale·Σ_{q ≤ k} window[i − q]·f[q]; i runs to k + m at most
    k_end = j
    rows = min(len(r), k_end + m + 1)
    if k_end <= 0 or far_power <= 0:
        return FogTable(0.0, step, np.zeros(0), np.zeros(0), far_power, far_at)
    i = np.arange(rows)[:, None]
    q = np.arange(k_end)[None, :]
    lag = i - q
    terms = np.where((lag >= 0) & (lag <= m), window[np.clip(lag, 0, m)], 0.0) * f[:k_end][None, :]
    cut = scale * np.cumsum(terms, axis=1)                       # cut[i, k]: P(r[i]; R₀ = r[k])
    cut = np.where(valid[:rows, None], cut, 0.0)
    best = np.argmax(cut, axis=0)
    power = cut[best, np.arange(k_end)]
    return FogTable(0.0, step, power, reported[:rows][best], far_power, far_at)


def threshold_visibility(table_for, threshold: float) -> float:
    """Not used by the sweep: the visual range below which the unbounded fog's peak reaches ``threshold``
    (bisection on ``table_for(V).far_power``, which falls as V grows), for the documentation's numbers."""
    lo, hi = 1.0, 1e5
    for _ in range(60):
        mid = math.sqrt(lo * hi)
        if table_for(mid).far_power >= threshold:
            lo = mid
        else:
            hi = mid
    return lo


def fog_rays(table: FogTable, r0: np.ndarray, hard_power: np.ndarray, threshold: float
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(pattern indices, peak powers, reported ranges) of the rays whose strongest return is the fog: its
    peak ≥ ``threshold`` and > the ray's hard-target peak (``hard_power``: 0 where the ray has no return
    within range).  ``r0``: each ray's first hit (inf: none), in pattern order.  The numpy statement of the
    rule ``merge_fog``'s kernel applies (the tests compare them)."""
    power, at = table.lookup(r0)
    rays = np.flatnonzero((power >= threshold) & (power > hard_power))
    return rays, power[rays], at[rays]


def reaches(table: FogTable, threshold: float) -> bool:
    """Whether any ray's fog peak can reach ``threshold`` (else the sweep skips the fog: light fog)."""
    return table.far_power >= threshold or (len(table.power) > 0 and float(table.power.max()) >= threshold)


def merge_fog(table: FogTable, t: np.ndarray, position: np.ndarray, threshold: float, returns: tuple, kept: tuple,
              index_dtype) -> tuple[tuple, np.ndarray, np.ndarray]:
    """The kept returns with the fog's in their place: ((idx, r, mat, echo) in pattern order, the positions
    of the fog returns in them, their peak powers).

    ``t``: the cast's first hits (cast order, inf: none) and ``position`` each pattern ray's cast row;
    ``returns``: every return within range (pattern index, range, attenuated echo) before the selection;
    ``kept``: the selected ones (idx, r, mat, echo).  A fog return replaces its ray's hard return (kept or
    not: dropout loses the hard echo, not the fog's) with range R_fog, material ``FOG_MATERIAL`` and echo
    P_fog·R_fog².  One compiled pass over the rays (``_merge``).
    """
    idx, r, mat, echo = kept
    if not reaches(table, threshold):
        return kept, np.zeros(0, np.intp), np.zeros(0)
    n = len(position)
    out_idx = np.empty(n, index_dtype)
    out_r = np.empty(n, np.float32)
    out_mat = np.empty(n, np.int32)
    out_echo = np.empty(n, np.float32)
    fog_at = np.empty(n, np.intp)
    fog_power = np.empty(n)
    all_idx, all_r, all_echo = returns
    count, fogs = _merge(t, position, table.power, table.at, table.start, table.step, table.far_power, table.far_at,
                         threshold, all_idx, all_r, all_echo, idx, r, mat, echo, out_idx, out_r, out_mat, out_echo,
                         fog_at, fog_power)
    if fogs == 0:
        return kept, np.zeros(0, np.intp), np.zeros(0)
    return (out_idx[:count], out_r[:count], out_mat[:count], out_echo[:count]), fog_at[:fogs], fog_power[:fogs]


@njit(cache=True, nogil=True)
def _merge(t, position, power, at, start, step, far_power, far_at, threshold, all_idx, all_r, all_echo,
           idx, r, mat, echo, out_idx, out_r, out_mat, out_echo, fog_at, fog_power):
    """Each ray in pattern order: its hard peak (echo/r² of its return, float32 as the selection's), the
    fog's peak for its first hit (``FogTable.lookup``), and the fog return or its kept hard return (if
    any) written; (returns written, fog returns among them)."""
    a = 0
    k = 0
    count = 0
    fogs = 0
    m = len(power)
    for i in range(len(position)):
        hard = 0.0
        if a < len(all_idx) and all_idx[a] == i:
            rr = all_r[a]
            hard = all_echo[a] / (rr * rr)
            a += 1
        q = np.floor((np.float64(t[position[i]]) - start) / step)
        if q < 0:
            p = 0.0
            where = 0.0
        elif q >= m:
            p = far_power
            where = far_at
        else:
            p = power[int(q)]
            where = at[int(q)]
        listed = k < len(idx) and idx[k] == i
        if p >= threshold and p > hard:
            out_idx[count] = i
            out_r[count] = where
            out_mat[count] = FOG_MATERIAL
            out_echo[count] = p * where * where
            fog_at[fogs] = count
            fog_power[fogs] = p
            fogs += 1
            count += 1
        elif listed:
            out_idx[count] = i
            out_r[count] = r[k]
            out_mat[count] = mat[k]
            out_echo[count] = echo[k]
            count += 1
        if listed:
            k += 1
    return count, fogs


def _beta_quantiles(nodes: int = 4096, top: float = 0.7, fine: int = 1 << 16) -> np.ndarray:
    """The Beta(2, b) quantile function at u = k/nodes, k = 0…nodes − 1, and at 1 − 1/(2·nodes) for the last
    node (its quantile at 1 is 1: the top bin would stretch a few draws a sweep far out): the inverse of its
    distribution function F(x) = 1 − (1 − x)^b·(1 + b·x), strictly increasing on [0, top] (F(0.7) =
    1 − 2·10⁻¹⁰ for b = 20), interpolated on a fine grid of x."""
    x = np.linspace(0.0, top, fine)
    f = 1.0 - (1.0 - x) ** BETA_B * (1.0 + BETA_B * x)
    u = np.arange(nodes + 1) / nodes
    u[-1] = 1.0 - 0.5 / nodes
    return np.interp(u, f, x)


_BETA_Q = _beta_quantiles()


def beta_draws(rng: np.random.Generator, count: int) -> np.ndarray:
    """``count`` Beta(2, 20) draws: uniforms (``rng.random``) through the tabulated quantile function
    (linear between 4097 nodes, ``_quantile``).  Why not ``rng.beta``: its rejection sampler costs ~36 ns a
    draw (2.6 ms for a dense-fog HDL-64E sweep's 73 000 fog returns)."""
    out = np.empty(count)
    _quantile(rng.random(count), _BETA_Q, out)
    return out


@njit(cache=True, nogil=True)
def _quantile(u, q, out):
    """out[i] ← the quantile table ``q`` (nodes at k/(len(q) − 1)) read linearly at u[i] ∈ [0, 1)."""
    m = len(q) - 1
    for i in range(len(u)):
        y = u[i] * m
        k = min(int(y), m - 1)
        out[i] = q[k] + (y - k) * (q[k + 1] - q[k])


@njit(cache=True, nogil=True)
def _move(r, echo, positions, power, offsets):
    """Fog return j moved by offsets[j] at ``positions[j]``, its echo kept at P_fog·R²."""
    for j in range(len(positions)):
        p = positions[j]
        moved = np.float64(r[p]) + offsets[j]
        r[p] = moved
        echo[p] = power[j] * moved * moved


def spread_fog(rng: np.random.Generator, spread_m: float, r: np.ndarray, echo: np.ndarray, positions: np.ndarray,
               power: np.ndarray) -> None:
    """Move the fog returns (``positions`` of ``r``/``echo``) by d·Beta(2, 20) m, drawn from the sensor's
    generator after the sweep's other draws, keeping echo = P_fog·R² at the new range."""
    if len(positions) == 0 or spread_m <= 0:
        return
    _move(r, echo, positions, power, spread_m * beta_draws(rng, len(positions)))
