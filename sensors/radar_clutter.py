"""Rain clutter: the raindrops' echo in the radar's own resolution cells, its false alarms and its SINR.

Clutter power.  Each range–azimuth–elevation cell of the radar (the bins of
``radar._detect``: range [r₀, r₁), azimuth [a₀, a₁), elevation [e₀, e₁), clipped
to the field of view and the minimum and maximum range) is filled with rain of
volume reflectivity η (``radar_rain_backscatter``: Mie over Marshall–Palmer).
The model's cells have uniform gain over their extent (a target anywhere in a
cell gets the full radar equation), so the clutter's radar equation integrates
η over the cell's volume r²·cos(e) dr da de with the same R⁻⁴ law:

    CNR = SNR_ref·(η/σ_ref)·R_ref⁴·(a₁ − a₀)·(sin e₁ − sin e₀)·(1/r₀ − 1/r₁)·L(r),

L the two-way rain and fog loss (``radar_weather``) at the cell's mid range.
With a small cell this is η·V_cell/r⁴ with V_cell = r²·Δa·Δe·Δr, the volume
clutter of Richards (*Fundamentals of Radar Signal Processing*, 2nd ed.,
§2.2.4); a radar with a Gaussian beam pattern would use the beam's effective
volume (π/4·rθ_az·rθ_el·Δr, times 1/(2 ln 2) for the two-way pattern:
Probert-Jones, Q. J. R. Meteorol. Soc. 88:485–495, 1962) instead.  Below the
horizon the beam meets the road: only the part of a cell above the ground
(elevation above −asin(h/r), h the mount height) holds rain.  Clutter power so
falls as 1/r² (volume r², echo r⁻⁴): rain clutter is a short-range effect.

Doppler.  The drops move with their fall speed (``RainBackscatter``); their
range rate in a cell is (v_rain − v_sensor)·u, so a moving radar sees its rain
where it sees the stationary world, shifted by the fall speed's component
along the beam.  The spectrum is Gaussian (Doviak and Zrnić, *Doppler Radar
and Weather Observations*, 2nd ed.: independent broadening mechanisms add in
variance) with σ_v² = σ_air² + (σ_fall·u_z)² + σ_a² + σ_e², σ_fall the
drops' fall-speed spread, σ_air the air's motion in the cell
(``rain_clutter_turbulence_mps``, an assumption: OpenSCENARIO's wind is not
read) and σ_a, σ_e the change of range rate across the cell's width (uniform:
|∂v_r/∂a|·Δa/√12).  Doppler cell k of width Δv holds CNR·F_k, F_k the
Gaussian's mass in [kΔv, (k+1)Δv).

Detection.  Noise, clutter and a Swerling-I target are all complex Gaussian,
so a cell's power is exponential with mean N·(1 + CNR_k + SNR).  The CFAR
(cell averaging over ``cfar_reference_cells`` Doppler cells each side beyond
``cfar_guard_cells`` — Richards' cell-averaging CFAR — in the ideal limit the
model's Swerling-I law already takes: the reference level is its expected
value) sets the threshold
T·N·(1 + CNR_ref), T = −ln P_fa, CNR_ref the mean clutter of the reference
cells.  Hence

    P = P_fa^((1 + CNR_ref)/(1 + CNR_k + SNR)),

which is the model's P_d = P_fa^(1/(1 + SNR)) in clear air, P_fa^(1/(1 + SINR))
with SINR = SNR/(1 + CNR) where the clutter spectrum is wide next to the CFAR
window (CNR_ref = CNR_k), and, without a target, the clutter's own false-alarm
probability P_fa^((1 + CNR_ref)/(1 + CNR_k)): the rain detected at short range
where its spectrum is narrower than the window (the CFAR averages clear
Doppler cells).  Rain clutter detections are drawn per cell with the
probability above its thermal P_fa (the thermal false alarms are drawn apart,
``radar._add_false_alarms``); spatial cells whose clutter could add together
fewer than 1 % of the scan's thermal false alarms (at least 10⁻³ detections;
a convexity bound, ``_excess_bound``) are not drawn.

What sets the count.  Whether rain is detected hinges on the CFAR window
against the spectrum's width: with the defaults (0.1 m/s Doppler cells,
guard 2, reference 8, σ_air = 0.5 m/s) the window (0.3–1.0 m/s off the cell)
sits inside the spectrum and follows it, and the default radar (ego at
15 m/s) sees 0.3, 0.55 and 0.8 rain detections a scan at 5, 25 and 100 mm/h,
at a median range of 1.4, 2.0 and 2.7 m (99 % within 6, 7 and 12 m); a window
of 32 cells, or stiller air (σ_air = 0.2 m/s), lets the CFAR average clear
cells and the same rain gives 180–570 detections a scan, 99 % within 3–10 m.
Both are physical radars; the defaults are the common short window.

Outputs: a rain detection has ``kind`` rain_clutter, actor −1, ``snr_db`` its
Doppler cell's CNR, and the amplitude of its power over the noise (threshold
plus an exponential excess) as an apparent RCS at its range.  A target's
``snr_db`` stays its signal-to-noise ratio; the clutter enters its detection
probability only.  The radar's boresight is taken as level (mount pitch
ignored for the ground cut).

Cost.  The kept cells are fixed in the sensor frame: their centre directions,
the directions' derivatives and widths (``CellGeometry``) are worked out once
when the clutter is built, and a scan's spectrum is four matrix–vector products
with the rain's velocity relative to the sensor, shared by ``doppler_cells``
and ``draw`` for the same motion: a default scan at 25 mm/h takes 1.1–1.2 ms
against 0.5–0.6 ms dry (was 1.7–1.8 ms; the same numbers bit for bit).

Not modelled: clutter in multipath ghosts' cells, snow backscatter (clutter is
drawn for rain only), splash and spray, wet radomes, and the CFAR's estimation
loss with a finite number of reference cells (the ideal limit, as in clear air).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.special import ndtr

from sensors.radar_messages import RAIN_CLUTTER, RETURN_DTYPE, TRUTH_DTYPE
from sensors.radar_rain_backscatter import RainBackscatter

DROPPED_SHARE = 0.01
"""The cells left undrawn could add at most this share of the scan's thermal false alarms (P_fa × cells) or
10⁻³ detections a scan, whichever is more (see ``_excess_bound``)."""
SPECTRUM_WIDTH = 4.0
"""Clutter detections are drawn within ±4σ_v of the spectrum's mean (6·10⁻⁵ of its power lies beyond)."""
NEAREST_CLUTTER_M = 0.1
"""Clutter is integrated from at least this range (the 1/r₀ term; the radar's blind zone is ``min_range_m``)."""


@dataclass(frozen=True)
class CellGrid:
    """The radar's range, azimuth and elevation bins as ``radar._detect`` forms them (index = floor(x/res))."""

    resolution: np.ndarray          # (range m, azimuth rad, elevation rad)
    lower: np.ndarray               # (min range, −hfov/2, −vfov/2)
    upper: np.ndarray               # (max range, hfov/2, vfov/2)
    mount_height_m: float

    def bounds(self, index: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray]:
        res = self.resolution[axis]
        lo = np.maximum(index * res, self.lower[axis])
        hi = np.minimum((index + 1) * res, self.upper[axis])
        return lo, np.maximum(hi, lo)

    def indices(self, axis: int) -> np.ndarray:
        res = self.resolution[axis]
        first = math.floor(self.lower[axis] / res)
        last = math.ceil(self.upper[axis] / res) - 1
        return np.arange(first, last + 1)


@dataclass(frozen=True)
class ClutterCells:
    """Spatial cells with their clutter-to-noise ratio and geometry (sensor frame)."""

    index: np.ndarray               # (n, 3) range, azimuth, elevation bins
    cnr: np.ndarray                 # total over Doppler
    r: tuple[np.ndarray, np.ndarray]
    az: tuple[np.ndarray, np.ndarray]
    el: tuple[np.ndarray, np.ndarray]

    def centre_directions(self) -> np.ndarray:
        a, e = 0.5 * (self.az[0] + self.az[1]), 0.5 * (self.el[0] + self.el[1])
        return np.stack([np.cos(e) * np.cos(a), np.cos(e) * np.sin(a), np.sin(e)], axis=1)


def cell_cnr(radar, grid: CellGrid, eta: float, index: np.ndarray) -> ClutterCells:
    """Clutter-to-noise ratio of rain of reflectivity ``eta`` in cells ``index`` (n, 3)."""
    r0, r1 = grid.bounds(index[:, 0], 0)
    a0, a1 = grid.bounds(index[:, 1], 1)
    e0, e1 = grid.bounds(index[:, 2], 2)
    r0 = np.maximum(r0, NEAREST_CLUTTER_M)
    r1 = np.maximum(r1, r0)
    mid = 0.5 * (r0 + r1)
    ground = -np.arcsin(np.minimum(grid.mount_height_m / mid, 1.0))
    e0 = np.maximum(e0, ground)
    e1 = np.maximum(e1, e0)
    solid = (a1 - a0) * (np.sin(e1) - np.sin(e0))
    sigma_at_1m = eta * solid * (1.0 / r0 - 1.0 / r1)           # ∫ η r² dΩ dr / r⁴, referred to R = 1 m
    cnr = radar.equation.snr(sigma_at_1m, 1.0) * radar.weather_loss.two_way_factor(mid)
    return ClutterCells(index, cnr, (r0, r1), (a0, a1), (e0, e1))


def _excess_bound(cnr: np.ndarray, pfa: float, peak_fraction: float) -> np.ndarray:
    """Upper bound of a spatial cell's clutter detections over P_fa, summed over its Doppler cells.

    A Doppler cell holds c_k ≤ φ·c of the cell's clutter c (φ the most a Gaussian of the narrowest spread puts
    in one Doppler cell).  f(c) = P_fa^(1/(1+c)) is convex for c < T/2 − 1 (T = −ln P_fa) with f(0) = P_fa,
    so f(c_k) − P_fa ≤ (c_k/φc)·(f(φc) − P_fa) and the sum over k is at most (f(φc) − P_fa)/φ; the CFAR's
    reference level only lowers each term.  Infinite (keep the cell) outside the convex range."""
    convex = peak_fraction * cnr < -math.log(pfa) / 2.0 - 1.0
    bound = (pfa ** (1.0 / (1.0 + peak_fraction * cnr)) - pfa) / peak_fraction
    return np.where(convex, bound, np.inf)


@dataclass(frozen=True)
class CellGeometry:
    """What the Doppler spectrum needs of each cell and depends on its place in the sensor frame only: the
    centre direction u, its derivatives along azimuth and elevation, and the cell's angular widths.

    The cells are fixed in the sensor frame, so ``RainClutter`` works these out once for its kept cells;
    a scan adds only the rain's velocity relative to the sensor (four matrix–vector products)."""

    u: np.ndarray                   # (n, 3)
    du_da: np.ndarray               # (n, 3) ∂u/∂a
    du_de: np.ndarray               # (n, 3) ∂u/∂e
    az_width: np.ndarray            # a₁ − a₀
    el_width: np.ndarray            # e₁ − e₀

    @staticmethod
    def of(cells: ClutterCells) -> "CellGeometry":
        u = cells.centre_directions()
        a, e = 0.5 * (cells.az[0] + cells.az[1]), 0.5 * (cells.el[0] + cells.el[1])
        du_da = np.stack([-np.cos(e) * np.sin(a), np.cos(e) * np.cos(a), np.zeros_like(a)], axis=1)
        du_de = np.stack([-np.sin(e) * np.cos(a), -np.sin(e) * np.sin(a), np.cos(e)], axis=1)
        return CellGeometry(u, du_da, du_de, cells.az[1] - cells.az[0], cells.el[1] - cells.el[0])


@dataclass(frozen=True)
class ClutterDopplerCells:
    """Per kept spatial cell (rows) and Doppler cell (columns): the Doppler bin, CNR in the cell, the CFAR
    reference's mean CNR, and the probability of a rain clutter detection beyond the thermal P_fa."""

    bins: np.ndarray
    in_cell: np.ndarray
    in_reference: np.ndarray
    probability: np.ndarray


@dataclass
class RainClutter:
    """One radar's rain clutter for one rain: the cells worth drawing, and the per-scan Doppler spectra."""

    radar: object
    backscatter: RainBackscatter
    grid: CellGrid
    cells: ClutterCells
    turbulence_mps: float
    guard: int
    reference: int
    geometry: CellGeometry | None = field(default=None, repr=False)
    """``cells``' geometry (``build`` sets it; worked out on first use otherwise)."""
    last_spectrum: tuple = field(default=((), None), init=False, repr=False, compare=False)
    """(sensor motion key, (mean, spread)) of ``cells`` for the last motion: ``doppler_cells`` and ``draw``
    of one scan share it."""

    @staticmethod
    def build(radar, backscatter: RainBackscatter) -> "RainClutter":
        grid = CellGrid(np.asarray(radar.res[:3], float),
                        np.array([radar.min_range, -radar.hfov / 2, -radar.vfov / 2]),
                        np.array([radar.max_range, radar.hfov / 2, radar.vfov / 2]),
                        max(float(radar.config.mount.z), 0.0))
        axes = [grid.indices(k) for k in range(3)]
        index = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, 3)
        cells = cell_cnr(radar, grid, backscatter.reflectivity_per_m, index)
        pfa = radar.equation.false_alarm_probability
        narrowest = radar.rain_clutter_turbulence
        peak_fraction = min(1.0, radar.res[3] / (math.sqrt(2.0 * math.pi) * narrowest)) if narrowest > 0 else 1.0
        bound = _excess_bound(cells.cnr, pfa, peak_fraction)
        order = np.argsort(bound, kind="stable")
        allowance = max(1e-3, DROPPED_SHARE * pfa * radar.n_cells)
        dropped = np.cumsum(bound[order]) < allowance
        keep = np.sort(order[~dropped])
        kept = ClutterCells(cells.index[keep], cells.cnr[keep], (cells.r[0][keep], cells.r[1][keep]),
                            (cells.az[0][keep], cells.az[1][keep]), (cells.el[0][keep], cells.el[1][keep]))
        return RainClutter(radar, backscatter, grid, kept, radar.rain_clutter_turbulence,
                           radar.cfar_guard_cells, radar.cfar_reference_cells, CellGeometry.of(kept))

    # ------------------------------------------------------------ Doppler
    def spectrum(self, cells: ClutterCells, rotation: np.ndarray, v_sensor_world: np.ndarray,
                 geometry: CellGeometry | None = None):
        """Mean range rate and spread (m/s) of the rain in ``cells`` seen by a sensor moving at ``v_sensor_world``
        (``geometry``: the cells' ``CellGeometry`` if already worked out)."""
        g = CellGeometry.of(cells) if geometry is None else geometry
        b = self.backscatter
        w = (np.array([0.0, 0.0, -b.fall_speed_mps]) - v_sensor_world) @ rotation   # rain − sensor, sensor frame
        up = rotation[2]                                                               # world z in the sensor frame
        mean = g.u @ w
        var = (self.turbulence_mps ** 2 + (b.fall_speed_spread_mps * (g.u @ up)) ** 2
               + ((g.du_da @ w) * g.az_width) ** 2 / 12.0
               + ((g.du_de @ w) * g.el_width) ** 2 / 12.0)
        return mean, np.sqrt(np.maximum(var, 1e-12))

    def kept_spectrum(self, rotation: np.ndarray, v_sensor_world: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``spectrum`` of the kept cells, worked out once per sensor motion (rotation, velocity)."""
        key = tuple((a.dtype.str, a.shape, a.tobytes()) for a in map(np.asarray, (rotation, v_sensor_world)))
        if self.last_spectrum[0] != key:
            if self.geometry is None:
                self.geometry = CellGeometry.of(self.cells)
            mean, spread = self.spectrum(self.cells, rotation, v_sensor_world, self.geometry)
            mean.flags.writeable = spread.flags.writeable = False          # shared by the scan's callers
            self.last_spectrum = (key, (mean, spread))
        return self.last_spectrum[1]

    def _fractions(self, mean, spread, first_bin, n_bins):
        """Gaussian mass of each cell's spectrum in Doppler bins first_bin … first_bin + n_bins − 1."""
        dv = self.radar.res[3]
        edges = (first_bin[:, None] + np.arange(n_bins + 1)[None, :]) * dv
        cdf = ndtr((edges - mean[:, None]) / spread[:, None])
        return np.diff(cdf, axis=1)

    def _reference_mean(self, frac: np.ndarray, pad: int) -> np.ndarray:
        """Mean fraction over the CFAR's reference cells (±guard+1 … ±guard+reference) of the bins pad … −pad."""
        g, m = self.guard, self.reference
        if m == 0:
            return np.zeros((frac.shape[0], frac.shape[1] - 2 * pad))
        c = np.concatenate([np.zeros((frac.shape[0], 1)), np.cumsum(frac, axis=1)], axis=1)
        n = frac.shape[1] - 2 * pad                                   # bins k = pad … pad + n − 1
        after = c[:, pad + g + m + 1:pad + g + m + 1 + n] - c[:, pad + g + 1:pad + g + 1 + n]
        before = c[:, pad - g:pad - g + n] - c[:, pad - g - m:pad - g - m + n]
        return (after + before) / (2 * m)

    # ------------------------------------------------------------ detection
    def detection_probability(self, keys: np.ndarray, snr: np.ndarray, rotation, v_sensor_world) -> np.ndarray:
        """P = P_fa^((1 + CNR_ref)/(1 + CNR_k + SNR)) for target cells ``keys`` (n, 4: range, az, el, Doppler bins)."""
        cells = cell_cnr(self.radar, self.grid, self.backscatter.reflectivity_per_m, keys[:, :3])
        mean, spread = self.spectrum(cells, rotation, v_sensor_world)
        pad = self.guard + self.reference
        frac = self._fractions(mean, spread, keys[:, 3] - pad, 2 * pad + 1)
        in_cell = cells.cnr * frac[:, pad]
        in_reference = cells.cnr * self._reference_mean(frac, pad)[:, 0]
        pfa = self.radar.equation.false_alarm_probability
        return pfa ** ((1.0 + in_reference) / (1.0 + in_cell + np.asarray(snr)))

    def _window(self, mean: np.ndarray, spread: np.ndarray) -> tuple[np.ndarray, int]:
        """First Doppler bin and number of bins of each cell's drawn window: ±4σ_v about the mean (the widest
        cell's σ for all), no wider than the radar's Doppler span."""
        radar = self.radar
        dv = radar.res[3]
        half = int(math.ceil(SPECTRUM_WIDTH * float(spread.max(initial=0.0)) / dv)) + 1
        half = min(half, int(math.ceil(2.0 * radar.max_velocity / dv)) + 1)
        return np.floor(mean / dv).astype(np.int64) - half, 2 * half + 1

    def _probability(self, cnr, mean, spread, bins) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """CNR in Doppler bins ``bins`` (n, k) of cells with the given spectra, the CFAR reference's mean CNR,
        and the probability of a rain clutter detection there beyond the thermal P_fa."""
        radar = self.radar
        pad = self.guard + self.reference
        n_bins = bins.shape[1]
        frac = self._fractions(mean, spread, bins[:, 0] - pad, n_bins + 2 * pad)
        in_cell = cnr[:, None] * frac[:, pad:pad + n_bins]
        in_reference = cnr[:, None] * self._reference_mean(frac, pad)
        pfa = radar.equation.false_alarm_probability
        p = pfa ** ((1.0 + in_reference) / (1.0 + in_cell))
        dv = radar.res[3]
        inside = (bins * dv >= -radar.max_velocity) & ((bins + 1) * dv <= radar.max_velocity)
        return in_cell, in_reference, np.where(inside, np.maximum(p - pfa, 0.0) / (1.0 - pfa), 0.0)

    def doppler_cells(self, rotation, v_sensor_world) -> "ClutterDopplerCells":
        """Every kept cell's Doppler cells within ±4σ_v of its spectrum, with the clutter in each, the CFAR's
        reference level and the probability of a rain detection over the thermal P_fa (what ``draw`` draws)."""
        cells = self.cells
        mean, spread = self.kept_spectrum(rotation, v_sensor_world)
        first, n_bins = self._window(mean, spread)
        bins = first[:, None] + np.arange(n_bins)[None, :]
        return ClutterDopplerCells(bins, *self._probability(cells.cnr, mean, spread, bins))

    def _bound(self, cnr, spread) -> np.ndarray:
        """An upper bound H of the rain detection probability over every Doppler cell of each spatial cell.

        A Doppler cell holds c_k ≤ c·φ, φ = min(1, Δv/(√(2π)σ_v)) (a bin's mass is at most Δv times the peak
        density).  The Gaussian's φ(x + d) + φ(x − d) ≥ 2·φ(x)·exp(−d²/2σ²) gives the CFAR reference at
        least ρ·c_k, ρ the mean of exp(−(oΔv)²/2σ²) over its offsets o.  P_fa^((1 + ρc)/(1 + c)) grows with c,
        so every cell's probability is at most its value at c·φ."""
        radar = self.radar
        dv = radar.res[3]
        pfa = radar.equation.false_alarm_probability
        peak = cnr * np.minimum(1.0, dv / (math.sqrt(2.0 * math.pi) * spread))
        offsets = np.arange(self.guard + 1, self.guard + self.reference + 1) * dv
        rho = np.exp(-offsets[None, :] ** 2 / (2.0 * spread[:, None] ** 2)).mean(axis=1)
        h = pfa ** ((1.0 + rho * peak) / (1.0 + peak))
        return np.maximum(h - pfa, 0.0) / (1.0 - pfa)

    def draw(self, rng: np.random.Generator, rotation, v_sensor_world) -> tuple[np.ndarray, np.ndarray]:
        """Rain clutter detections of one scan: per Doppler cell, a detection with the probability over P_fa.

        Drawn by thinning (exact in distribution): each spatial cell's window first gets Bernoulli(H) trials
        per Doppler cell (a binomial count at distinct bins), H ≥ every bin's probability q (``_bound``); a
        trial is kept with probability q/H.  Only the few trial bins need their spectrum and CFAR worked out."""
        cells = self.cells
        if len(cells.cnr) == 0:
            return np.zeros(0, RETURN_DTYPE), np.zeros(0, TRUTH_DTYPE)
        radar = self.radar
        dv = radar.res[3]
        pfa = radar.equation.false_alarm_probability
        mean, spread = self.kept_spectrum(rotation, v_sensor_world)
        first, n_bins = self._window(mean, spread)
        bound = self._bound(cells.cnr, spread)
        trials = rng.binomial(n_bins, bound)
        rows = np.repeat(np.arange(len(trials)), trials)
        offsets = [rng.choice(n_bins, size=int(t), replace=False) for t in trials[trials > 0]]
        columns = np.concatenate(offsets) if offsets else np.zeros(0, np.int64)
        trial_bins = (first[rows] + columns)[:, None]
        in_cell, in_reference, q = self._probability(cells.cnr[rows], mean[rows], spread[rows], trial_bins)
        keep = rng.random(len(rows)) * bound[rows] < q[:, 0]
        cell = rows[keep]
        bins, in_cell, in_reference = trial_bins[keep, 0], in_cell[keep, 0], in_reference[keep, 0]
        k = len(cell)
        u = rng.random((k, 4))
        fluct = rng.exponential(1.0, k)
        lerp = lambda lo_hi, t: lo_hi[0][cell] + t * (lo_hi[1][cell] - lo_hi[0][cell])  # noqa: E731
        out = np.empty(k, RETURN_DTYPE)
        out["range"] = lerp(cells.r, u[:, 0])
        out["azimuth"] = lerp(cells.az, u[:, 1])
        out["elevation"] = lerp(cells.el, u[:, 2])
        out["doppler_velocity"] = (bins + u[:, 3]) * dv
        # the cell's power over the noise: past the threshold by an exponential excess (memoryless)
        power = -math.log(pfa) * (1.0 + in_reference) + fluct * (1.0 + in_cell)
        eq = radar.equation
        out["amplitude"] = eq.reference_rcs_dbsm - eq.reference_snr_db + 10 * np.log10(power) \
            + 40 * np.log10(out["range"].astype(float) / eq.reference_range_m)
        truth = np.empty(k, TRUTH_DTYPE)
        truth["actor"] = -1
        truth["kind"] = RAIN_CLUTTER
        truth["snr_db"] = 10 * np.log10(np.maximum(in_cell, 1e-12))
        return out, truth
