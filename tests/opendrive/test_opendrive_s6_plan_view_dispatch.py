"""``PlanView.evaluate`` and ``heading_curvature`` share one dispatch by geometry kind: on a reference line
mixing every OpenDRIVE geometry (§9.2–9.7) the two give the same heading and curvature bit for bit, and an
array evaluation equals the point-by-point one, whatever mix of kinds the array holds (to the last bits
numpy's vector sine and cosine may round differently from its scalar loop)."""

from __future__ import annotations

import numpy as np

from simplatform.opendrive import model as m
from simplatform.opendrive.plan_view import PlanView


def mixed_plan_view() -> PlanView:
    return PlanView((
        m.Line(s=0.0, x=0.0, y=0.0, hdg=0.3, length=10.0),
        m.Arc(s=10.0, x=9.55, y=2.96, hdg=0.3, length=15.0, curvature=0.02),
        m.Spiral(s=25.0, x=22.0, y=10.0, hdg=0.6, length=20.0, curv_start=0.02, curv_end=-0.01),
        m.Poly3(s=45.0, x=35.0, y=20.0, hdg=0.5, length=12.0, a=0.0, b=0.05, c=0.002, d=-1e-4),
        m.ParamPoly3(s=57.0, x=45.0, y=26.0, hdg=0.45, length=14.0, b_u=14.0, c_u=-0.5, b_v=0.0, c_v=2.0,
                     d_v=-0.4, p_range="normalized"),
        m.ParamPoly3(s=71.0, x=58.0, y=31.0, hdg=0.4, length=9.0, b_u=1.0, c_v=0.01, p_range="arcLength"),
        m.Spiral(s=80.0, x=66.0, y=35.0, hdg=0.42, length=5.0, curv_start=0.0, curv_end=0.0),
    ))


def test_heading_curvature_is_evaluate_bit_for_bit() -> None:
    plan = mixed_plan_view()
    s = np.concatenate([np.linspace(-2.0, plan.s_end + 2.0, 401), np.random.default_rng(6).uniform(0, plan.s_end, 300)])
    _, _, heading, curvature = plan.evaluate(s)
    h, k = plan.heading_curvature(s)
    assert heading.tobytes() == h.tobytes()
    assert curvature.tobytes() == k.tobytes()


def test_array_evaluation_equals_point_by_point() -> None:
    plan = mixed_plan_view()
    s = np.random.default_rng(7).permutation(np.linspace(0.0, plan.s_end, 173))
    together = plan.evaluate(s)
    for j, value in enumerate(s):
        alone = plan.evaluate(np.array([value]))
        np.testing.assert_allclose([c[j] for c in together], [c[0] for c in alone], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(plan.heading_curvature(np.array([value])), [together[2][j:j + 1],
                                                                               together[3][j:j + 1]],
                                   rtol=1e-12, atol=1e-12)


def test_every_kind_is_reached_and_finite() -> None:
    plan = mixed_plan_view()
    s = np.linspace(0.0, plan.s_end, 500)
    assert set(np.unique(plan.kind[plan.index(s)]).tolist()) == {0, 1, 2}
    assert all(np.isfinite(c).all() for c in plan.evaluate(s))
