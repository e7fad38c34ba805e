"""``simplatform version``: the platform's and its key dependencies' versions."""

from __future__ import annotations

import argparse
import platform
from importlib import metadata

from simplatform import __version__

_REPORTED = ("numpy", "scipy", "lxml", "open3d-cpu", "open3d", "scenariogeneration", "carla", "ray")


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("version", help="print the version of simplatform and its dependencies")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    print(f"simplatform {__version__}")
    print(f"python {platform.python_version()}")
    for dist in _REPORTED:
        try:
            print(f"{dist} {metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            continue
    return 0
