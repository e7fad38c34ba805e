"""From what a user names to the stack a run drives: ``reference | lidar | none | module:Class | stack block``.

The same words work on the command line (``--stack``) and in a launch file
(``stack:``).  A launch-file block is the bridge's ``StackConfig`` spelt in
YAML (``transport``, ``class``, ``command``, ``cwd``, ``env``, ``mode``,
``step_timeout``, ``connect_timeout``, ...); ``parameters`` in it go to the
stack's ``setup``.  ``file.py:Class`` loads a class from a file, for stacks
that are not an installed package.  Everything is checked here, before a
suite starts, so a typo is a usage error (exit 2), not 1000 error verdicts.
"""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import fields
from pathlib import Path
from typing import Any, Mapping

from simplatform.bridge import StackConfig, TopicRegistry, open_stack
from simplatform.errors import ConfigError, StackError

from .config import LIDAR_STACK, REFERENCE_STACK

NAMED = {"reference": REFERENCE_STACK, "lidar": LIDAR_STACK}
NONE = ("none", "None", "")
_BLOCK_KEYS = {f.name for f in fields(StackConfig)} - {"stack_class"} | {"class", "parameters"}


def stack_config(value: Any, *, base: str | Path | None = None) -> tuple[StackConfig | None, dict[str, Any]]:
    """``(StackConfig or None, setup parameters)`` for a ``--stack`` value or a launch ``stack:`` entry.

    Relative ``file.py`` paths and a block's ``cwd`` are taken from ``base``
    (the launch file's folder; the working directory when None)."""
    root = Path(base) if base is not None else Path.cwd()
    if value is None or (isinstance(value, str) and value.strip() in NONE):
        return None, {}
    if isinstance(value, Mapping):
        return _block(value, root)
    if not isinstance(value, str):
        raise ConfigError(f"a stack is reference, lidar, none, module:Class or a mapping, got {value!r}",
                          element="stack")
    name = value.strip()
    if name in NAMED:
        return StackConfig(transport="inprocess", stack_class=NAMED[name]), {}
    return StackConfig(transport="inprocess", stack_class=_class_ref(name, root)), {}


def _class_ref(ref: str, root: Path) -> str:
    module, sep, attr = ref.rpartition(":")
    if not sep or not module or not attr:
        raise ConfigError(f"stack {ref!r}: expected reference, lidar, none, package.module:Class or file.py:Class",
                          element="stack")
    if module.endswith(".py"):
        path = (root / module).resolve()
        if not path.is_file():
            raise ConfigError(f"stack file {path} does not exist", element="stack")
        return f"{path}:{attr}"
    return ref


def _block(block: Mapping[str, Any], root: Path) -> tuple[StackConfig, dict[str, Any]]:
    unknown = sorted(set(block) - _BLOCK_KEYS)
    if unknown:
        raise ConfigError(f"unknown key {unknown[0]!r} in the stack block (known: {', '.join(sorted(_BLOCK_KEYS))})",
                          element="stack")
    kw = {k: v for k, v in block.items() if k not in ("class", "parameters")}
    if block.get("class"):
        kw["stack_class"] = _class_ref(str(block["class"]), root)
    if kw.get("cwd"):
        kw["cwd"] = str((root / str(kw["cwd"])).resolve())
    if isinstance(kw.get("env"), Mapping):
        kw["env"] = {str(k): str(v) for k, v in kw["env"].items()}
    parameters = block.get("parameters") or {}
    if not isinstance(parameters, Mapping):
        raise ConfigError("the stack block's 'parameters' is a mapping", element="stack.parameters")
    try:
        config = StackConfig(**kw).validate()
    except TypeError as exc:
        raise ConfigError(f"bad stack block: {exc}", element="stack") from None
    return config, dict(parameters)


def describe(config: StackConfig | None) -> str:
    """A short name for printing: ``none``, ``reference``, the class, or the command."""
    if config is None:
        return "none"
    for name, ref in NAMED.items():
        if config.transport == "inprocess" and config.stack_class == ref:
            return name
    if config.transport == "inprocess":
        return str(config.stack_class)
    command = config.command if isinstance(config.command, str) else " ".join(config.command or ())
    return f"rosbridge {command or f'{config.host}:{config.port}'}"


def open_session(config: StackConfig, registry: TopicRegistry, *, log_dir: str | Path) -> Any:
    """``bridge.open_stack``, plus in-process classes from a ``file.py:Class``."""
    ref = config.stack_class or ""
    if config.transport == "inprocess" and ref.rpartition(":")[0].endswith(".py"):
        from simplatform.bridge.inprocess import InProcessStack

        return InProcessStack(_from_file(ref))
    return open_stack(config, registry, log_dir=log_dir)


def _from_file(ref: str) -> Any:
    path, _, attr = ref.rpartition(":")
    name = f"_simplatform_stack_{Path(path).stem}"
    module = sys.modules.get(name)
    if module is None or getattr(module, "__file__", None) != path:
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise ConfigError(f"cannot load stack file {path}", element="stack")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules[name] = module
    cls = getattr(module, attr, None)
    if cls is None:
        raise ConfigError(f"{path} has no {attr!r}", element="stack")
    try:
        stack = cls()
    except Exception as exc:  # the user's constructor
        raise StackError(f"constructing {ref} failed: {exc!r}") from exc
    for method in ("setup", "step"):
        if not callable(getattr(stack, method, None)):
            raise ConfigError(f"{ref} has no {method}() method; a stack needs setup(setup) and step(observations)",
                              element="stack")
    return stack
