"""``csc-warehouse retention``: remove long-finished children from the BI history."""

from __future__ import annotations

import argparse
from datetime import date

from rich_argparse import RawDescriptionRichHelpFormatter

HELP = """\
Remove from a BI schema every row of children whose last involvement ended more than
--years ago (default CSC_RETENTION_YEARS, else 25). The nightly build already applies it to
the build schema before publishing; run it by hand to see what it would remove (--dry-run)
or to apply a shorter period at once.

  csc-warehouse retention --dry-run
  csc-warehouse retention --years 25 --schema bi
"""


def register(sub) -> None:
    p = sub.add_parser(
        "retention",
        help="remove long-finished children from the BI history",
        description=HELP,
        formatter_class=RawDescriptionRichHelpFormatter,
    )
    p.add_argument("--years", type=int, help="retention period in years")
    p.add_argument("--schema", default="bi", help="schema to apply it to (default bi)")
    p.add_argument(
        "--as-at", type=date.fromisoformat, default=None, help="as-at date (default today)"
    )
    p.add_argument("--dry-run", action="store_true", help="count, change nothing")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from csc_warehouse.retention import apply_retention

    as_at = args.as_at or date.today()
    result = apply_retention(args.schema, as_at, args.years, dry_run=args.dry_run)
    verb = "would remove" if args.dry_run else "removed"
    print(
        f"retention on {result.schema}: cutoff {result.cutoff}; {result.children} "
        f"children; {verb} {result.rows} rows"
    )
    for table, n in sorted(result.rows_by_table.items()):
        print(f"  {table}: {n}")
    return 0
