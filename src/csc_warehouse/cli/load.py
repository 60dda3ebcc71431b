"""``csc-warehouse load``: landing folders into the raw schemas (the nightly ingestion)."""

from __future__ import annotations

import argparse
import sys

from rich_argparse import RawDescriptionRichHelpFormatter

HELP = """\
Load nightly extract folders LANDING/<system>/<YYYY-MM-DD>/ into raw_trust, raw_council and
raw_hr (append-only, text as delivered, with batch id, file and line number on every row).

A folder is read only once its _manifest.json is there. Every file is checked against the
manifest (present, sha256, row count) and the system's contract (header, schema_version,
encoding, dates, codes, patterns). A file failing its manifest or header check rejects its
whole folder (nothing of it is loaded; the other folders and systems still load). Rows that
fail the contract go to ops.quarantine (see `csc-warehouse quarantine`). Every file must
reconcile: manifest rows = raw rows + quarantined rows, or nothing of the folder is committed.

  --all-pending   every folder with a manifest not loaded yet (the default); council deltas
                  strictly in date order: a later delta waits for a missing earlier one
  --date D        just that extract date (of --system, or of every system that has it)

Loading the same folder twice changes nothing; a re-delivered folder with different content
is loaded as a correction (new batch, the earlier one superseded). Results are in
ops.load_batches and ops.load_ledger.

exit codes: 0 loaded (quarantined rows alone are a warning) | 1 a file rejected, a delta
waiting or a folder not ready (--date) | 2 bad command line | 3 database not reachable
"""


def register(sub) -> None:
    p = sub.add_parser(
        "load",
        help="load landing folders into the raw schemas",
        description=HELP,
        formatter_class=RawDescriptionRichHelpFormatter,
    )
    p.add_argument("--landing", help="landing folder (default: CSC_LANDING or <repo>/landing)")
    p.add_argument(
        "--system", choices=["trust", "council", "hr"], help="only this system (default: all three)"
    )
    when = p.add_mutually_exclusive_group()
    when.add_argument("--date", metavar="YYYY-MM-DD", help="only this extract date")
    when.add_argument(
        "--all-pending", action="store_true", help="every folder not loaded yet (default)"
    )
    p.add_argument(
        "--xlsx-max-mb",
        type=float,
        metavar="MB",
        help="refuse workbooks larger than this (default 200, CSC_LOAD_XLSX_MAX_MB)",
    )
    p.add_argument(
        "--no-analyze", action="store_true", help="skip ANALYZE of the raw tables touched"
    )
    p.add_argument("--quiet", "-q", action="store_true", help="only problems and the summary")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import logging
    import time
    from dataclasses import replace
    from datetime import date
    from pathlib import Path

    from rich.console import Console
    from rich.markup import escape

    from csc_warehouse.config import get_settings
    from csc_warehouse.contracts import SYSTEMS
    from csc_warehouse.load.loader import LoadOptions, load_night, load_pending
    from csc_warehouse.load.results import LOADED, NOT_READY, REJECTED, UNCHANGED, LoadSummary

    # the console gets the lines below; the logger's records are for Airflow's task log
    logging.getLogger("csc_warehouse.load").addHandler(logging.NullHandler())
    out = Console(highlight=False, soft_wrap=True)
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    settings = get_settings()
    landing = Path(args.landing) if args.landing else settings.landing
    if not landing.is_dir():
        err.print(f"error: landing folder {landing} does not exist")
        return 2
    options = LoadOptions.from_settings(settings)
    if args.xlsx_max_mb:
        options = replace(
            options,
            xlsx_limits=replace(options.xlsx_limits, max_bytes=int(args.xlsx_max_mb * 1024 * 1024)),
        )
    if args.no_analyze:
        options = replace(options, analyze=False)
    systems = [args.system] if args.system else list(SYSTEMS)

    def show(night) -> None:
        if night.status == LOADED:
            if not args.quiet:
                out.print(escape(night.summary_line()))
        elif night.status == UNCHANGED:
            if not args.quiet:
                out.print(escape(night.summary_line()))
        else:
            err.print(f"[bold red]{escape(night.summary_line())}[/]")
            for line in night.problem_lines():
                err.print(f"  {escape(line)}")

    if args.date:
        try:
            d = date.fromisoformat(args.date)
        except ValueError:
            err.print(f"error: --date {args.date!r} is not YYYY-MM-DD")
            return 2
        started = time.monotonic()
        summary = LoadSummary()
        wanted = [s for s in systems if (landing / s / d.isoformat()).is_dir()]
        if args.system and not wanted:
            wanted = [args.system]  # reports "not ready: no folder"
        if not wanted:
            err.print(f"no folder for {d.isoformat()} under {landing}")
            return 1
        not_ready = False
        for system in wanted:
            night = load_night(settings, landing, system, d, options=options)
            show(night)
            if night.status == NOT_READY:
                not_ready = True
            else:
                summary.nights.append(night)
        summary.seconds = time.monotonic() - started
        code = max(summary.exit_code, 1 if not_ready else 0)
    else:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        progress = Progress(
            TextColumn("loading"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=err,
            transient=True,
            disable=args.quiet or not err.is_terminal,
        )

        def start(total: int):
            task = progress.add_task("", total=total)

            def step(night) -> None:
                progress.update(task, advance=1, description=night.label)
                if night.status == UNCHANGED or (night.status == REJECTED and night.previously):
                    return
                show(night)

            return step

        with progress:
            summary = load_pending(settings, landing, systems, options=options, progress=start)
        code = summary.exit_code
    if summary.rows_quarantined:
        err.print(
            f"[yellow]warning: {summary.rows_quarantined} rows quarantined (the nights are "
            "loaded); see `csc-warehouse quarantine list`[/]"
        )
    deletes = sum(n.deletes_unknown for n in summary.nights)
    if deletes:
        err.print(
            f"[yellow]warning: {deletes} council deletes for keys never inserted "
            "(loaded; staging ignores them)[/]"
        )
    out.print(f"summary: {escape(summary.summary_line())}")
    sys.stdout.flush()
    return code
