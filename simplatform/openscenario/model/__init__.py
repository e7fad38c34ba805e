"""The typed OpenSCENARIO 1.0–1.3 model: one frozen dataclass per element type.

Importing this package registers every class and enumeration in
``model.base.REGISTRY`` (XSD type name -> class), which the binder uses.
Names, fields and enum literals follow the ASAM standard (fields in
snake_case, repeated children in the plural: ``Storyboard.stories``).
"""

from simplatform.openscenario.model.base import REGISTRY, OscElement, OscEnum
from simplatform.openscenario.model.enums import *  # noqa: F401,F403
from simplatform.openscenario.model.document import *  # noqa: F401,F403
from simplatform.openscenario.model.entities import *  # noqa: F401,F403
from simplatform.openscenario.model.positions import *  # noqa: F401,F403
from simplatform.openscenario.model.trajectories import *  # noqa: F401,F403
from simplatform.openscenario.model.environment import *  # noqa: F401,F403
from simplatform.openscenario.model.actions_motion import *  # noqa: F401,F403
from simplatform.openscenario.model.actions_private import *  # noqa: F401,F403
from simplatform.openscenario.model.actions_global import *  # noqa: F401,F403
from simplatform.openscenario.model.conditions import *  # noqa: F401,F403
from simplatform.openscenario.model.storyboard import *  # noqa: F401,F403
from simplatform.openscenario.model.distributions import *  # noqa: F401,F403

__all__ = ["REGISTRY", "OscElement", "OscEnum"] + sorted({c.__name__ for c in REGISTRY.values()})
