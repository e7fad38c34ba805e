"""Signal plans for the signalised junctions of ``urban_corridor`` / ``urban_grid``.

Lamp states follow the esmini / OpenDRIVE 1000001 convention the metrics use
(``metrics.context.StopLine``): "red;amber;green" lamp order, so
``on;off;off`` red, ``on;on;off`` red-amber, ``off;off;on`` green,
``off;on;off`` amber.  Phase timing: RiLSA 2015 (German guidelines for traffic
signals) — amber 3 s at 50 km/h, red-amber 1 s, 2 s all-red clearance.
"""

from __future__ import annotations

import numpy as np

RED, RED_AMBER, GREEN, AMBER = "on;off;off", "on;on;off", "off;off;on", "off;on;off"
AMBER_S, RED_AMBER_S, ALL_RED_S = 3.0, 1.0, 2.0


def two_phase_plan(ew: list[str], ns: list[str], cycle: float, offset: float = 0.0,
                   ew_share: float = 0.5) -> list[tuple[str, float, dict[str, str]]]:
    """Phases of a two-phase fixed-time plan (east-west, then north-south), rotated so the
    plan is ``offset`` seconds into its cycle at t = 0 (a green wave shifts each junction)."""
    lost = 2 * (AMBER_S + RED_AMBER_S + ALL_RED_S)
    ew_green = (cycle - lost) * ew_share
    ns_green = cycle - lost - ew_green

    def states(a: str, b: str) -> dict[str, str]:
        return {**{s: a for s in ew}, **{s: b for s in ns}}

    phases = [
        ("ew_green", ew_green, states(GREEN, RED)), ("ew_amber", AMBER_S, states(AMBER, RED)),
        ("all_red_1", ALL_RED_S, states(RED, RED)), ("ns_red_amber", RED_AMBER_S, states(RED, RED_AMBER)),
        ("ns_green", ns_green, states(RED, GREEN)), ("ns_amber", AMBER_S, states(RED, AMBER)),
        ("all_red_2", ALL_RED_S, states(RED, RED)), ("ew_red_amber", RED_AMBER_S, states(RED_AMBER, RED)),
    ]
    offset = offset % cycle
    if offset <= 1e-9:
        return [(n, round(d, 3), s) for n, d, s in phases]
    # split the phase containing ``offset`` and rotate
    t, out_head, out_tail = 0.0, [], []
    for name, d, s in phases:
        if t + d <= offset:
            out_tail.append((name, d, s))
        elif t >= offset:
            out_head.append((name, d, s))
        else:
            out_head.append((f"{name}_rest", t + d - offset, s))
            out_tail.append((name, offset - t, s))
        t += d
    return [(n, round(d, 3), s) for n, d, s in out_head + out_tail]


def offsets(kind: str, count: int, spacing: float, speed: float, cycle: float, seed: int) -> list[float]:
    """Per-junction plan offsets: a green wave for ``speed`` m/s, or seeded random offsets."""
    if kind == "green_wave":
        return [(-k * spacing / speed) % cycle for k in range(count)]
    rng = np.random.default_rng(seed)
    return [float(x) for x in rng.uniform(0.0, cycle, count).round(1)]
