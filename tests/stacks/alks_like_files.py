"""An ALKS-like scenario for the notes tests: the ego carries a property-less controller.

The ASAM OSC-ALKS scenarios activate such an ``ALKSController`` on the ego; simplatform takes it for
the system under test and records a note (``SystemUnderTestController``) at Init.
"""

from __future__ import annotations

from pathlib import Path

from lxml import etree
from scenariogeneration import xodr

import stack_scenario_files as files


def alks_like(tmp: Path) -> Path:
    """Ego at 20 m/s with the ALKS catalog's property-less ``ALKSController``, activated in Init; 1 s."""
    odr = files.road_file(tmp / "road.xodr", [xodr.Line(300)], lanes=1)
    path = files.scenario(tmp, "alks_like", odr, {"Ego": (20, -1, 20.0)}, duration=1.0)
    tree = etree.parse(str(path))
    vehicle = tree.find(".//ScenarioObject[@name='Ego']/Vehicle")
    vehicle.addnext(etree.fromstring('<ObjectController><Controller name="ALKSController"><Properties/>'
                                     '</Controller></ObjectController>'))
    private = tree.find(".//Init/Actions/Private[@entityRef='Ego']")
    private.append(etree.fromstring('<PrivateAction><ControllerAction><ActivateControllerAction lateral="true" '
                                    'longitudinal="true"/></ControllerAction></PrivateAction>'))
    tree.write(str(path))
    return path
