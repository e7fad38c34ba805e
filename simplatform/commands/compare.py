"""``simplatform compare RUN_A RUN_B [...]``: runs side by side, against the first as baseline."""

from __future__ import annotations

import argparse
from pathlib import Path

from simplatform.errors import EXIT_OK, EXIT_VERDICT_FAILED, ConfigError


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("compare", help="compare runs of a suite (stack vs stack, version vs version)")
    p.add_argument("runs", type=Path, nargs="+", metavar="RUN_DIR", help="run directories; the first is the baseline")
    p.add_argument("--markdown", type=Path, help="write the Markdown comparison here (else print it)")
    p.add_argument("--html", type=Path, help="write a self-contained HTML comparison here")
    p.add_argument("--fail-on-regression", action="store_true",
                   help="exit 1 when any scenario passed in the baseline and not in a candidate")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from simplatform.runner.compare import compare_runs
    from simplatform.runner.compare_report import markdown, render_html

    if len(args.runs) < 2:
        raise ConfigError("compare needs at least two run directories")
    comparisons = compare_runs(args.runs)
    md = markdown(comparisons)
    if args.markdown:
        args.markdown.write_text(md, encoding="utf-8")
        print(f"markdown   {args.markdown}")
    else:
        print(md)
    if args.html:
        args.html.write_text(render_html(comparisons), encoding="utf-8")
        print(f"html       {args.html}")
    if args.fail_on_regression and any(c.regressions for c in comparisons):
        return EXIT_VERDICT_FAILED
    return EXIT_OK
