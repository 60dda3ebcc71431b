"""``csc-warehouse report scorecard``: the monthly scorecard as a self-contained HTML file."""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime
from pathlib import Path

from rich_argparse import RawDescriptionRichHelpFormatter

HELP = """\
Write the monthly scorecard (measures, targets, RAG, data freshness, 24-month trend charts)
as one self-contained HTML file (inline CSS and SVG; nothing loaded from the network).

  csc-warehouse report scorecard --month 2025-08 --out scorecard.html [--schema bi]
                                 [--suppress-small]

exit 0 written | 1 no scorecard data for that month | 3 database unreachable
"""


def _month(text: str) -> date:
    try:
        return datetime.strptime(text, "%Y-%m").date()
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM, got {text!r}") from exc


def register(sub) -> None:
    p = sub.add_parser(
        "report",
        help="reports: the monthly scorecard (HTML)",
        description=HELP,
        formatter_class=RawDescriptionRichHelpFormatter,
    )
    reports = p.add_subparsers(dest="report", required=True)
    s = reports.add_parser(
        "scorecard",
        help="the monthly scorecard",
        description=HELP,
        formatter_class=RawDescriptionRichHelpFormatter,
    )
    s.add_argument("--month", type=_month, required=True, help="the month, YYYY-MM")
    s.add_argument("--out", type=Path, required=True, help="the HTML file to write")
    s.add_argument("--schema", default="bi", help="schema holding fct_scorecard_monthly (bi)")
    s.add_argument("--suppress-small", action="store_true", help="show counts of 1 to 4 as <5")
    s.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import psycopg

    from csc_warehouse.config import get_settings
    from csc_warehouse.report.scorecard import NoScorecardData, write_report

    settings = get_settings()
    try:
        path = write_report(
            settings, args.month, args.out, schema=args.schema, suppress_small=args.suppress_small
        )
    except psycopg.OperationalError as exc:
        print(f"database unreachable: {exc}", file=sys.stderr)
        return 3
    except psycopg.errors.UndefinedTable as exc:
        print(f"no scorecard in schema {args.schema}: {exc}".strip(), file=sys.stderr)
        return 1
    except NoScorecardData as exc:
        print(str(exc), file=sys.stderr)
        return 1
    print(f"scorecard written: {path}")
    return 0
