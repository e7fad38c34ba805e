"""OpenSCENARIO controller properties → a configured driver model.

A scenario fills a road with interacting traffic by assigning, with
``AssignControllerAction``, a ``Controller`` whose ``Properties`` name the model
and its parameters (OpenSCENARIO 1.x §7.4.4 "Controller": properties are
free name/value strings interpreted by the simulator).  Recognised names
(values in SI units; all optional; unknown names are an error, not ignored):

==========================  ===================================================
property                    meaning
==========================  ===================================================
``model``                   ``idm`` | ``idm_mobil`` (default) | ``human``
``style``                   ``aggressive`` | ``normal`` (default) | ``cautious``: base set
``desiredSpeed``            m/s, fixed (otherwise speed limit × ``speedFactor``)
``speedFactor``             desired speed as a multiple of the speed limit
``timeHeadway``             IDM T (s)
``minGap``                  IDM s0 (m)
``maxAcceleration``         IDM a (m/s²)
``comfortableDeceleration`` IDM b (m/s²)
``maxDeceleration``         bound on the braking demand (m/s²)
``accelerationExponent``    IDM delta
``politeness``              MOBIL p
``laneChangeThreshold``     MOBIL delta_a_th (m/s²)
``safeDeceleration``        MOBIL b_safe (m/s²); also the stop-line dilemma limit
``keepRightBias``           MOBIL a_bias (m/s²), > 0 for keep-right rules
``laneChangeInterval``      s between two lane changes
``reactionTime``            human: reaction delay (s)
``gapNoise``                human: V_s, relative gap-estimate error
``approachNoise``           human: r_c (1/s), inverse-TTC estimate error
``noiseCorrelationTime``    human: correlation time of the errors (s)
``speedError``              human: relative speed-keeping error
``seed``                    human: integer seed of the noise generator
==========================  ===================================================
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Mapping

from simplatform.errors import ConfigError
from vehicle_models.drivers.styles import DRIVER_STYLES
from vehicle_models.drivers.traffic import MODELS, DriverConfig

_IDM = {"desiredSpeed": "desired_speed", "timeHeadway": "time_headway", "minGap": "min_gap",
        "maxAcceleration": "max_acceleration", "comfortableDeceleration": "comfortable_deceleration",
        "maxDeceleration": "max_deceleration", "accelerationExponent": "exponent"}
_MOBIL = {"politeness": "politeness", "laneChangeThreshold": "threshold",
          "safeDeceleration": "safe_deceleration", "keepRightBias": "keep_right_bias",
          "laneChangeInterval": "min_interval"}
_HUMAN = {"reactionTime": "reaction_time", "gapNoise": "gap_noise", "approachNoise": "approach_noise",
          "noiseCorrelationTime": "noise_correlation_time", "speedError": "speed_error"}
_NON_NEGATIVE = set(_IDM) | set(_MOBIL) | set(_HUMAN) | {"speedFactor"}
PROPERTY_NAMES = frozenset({"model", "style", "speedFactor", "seed"} | set(_IDM) | set(_MOBIL) | set(_HUMAN))


def driver_config_from_properties(properties: Mapping[str, str], *, file: str | Path | None = None,
                                  line: int | None = None, element: str = "Controller") -> DriverConfig:
    """Build a :class:`DriverConfig`; a bad name or value raises ``ConfigError`` naming it."""

    def fail(cause: str) -> ConfigError:
        return ConfigError(cause, file=file, line=line, element=element)

    unknown = sorted(set(properties) - PROPERTY_NAMES)
    if unknown:
        raise fail(f"unknown driver property {unknown[0]!r}; known: {', '.join(sorted(PROPERTY_NAMES))}")
    model = properties.get("model", "idm_mobil")
    if model not in MODELS:
        raise fail(f"property 'model' is {model!r}; expected one of {', '.join(MODELS)}")
    style_name = properties.get("style", "normal")
    if style_name not in DRIVER_STYLES:
        raise fail(f"property 'style' is {style_name!r}; expected one of {', '.join(DRIVER_STYLES)}")
    style = DRIVER_STYLES[style_name]

    def number(name: str) -> float:
        text = properties[name]
        try:
            value = float(text)
        except (TypeError, ValueError):
            raise fail(f"property {name!r} must be a number, got {text!r}") from None
        if value != value or value in (float("inf"), float("-inf")):
            raise fail(f"property {name!r} must be finite, got {text!r}")
        if name in _NON_NEGATIVE and value < 0:
            raise fail(f"property {name!r} must not be negative, got {text!r}")
        return value

    def pick(table: dict[str, str]) -> dict[str, float]:
        return {field: number(name) for name, field in table.items() if name in properties}

    idm = replace(style.idm, **pick(_IDM))
    for name in ("timeHeadway", "maxAcceleration", "comfortableDeceleration", "desiredSpeed"):
        if name in properties and number(name) <= 0:
            raise fail(f"property {name!r} must be positive, got {properties[name]!r}")
    seed = 0
    if "seed" in properties:
        try:
            seed = int(properties["seed"])
        except ValueError:
            raise fail(f"property 'seed' must be an integer, got {properties['seed']!r}") from None
    return DriverConfig(
        model=model,
        idm=idm,
        mobil=replace(style.mobil, **pick(_MOBIL)),
        human=replace(style.human, **pick(_HUMAN)) if model == "human" else None,
        speed_factor=number("speedFactor") if "speedFactor" in properties else style.speed_factor,
        fixed_desired_speed="desiredSpeed" in properties,
        seed=seed,
    )
