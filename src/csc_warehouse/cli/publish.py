"""``csc-warehouse publish``: gate the build schema and publish it to BI atomically."""

from __future__ import annotations

import argparse

from rich_argparse import RawDescriptionRichHelpFormatter

HELP = """\
Validate the build schema (mart_build) with the mart gates and, only if no blocking
expectation fails, swap mart_build and case_build into `bi` and `case_level` in one
transaction (BI never sees a half-built mart). A failed gate keeps the build as
mart_failed_<timestamp> (and case_failed_<timestamp>) and leaves `bi` exactly as it was.

  csc-warehouse publish --run-id manual_2025-10-01
  csc-warehouse publish --skip-gates     # emergencies only: logged loudly, in ops.publish_log

Exit codes: 0 published; 1 a gate failed (nothing published) or nothing to publish;
3 database unreachable.
"""


def register(sub) -> None:
    p = sub.add_parser(
        "publish",
        help="gate the build and publish it to BI",
        description=HELP,
        formatter_class=RawDescriptionRichHelpFormatter,
    )
    p.add_argument("--run-id", default="manual", help="recorded in ops.publish_log")
    p.add_argument(
        "--extract-date", help="the extract date the build is as at (YYYY-MM-DD), for the log"
    )
    p.add_argument(
        "--skip-gates",
        action="store_true",
        help="publish without running the mart gates (emergencies only; logged as such)",
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import logging
    from datetime import date

    from csc_warehouse import gates, publish
    from csc_warehouse.config import get_settings

    settings = get_settings()
    extract_date = date.fromisoformat(args.extract_date) if args.extract_date else None
    if args.skip_gates:
        message = (
            f"PUBLISHING WITHOUT THE QUALITY GATES (run {args.run_id}) at an engineer's "
            "request: nothing checked this build"
        )
        logging.getLogger("csc_warehouse.publish").warning(message)
        print(f"WARNING: {message}")
        result = publish.publish(f"{args.run_id}__skip_gates", extract_date, settings)
        print(f"published {result.tables} tables ({result.total_rows} rows) to bi, ungated")
        return 0
    try:
        outcome = gates.gate_and_publish(settings, args.run_id, extract_date)
    except gates.GateFailed as exc:
        print(str(exc))
        return 1
    print(
        f"published {outcome['tables']} tables ({outcome['rows']} rows) to bi; "
        f"{outcome['warnings']} warning(s)"
    )
    for line in outcome.get("warning_messages", []):
        print(f"  {line}")
    if outcome.get("data_docs"):
        print(f"Data Docs: {outcome['data_docs']}")
    return 0
