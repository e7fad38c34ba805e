"""OpenSCENARIO XML 1.0–1.3: load any scenario into a typed, fully resolved model.

Public API::

    load_scenario(path, parameters: dict[str, str | float | int | bool] | None = None) -> Scenario
        Parse (secure lxml), check the version (1.0–1.3), resolve parameters
        (``$name``), expressions (``${...}``, spec 9.2) and catalogs (9.3),
        check references and value ranges, find the road network file.
        ``parameters`` override the global ParameterDeclarations.
        Raises ScenarioError / ParameterError / CatalogError naming file,
        line, element and cause.

    load_distribution(path, seed: int = 0) -> list[ConcreteScenario]
        Expand a ParameterValueDistribution file (deterministic: enumerate;
        stochastic: sample with the file's randomSeed or ``seed``).  Each
        ConcreteScenario has ``parameters``, ``scenario_path`` and ``load()``.

    validate(paths, *, schema: bool = False) -> list[InputError]
        Every problem in the given files/folders (.xosc, and .xodr through
        ``simplatform.opendrive``); ``schema=True`` adds the ASAM XSD check.

    parse_position(xml, parameters=None) -> Position
        Bind one ``<Position>`` element.

The model (``simplatform.openscenario.model``) has one frozen dataclass per
OpenSCENARIO element type, named as in the standard (``SpeedAction``,
``TransitionDynamics``, ``LanePosition``, ``RelativeDistanceCondition``,
``ManeuverGroup``...), fields in snake_case (repeated children in the
plural: ``Storyboard.stories``, ``Act.maneuver_groups``), enum attributes as
``OscEnum`` members whose values are the standard's literals, and a
``source: SourceLocation`` on every element.  A ``CatalogReference`` carries
the bound entry in ``resolved``.
"""

from simplatform.openscenario import model
from simplatform.openscenario.distributions import ConcreteScenario, load_distribution
from simplatform.openscenario.loader import Scenario, load_scenario
from simplatform.openscenario.positions import parse_position
from simplatform.openscenario.validation import validate, validate_file

__all__ = [
    "ConcreteScenario",
    "Scenario",
    "load_distribution",
    "load_scenario",
    "model",
    "parse_position",
    "validate",
    "validate_file",
]
