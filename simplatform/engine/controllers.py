"""OpenSCENARIO controllers → driver models (or nothing the engine can run).

OpenSCENARIO 1.x §7.4.4: a ``Controller``'s ``Properties`` are name/value
strings the simulator interprets.  A controller is a *driver-model
controller* when its properties name a ``vehicle_models`` driver property
(``model``, ``style``, ``desiredSpeed``, …; the table is in
:mod:`vehicle_models.drivers.properties`) or when its name says so
(``IDM``/``MOBIL``/``human``/``traffic``/``driver``, case-insensitive, like
esmini's ``ACCController``/``interactiveDriver`` names); the model and its
parameters come from :func:`vehicle_models.drivers.driver_config_from_properties`,
whose errors name the controller's file and line.  Any other controller (an
external stack's, esmini's ``ExternalController``) is recorded and leaves the
entity to the default controller -- except esmini's own built-in controllers
(``ACCController``, ``SloppyDriverController``, ``FollowGhostController``, ...):
their behaviour is esmini's C++ code, so activating one is an error naming it
(:func:`esmini_builtin`), not a run in which the entity silently ignores it.
"""

from __future__ import annotations

from vehicle_models.drivers import PROPERTY_NAMES, DriverConfig, driver_config_from_properties

_NAME_HINTS = ("idm", "mobil", "human", "traffic", "driver")

# esmini's built-in controller types (esmini User guide, "Controllers"), picked by the
# ``esminiController`` property or else by the controller's name.  ``ExternalController``
# (the entity is driven from outside: here, by the stack under test) and
# ``DefaultController`` are not in the list: both mean what simplatform does anyway.
ESMINI_BUILTIN = frozenset({
    "ACCController", "ALKSController", "ALKS_R157SM_Controller", "ECE_ALKS_RefDriverController",
    "SloppyDriverController", "InteractiveController", "FollowGhostController",
    "FollowRouteController", "OffroadFollower", "ControllerRel2Abs", "UDPDriverController", "SumoController",
    "LoomingController", "NaturalDriver", "AEBController",
})


def object_controller_of(obj):
    """The Controller of a ScenarioObject's (first) ObjectController, catalogs resolved."""
    for oc in getattr(obj, "object_controllers", ()) or ():
        ctrl = oc.controller or getattr(oc.catalog_reference, "resolved", None)
        if ctrl is not None:
            return ctrl
    return None


def _properties(ctrl) -> dict[str, str]:
    props = getattr(ctrl, "properties", None)
    if props is None:
        return {}
    return {p.name: p.value for p in props.properties}


def driver_config(ctrl) -> DriverConfig | None:
    """The driver model a controller asks for, or None when it is not a driver-model controller."""
    if ctrl is None or esmini_builtin(ctrl) is not None:
        return None
    props = _properties(ctrl)
    name = (getattr(ctrl, "name", "") or "").lower()
    named = any(h in name for h in _NAME_HINTS)
    if not named and not (props and set(props) & PROPERTY_NAMES):
        return None
    src = getattr(ctrl, "source", None)
    # a controller recognised by name whose properties are all foreign (another simulator's)
    # runs the default driver; once one driver property is given, an unknown name is a typo to report
    if named and not set(props) & PROPERTY_NAMES:
        props = {}
    return driver_config_from_properties(props, file=getattr(src, "file", None), line=getattr(src, "line", None),
                                         element="Controller")


def esmini_builtin(ctrl) -> str | None:
    """The esmini built-in controller type ``ctrl`` asks for, or None.

    An ``esminiController`` property naming one decides (esmini's catalog entry
    ``interactiveDriver`` also has a ``speedFactor``, a driver-model property name);
    without it, a controller named like one of esmini's is esmini's unless all its properties
    are driver-model ones (then it is a driver-model controller, ``driver_config``): esmini's
    ALKS_R157SM_Controller (alks_cut-in.xosc) has a ``model`` ("Regulation") beside its own
    ``aebTTC``, ``cruise``, ... and is esmini's, not a driver model with unknown properties."""
    if ctrl is None:
        return None
    props = _properties(ctrl)
    declared = props.get("esminiController")
    if declared in ESMINI_BUILTIN:
        return declared
    if declared is not None:
        return None
    kind = getattr(ctrl, "name", "") or ""
    if kind not in ESMINI_BUILTIN or (props and set(props) <= PROPERTY_NAMES):
        return None
    return kind
