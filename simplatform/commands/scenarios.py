"""``simplatform scenarios``: browse, inspect and rebuild the scenario library.

``simplatform scenarios list [--family F] [--tag T ...] [--logical L] [--json]``
lists index records (a tag ``key:`` matches any value of that key);
``simplatform scenarios show ID [--png OUT.png]`` prints one record and writes
a bird's-eye picture of the map with the initial actor positions;
``simplatform scenarios build`` regenerates catalogs, requirement sets,
every .xosc and the index (deterministic, ``scenarios.library.build``).
"""

from __future__ import annotations

import argparse
import json

from simplatform.errors import EXIT_BAD_INPUT


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("scenarios", help="list, show and build the scenario library")
    sub = p.add_subparsers(dest="scenarios_command", metavar="ACTION", required=True, parser_class=type(p))
    ls = sub.add_parser("list", help="list library scenarios (filter by family, tag, logical scenario)")
    ls.add_argument("--family", choices=("typical", "continuous", "cooperative", "urban"))
    ls.add_argument("--tag", action="append", default=[], metavar="T", help="ODD tag, e.g. road:highway (repeatable)")
    ls.add_argument("--logical", metavar="L", help="logical scenario name, e.g. AEB_CCRs")
    ls.add_argument("--json", action="store_true", help="print the matching index records as JSON")
    ls.set_defaults(handler=run_list)
    show = sub.add_parser("show", help="print one scenario's record and draw it from above")
    show.add_argument("id")
    show.add_argument("--png", metavar="OUT.png", help="bird's-eye picture path (default: ID.png)")
    show.add_argument("--no-png", action="store_true", help="print the record only")
    show.set_defaults(handler=run_show)
    build = sub.add_parser("build", help="regenerate the library files and the index")
    build.set_defaults(handler=run_build)


def run_list(args: argparse.Namespace) -> int:
    from scenarios.library.index import load_index

    entries = load_index().select(args.family, tuple(args.tag), args.logical)
    if args.json:
        print(json.dumps([e.as_json() for e in entries], indent=1))
        return 0
    for e in entries:
        print(f"{e.id:48s} {e.family:11s} {e.logical:34s} {e.expected_duration_s:7.1f} s  {e.map}")
    total = sum(e.expected_duration_s for e in entries)
    print(f"{len(entries)} scenarios, {len({e.logical for e in entries})} logical, {total / 60:.1f} min simulated")
    return 0


def run_show(args: argparse.Namespace) -> int:
    import sys

    from scenarios.library.index import load_index

    index = load_index()
    try:
        entry = index.by_id(args.id)
    except KeyError:
        print(f"simplatform: error: no scenario {args.id!r} in the index (see 'simplatform scenarios list')",
              file=sys.stderr)
        return EXIT_BAD_INPUT
    print(json.dumps(entry.as_json(), indent=1))
    print(f"file: {entry.file(index.root)}")
    if not args.no_png:
        from scenarios.library.birdseye import render

        out = render(entry.file(index.root), args.png or f"{entry.id}.png", goal=entry.goal)
        print(f"bird's-eye picture: {out}")
    return 0


def run_build(args: argparse.Namespace) -> int:
    from scenarios.library.build import build
    from scenarios.library.index import LIBRARY_ROOT

    paths = build()
    print(f"wrote {len(paths)} files under {LIBRARY_ROOT}")
    return 0
