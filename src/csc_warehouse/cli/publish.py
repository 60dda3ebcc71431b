"""``csc-warehouse publish``: gate the build schema and publish it to BI atomically."""

from __future__ import annotations

import argparse

from rich_argparse import RawDescriptionRichHelpFormatter

HELP = """\
Validate the build schemas (mart_build, case_build) with the mart gates and, only if no
blocking expectation fails, swap them into `bi` and `case_level` in one transaction (BI never
sees a half-built mart). A failed gate keeps the build as mart_failed_<timestamp> and leaves
`bi` exactly as it was.

  csc-warehouse publish
  csc-warehouse publish --skip-gates     # emergencies only: logged loudly

Exit codes: 0 published; 1 a gate failed (nothing published); 3 database unreachable.
"""


def register(sub) -> None:
    p = sub.add_parser(
        "publish",
        help="gate the build and publish it to BI",
        description=HELP,
        formatter_class=RawDescriptionRichHelpFormatter,
    )
    p.add_argument("--run-id", default="manual")
    p.add_argument(
        "--skip-gates",
        action="store_true",
        help="publish without running the mart gates (emergencies only)",
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import logging

    from csc_warehouse import gates, publish
    from csc_warehouse.config import get_settings

    settings = get_settings()
    if args.skip_gates:
        logging.getLogger("csc_warehouse.publish").warning(
            "PUBLISHING WITHOUT GATES (run %s) at an engineer's request", args.run_id
        )
        print("WARNING: publishing without the quality gates")
        result = publish.publish(args.run_id + "__skip_gates", None, settings)
        print(f"published {result.tables} tables ({result.total_rows} rows) to bi")
        return 0
    try:
        outcome = gates.gate_and_publish(settings, args.run_id)
    except gates.GateFailed as exc:
        print(str(exc))
        return 1
    print(
        f"published {outcome['tables']} tables ({outcome['rows']} rows) to bi; "
        f"{outcome['warnings']} warning(s)"
    )
    return 0
