"""Magic Formula tyre forces per axle, vectorised over vehicles.

Pacejka, *Tire and Vehicle Dynamics*, 3rd ed. 2012:

* pure slip, eq. (4.49): ``F = D sin(C atan(B x - E (B x - atan(B x))))``;
* combined slip, §4.3.2 eq. (4.E50)-(4.E67): the pure-slip forces are weighted
  by ``G = cos(C_w atan(B_w s))`` of the *other* slip (shift terms omitted).

Longitudinal slip is quasi-static: the wheel-spin dynamics (time constant
``I_w v / (r_w² K_x)``, about a millisecond) are far below any simulation step,
so the slip ``kappa`` that makes the pure-slip force equal the demanded axle
force is solved for algebraically.  A demand above the peak saturates at the
peak — the wheel is held at the friction maximum as an ABS or traction control
would hold it.  This keeps the model cheap and non-stiff while the lateral
force still drops under braking or drive through ``G_ya(kappa)``.
"""

from __future__ import annotations

import numpy as np


def magic_formula(slip: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray,
                  e: np.ndarray) -> np.ndarray:
    """Pure-slip Magic Formula, Pacejka 2012 eq. (4.49)."""
    bx = b * slip
    return d * np.sin(c * np.arctan(bx - e * (bx - np.arctan(bx))))


def peak_slip(b: np.ndarray, c: np.ndarray, e: np.ndarray) -> np.ndarray:
    """Slip at which the pure-slip force peaks: ``C atan(phi) = pi/2`` (Pacejka 2012 §4.3.2)."""
    phi = np.tan(0.5 * np.pi / np.maximum(c, 1.0 + 1e-6))
    return _solve_phi(phi, e) / b


def _solve_phi(phi: np.ndarray, e: np.ndarray) -> np.ndarray:
    """Solve ``(1 - E) u + E atan(u) = phi`` for ``u = B x`` (monotone for E < 1): Newton."""
    u = phi.copy() if isinstance(phi, np.ndarray) else np.asarray(phi, dtype=float)
    for _ in range(4):
        residual = (1.0 - e) * u + e * np.arctan(u) - phi
        slope = (1.0 - e) + e / (1.0 + u * u)
        u = u - residual / slope
    return u


def slip_for_force(force: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray,
                   e: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Invert the pure-slip Magic Formula on its rising branch.

    Returns ``(slip, delivered_force)``: a demand beyond the peak ``D`` is
    delivered at ``±D`` with the peak slip.
    """
    ratio = np.clip(force / np.maximum(d, 1e-9), -1.0, 1.0)
    phi = np.tan(np.arcsin(ratio) / c)
    slip = _solve_phi(phi, e) / b
    return slip, ratio * d


def axle_forces(alpha: np.ndarray, fx_demand: np.ndarray, fz: np.ndarray,
                tp: "TyreArrays") -> tuple[np.ndarray, np.ndarray]:
    """Longitudinal and lateral axle forces (N) for slip angle ``alpha`` and a drive/brake demand.

    ``tp`` holds per-vehicle tyre coefficients (see :class:`TyreArrays`).  With
    ``tp.linear`` the forces are ``K * slip`` with no saturation (the analytic
    linear tyre); otherwise Magic Formula with combined-slip weighting.
    """
    fz = np.maximum(fz, 0.0)
    dy = tp.mu_y * fz
    dx = tp.mu_x * fz
    # The wheel slips until the *combined* force meets the demand: invert for demand / G_xa,
    # with G_xa from the previous slip estimate (fixed-point passes; G_xa varies slowly in kappa).
    kappa, fx0 = slip_for_force(fx_demand, tp.b_x, tp.c_x, dx, tp.e_x)
    for _ in range(2):
        g_xa = _g_xa(alpha, kappa, tp)
        kappa, fx0 = slip_for_force(fx_demand / g_xa, tp.b_x, tp.c_x, dx, tp.e_x)
    g_xa = _g_xa(alpha, kappa, tp)
    fy0 = magic_formula(alpha, tp.b_y, tp.c_y, dy, tp.e_y)
    g_yk = np.cos(tp.r_cy1 * np.arctan(tp.r_by1 * np.cos(np.arctan(tp.r_by2 * alpha)) * kappa))
    linear_fy = tp.k_y * fz * alpha
    fy = np.where(tp.linear, linear_fy, fy0 * g_yk)
    fx = np.where(tp.linear, fx_demand, fx0 * g_xa)
    return fx, fy


def _g_xa(alpha: np.ndarray, kappa: np.ndarray, tp: "TyreArrays") -> np.ndarray:
    """Longitudinal combined-slip weighting, Pacejka 2012 eq. (4.E54)-(4.E56) without shifts."""
    return np.cos(tp.r_cx1 * np.arctan(tp.r_bx1 * np.cos(np.arctan(tp.r_bx2 * kappa)) * alpha))


class TyreArrays:
    """Per-vehicle tyre coefficients as arrays (B, C, E per direction), built once per fleet."""

    def __init__(self, tyres: list) -> None:
        def col(attr: str) -> np.ndarray:
            return np.array([float(getattr(t, attr)) for t in tyres])

        self.mu_y, self.c_y, self.e_y = col("mu_y"), col("shape_y"), col("curvature_y")
        self.mu_x, self.c_x, self.e_x = col("mu_x"), col("shape_x"), col("curvature_x")
        self.k_y = col("cornering_stiffness_per_load")
        self.k_x = col("slip_stiffness_per_load")
        # B = K / (C D) with K and D both proportional to Fz: independent of the load.
        self.b_y = self.k_y / (self.c_y * self.mu_y)
        self.b_x = self.k_x / (self.c_x * self.mu_x)
        self.r_by1, self.r_by2, self.r_cy1 = col("r_by1"), col("r_by2"), col("r_cy1")
        self.r_bx1, self.r_bx2, self.r_cx1 = col("r_bx1"), col("r_bx2"), col("r_cx1")
        self.linear = np.array([bool(t.linear) for t in tyres])
