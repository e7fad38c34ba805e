"""Traffic lights shared between the scenario and CARLA.

OpenSCENARIO lets a scenario set signal states (TrafficSignalStateAction,
TrafficSignalController phases; §7.5); CARLA runs its own light cycles on the
lights it built from the map's OpenDRIVE signals.  The rule here: a light the
scenario has set is imposed on CARLA (and imposed again whenever CARLA's cycle
moves it on, as ScenarioRunner's TrafficLightStateSetter holds a state); every
other light is CARLA's, and its state is written into the engine's signal
table under its OpenDRIVE id, so metrics see what CARLA shows.  A state in
the engine's table that we did not write ourselves was written by the scenario.
"""

from __future__ import annotations

from simplatform.backends.carla.readback import carla_state, state_word


class SignalSync:
    def __init__(self, carla, lights: dict[str, object]) -> None:
        self.carla = carla
        self.lights = lights
        self.imposed: dict[str, str] = {}
        self.reported: dict[str, str] = {}

    def impose(self, signals: dict[str, str]) -> None:
        """Before the tick: scenario-set states → CARLA."""
        for sid, state in signals.items():
            key = str(sid)
            tl = self.lights.get(key)
            if tl is None or self.reported.get(key) == state:
                continue
            want = carla_state(self.carla, state)
            if want is None:
                continue
            self.imposed[key] = state
            self.reported.pop(key, None)
            tl.set_state(want)

    def read(self, signals: dict[str, str]) -> None:
        """After the tick: CARLA's own lights → the engine's signals; imposed ones held."""
        for sid, tl in self.lights.items():
            word = state_word(self.carla, tl.get_state())
            if sid in self.imposed:
                want = carla_state(self.carla, self.imposed[sid])
                if state_word(self.carla, want) != word:
                    tl.set_state(want)
                continue
            signals[sid] = word
            self.reported[sid] = word
