"""Magic Formula tyre forces per axle: scalar compiled kernels, vectorised wrappers.

Pacejka, *Tire and Vehicle Dynamics*, 3rd ed. 2012:

* pure slip, eq. (4.49): ``F = D sin(C atan(B x - E (B x - atan(B x))))``;
* combined slip, §4.3.2 eq. (4.E50)-(4.E67): the pure-slip forces are weighted
  by ``G = cos(C_w atan(B_w s))`` of the *other* slip (shift terms omitted),
  with ``B_w = r_1 cos(atan(r_2 s'))``; ``cos(atan(z))`` is evaluated as the
  identical ``1 / sqrt(1 + z²)`` (two transcendental calls fewer).

Longitudinal slip is quasi-static: the wheel-spin dynamics (time constant
``I_w v / (r_w² K_x)``, about a millisecond) are far below any simulation step,
so the slip ``kappa`` that makes the pure-slip force equal the demanded axle
force is solved for algebraically.  A demand above the peak saturates at the
peak — the wheel is held at the friction maximum as an ABS or traction control
would hold it.  This keeps the model cheap and non-stiff while the lateral
force still drops under braking or drive through ``G_ya(kappa)``.

:func:`axle_force` is the one implementation (per axle, scalar, compiled; the
fleet's RK4 kernel calls it, and :mod:`vehicle_models.tyre_pair` runs two of it
interleaved); :func:`axle_forces` loops it over arrays.  The inversion is most
of a dynamic vehicle's step (three passes of ``asin``, ``tan``, up to four
Newton ``atan`` and a weight's ``atan``/``cos``: about 30 dependent libm calls
per driven axle and RK4 stage); its Newton solve and its passes stop as soon as
one returns its own input bit for bit, which gives exactly the values of
running them all.
:func:`magic_formula`, :func:`peak_slip` and :func:`slip_for_force` are written
with numpy ufuncs so one compiled definition serves scalars (inside kernels)
and arrays (from Python).
"""

from __future__ import annotations

import math

import numpy as np

from vehicle_models.jit import array_kernel, kernel

# Rows of TyreArrays.coefficients (one column per axle).
MU_Y, C_Y, E_Y, MU_X, C_X, E_X, K_Y, K_X, B_Y, B_X = range(10)
R_BY1, R_BY2, R_CY1, R_BX1, R_BX2, R_CX1, LINEAR = range(10, 17)
N_TYRE_ROWS = 17
SLIP_PASSES = 2
"""Fixed-point passes of the combined-slip inversion (G_xa varies slowly in kappa)."""


@array_kernel
def magic_formula(slip, b, c, d, e):
    """Pure-slip Magic Formula, Pacejka 2012 eq. (4.49)."""
    bx = b * slip
    return d * np.sin(c * np.arctan(bx - e * (bx - np.arctan(bx))))


@array_kernel
def _solve_phi(phi, e):
    """Solve ``(1 - E) u + E atan(u) = phi`` for ``u = B x`` (monotone for E < 1): Newton."""
    u = phi
    for _ in range(4):
        residual = (1.0 - e) * u + e * np.arctan(u) - phi
        slope = (1.0 - e) + e / (1.0 + u * u)
        u = u - residual / slope
    return u


@array_kernel
def peak_slip(b, c, e):
    """Slip at which the pure-slip force peaks: ``C atan(phi) = pi/2`` (Pacejka 2012 §4.3.2)."""
    phi = np.tan(0.5 * np.pi / np.maximum(c, 1.0 + 1e-6))
    return _solve_phi(phi, e) / b


@array_kernel
def slip_for_force(force, b, c, d, e):
    """Invert the pure-slip Magic Formula on its rising branch.

    Returns ``(slip, delivered_force)``: a demand beyond the peak ``D`` is
    delivered at ``±D`` with the peak slip.
    """
    ratio = np.minimum(np.maximum(force / np.maximum(d, 1e-9), -1.0), 1.0)
    phi = np.tan(np.arcsin(ratio) / c)
    return _solve_phi(phi, e) / b, ratio * d


@kernel
def same_value(a, b):
    """``a`` and ``b`` are the same float bit for bit (NaN never is; ``0.0`` and ``-0.0`` are not)."""
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


@kernel
def _solve_phi_scalar(phi, e):
    """:func:`_solve_phi` for one value, stopping once an iteration leaves ``u`` unchanged.

    An iteration is a function of ``u`` (``phi`` and ``e`` fixed): once it
    returns its own input bit for bit, every later one repeats the same
    operations on the same values, so stopping there returns exactly what the
    four iterations return, with one ``atan`` fewer per iteration skipped.
    """
    u = phi
    for _ in range(4):
        residual = (1.0 - e) * u + e * np.arctan(u) - phi
        slope = (1.0 - e) + e / (1.0 + u * u)
        u_next = u - residual / slope
        if same_value(u_next, u):
            break
        u = u_next
    return u


@kernel
def _slip_for_force_scalar(force, b, c, d, e):
    """:func:`slip_for_force` for one value (the same operations; the Newton solve stops early, exactly)."""
    ratio = np.minimum(np.maximum(force / np.maximum(d, 1e-9), -1.0), 1.0)
    phi = np.tan(np.arcsin(ratio) / c)
    return _solve_phi_scalar(phi, e) / b, ratio * d


@kernel
def _combined_weight(slip, other_slip, r_1, r_2, r_c):
    """``G = cos(r_c atan(r_1 cos(atan(r_2 other_slip)) slip))``, Pacejka 2012 eq. (4.E54)-(4.E67)."""
    shape = r_1 / math.sqrt(1.0 + (r_2 * other_slip) * (r_2 * other_slip))
    return math.cos(r_c * math.atan(shape * slip))


@kernel
def axle_force(alpha, fx_demand, fz, t, j):
    """Longitudinal and lateral force (N) of axle ``j`` (column of ``t``) at slip angle ``alpha``.

    With ``t[LINEAR, j]`` the forces are ``K * slip`` with no saturation (the
    analytic linear tyre); otherwise Magic Formula with combined-slip
    weighting: the wheel slips until the *combined* force meets the demand,
    so the demand is inverted for ``demand / G_xa`` with ``G_xa`` from the
    previous slip estimate (fixed-point passes).  A zero demand needs no slip
    (``kappa = 0``, ``G_yk = 1``): answered without the inversion.
    """
    fz = max(fz, 0.0)
    if t[LINEAR, j] != 0.0:
        return fx_demand, t[K_Y, j] * fz * alpha
    fy0 = magic_formula(alpha, t[B_Y, j], t[C_Y, j], t[MU_Y, j] * fz, t[E_Y, j])
    if fx_demand == 0.0:
        return 0.0, fy0
    b_x, c_x, d_x, e_x = t[B_X, j], t[C_X, j], t[MU_X, j] * fz, t[E_X, j]
    r_bx1, r_bx2, r_cx1 = t[R_BX1, j], t[R_BX2, j], t[R_CX1, j]
    demand = fx_demand
    kappa, fx0, g_xa = 0.0, 0.0, 1.0
    for _ in range(SLIP_PASSES + 1):
        kappa, fx0 = _slip_for_force_scalar(demand, b_x, c_x, d_x, e_x)
        g_xa = _combined_weight(alpha, kappa, r_bx1, r_bx2, r_cx1)
        next_demand = fx_demand / g_xa
        if same_value(next_demand, demand):  # a pass is a function of the demand: the rest repeat this one
            break
        demand = next_demand
    g_yk = _combined_weight(kappa, alpha, t[R_BY1, j], t[R_BY2, j], t[R_CY1, j])
    return fx0 * g_xa, fy0 * g_yk


@kernel
def _axle_forces_loop(alpha, fx_demand, fz, t, fx, fy):
    for j in range(alpha.shape[0]):
        fx[j], fy[j] = axle_force(alpha[j], fx_demand[j], fz[j], t, j)


def axle_forces(alpha: np.ndarray, fx_demand: np.ndarray, fz: np.ndarray,
                tp: "TyreArrays") -> tuple[np.ndarray, np.ndarray]:
    """Longitudinal and lateral axle forces (N) for slip angles ``alpha`` and drive/brake demands.

    One entry per axle of ``tp`` (see :class:`TyreArrays`); scalars broadcast.
    """
    n = len(tp)
    arrays = [np.array(np.broadcast_to(np.asarray(a, dtype=float), (n,)))
              for a in (alpha, fx_demand, fz)]
    fx, fy = np.empty(n), np.empty(n)
    _axle_forces_loop(*arrays, tp.coefficients, fx, fy)
    return fx, fy


class TyreArrays:
    """Per-axle tyre coefficients (B, C, E per direction), built once per fleet.

    ``coefficients`` holds them as rows (``MU_Y`` …) of one (rows × axles)
    array for the compiled kernels; the named attributes are those rows.
    """

    def __init__(self, tyres: list) -> None:
        def col(attr: str) -> np.ndarray:
            return np.array([float(getattr(t, attr)) for t in tyres])

        c = np.zeros((N_TYRE_ROWS, len(tyres)))
        c[MU_Y], c[C_Y], c[E_Y] = col("mu_y"), col("shape_y"), col("curvature_y")
        c[MU_X], c[C_X], c[E_X] = col("mu_x"), col("shape_x"), col("curvature_x")
        c[K_Y] = col("cornering_stiffness_per_load")
        c[K_X] = col("slip_stiffness_per_load")
        # B = K / (C D) with K and D both proportional to Fz: independent of the load.
        c[B_Y] = c[K_Y] / (c[C_Y] * c[MU_Y])
        c[B_X] = c[K_X] / (c[C_X] * c[MU_X])
        c[R_BY1], c[R_BY2], c[R_CY1] = col("r_by1"), col("r_by2"), col("r_cy1")
        c[R_BX1], c[R_BX2], c[R_CX1] = col("r_bx1"), col("r_bx2"), col("r_cx1")
        c[LINEAR] = [1.0 if t.linear else 0.0 for t in tyres]
        self.coefficients = c
        self.mu_y, self.c_y, self.e_y = c[MU_Y], c[C_Y], c[E_Y]
        self.mu_x, self.c_x, self.e_x = c[MU_X], c[C_X], c[E_X]
        self.k_y, self.k_x, self.b_y, self.b_x = c[K_Y], c[K_X], c[B_Y], c[B_X]
        self.r_by1, self.r_by2, self.r_cy1 = c[R_BY1], c[R_BY2], c[R_CY1]
        self.r_bx1, self.r_bx2, self.r_cx1 = c[R_BX1], c[R_BX2], c[R_CX1]
        self.linear = c[LINEAR] != 0.0
        self.nominal_mu = c[[MU_Y, MU_X]].copy()
        """(2, axles): the tyres' own peak coefficients (lateral, longitudinal) on the reference surface."""

    def scale_friction(self, columns: np.ndarray, scale: np.ndarray) -> None:
        """Peak friction of axles ``columns`` = own peak × ``scale`` (the road's grip against the
        reference surface the coefficients were measured on).

        This is Pacejka's friction scaling factor ``lambda_mu`` (Pacejka 2012 §4.3.2, the
        "user scaling factors" of the Magic Formula, eq. 4.E7/4.E23): it scales the peak
        ``D = mu Fz`` and leaves the slip stiffness ``K`` alone, so ``B = K / (C D)`` is
        recomputed: on a slippery road the force rises as steeply at small slip but saturates
        lower and earlier.
        """
        c = self.coefficients
        c[MU_Y, columns] = self.nominal_mu[0, columns] * scale
        c[MU_X, columns] = self.nominal_mu[1, columns] * scale
        c[B_Y, columns] = c[K_Y, columns] / (c[C_Y, columns] * c[MU_Y, columns])
        c[B_X, columns] = c[K_X, columns] / (c[C_X, columns] * c[MU_X, columns])

    def __len__(self) -> int:
        return self.coefficients.shape[1]
