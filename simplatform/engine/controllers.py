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

One exception (:func:`stands_for_system_under_test`): a controller on the ego that the engine
does not implement and that carries nothing to configure (no Properties, or empty ones) is the
placeholder for the system under test.  The ASAM ALKS scenarios (asam-oss/OSC-ALKS-scenarios,
all 14 concrete scenarios) give the Ego the catalog's property-less ``ALKSController`` and
activate it at 3 s: it asks for "the ALKS under test drives from here", not for esmini's
ALKSController.  CARLA ScenarioRunner reads controllers the same way: one without a ``module``
property gets its default control, and the ego (role ``hero``) is driven by the agent under
test whatever the scenario assigns.  A built-in configured to do something (properties that
select esmini behaviour) or activated on another entity is still refused.
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


def is_bare(ctrl) -> bool:
    """True when ``ctrl`` configures nothing: no ``Properties``, or one without any Property,
    File or CustomContent (OpenSCENARIO 1.3 §7.4.4: the properties are all a simulator reads)."""
    props = getattr(ctrl, "properties", None)
    if props is None:
        return True
    return not (props.properties or getattr(props, "files", ()) or getattr(props, "custom_contents", ()))


def stands_for_system_under_test(ctrl, on_ego: bool) -> bool:
    """Whether an activated controller is the placeholder for the system under test: assigned to
    the ego (the entity a stack drives), not implemented by the engine (no driver model) and bare
    (:func:`is_bare`).  With a stack the stack drives the ego; without one the storyboard's default
    controller does, and the run says so (``ScenarioEngine.activate_controller``)."""
    return ctrl is not None and on_ego and is_bare(ctrl) and driver_config(ctrl) is None


def system_under_test_note(ctrl, entity: str, *, stack_drives: bool) -> str:
    """The run's note on a controller taken as the system under test: which controller (and where
    it is defined), on which entity, and who drives the entity now."""
    src = getattr(ctrl, "source", None)
    where = f" ({src.file}:{src.line})" if src is not None and src.file else ""
    who = ("the stack under test drives it" if stack_drives else
           "no stack is attached, so the storyboard's default controller keeps driving it")
    return (f"controller {ctrl.name!r}{where} on {entity!r} has no properties and is not one this simulator "
            f"implements: taken as the system under test; {who}")
