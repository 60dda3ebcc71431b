"""``csc-warehouse quarantine list|replay``: rows that failed the contract."""

from __future__ import annotations

import argparse

from rich_argparse import RawDescriptionRichHelpFormatter

HELP = """\
Rows that could not be loaded (bad date, wrong column count, bad encoding, unknown code,
required value empty, pattern mismatch, duplicate key) are kept in ops.quarantine with the
raw line, the file, the line number and the reason.

  list     counts by system / date / file / reason, then the rows (id, line, reason).
           The raw lines hold personal data and are NOT printed unless --show-raw is given.
  replay   re-validate the open rows against the current contract (after a contract fix,
           e.g. a new code, or after correcting ops.quarantine.raw_line) and move the rows
           that now pass into raw: same batch, file and line; the ledger marks them replayed
           and reconciliation (manifest = raw + quarantined) is checked again.

exit codes: list 0 | replay 0 when every row considered was replayed (or none), 1 when some
still fail | 3 database not reachable
"""


def register(sub) -> None:
    p = sub.add_parser(
        "quarantine",
        help="list or replay quarantined rows",
        description=HELP,
        formatter_class=RawDescriptionRichHelpFormatter,
    )
    p.add_argument("action", choices=["list", "replay"])
    p.add_argument("--system", choices=["trust", "council", "hr"])
    p.add_argument("--date", metavar="YYYY-MM-DD", help="extract date")
    p.add_argument("--id", type=int, metavar="N", help="one quarantine row (quarantine_id)")
    p.add_argument(
        "--show-raw",
        action="store_true",
        help="list: also print the raw lines (PERSONAL DATA: for an engineer only)",
    )
    p.add_argument(
        "--limit", type=int, default=200, metavar="N", help="list: at most N rows (default 200)"
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import logging
    from datetime import date

    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from csc_warehouse.config import get_settings
    from csc_warehouse.load.quarantine import list_quarantine, replay_quarantine

    # the console gets the lines below; the logger's records are for Airflow's task log
    logging.getLogger("csc_warehouse.load").addHandler(logging.NullHandler())
    out = Console(highlight=False, soft_wrap=True)
    if not out.is_terminal:  # a log or a pipe: wide tables, no wrapped cells
        out = Console(highlight=False, soft_wrap=True, width=200)
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    if args.date:
        try:
            date.fromisoformat(args.date)
        except ValueError:
            err.print(f"error: --date {args.date!r} is not YYYY-MM-DD")
            return 2
    settings = get_settings()
    if args.action == "replay":
        result = replay_quarantine(
            settings, system=args.system, extract_date=args.date, quarantine_id=args.id
        )
        out.print(result.summary_line())
        return 1 if result.still_failing else 0

    listing = list_quarantine(
        settings,
        system=args.system,
        extract_date=args.date,
        quarantine_id=args.id,
        show_raw=args.show_raw,
        limit=args.limit,
    )
    if not listing.total:
        out.print("no open quarantined rows")
        return 0
    groups = Table(title=f"quarantined rows: {listing.total}")
    for col in ("system", "date", "file", "table", "reason", "rows", "first lines"):
        groups.add_column(col, justify="right" if col == "rows" else "left")
    for g in listing.groups:
        groups.add_row(
            g.system,
            g.extract_date.isoformat(),
            escape(g.source_file),
            g.table_name,
            g.reason_code,
            str(g.rows),
            ", ".join(map(str, g.first_lines)),
        )
    out.print(groups)
    rows = Table(title=f"rows (first {min(args.limit, listing.total)} of {listing.total})")
    for col in ("id", "system", "date", "file", "line", "reason", "replays"):
        rows.add_column(col)
    if args.show_raw:
        rows.add_column("raw line (personal data)", overflow="fold")
        err.print("[yellow]--show-raw: the raw lines below hold personal data[/]")
    for r in listing.rows:
        cells = [
            str(r.quarantine_id),
            r.system,
            r.extract_date.isoformat(),
            r.source_file,
            str(r.line_number),
            r.reason,
            str(r.replay_attempts),
        ]
        if args.show_raw:
            cells.append(repr((r.raw_line or "").rstrip("\r\n"))[1:-1])
        rows.add_row(*[escape(c) for c in cells])
    out.print(rows)
    return 0
