"""Sub-commands of the ``simplatform`` CLI, one module each (see ``simplatform.cli``)."""
