"""The located error of a scenario element that an action runner refuses.

An action fails on what the scenario wrote (no trajectory, an unknown parameter), so its error
names the element's file, line and element (DESIGN.md, Conventions: errors) and exits 2.
"""

from __future__ import annotations

from simplatform.errors import ScenarioError


def action_error(el, cause: str) -> ScenarioError:
    """``cause`` located at the model element ``el`` (its own element name when the source has none)."""
    s = el.source
    return ScenarioError(cause, file=s.file, line=s.line, element=s.element or type(el).__name__)
