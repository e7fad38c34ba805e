"""The ``simplatform`` command: parses arguments and dispatches, nothing more.

Each sub-command lives in ``simplatform/commands/<name>.py`` with a
``register(subparsers)`` function that adds its parser and sets ``handler``
(a function ``(args) -> int`` returning the exit code).  Exit codes
(DESIGN.md): 0 all passed, 1 some verdict failed, 2 bad input or usage,
3 internal error.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback

from simplatform import __version__
from simplatform.errors import EXIT_BAD_INPUT, EXIT_INTERNAL, SimplatformError

# Order is the order ``--help`` lists them in.  A module missing from the
# install is skipped so a partial checkout still starts.
COMMAND_MODULES = (
    "version",
    "run",
    "validate",
    "map",
    "scenarios",
    "sensors",
    "compare",
)


class _Parser(argparse.ArgumentParser):
    """argparse exits 2 on usage errors already; keep its message short and ours."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="simplatform",
        description="Autonomous-driving simulation testing: play OpenSCENARIO scenarios on "
        "OpenDRIVE maps, drive them with your stack, score the result.",
    )
    parser.add_argument("--version", action="version", version=f"simplatform {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"simplatform.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"simplatform.commands.{name}":
                continue
            raise
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return EXIT_BAD_INPUT
    try:
        return int(handler(args))
    except SimplatformError as exc:
        print(f"simplatform: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("simplatform: interrupted", file=sys.stderr)
        return 130
    except Exception:  # a fault of ours: say so, keep the traceback for the bug report
        print("simplatform: internal error (please report it with this trace):", file=sys.stderr)
        traceback.print_exc()
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
