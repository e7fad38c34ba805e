"""PET of a library scenario run end to end: the unsignalised four-way crossing with the reference stack."""

from __future__ import annotations

from pathlib import Path

import pytest

from simplatform.harness import TestConfig, run_test

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
SQUARE = "zone junction 100: 101/-1 x 104/-1"


@pytest.fixture(scope="module")
def crossing():
    # Ego east on road 1 lane -1 (y -1.75) -> 101/-1 -> road 3; "Other" north on road 2 lane -1
    # (x 121.75) -> 104/-1 -> road 4, both at 20 km/h.  Cut at 10 s: both have passed the crossing.
    config = TestConfig(requirement_set=SCENARIOS / "requirements" / "urban_junction.yaml", max_time=10.0)
    return run_test(SCENARIOS / "urban" / "urb_unsig_4way_v20_o20_lagm1.xosc", config)


def test_the_library_crossing_gives_the_pet_of_the_real_crossing_square(crossing):
    # "Other" (catalog car_compact: box 4.298 m, centre 1.299 m ahead of the rear axle, so its rear is
    # 0.85 m behind it) is storyboard-driven at a constant 5.5556 m/s from y = -27.4202: its rear leaves
    # the crossing square (y > 0) at (0.85 + 27.4202) / 5.5556 = 5.0886 s, seen at step 5.09 s.  It
    # comes from the ego's right and has priority (StVO §8), so the reference stack lets it pass and
    # enters the square after it: PET = ego entry - 5.09 s.
    pet = crossing.metrics["pet_min"]
    worst = min((e for e in crossing.events if e.kind == "encroachment"), key=lambda e: e.value)
    assert worst.detail == SQUARE and worst.entities == ("Other",) and worst.value == pet
    assert worst.time - pet == pytest.approx(5.09, abs=1e-6)
    # ~1.5 s (1.51 s with today's stack).  The range leaves the stack's gap acceptance room to be
    # retuned by a few tenths of a second and stays above URB-4's 1 s; counting anyone in any lane
    # zone gave 0.06 s (the turning lanes' band through the junction centre) — these are excluded.
    assert 1.2 <= pet <= 1.8
    urb4 = next(r for r in crossing.requirements if r.requirement_id == "URB-4")
    assert urb4.verdict.value == "pass" and urb4.value == pet


def test_only_zones_of_the_two_vehicles_lanes_give_events(crossing):
    # ego lanes: 1/-1, 101/-1, 3/-1; Other's: 2/-1, 104/-1, 4/-1.  Lanes of other connecting roads whose
    # zones the two drive through (e.g. 102/-2 x 103/2) are nobody's here.
    details = {e.detail for e in crossing.events if e.kind == "encroachment"}
    assert details == {SQUARE}
