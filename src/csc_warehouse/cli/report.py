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


REALISM_HELP = """\
Cross-check the published mart against the authority the generator is built to draw
(src/csc_warehouse/realism.py): referrals a year, open cases, CP and CLA populations at a
month end (ranges scaled by --scale and widened by 3 Poisson deviations), re-referral rate,
one period of care per start of care, one CP plan per child on a plan.

  csc-warehouse report realism --scale 1

exit 0 every check in range (or skipped: too few for a rate) | 1 a check out of range |
3 database unreachable
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
    r = reports.add_parser(
        "realism",
        help="cross-check the mart against the authority the generator draws",
        description=REALISM_HELP,
        formatter_class=RawDescriptionRichHelpFormatter,
    )
    r.add_argument("--scale", type=float, required=True, help="the generator's scale factor")
    r.add_argument("--schema", default="bi", help="the mart schema (bi)")
    r.add_argument("--month-end", type=date.fromisoformat, help="default: the latest in the mart")
    r.set_defaults(handler=run_realism)


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


def run_realism(args: argparse.Namespace) -> int:
    import psycopg

    from csc_warehouse.config import get_settings
    from csc_warehouse.realism import cross_check

    try:
        checks = cross_check(get_settings(), args.scale, schema=args.schema, as_at=args.month_end)
    except psycopg.OperationalError as exc:
        print(f"database unreachable: {exc}", file=sys.stderr)
        return 3
    except (psycopg.errors.UndefinedTable, LookupError) as exc:
        print(f"no mart in schema {args.schema}: {exc}".strip(), file=sys.stderr)
        return 1
    for check in checks:
        print(check.line())
    bad = [c for c in checks if c.status == "out of range"]
    print(f"{len(checks) - len(bad)} of {len(checks)} checks in range or skipped")
    return 1 if bad else 0
