"""Traffic-signal states: the one reading of ``WorldSnapshot.signals`` everybody shares.

``snapshot.signals`` maps an OpenDRIVE signal id (or an OpenSCENARIO
TrafficSignalController's signal name) to the state string exactly as the
scenario set it (TrafficSignalStateAction@state, Phase/TrafficSignalState@state;
OpenSCENARIO 1.x §7.5 "Traffic signals" leaves the vocabulary to the user).
Two vocabularies are in use and both are read here:

* colour words: ``red``/``stop``, ``amber``/``yellow``, ``green``/``go``, ``off``;
* lamp lists, top lamp first, as in the ASAM OpenSCENARIO examples and esmini:
  ``"on;off;off"`` red, ``"off;on;off"`` amber, ``"off;off;on"`` green,
  ``"off;off;off"`` off.  ``flashing`` counts as lit.  When several lamps are
  lit the topmost wins (``"on;on;off"``, the red-amber of German lights, is
  red: still no entry), the rule the bridge's CARLA status mapping uses too.

Anything else is ``"unknown"``; a consumer then decides (the metrics treat
it as not red).  Metrics, stacks and the bridge call :func:`signal_color` so
that a "red light" is the same thing everywhere.
"""

from __future__ import annotations

from typing import Literal

SignalColor = Literal["red", "amber", "green", "off", "unknown"]

_WORDS: dict[str, SignalColor] = {
    "red": "red", "stop": "red",
    "amber": "amber", "yellow": "amber",
    "green": "green", "go": "green",
    "off": "off",
}
_LAMPS: tuple[SignalColor, ...] = ("red", "amber", "green")
LAMP_STATES: dict[SignalColor, str] = {
    "red": "on;off;off", "amber": "off;on;off", "green": "off;off;on", "off": "off;off;off",
}
"""The lamp triple that shows each colour (what to write in a scenario)."""


def signal_color(state: str | None) -> SignalColor:
    """The colour a signal state string shows: red, amber, green, off or unknown."""
    if not state:
        return "unknown"
    text = state.strip().lower()
    word = _WORDS.get(text)
    if word is not None:
        return word
    lamps = [p.strip() for p in text.split(";")]
    if len(lamps) == 3 and all(p in ("on", "off", "flashing") for p in lamps):
        for lamp, color in zip(lamps, _LAMPS):
            if lamp != "off":
                return color
        return "off"
    return "unknown"


def is_stop(state: str | None) -> bool:
    """True when the signal tells traffic to stop (red, or amber: stop if you safely can)."""
    return signal_color(state) in ("red", "amber")
