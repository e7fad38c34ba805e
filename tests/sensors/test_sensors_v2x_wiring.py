"""The V2X radio as the scenario drives it: event messages, ranges, seeded loss, repetition, SPaT timing.

Given an ego with a radio, roadside units and equipped vehicles, a message the
storyboard fires at t reaches the ego at t + latency when its sender is in
range, never when it is out of range, and the same seed loses the same packets.
"""

from __future__ import annotations

import numpy as np
import pytest

from sensors.base import SensorConfig
from sensors.frames import MountPose
from sensors.scene import static_world_for
from sensors.v2x import RoadsideUnit, V2XRadio
from sensors.v2x_messages import BasicSafetyMessage, EventMessage, SignalPhaseAndTiming
from simplatform.world import WorldSnapshot

from sensors_testworld import entity, wall

DT = 0.01


def radio(seed: int = 0, **parameters) -> V2XRadio:
    return V2XRadio(SensorConfig(name="v2x", type="v2x", mount=MountPose(z=1.5), rate_hz=100.0,
                                 parameters=parameters, seed=seed, scenario_id="test"))


def world(step: int, *states, signals=None) -> WorldSnapshot:
    return WorldSnapshot.from_states(round(step * DT, 10), step, list(states), signals=signals or {})


def run(r: V2XRadio, steps: range, *states, signals=None) -> list[tuple[float, object]]:
    """Sense every step; (delivery time, message) of everything the ego got."""
    out = []
    for k in steps:
        snap = world(k, *states, signals=signals)
        out += [(snap.time, m) for m in r.sense(snap)]
    return out


def hazard(sender: str, time: float, **kw) -> EventMessage:
    validity = kw.pop("validity_s", 5.0)
    return EventMessage(sender, time, "DENM", "HLW", "obstacle_on_road", 250.0, 0.0, validity_s=validity, **kw)


def test_an_event_fired_at_t_arrives_at_t_plus_latency_from_a_unit_in_range_only():
    ego = entity("ego", ego=True)
    near = radio(latency_s=0.05, jitter_s=0.0, base_loss=0.0, loss_exponent=60.0, event_repeat_s=0.0)
    near.configure(units=[RoadsideUnit("rsu", 200.0, 10.0, 5.0, range_m=300.0)], equipped=[])
    near.post(hazard("rsu", 1.0))
    got = run(near, range(0, 200), ego)
    assert [(round(t, 2), m.application) for t, m in got] == [(1.05, "HLW")]
    far = radio(latency_s=0.05, jitter_s=0.0, base_loss=0.0, loss_exponent=60.0, event_repeat_s=0.0)
    far.configure(units=[RoadsideUnit("rsu", 200.0, 10.0, 5.0, range_m=150.0)], equipped=[])   # its own range
    far.post(hazard("rsu", 1.0))
    assert run(far, range(0, 200), ego) == []


def test_the_sender_repeats_an_event_while_it_is_valid_so_it_gets_through_at_the_edge_of_range():
    ego = entity("ego", ego=True)
    r = radio(latency_s=0.02, jitter_s=0.0, base_loss=0.0, loss_exponent=1.0, event_repeat_s=0.1)
    r.configure(units=[RoadsideUnit("rsu", 270.0, 0.0, 1.5)], equipped=[])   # 90 % of the 300 m range
    event = hazard("rsu", 0.5, validity_s=3.0)
    r.post(event)
    got = run(r, range(0, 400), ego)
    times = [t for t, m in got]
    assert all(m is event for _, m in got)
    assert 0 < len(got) < 31                     # about 1 copy in 10 of the 31 sent
    assert all(0.52 - 1e-9 <= t <= 3.52 + 1e-9 for t in times)         # nothing after the validity
    steps = np.round((np.array(times) - 0.52) / 0.1, 6)
    assert np.allclose(steps, np.round(steps))   # copies every 100 ms, each 20 ms late


def test_loss_is_seeded_per_radio():
    ego = entity("ego", ego=True)
    senders = [entity(f"car{k}", x=40.0 * k) for k in range(1, 8)]   # 40 … 280 m

    def deliveries(seed: int) -> list[tuple[float, str]]:
        r = radio(seed=seed, jitter_s=0.003)
        r.configure(equipped=[s.name for s in senders])
        return [(round(t, 4), m.sender) for t, m in run(r, range(0, 300), ego, *senders)]

    first = deliveries(7)
    assert first == deliveries(7)
    assert first != deliveries(8)
    counts = {name: sum(1 for _, s in first if s == name) for name in ("car1", "car7")}
    assert counts["car1"] > counts["car7"]       # loss grows with distance (Bai et al. 2010)
    assert all(isinstance(m, BasicSafetyMessage) for _, m in run(radio(), range(0, 2), ego, *senders))


def test_only_equipped_vehicles_send_bsms_and_a_building_blocks_some_copies():
    ego = entity("ego", ego=True)
    a, b = entity("a", x=60.0), entity("b", x=-60.0)
    r = radio(base_loss=0.0, loss_exponent=60.0, nlos_loss=1.0, latency_s=0.0, jitter_s=0.0)
    r.configure(equipped=["a", "b"], occluder=static_world_for([wall(30.0, size=20.0)]))
    senders = {m.sender for _, m in run(r, range(0, 50), ego, a, b)}
    assert senders == {"b"}                       # a is behind the wall
    r2 = radio(base_loss=0.0, loss_exponent=60.0, latency_s=0.0, jitter_s=0.0)
    r2.configure(equipped=["a"])
    assert {m.sender for _, m in run(r2, range(0, 50), ego, a, b)} == {"a"}


def test_spat_carries_the_state_and_the_time_of_the_next_change():
    ego = entity("ego", ego=True)
    r = radio(base_loss=0.0, latency_s=0.0, jitter_s=0.0)
    r.configure(units=[RoadsideUnit("rsu", 30.0, 5.0, signals=("light_1",))], equipped=[],
                signal_timing=lambda signal, now: 12.5 if signal == "light_1" else None)
    got = run(r, range(0, 1), ego, signals={"light_1": "on;off;off"})
    spat = next(m for _, m in got if isinstance(m, SignalPhaseAndTiming))
    assert spat.message == "SPAT"
    assert spat.movements[0].state == "stop-And-Remain"
    assert spat.movements[0].min_end_time == pytest.approx(12.5)
