"""``simplatform validate FILE...``: list every problem in scenario, catalog, distribution and road files.

Prints ``file:line: <Element>: cause`` per problem and a summary; exit 0 when
all files are clean, 2 (bad input) otherwise (DESIGN.md exit codes).
"""

from __future__ import annotations

import argparse
import sys

from simplatform.errors import EXIT_BAD_INPUT, EXIT_OK, InputError


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "validate",
        help="check OpenSCENARIO (.xosc) and OpenDRIVE (.xodr) files and list every problem",
        description="Check scenario, catalog, parameter-distribution and road files. Folders are "
        "searched for .xosc and .xodr files. Exit 0 if all are clean, 2 otherwise.",
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="files or folders to check")
    p.add_argument("--schema", action="store_true",
                   help="also validate against the ASAM OpenSCENARIO XSD of each file's version")
    p.set_defaults(handler=run)


def format_error(error: InputError) -> str:
    loc = error.location
    where = loc.file or "<input>"
    if loc.line:
        where += f":{loc.line}"
    element = f" <{loc.element}>:" if loc.element else ""
    return f"{where}:{element} {error.cause}"


def run(args: argparse.Namespace) -> int:
    from simplatform.openscenario.validation import expand_paths, validate_file

    files = expand_paths(args.files)
    if not files:
        print("simplatform validate: no files to check", file=sys.stderr)
        return EXIT_BAD_INPUT
    total = bad = 0
    for f in files:
        errors = validate_file(f, schema=args.schema)
        total += len(errors)
        bad += bool(errors)
        for e in errors:
            print(format_error(e))
    if total:
        print(f"{total} problem(s) in {bad} of {len(files)} file(s)", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"{len(files)} file(s) OK", file=sys.stderr)
    return EXIT_OK
