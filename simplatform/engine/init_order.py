"""Kept so that ``from simplatform.engine.init_order import order_init_privates`` still works.

The order of Init's actions is one rule, implemented once in
:mod:`simplatform.openscenario.init_order` (the loader orders the document's ``Private`` blocks with
it, the engine starts Init's actions with it); the engine imports it from there.
"""

from simplatform.openscenario.init_order import order_init_privates

__all__ = ["order_init_privates"]
