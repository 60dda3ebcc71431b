"""``csc-warehouse nightly``: one night end to end, without Airflow (same steps as the DAG)."""

from __future__ import annotations

import argparse
from datetime import date

from rich_argparse import RawDescriptionRichHelpFormatter

HELP = """\
Run one night end to end without Airflow, the same steps as the csc_nightly DAG:
load every pending folder (council deltas in order), raw gates, dbt build into the build
schemas, mart gates, atomic publish to `bi`, scorecard report. Prints a table of stages
with their times.

  csc-warehouse nightly                      # the newest night in the landing folder
  csc-warehouse nightly --date 2025-06-03
  csc-warehouse nightly --full-refresh       # rebuild incremental models from scratch
  csc-warehouse nightly --json run.json      # also write the stages, in full, for scripts

Exit codes: 0 published; 1 a gate or the build failed (BI keeps the last good mart);
3 the database is not reachable.
"""


def register(sub) -> None:
    p = sub.add_parser(
        "nightly",
        help="one night end to end without Airflow",
        description=HELP,
        formatter_class=RawDescriptionRichHelpFormatter,
    )
    p.add_argument(
        "--date",
        type=date.fromisoformat,
        help="extract date (default: the newest folder in the landing area)",
    )
    p.add_argument("--landing", help="landing folder (default: CSC_LANDING or ./landing)")
    p.add_argument("--full-refresh", action="store_true", help="dbt build --full-refresh")
    p.add_argument("--no-report", action="store_true", help="skip the scorecard report")
    p.add_argument(
        "--json",
        metavar="FILE",
        help="write the run (date, published, error, every stage with its full detail) "
        "as JSON to FILE, whether or not it succeeds",
    )
    p.set_defaults(handler=run)


def newest_night(landing) -> date | None:
    from csc_warehouse.orchestration.nightly import SYSTEMS

    dates = []
    for system in SYSTEMS:
        base = landing / system
        if base.is_dir():
            for child in base.iterdir():
                try:
                    dates.append(date.fromisoformat(child.name))
                except ValueError:
                    continue
    return max(dates) if dates else None


def write_json(result, path: str) -> None:
    import json
    from dataclasses import asdict
    from pathlib import Path

    doc = {
        "extract_date": result.extract_date.isoformat(),
        "run_id": result.run_id,
        "published": result.published,
        "error": result.error,
        "report": result.report,
        "seconds": round(result.seconds, 3),
        "stages": [asdict(stage) for stage in result.stages],
    }
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(doc, indent=2) + "\n")


def run(args: argparse.Namespace) -> int:
    import os

    from rich.console import Console
    from rich.table import Table

    from csc_warehouse.config import get_settings
    from csc_warehouse.orchestration.pipeline import run_night

    if args.landing:
        os.environ["CSC_LANDING"] = args.landing
    settings = get_settings()
    console = Console()
    night = args.date or newest_night(settings.landing)
    if night is None:
        console.print(f"[red]no extract folders under {settings.landing}[/]")
        return 1
    console.print(f"[bold]Nightly run for extract date {night}[/] (landing {settings.landing})")
    result = run_night(
        night,
        settings,
        full_refresh=args.full_refresh,
        report=not args.no_report,
        say=lambda msg: console.print(f"  {msg}"),
    )
    if args.json:
        write_json(result, args.json)
    stages = result.stages
    table = Table(title="stages")
    table.add_column("stage")
    table.add_column("seconds", justify="right")
    table.add_column("ok")
    table.add_column("detail")
    for stage in stages:
        table.add_row(
            stage.name, f"{stage.seconds:.1f}", "yes" if stage.ok else "NO", stage.detail[:80]
        )
    if stages:
        console.print(table)
    console.print(f"total {result.seconds:.1f} s")
    if result.error:
        console.print(f"[red]FAILED:[/] {result.error}")
        console.print("BI keeps the last good mart (schema bi is unchanged).")
        return 1
    console.print(f"published to schema bi; report: {result.report or '-'}")
    return 0
